/**
 * RESTORE: back to an earlier version's files (deletion vectors included) and schema in one
 * commit, by version or timestamp; a clear failure, committing nothing, when vacuum took files.
 */
import { join } from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { restore } from '../../src/delta/operations/restore.js';
import { vacuum } from '../../src/delta/operations/vacuum.js';
import { DeltaTable } from '../../src/delta/table.js';
import { runLake } from '../support/cli.js';
import { rowsById, tempDirs } from '../support/tables.js';

const DAY = 86_400_000;
const tempDir = tempDirs('lake-restore-');

const rowsOf = rowsById;

async function newTable(configuration: Record<string, string> = {}): Promise<{ table: DeltaTable; dir: string }> {
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
  return { table, dir };
}

const rows = (ids: number[], p: string) => tableFromArrays({ id: BigInt64Array.from(ids.map(BigInt)), p: ids.map(() => p) });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('restore', () => {
  it('restores an earlier version in one commit; the versions in between stay readable', async () => {
    const { table } = await newTable();
    await table.write(rows(range(0, 10), 'a'));
    await table.write(rows(range(10, 20), 'b'));
    const v2 = await rowsOf(table);
    await table.delete('id < 5');
    await table.write(rows(range(20, 30), 'a'), { mode: 'overwrite' });
    const v4 = await rowsOf(table);
    const result = await restore(table, { version: 2 });
    expect(result.version).toBe(5);
    expect(result.restoredVersion).toBe(2);
    expect(result.metrics).toMatchObject({ numOfFilesAfterRestore: 2, numRestoredFiles: 2, numRemovedFiles: 1 });
    expect(await rowsOf(table)).toEqual(v2);
    expect(await rowsOf(table, 4)).toEqual(v4);
    const commit = (await table.history({ limit: 1 }))[0]!;
    expect(commit).toMatchObject({ operation: 'RESTORE', operationParameters: { version: 2 } });
    expect(commit.operationMetrics).toMatchObject({ numRestoredFiles: '2', numRemovedFiles: '1' });
    // Restoring what is already there commits nothing.
    expect((await restore(table, { version: 5 })).version).toBeUndefined();
  });

  it('brings back the old deletion vector of a file and the old schema; restores by timestamp', async () => {
    const { table } = await newTable({ 'delta.enableDeletionVectors': 'true' });
    await table.write(rows(range(0, 10), 'a'));
    await table.delete('id = 1');
    const v2 = await rowsOf(table);
    const v2Time = (await table.snapshot()).timestamp;
    await table.delete('id = 2');
    await table.write(tableFromArrays({ id: BigInt64Array.from([50n]), p: ['a'], note: ['new column'] }), { schemaMode: 'merge' });
    expect((await table.snapshot()).schema.fields.map((f) => f.name)).toEqual(['id', 'p', 'note']);
    const result = await restore(table, { timestamp: v2Time });
    expect(result.restoredVersion).toBe(2);
    expect(await rowsOf(table)).toEqual(v2);
    expect((await table.snapshot()).schema.fields.map((f) => f.name)).toEqual(['id', 'p']);
  });

  it('fails naming a file vacuum deleted, and commits nothing', async () => {
    const { table } = await newTable();
    await table.write(rows(range(0, 10), 'a'));
    await table.write(rows(range(10, 20), 'a'), { mode: 'overwrite' });
    await vacuum(table, { clock: () => Date.now() + 8 * DAY });
    const latest = (await table.snapshot()).version;
    await expect(restore(table, { version: 1 })).rejects.toThrow(/cannot restore .* to version 1: 1 of its files are gone \(first: p=a\/.*\), deleted by vacuum/);
    expect((await table.snapshot()).version).toBe(latest);
  });

  it('lake restore --to-version; a missing or doubled target is a usage error', async () => {
    const { table, dir } = await newTable();
    await table.write(rows(range(0, 10), 'a'));
    await table.delete('id >= 3');
    const run = (argv: string[]) => runLake(argv);
    const ok = await run(['restore', dir, '--to-version', '1']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^version 3 restores version 1: 1 files .* re-added, 1 .* removed; 1 files now\n$/);
    expect(await rowsOf(table)).toHaveLength(10);
    expect((await run(['restore', dir])).code).toBe(2);
    expect((await run(['restore', dir, '--to-version', '1', '--to-timestamp', '2026-01-01'])).code).toBe(2);
    const late = await run(['restore', dir, '--to-version', '9']);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/version 9 does not exist; the latest version is 3/);
  });
});
