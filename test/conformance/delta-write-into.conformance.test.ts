/**
 * lake writing INTO tables Spark wrote: a copy of each golden table below (column mapping in both
 * modes, deletion vectors, every checkpoint kind, partitions) gets an append of its own rows, a
 * delete by a data condition and a merge, and must read back to exactly what those operations
 * mean, computed from the rows read before. The protocol the table has is kept; its features
 * (physical names, field ids, existing deletion vectors, v2 checkpoints) must be honoured.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Table } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { MergeBuilder } from '../../src/delta/operations/merge.js';
import { DeltaTable } from '../../src/delta/table.js';
import { batchRowsAsJson } from '../../src/engine/json-values.js';
import { findConformanceDir, loadGoldenCases, UPSTREAM } from './delta-cases.js';

const found = await findConformanceDir();
if (!found.found) {
  const message = `conformance data not found (looked in ${found.looked.join(', ')}): the write-into cases were NOT run (${UPSTREAM.join('; ')}).`;
  if (process.env.CI === 'true') throw new Error(message);
  process.stderr.write(`\n*** ${message}\n\n`);
}

const CASES = [
  'table-with-columnmapping-mode-name',
  'table-with-columnmapping-mode-id',
  'dv-partitioned-with-checkpoint',
  'dv-with-columnmapping',
  'multi-part-checkpoint',
  'v2-checkpoint-parquet',
  'v2-checkpoint-json',
  'data-reader-partition-values',
  'basic-with-inserts-deletes-checkpoint',
];

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function rowsOf(table: DeltaTable): Promise<string[]> {
  const rows: string[] = [];
  for await (const batch of (await table.snapshot()).scan()) for (const row of batchRowsAsJson(batch)) rows.push(JSON.stringify(row));
  return rows.sort();
}

if (found.found) {
  const goldenRoot = join(found.dir, 'delta', 'golden');
  const cases = await loadGoldenCases(goldenRoot);
  describe('lake writes into copies of Spark-written tables', () => {
    it.each(CASES)('%s', async (name) => {
      const dir = await mkdtemp(join(tmpdir(), 'lake-into-'));
      dirs.push(dir);
      await cp(join(goldenRoot, cases.find((c) => c.case === name)!.table), dir, { recursive: true });
      const table = await DeltaTable.open(dir);
      const before = await table.snapshot();
      const original = await rowsOf(table);
      expect(original.length).toBeGreaterThan(0);

      // Append the table's own rows: every row twice.
      const batches = [];
      for await (const batch of before.scan()) batches.push(batch);
      await table.write(new Table(batches));
      expect(await rowsOf(table)).toEqual([...original, ...original].sort());
      expect((await table.snapshot()).protocol).toEqual(before.protocol);

      // Delete by the first column not being null-equal to the first row's value: compare with the rows.
      const first = before.schema.fields.find((f) => typeof f.type === 'string' && ['long', 'integer', 'string', 'short', 'byte'].includes(f.type as string))!;
      const firstRow = JSON.parse(original[0]!) as Record<string, unknown>;
      const value = firstRow[first.name];
      const condition = value === null ? `"${first.name}" IS NULL` : typeof value === 'number' ? `"${first.name}" = ${value}` : `"${first.name}" = '${String(value).replaceAll("'", "''")}'`;
      await table.delete(condition);
      const kept = [...original, ...original].filter((row) => JSON.stringify((JSON.parse(row) as Record<string, unknown>)[first.name]) !== JSON.stringify(value)).sort();
      expect(await rowsOf(table)).toEqual(kept);

      // Merge the original rows back in on that column where they are missing (insert only).
      await new MergeBuilder(table, new Table(batches), { predicate: `target."${first.name}" IS NOT DISTINCT FROM source."${first.name}"` }).whenNotMatchedInsertAll().execute();
      const deletedRows = original.filter((row) => JSON.stringify((JSON.parse(row) as Record<string, unknown>)[first.name]) === JSON.stringify(value));
      expect(await rowsOf(table)).toEqual([...kept, ...deletedRows].sort());
    });
  });
}
