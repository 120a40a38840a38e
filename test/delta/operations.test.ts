/**
 * Delta write operations end to end on local tables: create, append, overwrite (whole, by
 * replaceWhere, dynamic partitions), delete, update and merge, each read back through the reader,
 * with the commit's operation and metrics checked; and the failure cases that must commit nothing.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Table as ArrowTable, tableFromArrays, type Table } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { batchRowsAsJson, type JsonValue } from '../../src/engine/json-values.js';
import { SqlWorkspace } from '../../src/engine/sql-workspace.js';
import { MergeBuilder } from '../../src/delta/operations/merge.js';
import { updateRows } from '../../src/delta/operations/update.js';
import { DeltaTable } from '../../src/delta/table.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function newTable(partitionColumns: string[] = [], configuration: Record<string, string> = {}): Promise<DeltaTable> {
  const dir = await mkdtemp(join(tmpdir(), 'lake-ops-'));
  dirs.push(dir);
  return DeltaTable.create(dir, {
    schema: {
      type: 'struct',
      fields: [
        { name: 'id', type: 'long', nullable: false, metadata: {} },
        { name: 'name', type: 'string', nullable: true, metadata: {} },
        { name: 'day', type: 'date', nullable: true, metadata: {} },
        { name: 'amount', type: 'decimal(10,2)', nullable: true, metadata: {} },
      ],
    },
    partitionColumns,
    configuration,
  });
}

/** Rows as JSON (the exact encoding), sorted by id. */
async function rowsOf(table: DeltaTable, where?: string): Promise<Record<string, JsonValue>[]> {
  const rows: Record<string, JsonValue>[] = [];
  for await (const batch of (await table.snapshot()).scan(where === undefined ? {} : { where })) rows.push(...batchRowsAsJson(batch));
  return rows.sort((a, b) => Number(a.id) - Number(b.id));
}

/** Input rows (ids, names, days YYYY-MM-DD, amounts in cents) as Arrow, typed by DuckDB like the table. */
async function data(rows: { id: number; name: string | null; day: string; cents: number }[]): Promise<Table> {
  const workspace = await SqlWorkspace.open();
  try {
    const values = rows.map((r) => `(${r.id}, ${r.name === null ? 'NULL' : `'${r.name}'`}, DATE '${r.day}', ${r.cents})`).join(', ');
    const batches = [];
    for await (const batch of workspace.query(
      `SELECT id::BIGINT AS id, name::VARCHAR AS name, day, (cents / 100)::DECIMAL(10,2) AS amount FROM (VALUES ${values}) t(id, name, day, cents) ORDER BY id`,
    )) batches.push(batch);
    return new ArrowTable(batches);
  } finally {
    await workspace.close();
  }
}

async function lastCommit(table: DeltaTable): Promise<{ operation?: string; operationMetrics?: Record<string, unknown> }> {
  const [latest] = await table.history({ limit: 1 });
  return latest!;
}

describe('Delta write operations', () => {
  it('appends rows into partitions and reads them back; metrics are strings in the commit', async () => {
    const table = await newTable(['day']);
    const result = await table.write(
      await data([
        { id: 1, name: 'a', day: '2024-01-01', cents: 100 },
        { id: 2, name: null, day: '2024-01-02', cents: 250 },
        { id: 3, name: 'c', day: '2024-01-01', cents: 5 },
      ]),
    );
    expect(result.version).toBe(1);
    expect(result.metrics.numOutputRows).toBe(3);
    expect(await rowsOf(table)).toEqual([
      { id: 1, name: 'a', day: '2024-01-01', amount: '1.00' },
      { id: 2, name: null, day: '2024-01-02', amount: '2.50' },
      { id: 3, name: 'c', day: '2024-01-01', amount: '0.05' },
    ]);
    const commit = await lastCommit(table);
    expect(commit.operation).toBe('WRITE');
    expect(commit.operationMetrics).toMatchObject({ numFiles: '2', numOutputRows: '3' });
    expect((await readdir(table.location.scheme === 'file' ? table.location.path : '')).sort()).toEqual(['_delta_log', 'day=2024-01-01', 'day=2024-01-02']);
  });

  it('overwrites: whole table, replaceWhere (rejecting rows outside it), dynamic partitions', async () => {
    const table = await newTable(['day']);
    await table.write(
      await data([
        { id: 1, name: 'a', day: '2024-01-01', cents: 100 },
        { id: 2, name: 'b', day: '2024-01-02', cents: 200 },
        { id: 3, name: 'c', day: '2024-01-03', cents: 300 },
      ]),
    );
    await table.write(await data([{ id: 20, name: 'B', day: '2024-01-02', cents: 1 }]), { mode: 'overwrite', partitionOverwrite: 'dynamic' });
    expect((await rowsOf(table)).map((r) => r.id)).toEqual([1, 3, 20]);

    await table.write(await data([{ id: 30, name: 'C', day: '2024-01-03', cents: 1 }]), { mode: 'overwrite', replaceWhere: "day >= '2024-01-03'" });
    expect((await rowsOf(table)).map((r) => r.id)).toEqual([1, 20, 30]);

    const before = (await table.snapshot()).version;
    await expect(
      table.write(await data([{ id: 40, name: 'x', day: '2023-12-31', cents: 1 }]), { mode: 'overwrite', replaceWhere: "day >= '2024-01-03'" }),
    ).rejects.toMatchObject({ code: 'REPLACE_WHERE_MISMATCH' });
    expect((await table.snapshot()).version).toBe(before);

    await table.write(await data([{ id: 99, name: 'z', day: '2024-02-01', cents: 1 }]), { mode: 'overwrite' });
    expect((await rowsOf(table)).map((r) => r.id)).toEqual([99]);
  });

  it('deletes by partition without reading files, and by data columns by rewriting only files with matches', async () => {
    const table = await newTable(['day']);
    await table.write(
      await data([
        { id: 1, name: 'a', day: '2024-01-01', cents: 100 },
        { id: 2, name: 'b', day: '2024-01-01', cents: 200 },
        { id: 3, name: 'c', day: '2024-01-02', cents: 300 },
        { id: 4, name: null, day: '2024-01-03', cents: 400 },
      ]),
    );
    const byPartition = await table.delete("day = '2024-01-02'");
    expect(byPartition.metrics).toMatchObject({ numRemovedFiles: 1, numAddedFiles: 0, numDeletedRows: 1, numCopiedRows: 0 });
    const byData = await table.delete("name = 'a' OR name IS NULL");
    expect(byData.metrics).toMatchObject({ numRemovedFiles: 2, numAddedFiles: 1, numDeletedRows: 2, numCopiedRows: 1 });
    expect((await rowsOf(table)).map((r) => r.id)).toEqual([2]);
    const nothing = await table.delete('id > 1000');
    expect(nothing.version).toBeUndefined();
    expect((await lastCommit(table)).operation).toBe('DELETE');
  });

  for (const dv of [false, true]) {
    it(`delete and update take any DuckDB condition, not only what pruning models (${dv ? 'deletion vectors' : 'copy-on-write'})`, async () => {
      const table = await newTable([], dv ? { 'delta.enableDeletionVectors': 'true' } : {});
      const rows = Array.from({ length: 20 }, (_, i) => ({ id: i, name: i % 3 === 0 ? null : `n${i}`, day: '2024-01-01', cents: i * 10 }));
      await table.write(await data(rows));
      // Arithmetic and functions: the engine cannot prune on them, so every file is read and DuckDB decides.
      const deleted = await table.delete('id % 7 = 3 OR lower(name) = \'n5\'');
      expect(deleted.metrics).toMatchObject({ numDeletedRows: 4 });
      // A NULL condition keeps the row (name IS NULL for ids divisible by 3: length(name) > 1 is NULL).
      const updated = await updateRows(table, { set: { name: 'upper(name)' }, where: 'length(name) > 2 AND id % 2 = 0' });
      expect(updated.metrics.numUpdatedRows).toBe(rows.filter((r) => r.name !== null && r.name.length > 2 && r.id % 2 === 0 && !(r.id % 7 === 3 || r.name === 'n5')).length);
      const left = await rowsOf(table);
      expect(left.map((r) => r.id)).toEqual(rows.filter((r) => !(r.id % 7 === 3 || r.name === 'n5')).map((r) => r.id));
      expect(left.find((r) => r.id === 16)!.name).toBe('N16');
      expect(left.find((r) => r.id === 4)!.name).toBe('n4');
      await expect(table.delete('no_such_column = 1')).rejects.toThrow(/no_such_column/);
    });
  }

  it('updates with SQL expressions, keeping the column types, moving rows between partitions', async () => {
    const table = await newTable(['day']);
    await table.write(
      await data([
        { id: 1, name: 'a', day: '2024-01-01', cents: 100 },
        { id: 2, name: 'b', day: '2024-01-02', cents: 200 },
      ]),
    );
    const result = await updateRows(table, { set: { amount: 'amount * 2', name: "upper(name) || '!'", day: "DATE '2024-03-01'" }, where: 'id = 2' });
    expect(result.metrics).toMatchObject({ numUpdatedRows: 1, numCopiedRows: 0, numRemovedFiles: 1, numAddedFiles: 1 });
    expect(await rowsOf(table)).toEqual([
      { id: 1, name: 'a', day: '2024-01-01', amount: '1.00' },
      { id: 2, name: 'B!', day: '2024-03-01', amount: '4.00' },
    ]);
    expect((await table.snapshot()).files.map((f) => f.partitionValues.day).sort()).toEqual(['2024-01-01', '2024-03-01']);
  });

  for (const mode of ['none', 'id']) {
  it(`merges: update, delete and insert clauses in order, not-matched-by-source, metrics (column mapping ${mode})`, async () => {
    const table = await newTable(mode === 'id' ? ['day'] : [], mode === 'none' ? {} : { 'delta.columnMapping.mode': mode });
    await table.write(
      await data([
        { id: 1, name: 'a', day: '2024-01-01', cents: 100 },
        { id: 2, name: 'b', day: '2024-01-01', cents: 200 },
        { id: 3, name: 'c', day: '2024-01-01', cents: 300 },
      ]),
    );
    const source = await data([
      { id: 2, name: 'B', day: '2024-01-05', cents: 999 },
      { id: 3, name: 'delete me', day: '2024-01-05', cents: 0 },
      { id: 4, name: 'new', day: '2024-01-06', cents: 400 },
    ]);
    const result = await new MergeBuilder(table, source, { predicate: 'target.id = source.id' })
      .whenMatchedDelete({ condition: "source.name = 'delete me'" })
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .whenNotMatchedBySourceUpdate({ set: { name: "'untouched by source'" } })
      .execute();
    expect(await rowsOf(table)).toEqual([
      { id: 1, name: 'untouched by source', day: '2024-01-01', amount: '1.00' },
      { id: 2, name: 'B', day: '2024-01-05', amount: '9.99' },
      { id: 4, name: 'new', day: '2024-01-06', amount: '4.00' },
    ]);
    expect(result.metrics).toMatchObject({
      numSourceRows: 3,
      numTargetRowsInserted: 1,
      numTargetRowsUpdated: 2,
      numTargetRowsDeleted: 1,
      numTargetRowsCopied: 0,
    });
    expect((await lastCommit(table)).operation).toBe('MERGE');
  });
  }

  it('merge prunes the target by the source key range and leaves other files untouched', async () => {
    const table = await newTable(['day']);
    await table.write(
      await data([
        { id: 1, name: 'a', day: '2024-01-01', cents: 100 },
        { id: 100, name: 'b', day: '2024-01-02', cents: 200 },
      ]),
    );
    const before = (await table.snapshot()).files.map((f) => f.path).sort();
    const result = await new MergeBuilder(table, await data([{ id: 1, name: 'A', day: '2024-01-01', cents: 1 }]), { predicate: 't.id = s.id', targetAlias: 't', sourceAlias: 's' })
      .whenMatchedUpdate({ set: { name: 's.name' } })
      .execute();
    expect(result.metrics).toMatchObject({ numTargetFilesRemoved: 1, numTargetFilesAdded: 1, numTargetRowsUpdated: 1 });
    const after = (await table.snapshot()).files.map((f) => f.path).sort();
    expect(after.filter((p) => before.includes(p))).toEqual(before.filter((p) => p.startsWith('day=2024-01-02')));
  });

  it('a target row matched by two source rows is an error that commits nothing', async () => {
    const table = await newTable();
    await table.write(await data([{ id: 1, name: 'a', day: '2024-01-01', cents: 100 }]));
    const version = (await table.snapshot()).version;
    const source = await data([
      { id: 1, name: 'x', day: '2024-01-01', cents: 1 },
      { id: 1, name: 'y', day: '2024-01-01', cents: 2 },
    ]);
    await expect(new MergeBuilder(table, source, { predicate: 'target.id = source.id' }).whenMatchedUpdateAll().execute()).rejects.toMatchObject({
      code: 'MERGE_DUPLICATE_SOURCE',
    });
    expect((await table.snapshot()).version).toBe(version);
    // Only inserts: duplicates in the source are fine (nothing is modified twice).
    const inserts = await new MergeBuilder(table, source, { predicate: 'target.id = source.id' }).whenNotMatchedInsertAll().execute();
    expect(inserts.version).toBeUndefined();
  });

  it('a schema mismatch is one clear error and commits nothing', async () => {
    const table = await newTable();
    const version = (await table.snapshot()).version;
    await expect(table.write(tableFromArrays({ id: BigInt64Array.from([1n]), surprise: ['x'] }))).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH' });
    expect((await table.snapshot()).version).toBe(version);
    // schemaMode merge adds the column.
    await table.write(tableFromArrays({ id: BigInt64Array.from([1n]), surprise: ['x'] }), { schemaMode: 'merge' });
    expect((await table.snapshot()).schema.fields.map((f) => f.name)).toEqual(['id', 'name', 'day', 'amount', 'surprise']);
  });

  it('CHECK constraints and invariants reject violating rows and commit nothing', async () => {
    const table = await newTable([], { 'delta.constraints.positive_amount': 'amount > 0' });
    expect((await table.snapshot()).protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 3 });
    await table.write(await data([{ id: 1, name: 'ok', day: '2024-01-01', cents: 1 }]));
    const version = (await table.snapshot()).version;
    await expect(
      table.write(await data([{ id: 2, name: 'ok', day: '2024-01-01', cents: 5 }, { id: 3, name: 'bad', day: '2024-01-01', cents: -5 }])),
    ).rejects.toThrow(/row 2 of the data violates the CHECK constraint positive_amount \(amount > 0\); nothing was committed/);
    expect((await table.snapshot()).version).toBe(version);
    await expect(updateRows(table, { set: { amount: '-1' } })).rejects.toMatchObject({ code: 'CONSTRAINT_VIOLATION' });
    expect((await table.snapshot()).version).toBe(version);

    const dir = await mkdtemp(join(tmpdir(), 'lake-ops-'));
    dirs.push(dir);
    const invariant = JSON.stringify({ expression: { expression: 'id < 100' } });
    const guarded = await DeltaTable.create(dir, {
      schema: { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: true, metadata: { 'delta.invariants': invariant } }] },
    });
    await expect(guarded.write(tableFromArrays({ id: BigInt64Array.from([1n, 100n]) }))).rejects.toMatchObject({ code: 'CONSTRAINT_VIOLATION' });
  });

  it('with delta.enableDeletionVectors, deletes write deletion vectors instead of rewriting files', async () => {
    const table = await newTable([], { 'delta.enableDeletionVectors': 'true' });
    await table.write(
      await data([
        { id: 1, name: 'a', day: '2024-01-01', cents: 100 },
        { id: 2, name: 'b', day: '2024-01-01', cents: 200 },
        { id: 3, name: 'c', day: '2024-01-01', cents: 300 },
        { id: 4, name: 'd', day: '2024-01-01', cents: 400 },
      ]),
    );
    const [original] = (await table.snapshot()).files;
    const first = await table.delete('id = 2');
    expect(first.metrics).toMatchObject({ numDeletedRows: 1, numRemovedFiles: 1, numAddedFiles: 1, numCopiedRows: 0 });
    let [file] = (await table.snapshot()).files;
    expect(file!.path).toBe(original!.path); // the same data file, now with a vector
    expect(file!.deletionVector).toMatchObject({ storageType: 'u', cardinality: 1 });
    expect(JSON.parse(file!.stats!)).toMatchObject({ tightBounds: false, numRecords: 4 });
    await table.delete("name IN ('a', 'b', 'c')"); // b is already gone: two more rows
    [file] = (await table.snapshot()).files;
    expect(file!.deletionVector).toMatchObject({ cardinality: 3 });
    expect((await rowsOf(table)).map((r) => r.id)).toEqual([4]);
    expect((await filesOfLastDelete(table)).numDeletedRows).toBe('2');
    await table.delete('id = 4'); // every live row: the file goes
    expect((await table.snapshot()).files).toEqual([]);
  });
});

describe('merge schema evolution', () => {
  it("schemaMode 'merge' adds the source's new columns; rows not touched read them as null", async () => {
    const table = await newTable();
    await table.write(
      await data([
        { id: 1, name: 'a', day: '2024-01-01', cents: 100 },
        { id: 2, name: 'b', day: '2024-01-01', cents: 200 },
      ]),
    );
    const source = tableFromArrays({ id: BigInt64Array.from([2n, 3n]), name: ['B', 'C'], color: ['red', 'blue'] });
    // Without schema evolution the source's extra column is ignored, as Delta does.
    await new MergeBuilder(table, source, { predicate: 'target.id = source.id' }).whenMatchedUpdateAll().execute();
    expect((await table.snapshot()).schema.fields.map((f) => f.name)).toEqual(['id', 'name', 'day', 'amount']);
    await new MergeBuilder(table, source, { predicate: 'target.id = source.id', schemaMode: 'merge' }).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute();
    expect((await table.snapshot()).schema.fields.map((f) => f.name)).toEqual(['id', 'name', 'day', 'amount', 'color']);
    expect((await rowsOf(table)).map((r) => [r.id, r.name, r.color])).toEqual([
      [1, 'a', null],
      [2, 'B', 'red'],
      [3, 'C', 'blue'],
    ]);
  });
});

async function filesOfLastDelete(table: DeltaTable): Promise<Record<string, unknown>> {
  const history = await table.history();
  return history.find((h) => h.operation === 'DELETE')!.operationMetrics as Record<string, unknown>;
}
