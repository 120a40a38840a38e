/**
 * `lake info/files/history/scan` on real Iceberg tables of the conformance corpus (moved tables,
 * opened with --remap): the JSON shapes, time travel by snapshot id, time and ref, delete files
 * listed against the data files they apply to, and one-line errors.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findConformanceDir } from '../conformance/delta-cases.js';
import { runLake } from '../support/cli.js';

const lake = (...argv: string[]) => runLake(argv, { cwd: process.cwd() });

const found = await findConformanceDir();
if (!found.found && process.env.CI === 'true') throw new Error(`conformance data not found (looked in ${found.looked.join(', ')})`);
const cases = found.found ? join(found.dir, 'iceberg', 'cases') : '';
const describeWithData = found.found ? describe : describe.skip;

describeWithData('lake commands on Iceberg tables', () => {
  const lineitem = join(cases, 'lineitem_v2_time_travel', 'table');
  const remap = ['--remap', `lineitem_iceberg=${lineitem}`];
  const FIRST = '7817332053627255703';
  const SECOND = '2354745328521181395';

  it('info --json: format version, snapshot, schema, spec, sort order, refs, properties', async () => {
    const { code, stdout, stderr } = await lake('info', lineitem, ...remap, '--json');
    expect(code, stderr).toBe(0);
    const info = JSON.parse(stdout) as Record<string, unknown>;
    expect(info).toMatchObject({ format: 'iceberg', formatVersion: 2, currentSnapshotId: SECOND, snapshotId: SECOND, numFiles: 1, numRecords: 51793, refs: { main: { snapshotId: SECOND, type: 'branch' } } });
    expect((info.schema as { fields: { name: string }[] }).fields[0]).toMatchObject({ id: 1, name: 'l_orderkey', type: 'long' });
    expect(info.partitionSpec).toEqual({ 'spec-id': 0, fields: [] });
    expect(Object.keys(info)).toEqual(expect.arrayContaining(['sortOrder', 'properties', 'metadataLocation', 'location']));
    const older = JSON.parse((await lake('info', lineitem, ...remap, '--as-of', FIRST, '--json')).stdout) as { snapshotId: string; numRecords: number };
    expect(older).toMatchObject({ snapshotId: FIRST, numRecords: 60175 });
  });

  it('history lists snapshots newest first; scan travels by id, time and ref', async () => {
    const history = JSON.parse((await lake('history', lineitem, ...remap, '--json')).stdout) as { snapshotId: string; parentSnapshotId: string | null; operation: string }[];
    expect(history.map((h) => [h.snapshotId, h.parentSnapshotId, h.operation])).toEqual([
      [SECOND, FIRST, 'overwrite'],
      [FIRST, null, 'append'],
    ]);
    const count = async (...extra: string[]) => {
      const { code, stdout, stderr } = await lake('scan', lineitem, ...remap, '--columns', 'l_orderkey', ...extra);
      expect(code, stderr).toBe(0);
      return stdout.trim().split('\n').length;
    };
    expect(await count()).toBe(51793);
    expect(await count('--as-of', FIRST)).toBe(60175);
    expect(await count('--as-of', '2025-05-02T12:21:19.729Z')).toBe(60175);
    expect(await count('--ref', 'main')).toBe(51793);
    const rows = (await lake('scan', lineitem, ...remap, '--columns', 'l_orderkey,l_shipdate', '--where', 'l_orderkey = 2')).stdout.trim().split('\n');
    expect(rows.map((r) => JSON.parse(r))).toEqual([{ l_orderkey: 2, l_shipdate: '1997-01-28' }]);
  });

  it('files lists each data file with the delete files that apply to it', async () => {
    const table = join(cases, 'equality_deletes_unpartitioned', 'table');
    const { code, stdout } = await lake('files', table, '--remap', `data/persistent/equality_deletes/warehouse/mydb/mytable=${table}`, '--json');
    expect(code).toBe(0);
    const files = JSON.parse(stdout) as { path: string; content: string; recordCount: number; sequenceNumber: string; deleteFiles: { content: string }[] }[];
    expect(files.length).toBeGreaterThan(1);
    for (const file of files) expect(Object.keys(file).sort()).toEqual(['content', 'deleteFiles', 'fileFormat', 'fileSizeInBytes', 'partition', 'path', 'recordCount', 'sequenceNumber']);
    expect(files.some((f) => f.deleteFiles.some((d) => d.content === 'equality_deletes'))).toBe(true);
    const dv = join(cases, 'v3_deletion_vectors_multi_blob_puffin', 'table');
    const vectors = JSON.parse(
      (await lake('files', join(dv, 'warehouse', 'default', 'multi_blob_deletion_vectors'), '--remap', `data/persistent/multi_blob_deletion_vectors=${dv}`, '--json')).stdout,
    ) as { deleteFiles: { content: string }[] }[];
    expect(vectors.every((f) => f.deleteFiles.length === 1 && f.deleteFiles[0]!.content === 'position_deletes')).toBe(true);
  });

  it('errors are one line: a moved table without --remap, an unknown snapshot or ref, a time before the first snapshot', async () => {
    const cases: [string[], RegExp][] = [
      [['scan', lineitem], /relative path: open the table with a path remap \(--remap OLD=NEW\)/],
      [['scan', lineitem, ...remap, '--as-of', '42'], /has no snapshot 42/],
      [['scan', lineitem, ...remap, '--ref', 'nope'], /has no branch or tag nope \(it has main\)/],
      [['scan', lineitem, ...remap, '--as-of', '2020-01-01T00:00:00Z'], /no snapshot at or before 2020-01-01T00:00:00.000Z: the earliest is 7817332053627255703/],
    ];
    for (const [argv, message] of cases) {
      const { code, stderr } = await lake(...argv);
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(message);
    }
    const delta = join(found.found ? found.dir : '', 'delta', 'dat', 'basic_append', 'delta');
    const usage = await lake('scan', delta, '--remap', 'a=b');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--remap applies to Iceberg tables only/);
  });
});
