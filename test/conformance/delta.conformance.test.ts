/**
 * The Delta conformance corpus as part of `npm test`: every golden case and every DAT case (each
 * expected version) must pass, and a representative subset (checkpoints of every kind, deletion
 * vectors, column mapping, special characters) is read again from the test S3 server.
 * `npm run conformance` runs the same cases with a per-case report.
 */
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeltaTable } from '../../src/delta/table.js';
import type { S3Store } from '../../src/storage/s3-store.js';
import { inParallel } from '../storage/store-contract.js';
import { describeWithS3, freshS3Store } from '../support/s3.js';
import { filesUnder } from '../support/tables.js';
import {
  findConformanceDir,
  listDatCases,
  loadGoldenCases,
  runDatCase,
  runGoldenCase,
  UPSTREAM,
  type CaseResult,
} from './delta-cases.js';

const found = await findConformanceDir();
if (!found.found) {
  const message =
    `conformance data not found (looked in ${found.looked.join(', ')}): the Delta conformance cases were NOT run. ` +
    `Set LAKE_CONFORMANCE_DIR to a copy of the corpus (${UPSTREAM.join('; ')}).`;
  if (process.env.CI === 'true') throw new Error(message);
  process.stderr.write(`\n*** ${message}\n\n`);
}

/** Fails with the case's own report (what failed and why) when it did not pass. */
function expectPassed(result: CaseResult): void {
  expect(result.ok, result.error).toBe(true);
}

if (found.found) {
  const goldenRoot = join(found.dir, 'delta', 'golden');
  const datRoot = join(found.dir, 'delta', 'dat');
  const golden = await loadGoldenCases(goldenRoot);
  const dat = await listDatCases(datRoot);

  describe(`Delta golden tables (${golden.length} cases)`, () => {
    it.each(golden.map((c) => [c.case, c] as const))('%s', async (_, c) => expectPassed(await runGoldenCase(c, goldenRoot)));
  });

  describe(`Delta Acceptance Testing (${dat.length} cases)`, () => {
    it.each(dat.map((dir) => [relative(datRoot, dir), dir] as const))('%s', async (_, dir) => expectPassed(await runDatCase(dir)));
  });

  // Cases whose meaning does not depend on where the table lives. (The canonicalized-paths cases
  // do: they add an unqualified '/x' and remove 'file:/x', one file on a local table, but two on
  // S3, where '/x' belongs to the bucket; they run locally above.)
  const FROM_S3 = [
    'checkpoint',
    'multi-part-checkpoint',
    'v2-checkpoint-json',
    'v2-checkpoint-parquet',
    'dv-partitioned-with-checkpoint',
    'dv-with-columnmapping',
    'table-with-columnmapping-mode-name',
    'table-with-columnmapping-mode-id',
    'data-reader-escaped-chars',
    'log-replay-special-characters-a',
  ];

  describeWithS3('Delta golden tables read from S3', (server) => {
    let store: S3Store;
    beforeAll(async () => {
      store = freshS3Store(server);
      const files: string[] = [];
      for (const name of FROM_S3) files.push(...(await filesUnder(join(goldenRoot, name))));
      await inParallel(files, 16, async (file) => store.put(relative(goldenRoot, file), new Uint8Array(await readFile(file))));
    }, 120_000);
    afterAll(() => store?.destroy());

    it.each(FROM_S3)('%s', async (name) => {
      const c = golden.find((candidate) => candidate.case === name);
      expect(c, `case ${name} is not in CASES.json`).toBeDefined();
      const prefix = store.url.slice(`s3://${server.bucket}/`.length);
      const open = (tableDir: string) =>
        DeltaTable.open(
          { scheme: 's3', bucket: server.bucket, prefix: `${prefix}/${relative(goldenRoot, tableDir)}` },
          {
            s3: {
              endpoint: server.endpoint,
              region: server.region,
              forcePathStyle: true,
              credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
            },
          },
        );
      expectPassed(await runGoldenCase(c!, goldenRoot, open));
    });
  });
}

