/**
 * The Iceberg conformance corpus as part of `npm test`: every case in iceberg/cases must pass
 * (each check of its expected.json; see iceberg-cases.ts). `npm run conformance` runs the same
 * cases with a per-case report.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findConformanceDir } from './delta-cases.js';
import { ICEBERG_UPSTREAM, listIcebergCases, runIcebergCase } from './iceberg-cases.js';

const found = await findConformanceDir();
if (!found.found) {
  const message = `conformance data not found (looked in ${found.looked.join(', ')}): the Iceberg conformance cases were NOT run. Set LAKE_CONFORMANCE_DIR to a copy of the corpus (${ICEBERG_UPSTREAM}).`;
  if (process.env.CI === 'true') throw new Error(message);
  process.stderr.write(`\n*** ${message}\n\n`);
}

if (found.found) {
  const root = join(found.dir, 'iceberg');
  const cases = await listIcebergCases(root);
  describe(`Iceberg conformance cases (${cases.length})`, () => {
    it.each(cases)('%s', async (name) => {
      const result = await runIcebergCase(root, name);
      expect(result.ok, result.error).toBe(true);
    });
  });
}
