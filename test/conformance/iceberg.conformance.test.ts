/**
 * The Iceberg conformance corpus as part of `npm test`: every case in iceberg/cases must pass
 * (each check of its expected.json; see iceberg-cases.ts), and a representative subset (position
 * deletes with schema evolution, equality deletes, deletion vectors, time travel, identity
 * partitions, name mapping) is read again from the test S3 server. `npm run conformance` runs the
 * same cases with a per-case report.
 */
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Store } from '../../src/storage/s3-store.js';
import { inParallel } from '../storage/store-contract.js';
import { describeWithS3, freshS3Store } from '../support/s3.js';
import { findConformanceDir } from './delta-cases.js';
import { ICEBERG_UPSTREAM, listIcebergCases, runIcebergCase } from './iceberg-cases.js';
import { filesUnder } from '../support/tables.js';

const found = await findConformanceDir();
if (!found.found) {
  const message = `conformance data not found (looked in ${found.looked.join(', ')}): the Iceberg conformance cases were NOT run. Set LAKE_CONFORMANCE_DIR to a copy of the corpus (${ICEBERG_UPSTREAM}).`;
  if (process.env.CI === 'true') throw new Error(message);
  process.stderr.write(`\n*** ${message}\n\n`);
}

const FROM_S3 = [
  'spark_v2_positional_deletes_schema_evolution',
  'equality_deletes_unpartitioned',
  'v3_deletion_vectors_multi_blob_puffin',
  'lineitem_v2_time_travel',
  'identity_partition_timestamptz',
  'name_mapping_add_files_nested',
];

if (found.found) {
  const root = join(found.dir, 'iceberg');
  const cases = await listIcebergCases(root);
  describe(`Iceberg conformance cases (${cases.length})`, () => {
    it.each(cases)('%s', async (name) => {
      const result = await runIcebergCase(root, name);
      expect(result.ok, result.error).toBe(true);
    });
  });

  describeWithS3('Iceberg conformance cases read from S3', (server) => {
    let store: S3Store;
    beforeAll(async () => {
      store = freshS3Store(server);
      const files: string[] = [];
      for (const name of FROM_S3) files.push(...(await filesUnder(join(root, 'cases', name))));
      await inParallel(files, 16, async (file) => store.put(relative(join(root, 'cases'), file), new Uint8Array(await readFile(file))));
    }, 120_000);
    afterAll(() => store?.destroy());

    it.each(FROM_S3)('%s', async (name) => {
      const result = await runIcebergCase(root, name, {
        url: `${store.url}/${name}`,
        storeOptions: {
          s3: {
            endpoint: server.endpoint,
            region: server.region,
            forcePathStyle: true,
            credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
          },
        },
      });
      expect(result.ok, result.error).toBe(true);
    });
  });
}
