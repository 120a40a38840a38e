/**
 * VACUUM on local tables: what goes (removed files and deletion vectors older than the window,
 * files that never reached the log), what stays (live files, tombstones inside the window, young
 * files, hidden names, the log), the retention check, dry runs, lite vs full, the START / END
 * commits, protocol checks and the CLI.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { vacuum } from '../../src/delta/operations/vacuum.js';
import { DeltaTable } from '../../src/delta/table.js';
import { commitKey } from '../../src/delta/log-files.js';
import { DeltaTransaction } from '../../src/delta/transaction.js';
import { runLake } from '../support/cli.js';
import { rowsById, tempDirs, filesUnder as allFilesUnder } from '../support/tables.js';

const DAY = 86_400_000;
const tempDir = tempDirs('lake-vacuum-');

const runCli = (argv: string[]) => runLake(argv);

const rowsOf = rowsById;

/** Every file under `dir`, relative, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  return (await allFilesUnder(dir)).map((path) => relative(dir, path)).sort();
}

/** Three appends in partitions a/b, then a delete that removes the file of the first. */
async function tableWithRemovedFiles(configuration: Record<string, string> = {}): Promise<{ table: DeltaTable; dir: string }> {
  const dir = join(await tempDir(), 't');
  const table = await DeltaTable.create(dir, {
    schema: {
      type: 'struct',
      fields: [
        { name: 'id', type: 'long', nullable: false, metadata: {} },
        { name: 'p', type: 'string', nullable: true, metadata: {} },
      ],
    },
    partitionColumns: ['p'],
    configuration,
  });
  for (let i = 0; i < 3; i++) {
    const ids = Array.from({ length: 10 }, (_, j) => i * 10 + j);
    await table.write(tableFromArrays({ id: BigInt64Array.from(ids.map(BigInt)), p: ids.map(() => (i === 1 ? 'b' : 'a')) }));
  }
  return { table, dir };
}

describe('vacuum', () => {
  it('deletes removed files once they are older than the window, and nothing the latest version reads', async () => {
    const { table, dir } = await tableWithRemovedFiles();
    await table.delete('id < 10'); // the whole first file: removed
    const removed = (await table.snapshot({ version: 3 })).files.map((f) => f.path);
    const live = (await table.snapshot()).files.map((f) => decodeURIComponent(f.path));
    const gone = removed.map(decodeURIComponent).filter((p) => !live.includes(p));
    expect(gone).toHaveLength(1);
    const before = await rowsOf(table);

    // Inside the window (the default 7 days, real clock): nothing is old enough.
    const now = await vacuum(table);
    expect(now.files).toEqual([]);
    // Eight days later the removed file goes; live files, the log and the rows stay.
    const later = await vacuum(table, { clock: () => Date.now() + 8 * DAY });
    expect(later.files.map((f) => f.path)).toEqual(gone);
    expect(later.numFilesDeleted).toBe(1);
    const left = await filesUnder(dir);
    for (const path of live) expect(left).toContain(path);
    expect(left).not.toContain(gone[0]);
    expect(await rowsOf(table)).toEqual(before);
    // The commits record it the way Delta Spark does.
    const history = await table.history({ limit: 2 });
    expect(history.map((h) => h.operation)).toEqual(['VACUUM END', 'VACUUM START']);
    expect(history[1]!.operationMetrics).toMatchObject({ numFilesToDelete: '1' });
    expect(history[0]!.operationParameters).toEqual({ status: 'COMPLETED' });
    expect(history[0]!.operationMetrics).toMatchObject({ numDeletedFiles: '1' });
    expect(later.versions).toEqual([history[1]!.version, history[0]!.version]);
  });

  it('keeps the files of tombstones inside the window: older versions inside it still read', async () => {
    const { table } = await tableWithRemovedFiles();
    const clock = () => Date.now() + 5 * DAY; // removed "five days from now": inside the window at +8
    const snap = await table.snapshot();
    const txn = new DeltaTransaction(snap, { clock });
    txn.removeFiles(snap.files.filter((f) => f.partitionValues.p === 'b'));
    await txn.commit({ operation: 'DELETE' });
    const v3 = await rowsOf(table, 3);
    const result = await vacuum(table, { clock: () => Date.now() + 8 * DAY });
    expect(result.files).toEqual([]);
    expect(await rowsOf(table, 3)).toEqual(v3);
  });

  it('full mode deletes files that never reached the log and leaves hidden names and young files alone', async () => {
    const { table, dir } = await tableWithRemovedFiles();
    await mkdir(join(dir, 'p=a'), { recursive: true });
    await mkdir(join(dir, '_tool'), { recursive: true });
    await writeFile(join(dir, 'p=a', 'part-failed-write.parquet'), 'x');
    await writeFile(join(dir, 'orphan.parquet'), 'y');
    await writeFile(join(dir, '_tool', 'state'), 'z');
    await writeFile(join(dir, '.hidden'), 'z');
    // Written "now" at the real clock: young, so kept.
    expect((await vacuum(table, { dryRun: true })).files).toEqual([]);
    const later = { clock: () => Date.now() + 8 * DAY };
    // Lite mode looks only at the log's removes: the orphans are not there.
    expect((await vacuum(table, { ...later, mode: 'lite', dryRun: true })).files).toEqual([]);
    const dry = await vacuum(table, { ...later, dryRun: true });
    expect(dry.files).toEqual([
      { path: 'orphan.parquet', size: 1 },
      { path: 'p=a/part-failed-write.parquet', size: 1 },
    ]);
    expect(dry.versions).toEqual([]);
    const files = await filesUnder(dir);
    expect(files).toContain('orphan.parquet'); // a dry run deletes nothing …
    expect((await table.history({ limit: 1 }))[0]!.operation).toBe('WRITE'); // … and commits nothing
    await vacuum(table, later);
    const after = await filesUnder(dir);
    expect(after).not.toContain('orphan.parquet');
    expect(after).not.toContain('p=a/part-failed-write.parquet');
    expect(after).toContain('_tool/state');
    expect(after).toContain('.hidden');
    expect(after.filter((f) => f.startsWith('_delta_log/'))).toContain(commitKey(0));
  });

  it('lite mode deletes removed files from the log, and deletion vectors replaced by later ones', async () => {
    const { table, dir } = await tableWithRemovedFiles({ 'delta.enableDeletionVectors': 'true' });
    await table.delete('id = 21');
    const firstDvs = (await filesUnder(dir)).filter((f) => f.startsWith('deletion_vector_'));
    expect(firstDvs).toHaveLength(1);
    await table.delete('id = 22'); // a new vector for the same file replaces the first
    await table.delete('p = \'b\''); // the whole file of partition b: removed
    const dvs = (await filesUnder(dir)).filter((f) => f.startsWith('deletion_vector_'));
    expect(dvs).toHaveLength(2);
    const before = await rowsOf(table);
    const result = await vacuum(table, { mode: 'lite', clock: () => Date.now() + 8 * DAY });
    const deleted = result.files.map((f) => f.path);
    expect(deleted).toContain(firstDvs[0]);
    expect(deleted.some((p) => p.startsWith('p=b/'))).toBe(true);
    const left = await filesUnder(dir);
    expect(left.filter((f) => f.startsWith('deletion_vector_'))).toEqual(dvs.filter((d) => d !== firstDvs[0]));
    expect(await rowsOf(table)).toEqual(before);
    // A second run finds nothing: the candidates are gone.
    expect((await vacuum(table, { mode: 'lite', clock: () => Date.now() + 8 * DAY })).files).toEqual([]);
  });

  it('refuses a retention shorter than the table\'s unless allowed', async () => {
    const { table } = await tableWithRemovedFiles({ 'delta.deletedFileRetentionDuration': 'interval 2 days' });
    await table.delete('id < 10');
    await expect(vacuum(table, { retentionMs: 3_600_000 })).rejects.toThrow(/retention of 1 hour is shorter than .*delta.deletedFileRetentionDuration \(2 days\)/);
    // The table's own 2 days is the default window.
    expect((await vacuum(table, { clock: () => Date.now() + 3 * DAY, dryRun: true })).files).toHaveLength(1);
    expect((await vacuum(table, { retentionMs: 0, enforceRetention: false, dryRun: true })).files).toHaveLength(1);
  });

  it('needs write support for the protocol (vacuumProtocolCheck)', async () => {
    const { table } = await tableWithRemovedFiles();
    const snap = await table.snapshot();
    // Another client upgraded the table to a writer feature lake does not know.
    const actions = [
      { commitInfo: { timestamp: Date.now(), operation: 'UPGRADE PROTOCOL' } },
      { protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['vacuumProtocolCheck'], writerFeatures: ['vacuumProtocolCheck', 'someFutureFeature'] } },
    ];
    await table.store.put(commitKey(snap.version + 1), new TextEncoder().encode(actions.map((a) => JSON.stringify(a)).join('\n')));
    await expect(vacuum(table, { dryRun: true })).rejects.toThrow(/someFutureFeature/);
  });

  it('lake vacuum: dry run, report, refused retention as one line', async () => {
    const { table, dir } = await tableWithRemovedFiles();
    await table.delete('id < 10');
    const refused = await runCli(['vacuum', dir, '--retain', '1h']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^lake: vacuum retention of 1 hour is shorter/);
    const dry = await runCli(['vacuum', dir, '--retain', '0', '--allow-short-retention', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^p=a\/.*\.parquet\n1 files .* would be deleted \(dry run\)/);
    const json = await runCli(['--json', 'vacuum', dir, '--retain', '0s', '--allow-short-retention']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ mode: 'full', dryRun: false, numFilesDeleted: 1 });
    expect(await rowsOf(table)).toHaveLength(20);
    const bad = await runCli(['vacuum', dir, '--retain', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/soon is not a duration/);
  });
});
