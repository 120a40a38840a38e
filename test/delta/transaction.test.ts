/**
 * Creating tables and committing transactions: put-if-absent commits, Delta's conflict rules
 * between racing writers, append-only tables, in-commit timestamps. Log-level: the add actions
 * name files that need not exist.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AddFile } from '../../src/delta/actions.js';
import { ConcurrentModificationError } from '../../src/delta/conflicts.js';
import { parseSchema, type StructType } from '../../src/delta/schema.js';
import { DeltaTable } from '../../src/delta/table.js';
import { DeltaTransaction } from '../../src/delta/transaction.js';
import { LakeError } from '../../src/errors.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const SCHEMA: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'p', type: 'integer', nullable: true, metadata: {} },
  ],
};

async function newTable(configuration: Record<string, string> = {}): Promise<DeltaTable> {
  const dir = await mkdtemp(join(tmpdir(), 'lake-txn-'));
  dirs.push(dir);
  return DeltaTable.create(dir, { schema: SCHEMA, partitionColumns: ['p'], configuration });
}

let fileNumber = 0;
function file(p: number, ids: [number, number] = [1, 10]): AddFile {
  const n = fileNumber++;
  return {
    path: `p=${p}/part-${n}.parquet`,
    partitionValues: { p: String(p) },
    size: 100,
    modificationTime: 1,
    dataChange: true,
    stats: JSON.stringify({ numRecords: 10, minValues: { id: ids[0] }, maxValues: { id: ids[1] }, nullCount: { id: 0 } }),
  };
}

async function append(table: DeltaTable, files: AddFile[]): Promise<number> {
  const txn = new DeltaTransaction(await table.snapshot());
  txn.addFiles(files);
  return (await txn.commit({ operation: 'WRITE', operationParameters: { mode: 'Append' } })).version;
}

const noWait = { sleep: async () => {} };

describe('createTable', () => {
  it('commits version 0 with the lowest protocol and refuses to create twice', async () => {
    const table = await newTable();
    const snapshot = await table.snapshot();
    expect(snapshot.version).toBe(0);
    expect(snapshot.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    expect(snapshot.metadata.partitionColumns).toEqual(['p']);
    expect(snapshot.schema).toEqual(SCHEMA);
    const log = await readFile(join(table.location.scheme === 'file' ? table.location.path : '', '_delta_log', '00000000000000000000.json'), 'utf8');
    expect(JSON.parse(log.split('\n')[0]!).commitInfo.operation).toBe('CREATE TABLE');
    await expect(DeltaTable.create(table.location, { schema: SCHEMA })).rejects.toMatchObject({ code: 'TABLE_EXISTS' });
  });

  it('chooses table features when a feature needs them, and assigns column mapping ids and physical names', async () => {
    const dv = await (await newTable({ 'delta.enableDeletionVectors': 'true' })).snapshot();
    expect(dv.protocol).toEqual({
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['deletionVectors'],
      writerFeatures: ['appendOnly', 'deletionVectors', 'invariants'],
    });
    const mapped = await (await newTable({ 'delta.columnMapping.mode': 'name' })).snapshot();
    expect(mapped.protocol).toEqual({ minReaderVersion: 2, minWriterVersion: 5 });
    const fields = parseSchema(mapped.metadata.schemaString).fields;
    expect(fields.map((f) => f.metadata['delta.columnMapping.id'])).toEqual([1, 2]);
    expect(fields.every((f) => /^col-[0-9a-f-]{36}$/.test(String(f.metadata['delta.columnMapping.physicalName'])))).toBe(true);
    expect(mapped.metadata.configuration['delta.columnMapping.maxColumnId']).toBe('2');
  });

  it('rejects partition columns that are not columns', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lake-txn-'));
    dirs.push(dir);
    await expect(DeltaTable.create(dir, { schema: SCHEMA, partitionColumns: ['nope'] })).rejects.toThrow(/partition column nope is not a column/);
  });
});

describe('DeltaTransaction', () => {
  it('commits the next version; blind appends racing from one snapshot all commit, in some order', async () => {
    const table = await newTable();
    const start = await table.snapshot();
    const txns = Array.from({ length: 8 }, (_, i) => {
      const txn = new DeltaTransaction(start, { sleep: async () => {} });
      txn.addFiles([file(i)]);
      return txn;
    });
    const results = await Promise.all(txns.map((txn) => txn.commit({ operation: 'WRITE' })));
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(results.some((r) => r.attempts > 1)).toBe(true);
    expect((await table.snapshot()).files).toHaveLength(8);
  });

  it('WriteSerializable: a concurrent blind append does not conflict with a delete that read the same partition', async () => {
    const table = await newTable();
    const victim = file(1);
    await append(table, [victim]);
    const snapshot = await table.snapshot();
    const del = new DeltaTransaction(snapshot, noWait);
    del.read([victim], 'p = 1');
    del.removeFiles([victim]);
    await append(table, [file(1)]); // wins version 2
    const result = await del.commit({ operation: 'DELETE', operationParameters: { predicate: 'p = 1' } });
    expect(result.version).toBe(3);
    expect(result.attempts).toBe(2);
    expect((await table.snapshot()).files).toHaveLength(1);
  });

  it('Serializable: a concurrent append of rows the transaction read is a conflict naming the winning version', async () => {
    const table = await newTable({ 'delta.isolationLevel': 'Serializable' });
    const victim = file(1);
    await append(table, [victim]);
    const del = new DeltaTransaction(await table.snapshot(), noWait);
    del.read([victim], 'p = 1');
    del.removeFiles([victim]);
    await append(table, [file(2)]); // another partition: no conflict
    await append(table, [file(1)]); // may hold rows of p = 1: conflict
    const error = await del.commit({ operation: 'DELETE' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConcurrentModificationError);
    expect((error as ConcurrentModificationError).winningVersion).toBe(3);
    expect((error as Error).message).toMatch(/concurrent commit \(version 3\) added p=1\/part-\d+\.parquet, which may hold rows this transaction read \(p = 1\)/);
    expect((await table.snapshot()).version).toBe(3);
  });

  it('statistics decide too: an append whose ids cannot match the read predicate is no conflict', async () => {
    const table = await newTable({ 'delta.isolationLevel': 'Serializable' });
    const victim = file(1, [1, 10]);
    await append(table, [victim]);
    const upd = new DeltaTransaction(await table.snapshot(), noWait);
    upd.read([victim], 'id < 5');
    upd.removeFiles([victim]);
    upd.addFiles([file(1, [1, 10])]);
    await append(table, [file(1, [100, 200])]);
    expect((await upd.commit({ operation: 'UPDATE' })).version).toBe(3);
  });

  it('two transactions removing the same file: the second fails and commits nothing', async () => {
    const table = await newTable();
    const shared = file(1);
    await append(table, [shared]);
    const snapshot = await table.snapshot();
    const first = new DeltaTransaction(snapshot, noWait);
    const second = new DeltaTransaction(snapshot, noWait);
    for (const txn of [first, second]) {
      txn.read([shared], 'p = 1');
      txn.removeFiles([shared]);
    }
    await first.commit({ operation: 'DELETE' });
    await expect(second.commit({ operation: 'DELETE' })).rejects.toMatchObject({ code: 'CONCURRENT_MODIFICATION', conflict: 'delete-delete' });
    expect((await table.snapshot()).version).toBe(2);
  });

  it('a metadata change by the winner is a conflict; so is the same application transaction id', async () => {
    const table = await newTable();
    const snapshot = await table.snapshot();
    const meta = new DeltaTransaction(snapshot, noWait);
    meta.setMetadata({ ...snapshot.metadata, configuration: { 'delta.appendOnly': 'false' } });
    await meta.commit({ operation: 'SET TBLPROPERTIES' });
    const late = new DeltaTransaction(snapshot, noWait);
    late.addFiles([file(1)]);
    await expect(late.commit({ operation: 'WRITE' })).rejects.toMatchObject({ conflict: 'metadata' });

    const fresh = await table.snapshot();
    const a = new DeltaTransaction(fresh, noWait);
    const b = new DeltaTransaction(fresh, noWait);
    a.setAppTransaction('stream-1', 7);
    b.setAppTransaction('stream-1', 7);
    a.addFiles([file(1)]);
    b.addFiles([file(1)]);
    await a.commit({ operation: 'STREAMING UPDATE' });
    await expect(b.commit({ operation: 'STREAMING UPDATE' })).rejects.toMatchObject({ conflict: 'txn' });
    expect((await table.snapshot()).appTransactions.get('stream-1')?.version).toBe(7);
  });

  it('append-only tables refuse removes that change data', async () => {
    const table = await newTable({ 'delta.appendOnly': 'true' });
    const f = file(1);
    await append(table, [f]);
    const txn = new DeltaTransaction(await table.snapshot());
    txn.removeFiles([f]);
    await expect(txn.commit({ operation: 'DELETE' })).rejects.toMatchObject({ code: 'APPEND_ONLY' });
  });

  it('in-commit timestamps increase even when the clock goes back', async () => {
    const table = await newTable({ 'delta.enableInCommitTimestamps': 'true' });
    const times: number[] = [];
    for (const clock of [5_000, 3_000, 3_000]) {
      const txn = new DeltaTransaction(await table.snapshot(), { clock: () => clock });
      txn.addFiles([file(1)]);
      const { actions } = await txn.commit({ operation: 'WRITE' });
      expect(Object.keys(actions[0]!)).toEqual(['commitInfo']);
      expect(Object.keys(actions[0]!.commitInfo!)[0]).toBe('inCommitTimestamp');
      times.push(actions[0]!.commitInfo!.inCommitTimestamp!);
    }
    expect(times[1]).toBeGreaterThan(times[0]!);
    expect(times[2]).toBeGreaterThan(times[1]!);
    expect((await table.snapshot()).timestamp).toBe(times[2]);
  });

  it('refuses tables with writer features lake cannot honour, by name', async () => {
    const table = await newTable();
    const snapshot = await table.snapshot();
    const txn = new DeltaTransaction(snapshot);
    txn.setProtocol({ minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['rowTracking', 'domainMetadata'] });
    const error = await txn.commit({ operation: 'WRITE' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LakeError);
    expect((error as Error).message).toMatch(/writer feature rowTracking, which lake cannot write yet/);
  });
});
