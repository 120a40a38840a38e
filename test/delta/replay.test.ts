import { describe, expect, it } from 'vitest';
import type { Action, AddFile } from '../../src/delta/actions.js';
import { resolveDataPath } from '../../src/delta/data-paths.js';
import { deletionVectorId, Reconciler } from '../../src/delta/replay.js';
import { parseLocation } from '../../src/storage/location.js';

const root = parseLocation('/tables/t');
const add = (path: string, extra: Partial<AddFile> = {}): Action => ({
  add: { path, partitionValues: {}, size: 1, modificationTime: 0, dataChange: true, ...extra },
});
const remove = (path: string, extra = {}): Action => ({ remove: { path, dataChange: true, ...extra } });
const dv = (id: string) => ({ storageType: 'u' as const, pathOrInlineDv: id, offset: 1, sizeInBytes: 10, cardinality: 2 });

describe('Reconciler', () => {
  it('keeps the newest reference of each logical file, commits applied newest first', () => {
    const r = new Reconciler(root);
    r.applyCommit([remove('b'), add('c')]); // v2
    r.applyCommit([add('b'), add('a', { size: 9 })]); // v1
    r.applyCheckpoint([add('a', { size: 1 }), add('old'), remove('gone')]); // checkpoint v0
    const state = r.result();
    expect(state.files.map((f) => [f.path, f.size]).sort()).toEqual([['a', 9], ['c', 1], ['old', 1]]);
    expect(state.tombstones.map((t) => t.path).sort()).toEqual(['b', 'gone']);
  });

  it('treats spellings of one path as one file (file:/x, file:///x, /x, percent-encoding)', () => {
    for (const [added, removed] of [
      ['file:/some/unqualified/absolute/path', '/some/unqualified/absolute/path'],
      ['file:///some/unqualified/absolute/path', '/some/unqualified/absolute/path'],
      ['file:/some/unqualified/with%20space/p@%23h', '/some/unqualified/with%20space/p@%23h'],
      ['part%20one.parquet', 'file:///tables/t/part%20one.parquet'],
    ]) {
      const r = new Reconciler(root);
      r.applyCommit([remove(removed!)]);
      r.applyCommit([add(added!)]);
      expect(r.result().files).toEqual([]);
    }
  });

  it('keys files by path and deletion vector: a new vector replaces the file, the old one is a tombstone', () => {
    const r = new Reconciler(root);
    r.applyCommit([remove('f', { deletionVector: dv('one') }), add('f', { deletionVector: dv('two') })]); // v2
    r.applyCommit([add('f', { deletionVector: dv('one') })]); // v1
    const state = r.result();
    expect(state.files.map((f) => deletionVectorId(f.deletionVector))).toEqual(['utwo@1']);
    expect(state.tombstones.map((t) => deletionVectorId(t.deletionVector))).toEqual(['uone@1']);
  });

  it('takes the newest protocol, metadata, txn per app and domain, dropping removed domains', () => {
    const r = new Reconciler(root);
    r.applyCommit([
      { protocol: { minReaderVersion: 3, minWriterVersion: 7 } },
      { txn: { appId: 'app', version: 5 } },
      { domainMetadata: { domain: 'gone', configuration: '{}', removed: true } },
    ]);
    r.applyCommit([
      { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
      { txn: { appId: 'app', version: 4 } },
      { txn: { appId: 'other', version: 1 } },
      { domainMetadata: { domain: 'gone', configuration: '{"a":1}', removed: false } },
      { domainMetadata: { domain: 'kept', configuration: '{}', removed: false } },
    ]);
    const state = r.result();
    expect(state.protocol).toEqual({ minReaderVersion: 3, minWriterVersion: 7 });
    expect([...state.txns.values()].map((t) => [t.appId, t.version]).sort()).toEqual([['app', 5], ['other', 1]]);
    expect([...state.domainMetadata.keys()]).toEqual(['kept']);
  });
});

describe('resolveDataPath', () => {
  it('decodes and places paths relative to the table root', () => {
    expect(resolveDataPath('a%3Db/part%201.parquet', root)).toMatchObject({ relative: 'a=b/part 1.parquet', canonical: 'file:///tables/t/a=b/part%201.parquet' });
    expect(resolveDataPath('file:/tables/t/x.parquet', root).relative).toBe('x.parquet');
    expect(resolveDataPath('/elsewhere/x.parquet', root)).toMatchObject({ relative: undefined, canonical: 'file:///elsewhere/x.parquet' });
    const s3Root = parseLocation('s3://bucket/wh/t');
    expect(resolveDataPath('/wh/t/y.parquet', s3Root).relative).toBe('y.parquet');
    expect(resolveDataPath('s3a://bucket/wh/t/p%3D1/z.parquet', s3Root).relative).toBe('p=1/z.parquet');
    expect(resolveDataPath('abfss://c@acct.dfs.core.windows.net/t/x.parquet', root).location).toBeUndefined();
  });

  it('rejects a malformed escape with a clear error', () => {
    expect(() => resolveDataPath('bad%zz.parquet', root)).toThrow(/not a valid URI/);
  });
});
