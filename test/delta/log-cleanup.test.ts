/**
 * Log cleanup with a controlled clock (in-commit timestamps, one commit a day): only files of
 * versions before the newest checkpoint that the version current at the cutoff can start from
 * go; every version from there on reads as it did when written; older ones fail with one clear
 * line. Also: nothing without a checkpoint, the retention check, cleanup after checkpoints
 * (`delta.enableExpiredLogCleanup`), and `lake expire`.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUpExpiredLogs } from '../../src/delta/log-cleanup.js';
import { DeltaTable } from '../../src/delta/table.js';
import { batchRowsAsJson } from '../../src/engine/json-values.js';
import { runLake } from '../support/cli.js';

const DAY = 86_400_000;
const BASE = Date.UTC(2026, 0, 1);
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function ids(table: DeltaTable, version?: number): Promise<number[]> {
  const out: number[] = [];
  const snapshot = await table.snapshot(version === undefined ? {} : { version });
  for await (const batch of snapshot.scan()) for (const row of batchRowsAsJson(batch)) out.push(Number(row.id));
  return out.sort((a, b) => a - b);
}

async function logNames(dir: string): Promise<string[]> {
  return (await readdir(join(dir, '_delta_log'))).sort();
}

/** Version v committed on day v (v = 0 … commits-1), a checkpoint every 5 versions. */
async function dailyTable(commits: number, configuration: Record<string, string> = {}) {
  const dir = join(await mkdtemp(join(tmpdir(), 'lake-logs-')), 't');
  dirs.push(dir);
  let now = BASE;
  const clock = () => now;
  const table = await DeltaTable.create(dir, {
    schema: { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: false, metadata: {} }] },
    configuration: { 'delta.enableInCommitTimestamps': 'true', 'delta.checkpointInterval': '5', 'delta.enableExpiredLogCleanup': 'false', ...configuration },
    clock,
  });
  const written = new Map<number, number[]>([[0, []]]);
  for (let v = 1; v < commits; v++) {
    now = BASE + v * DAY;
    const result = await table.write(tableFromArrays({ id: BigInt64Array.from([BigInt(v)]) }), { clock });
    expect(result.version).toBe(v);
    written.set(v, await ids(table));
  }
  return { table, dir, written, setNow: (t: number) => (now = t), clock };
}

describe('log cleanup', () => {
  it('keeps the checkpoint the version at the cutoff starts from, and everything after', async () => {
    const { table, dir, written } = await dailyTable(13); // checkpoints at 5 and 10
    const { metadata } = await table.snapshot();
    // Cutoff day 8 (38 days later, 30 days kept): version 8 needs checkpoint 5 and commits 6-8.
    const first = await cleanUpExpiredLogs(table.store, metadata, { clock: () => BASE + 38 * DAY });
    expect(first.logStartsAt).toBe(5);
    expect(first.files.map((k) => k.replace('_delta_log/', ''))).toEqual([0, 1, 2, 3, 4].map((v) => `${String(v).padStart(20, '0')}.json`));
    expect((await logNames(dir)).filter((n) => n.endsWith('.json'))[0]).toBe(`${String(5).padStart(20, '0')}.json`);
    for (let v = 5; v <= 12; v++) expect(await ids(table, v)).toEqual(written.get(v));
    await expect(ids(table, 3)).rejects.toThrow(/version 3 can no longer be read: its log files were cleaned up; the earliest readable version is 5/);
    // Time travel by timestamp inside the window still resolves.
    expect((await table.snapshot({ timestamp: BASE + 8 * DAY + 1 })).version).toBe(8);
    // Cutoff day 15: version 12 is current then; checkpoint 10 carries it.
    const second = await cleanUpExpiredLogs(table.store, metadata, { clock: () => BASE + 45 * DAY });
    expect(second.logStartsAt).toBe(10);
    expect(second.files).toContain(`_delta_log/${String(5).padStart(20, '0')}.checkpoint.parquet`);
    for (let v = 10; v <= 12; v++) expect(await ids(table, v)).toEqual(written.get(v));
    expect(await ids(table)).toEqual(written.get(12));
    expect((await table.history()).at(-1)!.version).toBe(10);
  });

  it('deletes nothing when no checkpoint is old enough, and refuses a retention shorter than the table\'s', async () => {
    const { table, dir } = await dailyTable(4); // no checkpoint
    const { metadata } = await table.snapshot();
    const before = await logNames(dir);
    const result = await cleanUpExpiredLogs(table.store, metadata, { clock: () => BASE + 400 * DAY });
    expect(result).toMatchObject({ logStartsAt: undefined, files: [] });
    expect(await logNames(dir)).toEqual(before);
    await expect(cleanUpExpiredLogs(table.store, metadata, { retentionMs: DAY })).rejects.toThrow(
      /log retention of 1 day is shorter than the table's delta.logRetentionDuration \(30 days\)/,
    );
  });

  it('runs after the checkpoints a commit writes, unless delta.enableExpiredLogCleanup is false', async () => {
    const { table, dir, setNow, clock } = await dailyTable(9, { 'delta.enableExpiredLogCleanup': 'true', 'delta.logRetentionDuration': 'interval 2 days' });
    // Versions 9 and 10 on days 9 and 10; version 10 writes a checkpoint, then cleans up.
    setNow(BASE + 9 * DAY);
    await table.write(tableFromArrays({ id: BigInt64Array.from([9n]) }), { clock });
    setNow(BASE + 10 * DAY);
    const result = await table.write(tableFromArrays({ id: BigInt64Array.from([10n]) }), { clock });
    expect(result.version).toBe(10);
    // Cutoff day 8: version 8 starts from checkpoint 5.
    const names = await logNames(dir);
    expect(names.filter((n) => n.endsWith('.json'))[0]).toBe(`${String(5).padStart(20, '0')}.json`);
    expect(await ids(table, 5)).toEqual([1, 2, 3, 4, 5]);
    // The same history with the property false keeps the whole log.
    const off = await dailyTable(11, { 'delta.logRetentionDuration': 'interval 2 days' });
    expect((await logNames(off.dir)).filter((n) => n.endsWith('.json'))).toHaveLength(11);
  });

  it('lake expire: dry run lists, then deletes', async () => {
    const { dir } = await dailyTable(7);
    const run = (argv: string[]) => runLake(argv);
    // The real clock is far past these 2026-01 commits, so everything before checkpoint 5 may go.
    const dry = await run(['expire', dir, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/5 log files before version 5 would be deleted \(dry run; time travel kept for 30 days\)\n$/);
    expect((await logNames(dir)).filter((n) => n.endsWith('.json'))).toHaveLength(7);
    const real = await run(['--json', 'expire', dir]);
    expect(JSON.parse(real.stdout)).toMatchObject({ logStartsAt: 5, dryRun: false });
    expect((await logNames(dir)).filter((n) => n.endsWith('.json'))).toHaveLength(2);
    const short = await run(['expire', dir, '--retain', '1d']);
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/^lake: log retention of 1 day is shorter/);
  });
});
