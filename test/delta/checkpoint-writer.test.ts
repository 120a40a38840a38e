/**
 * Checkpoints lake writes: due by `delta.checkpointInterval`, read back by lake's reader to the
 * same state as replaying the JSON commits, and in the column layout Delta Spark writes.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import type { AddFile } from '../../src/delta/actions.js';
import { DeltaSnapshot } from '../../src/delta/snapshot.js';
import { parseInterval } from '../../src/delta/table-properties.js';
import { DeltaTable } from '../../src/delta/table.js';
import { DeltaTransaction } from '../../src/delta/transaction.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const SCHEMA = {
  type: 'struct' as const,
  fields: [
    { name: 'id', type: 'long' as const, nullable: true, metadata: {} },
    { name: 'p', type: 'string' as const, nullable: true, metadata: {} },
  ],
};

function file(n: number, p: string | null, extra: Partial<AddFile> = {}): AddFile {
  return {
    path: `p=${p ?? '__HIVE_DEFAULT_PARTITION__'}/part-${n}.parquet`,
    partitionValues: { p },
    size: 100 + n,
    modificationTime: 1_700_000_000_000 + n,
    dataChange: true,
    stats: JSON.stringify({ numRecords: n, minValues: { id: 1 }, maxValues: { id: n }, nullCount: { id: 0 } }),
    ...extra,
  };
}

describe('checkpoint writer', () => {
  it('writes a checkpoint every delta.checkpointInterval commits that reads back to the replayed state', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lake-ckpt-'));
    dirs.push(dir);
    const table = await DeltaTable.create(dir, { schema: SCHEMA, partitionColumns: ['p'], configuration: { 'delta.checkpointInterval': '3' } });
    const now = Date.now();
    const files = [
      file(1, 'a'),
      file(2, null, { tags: { INSERTION_TIME: '1' } }),
      file(3, 'é x', {
        deletionVector: { storageType: 'u', pathOrInlineDv: 'ab^-aqEH.-t@S}K{vb[*k^', offset: 1, sizeInBytes: 36, cardinality: 2 },
      }),
    ];
    let result;
    for (const [i, f] of files.entries()) {
      const txn = new DeltaTransaction(await table.snapshot(), { clock: () => now + i });
      txn.addFiles([f]);
      if (i === 1) txn.setAppTransaction('app', 5);
      if (i === 2) txn.removeFiles([files[0]!]);
      result = await txn.commit({ operation: 'WRITE' });
    }
    expect(result!.version).toBe(3);
    expect(result!.checkpoint).toEqual({ written: true });
    await stat(join(dir, '_delta_log', '00000000000000000003.checkpoint.parquet'));

    const fromCheckpoint = await table.snapshot();
    // The same version replayed from JSON alone: hide the checkpoint by loading from a segment without it.
    const { loadLogSegment } = await import('../../src/delta/log-segment.js');
    const segment = await loadLogSegment(table.store, {});
    expect(segment.checkpoint?.version).toBe(3);
    const replayed = await DeltaSnapshot.fromSegment(table.store, table.location, { ...segment, checkpoint: undefined, replay: (await commitsFromZero(table)) as never });
    const byPath = (a: AddFile, b: AddFile) => (a.path < b.path ? -1 : 1);
    // A Parquet struct has every field: optional ones read back as null where JSON omits them.
    const withoutNulls = (value: unknown): unknown =>
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]))
        : value;
    const strip = (f: AddFile) => withoutNulls({ ...f, dataChange: false }) as AddFile;
    expect([...fromCheckpoint.files].map(strip).sort(byPath)).toEqual([...replayed.files].map(strip).sort(byPath));
    expect(fromCheckpoint.files).toHaveLength(2);
    expect(fromCheckpoint.protocol).toEqual(replayed.protocol);
    expect(fromCheckpoint.metadata).toEqual(replayed.metadata);
    expect(fromCheckpoint.appTransactions.get('app')?.version).toBe(5);
    expect(fromCheckpoint.tombstones.map((t) => t.path)).toEqual([files[0]!.path]);

    // The layout Delta Spark writes: one struct column per action.
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${join(dir, '_delta_log', '00000000000000000003.checkpoint.parquet')}')`);
    expect(reader.getRowObjects().map((r) => r.column_name)).toEqual(['txn', 'add', 'remove', 'metaData', 'protocol', 'domainMetadata']);
    connection.closeSync();
    db.closeSync();
  });

  it('reads Spark interval strings', () => {
    expect(parseInterval('interval 7 days')).toBe(7 * 86_400_000);
    expect(parseInterval('interval 1 week')).toBe(604_800_000);
    expect(parseInterval('interval 1 weeks 2 hours')).toBe(604_800_000 + 7_200_000);
    expect(parseInterval('30 days')).toBe(30 * 86_400_000);
    expect(parseInterval('interval 1 month')).toBeUndefined();
    expect(parseInterval('soon')).toBeUndefined();
    expect(parseInterval(undefined)).toBeUndefined();
  });
});

async function commitsFromZero(table: DeltaTable) {
  const { listLogFiles } = await import('../../src/delta/log-segment.js');
  const all = await listLogFiles(table.store, 0);
  return all.map((listed) => listed.file).filter((f) => f.kind === 'commit');
}
