/**
 * Delta writes on a real S3 server (Ceph RGW started by the suite): creating, writing, deleting
 * and merging through the S3 store, and writers racing for the same versions with conditional
 * PUTs — each commit lands exactly once, the non-conflicting ones on top of each other, the
 * conflicting one fails and leaves the log as the winner wrote it. Optimize and vacuum run there too.
 */
import { randomUUID } from 'node:crypto';
import { tableFromArrays } from 'apache-arrow';
import { afterAll, expect, it } from 'vitest';
import { ConcurrentModificationError } from '../../src/delta/conflicts.js';
import { MergeBuilder } from '../../src/delta/operations/merge.js';
import { optimize } from '../../src/delta/operations/optimize.js';
import { vacuum } from '../../src/delta/operations/vacuum.js';
import { DeltaTable } from '../../src/delta/table.js';
import { DeltaTransaction } from '../../src/delta/transaction.js';
import { batchRowsAsJson } from '../../src/engine/json-values.js';
import { describeWithS3, type S3Server } from '../support/s3.js';

const tables: DeltaTable[] = [];
afterAll(() => {
  for (const table of tables) (table.store as { destroy?: () => void }).destroy?.();
});

async function s3Table(server: S3Server): Promise<DeltaTable> {
  const table = await DeltaTable.create(
    { scheme: 's3', bucket: server.bucket, prefix: `writes-${randomUUID()}/t` },
    {
      schema: {
        type: 'struct',
        fields: [
          { name: 'id', type: 'long', nullable: true, metadata: {} },
          { name: 'p', type: 'string', nullable: true, metadata: {} },
        ],
      },
      partitionColumns: ['p'],
    },
    {
      s3: {
        endpoint: server.endpoint,
        region: server.region,
        forcePathStyle: true,
        credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      },
    },
  );
  tables.push(table);
  return table;
}

const rows = (ids: number[], p: string) => tableFromArrays({ id: BigInt64Array.from(ids.map(BigInt)), p: ids.map(() => p) });

async function ids(table: DeltaTable): Promise<number[]> {
  const out: number[] = [];
  for await (const batch of (await table.snapshot()).scan()) for (const row of batchRowsAsJson(batch)) out.push(Number(row.id));
  return out.sort((a, b) => a - b);
}

describeWithS3('Delta writes on S3', (server) => {
  it('creates, appends, deletes and merges through the S3 store', async () => {
    const table = await s3Table(server);
    await table.write(rows([1, 2, 3], 'a'));
    await table.write(rows([4], 'b'));
    await table.delete('id = 2');
    await new MergeBuilder(table, rows([3, 5], 'b'), { predicate: 'target.id = source.id' }).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute();
    expect(await ids(table)).toEqual([1, 3, 4, 5]);
    expect((await table.snapshot()).version).toBe(4);
  });

  it('racing appenders all commit once; a racing delete of the same file loses cleanly', async () => {
    const table = await s3Table(server);
    await table.write(rows([0], 'a'));
    const start = await table.snapshot();
    const appends = Array.from({ length: 6 }, (_, i) => table.write(rows([100 + i], 'b')));
    const versions = (await Promise.all(appends)).map((r) => r.version).sort((a, b) => a - b);
    expect(versions).toEqual([2, 3, 4, 5, 6, 7]);
    expect(await ids(table)).toEqual([0, 100, 101, 102, 103, 104, 105]);

    // Two deletes of the same file from the same snapshot: one wins, the other conflicts.
    const file = start.files[0]!;
    const deletes = [0, 1].map(() => {
      const txn = new DeltaTransaction(start, { sleep: async () => {} });
      txn.read([file], "p = 'a'");
      txn.removeFiles([file]);
      return txn.commit({ operation: 'DELETE' });
    });
    const settled = await Promise.allSettled(deletes);
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
    const lost = settled.find((s) => s.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(ConcurrentModificationError);
    expect(await ids(table)).toEqual([100, 101, 102, 103, 104, 105]);
  });

  it('optimizes through the S3 store: files staged, rewritten, committed; rows unchanged', async () => {
    const table = await s3Table(server);
    for (let i = 0; i < 6; i++) await table.write(rows([i * 2, i * 2 + 1], i % 2 === 0 ? 'a' : 'b'));
    await table.delete('id = 3');
    const before = await ids(table);
    const result = await optimize(table, { targetFileSize: 1024 * 1024 });
    expect(result.metrics).toMatchObject({ numBins: 2, numFilesAdded: 2 });
    expect((await table.snapshot()).files).toHaveLength(2);
    expect(await ids(table)).toEqual(before);
  });

  it('vacuums through the S3 store: a listing, deletes in batches; only unreferenced old objects go', async () => {
    const table = await s3Table(server);
    for (let i = 0; i < 6; i++) await table.write(rows([i * 2, i * 2 + 1], i % 2 === 0 ? 'a' : 'b'));
    await optimize(table, { targetFileSize: 1024 * 1024 });
    await table.store.put('p=a/orphan-of-a-failed-write.parquet', new Uint8Array([1]));
    await table.store.put('_other-tool/state', new Uint8Array([1]));
    const before = await ids(table);
    const live = new Set((await table.snapshot()).files.map((f) => decodeURIComponent(f.path)));
    const later = () => Date.now() + 8 * 86_400_000;
    const dry = await vacuum(table, { clock: later, dryRun: true });
    expect(dry.files).toHaveLength(7); // six compacted files and the orphan
    const result = await vacuum(table, { clock: later, batchSize: 3 });
    expect(result.numFilesDeleted).toBe(7);
    const keys: string[] = [];
    for await (const meta of table.store.list('')) if (!meta.key.startsWith('_delta_log/')) keys.push(meta.key);
    expect(keys.sort()).toEqual([...live, '_other-tool/state'].sort());
    expect(await ids(table)).toEqual(before);
  });
});
