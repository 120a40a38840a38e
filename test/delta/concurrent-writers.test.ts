/**
 * Writers in separate processes: 8 processes × 25 appends at once on local files and on the test
 * S3 server make exactly 200 new versions with every row present; a writer killed with SIGKILL at
 * random moments, 50 times, never leaves a table that fails to load or holds rows of a commit that
 * did not happen. Optimize racing 8 appending processes commits every time and loses no row. And a merge racing a delete over the same file: one of them conflicts cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromArrays } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { MergeBuilder } from '../../src/delta/operations/merge.js';
import { optimize } from '../../src/delta/operations/optimize.js';
import { DeltaTable } from '../../src/delta/table.js';
import { batchRowsAsJson } from '../../src/engine/json-values.js';
import { formatLocation, type Location } from '../../src/storage/location.js';
import type { StoreOptions } from '../../src/storage/index.js';
import { describeWithS3, type S3Server } from '../support/s3.js';

const WORKER = fileURLToPath(new URL('../support/append-worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCHEMA = {
  type: 'struct' as const,
  fields: [
    { name: 'id', type: 'long' as const, nullable: false, metadata: {} },
    { name: 'writer', type: 'integer' as const, nullable: true, metadata: {} },
  ],
};

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

function worker(location: Location, writer: number, appends: number, env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', WORKER, formatLocation(location), String(writer), String(appends)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function finished(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

async function ids(table: DeltaTable): Promise<number[]> {
  const out: number[] = [];
  for await (const batch of (await table.snapshot()).scan({ columns: ['id'] })) for (const row of batchRowsAsJson(batch)) out.push(Number(row.id));
  return out.sort((a, b) => a - b);
}

function expectedIds(writers: number, appends: number, rows = 10): number[] {
  const out: number[] = [];
  for (let w = 0; w < writers; w++) for (let i = 0; i < appends * rows; i++) out.push(w * 1_000_000 + i);
  return out;
}

async function eightByTwentyFive(location: Location, storeOptions: StoreOptions, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const table = await DeltaTable.create(location, { schema: SCHEMA, configuration: { 'delta.checkpointInterval': '50' } }, storeOptions);
  const results = await Promise.all(Array.from({ length: 8 }, (_, w) => finished(worker(location, w, 25, env))));
  for (const result of results) expect(result.code, result.stderr).toBe(0);
  const snapshot = await table.snapshot();
  expect(snapshot.version).toBe(200);
  const history = await table.history();
  expect(history.map((h) => h.version)).toEqual(Array.from({ length: 201 }, (_, i) => 200 - i)); // no gaps, no duplicates
  expect(await ids(table)).toEqual(expectedIds(8, 25));
}

describe('writers in separate processes', () => {
  it('8 processes × 25 appends on local files: 200 versions, every row', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lake-procs-'));
    dirs.push(dir);
    await eightByTwentyFive({ scheme: 'file', path: dir }, {});
  }, 240_000);

  it('optimize racing 8 appending processes: every optimize commits, no row is lost', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lake-optimize-race-'));
    dirs.push(dir);
    const location: Location = { scheme: 'file', path: dir };
    const table = await DeltaTable.create(location, { schema: SCHEMA, configuration: { 'delta.checkpointInterval': '50' } });
    const seeded: number[] = [];
    for (let i = 0; i < 10; i++) {
      const ids = Array.from({ length: 10 }, (_, j) => 100_000_000 + i * 10 + j);
      seeded.push(...ids);
      await table.write(tableFromArrays({ id: BigInt64Array.from(ids.map(BigInt)), writer: Int32Array.from(ids.map(() => 100)) }));
    }
    const writers = Array.from({ length: 8 }, (_, w) => finished(worker(location, w, 15)));
    let running = true;
    const done = Promise.all(writers).finally(() => (running = false));
    const optimized: number[] = [];
    while (running) {
      const result = await optimize(table, { targetFileSize: 1024 * 1024 });
      optimized.push(result.metrics.numFilesRemoved);
    }
    for (const result of await done) expect(result.code, result.stderr).toBe(0);
    optimized.push((await optimize(table, { targetFileSize: 1024 * 1024 })).metrics.numFilesRemoved);
    expect(optimized.filter((n) => n > 0).length).toBeGreaterThan(1); // it compacted while the writers ran
    expect(await ids(table)).toEqual([...expectedIds(8, 15), ...seeded].sort((a, b) => a - b));
    const history = await table.history();
    expect(history.filter((h) => h.operation === 'WRITE')).toHaveLength(10 + 8 * 15);
    expect((await table.snapshot()).files).toHaveLength(1);
  }, 240_000);

  it('a writer killed (SIGKILL) at random moments, 50 times: the table always loads with exactly the committed rows', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lake-crash-'));
    dirs.push(dir);
    const location: Location = { scheme: 'file', path: dir };
    const table = await DeltaTable.create(location, { schema: SCHEMA, configuration: { 'delta.checkpointInterval': '3' } });
    let rng = 12345;
    const random = () => ((rng = (rng * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 50; round++) {
      const child = worker(location, round, 1000);
      const exit = finished(child);
      // Kill while it writes: after its first commit (start-up time varies with the machine's
      // load), at a random moment of the appends that follow.
      await new Promise<void>((resolve, reject) => {
        child.stdout!.once('data', () => setTimeout(resolve, random() * 400));
        child.once('exit', () => reject(new Error('the writer exited before it was killed')));
      });
      child.kill('SIGKILL');
      await exit;
      const snapshot = await table.snapshot(); // loads, whatever the moment of the kill
      const rows = await ids(table);
      // Every version after 0 is one append of 10 rows; nothing of an unfinished append shows.
      expect(rows.length).toBe(10 * snapshot.version);
      expect(new Set(rows).size).toBe(rows.length);
    }
    expect((await table.snapshot()).version).toBeGreaterThanOrEqual(50); // every writer committed at least once before its kill
    // Files of appends that never committed may remain (vacuum removes them); the log has no
    // stray entries. (A put killed midway leaves the local store's hidden `.lake-` temporary
    // file, which the store never lists: no reader sees it.)
    const log: string[] = [];
    for await (const meta of table.store.list('_delta_log/')) log.push(meta.key.slice('_delta_log/'.length));
    expect(log.filter((name) => !/^\d{20}\.(json|checkpoint\.parquet)$|^_last_checkpoint$/.test(name))).toEqual([]);
    const onDisk = await readdir(join(dir, '_delta_log'));
    expect(onDisk.filter((name) => !log.includes(name) && !name.startsWith('.lake-'))).toEqual([]);
  }, 480_000);

  it('a merge racing a delete over the same file: one conflicts cleanly, or they serialize', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lake-race-'));
    dirs.push(dir);
    const table = await DeltaTable.create(dir, { schema: SCHEMA });
    await table.write(tableFromArrays({ id: BigInt64Array.from([1n, 2n, 3n]), writer: Int32Array.from([0, 0, 0]) }));
    const source = tableFromArrays({ id: BigInt64Array.from([2n]), writer: Int32Array.from([9]) });
    const [merge, del] = await Promise.allSettled([
      new MergeBuilder(table, source, { predicate: 'target.id = source.id' }).whenMatchedUpdateAll().execute(),
      table.delete('id = 3'),
    ]);
    const rejected = [merge, del].filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(rejected.length).toBeLessThanOrEqual(1);
    for (const r of rejected) expect(r.reason).toMatchObject({ code: 'CONCURRENT_MODIFICATION' });
    const rows = await ids(table);
    // Whatever happened is one of the serial outcomes: both, only the merge, or only the delete.
    const outcomes = [[1, 2], [1, 2, 3], [1, 2]].map(String);
    expect(outcomes).toContain(String(rows));
    expect((await table.snapshot()).version).toBe(1 + (2 - rejected.length));
  });
});

describeWithS3('writers in separate processes on S3', (server: S3Server) => {
  it('8 processes × 25 appends on the S3 server: 200 versions, every row', async () => {
    const s3 = { endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey } };
    const env = {
      LAKE_TEST_S3_ENDPOINT: server.endpoint,
      LAKE_TEST_S3_REGION: server.region,
      LAKE_TEST_S3_ACCESS_KEY_ID: server.accessKeyId,
      LAKE_TEST_S3_SECRET_ACCESS_KEY: server.secretAccessKey,
    };
    await eightByTwentyFive({ scheme: 's3', bucket: server.bucket, prefix: `procs-${randomUUID()}/t` }, { s3 }, env);
  }, 300_000);
});
