/**
 * OPTIMIZE on local tables: bin-packing per partition (rows unchanged, every earlier version still
 * reads as before, dataChange false), purging deletion vectors under column mapping, Z-order
 * (range queries read fewer files), the plan / execute / commit steps with concurrent writers in
 * between (an append commits on top; a delete of a planned file conflicts, for its bins only with
 * partial progress), and the CLI.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ConcurrentModificationError } from '../../src/delta/conflicts.js';
import { filesMatching } from '../../src/delta/file-pruning.js';
import { commitOptimize, executeBin, optimize, planOptimize } from '../../src/delta/operations/optimize.js';
import { DeltaTable } from '../../src/delta/table.js';
import { batchRowsAsJson } from '../../src/engine/json-values.js';
import { SqlWorkspace } from '../../src/engine/sql-workspace.js';
import { readParquetSchema } from '../../src/engine/parquet.js';
import { runLake } from '../support/cli.js';
import { findConformanceDir } from '../conformance/delta-cases.js';
import { rowsById, tempDirs } from '../support/tables.js';

const tempDir = tempDirs('lake-optimize-');

const runCli = (argv: string[]) => runLake(argv);

const rowsOf = rowsById;

/** A table of `appends` small files in partitions p = 'a' / 'b', ids 0 … appends*rows-1. */
async function smallFiles(appends: number, rows: number, configuration: Record<string, string> = {}): Promise<DeltaTable> {
  const table = await DeltaTable.create(await tempDir(), {
    schema: {
      type: 'struct',
      fields: [
        { name: 'id', type: 'long', nullable: false, metadata: {} },
        { name: 'p', type: 'string', nullable: true, metadata: {} },
        { name: 'x', type: 'double', nullable: true, metadata: {} },
      ],
    },
    partitionColumns: ['p'],
    configuration,
  });
  for (let i = 0; i < appends; i++) {
    const ids = Array.from({ length: rows }, (_, j) => i * rows + j);
    await table.write(tableFromArrays({ id: BigInt64Array.from(ids.map(BigInt)), p: ids.map(() => (i % 2 === 0 ? 'a' : 'b')), x: Float64Array.from(ids.map((n) => n / 10)) }));
  }
  return table;
}

async function rowsFrom(sql: string) {
  const workspace = await SqlWorkspace.open();
  try {
    const batches = [];
    for await (const batch of workspace.query(sql)) batches.push(batch);
    return batches;
  } finally {
    await workspace.close();
  }
}

describe('optimize', () => {
  it('bin-packs each partition into one file; rows and every earlier version read as before', async () => {
    const table = await smallFiles(12, 50);
    const before = await rowsOf(table);
    const version = (await table.snapshot()).version;
    const result = await optimize(table, { targetFileSize: 1024 * 1024 });
    expect(result.versions).toEqual([version + 1]);
    expect(result.metrics).toMatchObject({ numBins: 2, numFilesRemoved: 12, numFilesAdded: 2, numRows: 600, partitionsOptimized: 2 });
    const snapshot = await table.snapshot();
    expect(snapshot.files).toHaveLength(2);
    expect(snapshot.files.every((f) => f.dataChange === false && typeof f.stats === 'string')).toBe(true);
    expect(await rowsOf(table)).toEqual(before);
    for (let v = 1; v <= version; v++) expect((await rowsOf(table, v)).length).toBe((v) * 50);
    const commit = (await table.history()).find((c) => c.version === version + 1)!;
    expect(commit.operation).toBe('OPTIMIZE');
    // Nothing left to do: no commit.
    expect((await optimize(table, { targetFileSize: 1024 * 1024 })).versions).toEqual([]);
  });

  it('restricts to partitions by --where, refuses conditions on other columns, and skips single-file bins', async () => {
    const table = await smallFiles(6, 20);
    const result = await optimize(table, { where: "p = 'a'", targetFileSize: 1024 * 1024 });
    expect(result.metrics.numFilesRemoved).toBe(3);
    const files = (await table.snapshot()).files;
    expect(files.filter((f) => f.partitionValues.p === 'a')).toHaveLength(1);
    expect(files.filter((f) => f.partitionValues.p === 'b')).toHaveLength(3);
    await expect(optimize(table, { where: 'id > 3' })).rejects.toThrow(/may only use partition columns/);
    // A bin is at most the target: 20-row files of ~1 kB with a 1-byte target make single-file bins, skipped.
    expect((await planOptimize(table, { targetFileSize: 1 })).bins).toEqual([]);
  });

  for (const mode of ['name', 'id']) {
  it(`purges deletion vectors and keeps column mapping physical names (mode ${mode})`, async () => {
    const table = await smallFiles(4, 100, { 'delta.enableDeletionVectors': 'true', 'delta.columnMapping.mode': mode });
    await table.delete(`id IN (${Array.from({ length: 40 }, (_, i) => i * 10).join(', ')})`);
    const before = await rowsOf(table);
    expect((await table.snapshot()).files.filter((f) => f.deletionVector != null)).toHaveLength(4);
    const result = await optimize(table, { targetFileSize: 1024 * 1024 });
    expect(result.metrics.numDeletionVectorsRemoved).toBe(4);
    const snapshot = await table.snapshot();
    expect(snapshot.files.filter((f) => f.deletionVector != null)).toHaveLength(0);
    expect(await rowsOf(table)).toEqual(before);
    const physical = snapshot.schema.fields.find((f) => f.name === 'id')!.metadata['delta.columnMapping.physicalName'];
    const file = snapshot.files[0]!;
    const fileSchema = readParquetSchema(new Uint8Array(await readFile(join(table.location.scheme === 'file' ? table.location.path : '', decodeURIComponent(file.path)))));
    expect(fileSchema.fields.map((f) => f.name)).toContain(physical);
    expect(fileSchema.fields.map((f) => f.name)).not.toContain('id');
  });
  }

  for (const curve of ['zorder', 'hilbert'] as const) {
  it(`sorts along the ${curve} curve: range queries on either column read fewer files`, async () => {
    const table = await DeltaTable.create(await tempDir(), {
      schema: {
        type: 'struct',
        fields: [
          { name: 'id', type: 'long', nullable: false, metadata: {} },
          { name: 'x', type: 'integer', nullable: true, metadata: {} },
          { name: 'y', type: 'double', nullable: true, metadata: {} },
          { name: 'pad', type: 'string', nullable: true, metadata: {} },
        ],
      },
    });
    // Random x and y, so that every written file spans both ranges.
    for (let i = 0; i < 4; i++) {
      await table.write(
        await rowsFrom(
          `SELECT (${i} * 20000 + r)::BIGINT AS id, (hash(r * 7 + ${i}) % 1000)::INTEGER AS x, (hash(r * 13 + ${i}) % 100000) / 100.0 AS y, md5(r::VARCHAR) AS pad FROM range(20000) t(r)`,
        ),
        { targetFileSize: 256 * 1024 },
      );
    }
    const before = await table.snapshot();
    // (Not `y > 900`: a double column's maximum says nothing of NaN, which is above every number, so
    // the reader cannot skip files on a double's upper bound.)
    const queries = ['x < 100', 'x >= 900', 'y < 100', 'y < 50', 'x < 300 AND y < 300'];
    const read = async (snapshot: Awaited<ReturnType<DeltaTable['snapshot']>>) => Promise.all(queries.map(async (q) => (await filesMatching(snapshot, q)).length));
    const readBefore = await read(before);
    const rowsBefore = await rowsOf(table);
    await optimize(table, { zorderBy: ['x', 'y'], curve, targetFileSize: 96 * 1024 });
    const after = await table.snapshot();
    const readAfter = await read(after);
    expect(after.files.length).toBeGreaterThan(4);
    for (let i = 0; i < queries.length; i++) {
      // Before, every file spans every range; after, a range query reads at most 60 % of the files.
      expect(readBefore[i]).toBe(before.files.length);
      expect({ query: queries[i], share: readAfter[i]! / after.files.length <= 0.6 }).toEqual({ query: queries[i], share: true });
    }
    expect(await rowsOf(table)).toEqual(rowsBefore);
    expect((await table.history({ limit: 1 }))[0]!.operationParameters).toMatchObject({ zOrderBy: '["x","y"]', ...(curve === 'hilbert' ? { curve } : {}) });
    await expect(optimize(table, { zorderBy: ['nope'] })).rejects.toThrow(/no such column/);
  });
  }

  it('Z-orders a table without statistics: the ranges come from a pass over the rows', async () => {
    const dir = await tempDir();
    const table = await DeltaTable.create(dir, {
      schema: {
        type: 'struct',
        fields: [
          { name: 'id', type: 'long', nullable: false, metadata: {} },
          { name: 'x', type: 'integer', nullable: true, metadata: {} },
          { name: 'y', type: 'double', nullable: true, metadata: {} },
          { name: 'pad', type: 'string', nullable: true, metadata: {} },
        ],
      },
      configuration: { 'delta.dataSkippingNumIndexedCols': '0' },
    });
    for (let i = 0; i < 3; i++) {
      await table.write(
        await rowsFrom(`SELECT (${i} * 20000 + r)::BIGINT AS id, (hash(r * 7 + ${i}) % 1000)::INTEGER AS x, (hash(r * 13 + ${i}) % 100000) / 100.0 AS y, md5(r::VARCHAR) AS pad FROM range(20000) t(r)`),
      );
    }
    expect((await table.snapshot()).files.some((f) => 'x' in (JSON.parse(String(f.stats)) as { minValues: object }).minValues)).toBe(false);
    const rowsBefore = await rowsOf(table);
    await optimize(table, { zorderBy: ['x', 'y'], targetFileSize: 96 * 1024 });
    const files = (await table.snapshot()).files;
    expect(files.length).toBeGreaterThan(4);
    expect(await rowsOf(table)).toEqual(rowsBefore);
    // The files' real ranges (read from the data): a range query on either column meets at most 60 %.
    const ranges = await Promise.all(
      files.map(async (f) => {
        const batches = await rowsFrom(`SELECT min(x) AS x0, max(x) AS x1, min(y) AS y0, max(y) AS y1 FROM read_parquet('${join(dir, decodeURIComponent(f.path))}')`);
        return batches.flatMap((b) => [...batchRowsAsJson(b)])[0]!;
      }),
    );
    expect(ranges.filter((r) => Number(r.x0) < 100).length / files.length).toBeLessThanOrEqual(0.6);
    expect(ranges.filter((r) => Number(r.y0) < 100).length / files.length).toBeLessThanOrEqual(0.6);
  });

  it('rewrites Spark-written tables in column mapping modes name and id (nested types, files read by field id) without changing a row', async () => {
    const found = await findConformanceDir();
    if (!found.found) {
      if (process.env.CI === 'true') throw new Error(`conformance data not found (looked in ${found.looked.join(', ')})`);
      return;
    }
    for (const name of ['table-with-columnmapping-mode-id', 'table-with-columnmapping-mode-name']) {
      const dir = join(await tempDir(), name);
      await cp(join(found.dir, 'delta', 'golden', name, 'delta'), dir, { recursive: true });
      const table = await DeltaTable.open(dir);
      const rows = async () => {
        const out: string[] = [];
        for await (const batch of (await table.snapshot()).scan()) for (const row of batchRowsAsJson(batch)) out.push(JSON.stringify(row));
        return out.sort();
      };
      const before = await rows();
      const result = await optimize(table, { targetFileSize: 1024 * 1024 });
      expect(result.metrics.numFilesRemoved, name).toBeGreaterThan(1);
      expect(await rows(), name).toEqual(before);
    }
  });

  it('plan, execute, commit: an append in between commits on top; a delete of a planned file conflicts', async () => {
    const table = await smallFiles(6, 20);
    const plan = await planOptimize(table, { targetFileSize: 1024 * 1024 });
    expect(plan.bins).toHaveLength(2);
    const results = [await executeBin(table, plan, 0), await executeBin(table, plan, 1)];
    await table.write(tableFromArrays({ id: BigInt64Array.from([1000n]), p: ['a'], x: Float64Array.from([1]) }));
    const committed = await commitOptimize(table, JSON.parse(JSON.stringify(plan)), JSON.parse(JSON.stringify(results)));
    expect(committed.versions).toHaveLength(1);
    expect((await rowsOf(table)).map((r) => Number(r.id))).toEqual([...Array.from({ length: 120 }, (_, i) => i), 1000]);

    const second = await smallFiles(6, 20);
    const plan2 = await planOptimize(second, { targetFileSize: 1024 * 1024 });
    const results2 = [await executeBin(second, plan2, 0), await executeBin(second, plan2, 1)];
    await second.delete('id = 0'); // rewrites a file of partition a (bin 0)
    const expected = await rowsOf(second);
    await expect(commitOptimize(second, plan2, results2)).rejects.toBeInstanceOf(ConcurrentModificationError);
    const partial = await commitOptimize(second, plan2, results2, { partialProgress: true });
    expect(partial.metrics.failedBins).toBe(1);
    expect(partial.versions).toHaveLength(1);
    expect(await rowsOf(second)).toEqual(expected);
    await expect(executeBin(second, plan2, 7)).rejects.toThrow(/has no bin 7/);
    await expect(commitOptimize(table, plan2, [])).rejects.toThrow(/the plan is for/);
  });

  it('CLI: all in one, and the fanned-out steps through files', async () => {
    const table = await smallFiles(6, 20);
    const dir = table.location.scheme === 'file' ? table.location.path : '';
    const all = await runCli(['optimize', dir, '--target-size', '1MB', '--json']);
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout).metrics.numFilesAdded).toBe(2);
    expect(all.stderr).toMatch(/optimize \[#+\] 2\/2 bins/);

    const other = await smallFiles(6, 20);
    const path = other.location.scheme === 'file' ? other.location.path : '';
    const work = await tempDir();
    const plan = await runCli(['optimize', path, '--target-size', '1MB', '--plan-only', '--json']);
    expect(plan.code).toBe(0);
    await writeFile(join(work, 'plan.json'), plan.stdout);
    for (const bin of [0, 1]) {
      const executed = await runCli(['optimize', path, '--plan', join(work, 'plan.json'), '--execute-bin', String(bin), '--json']);
      expect(executed.code).toBe(0);
      await writeFile(join(work, `result-${bin}.json`), executed.stdout);
    }
    const committed = await runCli(['optimize', path, '--plan', join(work, 'plan.json'), '--commit', join(work, 'result-0.json'), join(work, 'result-1.json')]);
    expect(committed.code).toBe(0);
    expect(committed.stdout).toMatch(/6 files .* rewritten into 2/);
    expect((await other.snapshot()).files).toHaveLength(2);

    const bad = await runCli(['optimize', path, '--plan', join(work, 'nope.json'), '--commit', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    const size = await runCli(['optimize', path, '--target-size', 'huge']);
    expect(size.code).not.toBe(0);
    expect(size.stderr).toMatch(/not a size/);
  });
});
