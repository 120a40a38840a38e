/**
 * The DuckDB checkpoint reader (log-reader.ts) and the column-wise replay of its adds
 * (replay.ts): the actions it returns are those of the Spark checkpoint schema, row for row; the
 * snapshot built from them reconciles as before; stats and partition filters; corrupt files.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action, AddFile } from '../../src/delta/actions.js';
import { resolveDataPath } from '../../src/delta/data-paths.js';
import { CheckpointReader, readCheckpointActions } from '../../src/delta/log-reader.js';
import { canonicalizer } from '../../src/delta/replay.js';
import { DeltaSnapshot } from '../../src/delta/snapshot.js';
import { LakeError } from '../../src/errors.js';
import { LocalStore } from '../../src/storage/local-store.js';
import { parseLocation } from '../../src/storage/location.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
const v = (n: number) => String(n).padStart(20, '0');
const CHECKPOINT = `_delta_log/${v(3)}.checkpoint.parquet`;
const CHECKPOINT_FILE = { kind: 'checkpoint', version: 3, key: CHECKPOINT, naming: 'classic' } as const;

const DV = `STRUCT(storageType VARCHAR, pathOrInlineDv VARCHAR, "offset" INTEGER, sizeInBytes INTEGER, cardinality BIGINT, maxRowIndex BIGINT)`;
const ADD = `STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, modificationTime BIGINT, dataChange BOOLEAN,
  tags MAP(VARCHAR, VARCHAR), deletionVector ${DV}, baseRowId BIGINT, defaultRowCommitVersion BIGINT, clusteringProvider VARCHAR, stats VARCHAR,
  stats_parsed STRUCT(numRecords BIGINT, minValues STRUCT(n BIGINT)))`;
const REMOVE = `STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, deletionVector ${DV})`;
const METADATA = `STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, options MAP(VARCHAR, VARCHAR)),
  schemaString VARCHAR, partitionColumns VARCHAR[], configuration MAP(VARCHAR, VARCHAR), createdTime BIGINT)`;
const PROTOCOL = `STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], writerFeatures VARCHAR[])`;
const TXN = `STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)`;
const COLUMNS = { txn: TXN, add: ADD, remove: REMOVE, metaData: METADATA, protocol: PROTOCOL } as const;

const schemaString = JSON.stringify({
  type: 'struct',
  fields: [
    { name: 'n', type: 'long', nullable: true, metadata: {} },
    { name: 'p', type: 'string', nullable: true, metadata: {} },
  ],
});

/** One checkpoint row per entry: the column it sets and a SQL value of its type. */
const ROWS: [keyof typeof COLUMNS, string][] = [
  ['protocol', `{minReaderVersion: 1, minWriterVersion: 2, readerFeatures: NULL, writerFeatures: NULL}`],
  [
    'metaData',
    `{id: 'table-id', name: NULL, description: NULL, format: {provider: 'parquet', options: MAP {}}, schemaString: '${schemaString}',
      partitionColumns: ['p'], configuration: MAP {'delta.appendOnly': 'false'}, createdTime: 1700000000000}`,
  ],
  ['txn', `{appId: 'app', version: 7, lastUpdated: 1700000000001}`],
  // Plain adds in two partitions, one with a null partition value, one with non-ASCII text.
  ['add', addRow('p=a/one.parquet', `MAP {'p': 'a'}`, `'{"numRecords":10,"minValues":{"n":1}}'`)],
  ['add', addRow('p=b/two.parquet', `MAP {'p': 'b'}`, `'{"numRecords":20}'`)],
  ['add', addRow('p=__HIVE_DEFAULT_PARTITION__/null.parquet', `MAP {'p': NULL}`, `'{"numRecords":30}'`)],
  ['add', addRow('p=%C3%A9t%C3%A9/caf%C3%A9.parquet', `MAP {'p': 'été'}`, `'{"numRecords":40,"minValues":{"n":"é✓😀"}}'`)],
  // Rare fields: tags and a deletion vector; no stats but stats_parsed; a path with a space.
  [
    'add',
    addRow('p=a/dv.parquet', `MAP {'p': 'a'}`, `NULL`, {
      tags: `MAP {'INSERTION_TIME': '1'}`,
      deletionVector: `{storageType: 'u', pathOrInlineDv: 'ab^-aqEH.-t@S}K{vb[*k^', "offset": 1, sizeInBytes: 36, cardinality: 2, maxRowIndex: NULL}`,
      stats_parsed: `{numRecords: 5, minValues: {n: 3}}`,
    }),
  ],
  ['add', addRow('p=b/with%20space.parquet', `MAP {'p': 'b'}`, `NULL`, { baseRowId: '4', defaultRowCommitVersion: '2' })],
  ['remove', `{path: 'p=a/gone.parquet', deletionTimestamp: 1700000000002, dataChange: true, extendedFileMetadata: NULL, partitionValues: MAP {'p': 'a'}, size: 5, deletionVector: NULL}`],
];

function addRow(filePath: string, partitionValues: string, stats: string, rare: Record<string, string> = {}): string {
  const field = (name: string, fallback: string) => rare[name] ?? fallback;
  return `{path: '${filePath}', partitionValues: ${partitionValues}, size: ${filePath.length}, modificationTime: 1700000000000, dataChange: false,
    tags: ${field('tags', 'NULL')}, deletionVector: ${field('deletionVector', 'NULL')}, baseRowId: ${field('baseRowId', 'NULL')},
    defaultRowCommitVersion: ${field('defaultRowCommitVersion', 'NULL')}, clusteringProvider: NULL, stats: ${stats},
    stats_parsed: ${field('stats_parsed', 'NULL')}}`;
}

async function writeCheckpoint(file: string, rows: [keyof typeof COLUMNS, string][]): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const selects = rows.map(([column, value], i) => {
      const cells = Object.entries(COLUMNS).map(([name, type]) => `${name === column ? value : 'NULL'}::${type} AS "${name}"`);
      return `SELECT ${i} AS k, ${cells.join(', ')}`;
    });
    await connection.run(
      `COPY (SELECT txn, "add", remove, metaData, protocol FROM (${selects.join(' UNION ALL ')}) ORDER BY k) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE 3)`,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function tableDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lake-checkpoint-test-'));
  dirs.push(dir);
  await mkdir(path.join(dir, '_delta_log'));
  return dir;
}

const lines = (actions: Action[]) => new TextEncoder().encode(actions.map((a) => JSON.stringify(a)).join('\n'));

let dir: string;
let store: LocalStore;
beforeAll(async () => {
  dir = await tableDir();
  store = new LocalStore(dir);
  await store.put(`_delta_log/${v(3)}.json`, lines([{ commitInfo: { operation: 'WRITE' } }]));
  await writeCheckpoint(path.join(dir, CHECKPOINT), ROWS);
});

const expectedAdds: AddFile[] = [
  { path: 'p=a/one.parquet', partitionValues: { p: 'a' }, size: 15, modificationTime: 1700000000000, dataChange: false, stats: '{"numRecords":10,"minValues":{"n":1}}' },
  { path: 'p=b/two.parquet', partitionValues: { p: 'b' }, size: 15, modificationTime: 1700000000000, dataChange: false, stats: '{"numRecords":20}' },
  {
    path: 'p=__HIVE_DEFAULT_PARTITION__/null.parquet',
    partitionValues: { p: null },
    size: 41,
    modificationTime: 1700000000000,
    dataChange: false,
    stats: '{"numRecords":30}',
  },
  {
    path: 'p=%C3%A9t%C3%A9/caf%C3%A9.parquet',
    partitionValues: { p: 'été' },
    size: 33,
    modificationTime: 1700000000000,
    dataChange: false,
    stats: '{"numRecords":40,"minValues":{"n":"é✓😀"}}',
  },
  {
    path: 'p=a/dv.parquet',
    partitionValues: { p: 'a' },
    size: 14,
    modificationTime: 1700000000000,
    dataChange: false,
    tags: { INSERTION_TIME: '1' },
    deletionVector: { storageType: 'u', pathOrInlineDv: 'ab^-aqEH.-t@S}K{vb[*k^', offset: 1, sizeInBytes: 36, cardinality: 2, maxRowIndex: null },
    stats_parsed: { numRecords: 5, minValues: { n: 3 } },
  } as AddFile,
  { path: 'p=b/with%20space.parquet', partitionValues: { p: 'b' }, size: 24, modificationTime: 1700000000000, dataChange: false, baseRowId: 4, defaultRowCommitVersion: 2 },
];

describe('CheckpointReader (DuckDB)', () => {
  it('returns every action of a Spark-schema checkpoint, adds column-wise, as JSON actions parse', async () => {
    const actions = await readCheckpointActions(store, [CHECKPOINT_FILE]);
    expect(actions).toEqual([
      { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
      {
        metaData: {
          id: 'table-id',
          format: { provider: 'parquet', options: {} },
          schemaString,
          partitionColumns: ['p'],
          configuration: { 'delta.appendOnly': 'false' },
          createdTime: 1700000000000,
        },
      },
      { txn: { appId: 'app', version: 7, lastUpdated: 1700000000001 } },
      { remove: { path: 'p=a/gone.parquet', deletionTimestamp: 1700000000002, dataChange: true, partitionValues: { p: 'a' }, size: 5 } },
      ...expectedAdds.map((add) => ({ add })),
    ]);
  });

  it('leaves statistics out when asked, and reads only the partitions a filter passes', async () => {
    const reader = await CheckpointReader.open(store, [CHECKPOINT_FILE]);
    try {
      const [withoutStats] = await reader.adds({ stats: false });
      expect(withoutStats!.stats).toBeUndefined();
      expect(withoutStats!.paths).toEqual(expectedAdds.map((a) => a.path));
      const seen: unknown[] = [];
      const [filtered] = await reader.adds({
        partitionFilter: (values) => {
          seen.push(values);
          return values.p === 'a' || values.p === null;
        },
      });
      expect(seen).toHaveLength(4); // once per distinct partitionValues
      expect(filtered!.paths).toEqual(['p=a/one.parquet', 'p=__HIVE_DEFAULT_PARTITION__/null.parquet', 'p=a/dv.parquet']);
      expect(filtered!.stats).toEqual(['{"numRecords":10,"minValues":{"n":1}}', '{"numRecords":30}', undefined]);
      expect([...filtered!.rare.keys()]).toEqual([2]);
      const [none] = await reader.adds({ partitionFilter: () => false });
      expect(none!.length).toBe(0);
    } finally {
      await reader.close();
    }
  });

  it('raises CORRUPT_CHECKPOINT naming the file for a truncated or garbled checkpoint', async () => {
    const good = await readFile(path.join(dir, CHECKPOINT));
    for (const bytes of [good.subarray(0, good.length - 100), good.subarray(0, 12), new TextEncoder().encode('not parquet at all'), Buffer.concat([good.subarray(0, 200), Buffer.alloc(300, 7), good.subarray(500)])]) {
      const bad = await tableDir();
      await new LocalStore(bad).put(`_delta_log/${v(3)}.json`, lines([{ commitInfo: {} }]));
      await new LocalStore(bad).put(CHECKPOINT, bytes);
      const error = await DeltaSnapshot.load(new LocalStore(bad), parseLocation(bad)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(LakeError);
      expect((error as LakeError).code).toBe('CORRUPT_CHECKPOINT');
      expect((error as LakeError).message).toContain(CHECKPOINT);
      expect((error as LakeError).message).not.toContain('lake-checkpoint-'); // not the staged copy's name
    }
  });
});

describe('DeltaSnapshot over a Parquet checkpoint', () => {
  /** A table of the checkpoint at version 3 and then these commits (made knowing the table's directory). */
  async function withCommits(commits: (dir: string) => Action[][]): Promise<string> {
    const d = await tableDir();
    const s = new LocalStore(d);
    await writeCheckpoint(path.join(d, CHECKPOINT), ROWS);
    await s.put(`_delta_log/${v(3)}.json`, lines([{ commitInfo: {} }]));
    for (const [i, actions] of commits(d).entries()) await s.put(`_delta_log/${v(4 + i)}.json`, lines(actions));
    return d;
  }
  const add = (p: string, pv: string): Action => ({ add: { path: p, partitionValues: { p: pv }, size: 1, modificationTime: 2, dataChange: true, stats: '{"numRecords":1}' } });

  it('reconciles commits against the checkpoint rows: removes by any spelling, deletion vectors as keys', async () => {
    const d = await withCommits((dir) => [
      [{ remove: { path: 'p=a/one.parquet', dataChange: true } }, add('p=c/new.parquet', 'c')],
      // An absolute, percent-encoded spelling of a checkpoint file.
      [{ remove: { path: `file://${dir}/p=b/with%20space.parquet`, dataChange: true } }],
      [
        // The file with a deletion vector gets a new one: the old (path, dv) is gone, the new one live.
        { remove: { path: 'p=a/dv.parquet', dataChange: true, deletionVector: expectedAdds[4]!.deletionVector } },
        { add: { ...expectedAdds[4]!, deletionVector: { ...expectedAdds[4]!.deletionVector!, pathOrInlineDv: 'new-vector' }, dataChange: true } },
      ],
    ]);
    const s = new LocalStore(d);
    const snapshot = await DeltaSnapshot.load(s, parseLocation(d));
    expect(snapshot.version).toBe(6);
    const byPath = new Map(snapshot.files.map((f) => [f.path, f]));
    expect([...byPath.keys()].sort()).toEqual(
      ['p=%C3%A9t%C3%A9/caf%C3%A9.parquet', 'p=__HIVE_DEFAULT_PARTITION__/null.parquet', 'p=a/dv.parquet', 'p=b/two.parquet', 'p=c/new.parquet'].sort(),
    );
    expect(byPath.get('p=a/dv.parquet')!.deletionVector!.pathOrInlineDv).toBe('new-vector');
    expect(byPath.get('p=b/two.parquet')).toEqual(expectedAdds[1]);
    expect(snapshot.tombstones.map((t) => t.path).sort()).toEqual(
      [`file://${d}/p=b/with%20space.parquet`, 'p=a/dv.parquet', 'p=a/gone.parquet', 'p=a/one.parquet'].sort(),
    );
    expect(snapshot.appTransactions.get('app')?.version).toBe(7);
  });

  it('loads without statistics, and with a partition filter applied to checkpoint and commit adds alike', async () => {
    const d = await withCommits(() => [
      [{ remove: { path: 'p=a/one.parquet', dataChange: true } }, add('p=a/new.parquet', 'a'), add('p=c/new.parquet', 'c')],
      [{ commitInfo: {} }],
    ]);
    const s = new LocalStore(d);
    const noStats = await DeltaSnapshot.load(s, parseLocation(d), { stats: false });
    expect(noStats.files).toHaveLength(7);
    expect(noStats.files.every((f) => f.stats === undefined && !('stats_parsed' in f))).toBe(true);
    let made = 0;
    const filtered = await DeltaSnapshot.load(s, parseLocation(d), {
      partitionFilter: ({ metadata }) => {
        made++;
        expect(metadata.partitionColumns).toEqual(['p']);
        return (values) => values.p === 'a';
      },
    });
    expect(made).toBe(1);
    expect(filtered.files.map((f) => f.path).sort()).toEqual(['p=a/dv.parquet', 'p=a/new.parquet']);
    expect(filtered.files.find((f) => f.path === 'p=a/new.parquet')!.stats).toBe('{"numRecords":1}');
    expect(filtered.tombstones.map((t) => t.path).sort()).toEqual(['p=a/gone.parquet', 'p=a/one.parquet']);
  });
});

describe('canonicalizer', () => {
  it('agrees with resolveDataPath on plain and unusual paths, for local and S3 roots', () => {
    const paths = [
      'part-0.parquet',
      'date=2024-01-01/part-00000-3c6e-c000.snappy.parquet',
      'a=1/b=x+y,z@w/c.parquet',
      'a%20b.parquet',
      'a b.parquet',
      'é.parquet',
      './a.parquet',
      'a/./b',
      'a/../b',
      '../outside.parquet',
      'a//b',
      '.hidden/x',
      '...',
      '..',
      '.',
      '/abs/path.parquet',
      'file:/x/y.parquet',
      's3://bucket/key.parquet',
      'hdfs://nn/x',
      'a#b?c',
      'a:b',
    ];
    for (const root of ['/tables/t', '/', '/tables/with space/t', 's3://bucket/prefix', 's3://bucket', 's3://bucket/a b']) {
      const location = parseLocation(root);
      const { canonical, isPlain, prefix } = canonicalizer(location);
      for (const p of paths) {
        expect(canonical(p), `${p} under ${root}`).toBe(resolveDataPath(p, location).canonical);
        if (isPlain(p)) expect(prefix! + p).toBe(resolveDataPath(p, location).canonical);
      }
      expect(isPlain('date=2024-01-01/part-0.parquet')).toBe(true);
    }
  });
});
