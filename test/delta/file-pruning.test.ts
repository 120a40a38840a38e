import { describe, expect, it } from 'vitest';
import type { AddFile } from '../../src/delta/actions.js';
import { deltaFileStats, partitionFilterFromWhere, type PruningContext } from '../../src/delta/file-pruning.js';
import { parseSchema, toArrowSchema, type StructType } from '../../src/delta/schema.js';
import { bindPredicate } from '../../src/engine/predicate-bind.js';
import { mayMatch } from '../../src/engine/predicate-prune.js';
import { parsePredicate } from '../../src/engine/predicate.js';

const field = (name: string, type: unknown, metadata: Record<string, unknown> = {}) => ({ name, type, nullable: true, metadata });

const SCHEMA = parseSchema(
  JSON.stringify({
    type: 'struct',
    fields: [
      field('id', 'long'),
      field('n', 'integer'),
      field('amount', 'decimal(38,4)'),
      field('name', 'string'),
      field('day', 'date'),
      field('ts', 'timestamp'),
      field('local', 'timestamp_ntz'),
      field('ratio', 'float'),
      field('score', 'double', { 'delta.typeChanges': [{ fromType: 'float', toType: 'double' }] }),
      field('flag', 'boolean'),
      field('nested', { type: 'struct', fields: [field('inner', { type: 'struct', fields: [field('v', 'integer')] })] }),
      field('part', 'string'),
      field('pday', 'date'),
    ],
  }),
);

function context(schema: StructType = SCHEMA, options: Partial<PruningContext> = {}): PruningContext {
  return { schema, mode: 'none', partitionColumns: new Set(['part', 'pday']), stringPrefixLength: 32, ...options };
}

function file(stats: unknown, extra: Partial<AddFile> = {}): AddFile {
  return {
    path: 'f.parquet',
    partitionValues: { part: 'a', pday: null },
    size: 1,
    modificationTime: 0,
    dataChange: true,
    stats: typeof stats === 'string' ? stats : JSON.stringify(stats),
    ...extra,
  };
}

async function may(where: string, add: AddFile, ctx = context()): Promise<boolean> {
  const bound = bindPredicate(await parsePredicate(where), toArrowSchema(ctx.schema));
  return mayMatch(bound, deltaFileStats(add, ctx));
}

describe('Delta per-file statistics for pruning', () => {
  it('reads 64-bit integers and decimals exactly (no rounding through doubles)', async () => {
    const add = file(
      '{"numRecords":3,"minValues":{"id":9007199254740993,"amount":12345678901234567890.1234},"maxValues":{"id":9007199254740993,"amount":12345678901234567890.1234},"nullCount":{"id":0,"amount":0}}',
    );
    expect(await may('id = 9007199254740992', add)).toBe(false);
    expect(await may('id = 9007199254740993', add)).toBe(true);
    expect(await may('amount > 12345678901234567890.1233', add)).toBe(true);
    expect(await may('amount > 12345678901234567890.1234', add)).toBe(false);
  });

  it('widens millisecond timestamp statistics by 1 ms', async () => {
    const add = file({ numRecords: 1, minValues: { ts: '2021-01-01T00:00:00.000Z', local: '2021-01-01T00:00:00.000' }, maxValues: { ts: '2021-01-01T00:00:00.000Z', local: '2021-01-01T00:00:00.000' }, nullCount: { ts: 0 } });
    // The file may hold 00:00:00.000999 (statistics truncate to milliseconds).
    expect(await may("ts = '2021-01-01 00:00:00.000999+00'", add)).toBe(true);
    expect(await may("ts > '2021-01-01 00:00:00.001+00'", add)).toBe(false);
    expect(await may("local = '2021-01-01 00:00:00.000999'", add)).toBe(true);
    expect(await may("local >= '2021-01-01 00:00:00.0011'", add)).toBe(false);
    const offset = file({ numRecords: 1, minValues: { ts: '2000-01-01T00:00:00.000-08:00' }, maxValues: { ts: '2000-01-01T00:00:00.000-08:00' } });
    expect(await may("ts = '2000-01-01 08:00:00+00'", offset)).toBe(true);
    expect(await may("ts = '2000-01-01 00:00:00+00'", offset)).toBe(false);
  });

  it('treats a string maximum of the prefix length as possibly truncated', async () => {
    const long = 'x'.repeat(32);
    const add = file({ numRecords: 2, minValues: { name: 'a' }, maxValues: { name: long }, nullCount: { name: 0 } });
    expect(await may(`name = '${long}zzz'`, add)).toBe(true); // a longer value may have been cut
    expect(await may(`name > '${long}'`, add)).toBe(true);
    expect(await may(`name > 'y'`, add)).toBe(false);
    const short = file({ numRecords: 2, minValues: { name: 'a' }, maxValues: { name: 'abc' }, nullCount: { name: 0 } });
    expect(await may("name > 'abc'", short)).toBe(false);
    expect(await may("name LIKE 'abd%'", short)).toBe(false);
    // A configured shorter prefix makes shorter maxima suspect too.
    expect(await may("name > 'abc'", short, context(SCHEMA, { stringPrefixLength: 3 }))).toBe(true);
  });

  it('uses nullCount only when it is 0 or numRecords', async () => {
    const none = file({ numRecords: 4, nullCount: { n: 0 } });
    const all = file({ numRecords: 4, nullCount: { n: 4 } });
    const some = file({ numRecords: 4, nullCount: { n: 2 }, tightBounds: false });
    expect(await may('n IS NULL', none)).toBe(false);
    expect(await may('n IS NOT NULL', all)).toBe(false);
    expect(await may('n = 1', all)).toBe(false);
    expect(await may('n IS NULL', some)).toBe(true);
    expect(await may('n IS NOT NULL', some)).toBe(true);
  });

  it('counts live rows: numRecords minus deleted rows', async () => {
    const dv = { storageType: 'u' as const, pathOrInlineDv: 'x', offset: 1, sizeInBytes: 1, cardinality: 4 };
    expect(await may('TRUE', file({ numRecords: 4 }, { deletionVector: dv }))).toBe(false);
    expect(await may('TRUE', file({ numRecords: 5 }, { deletionVector: dv }))).toBe(true);
    expect(await may('TRUE', file({ numRecords: 0 }))).toBe(false);
  });

  it('reads nested statistics, and physical names under column mapping', async () => {
    const add = file({ numRecords: 1, minValues: { nested: { inner: { v: 5 } } }, maxValues: { nested: { inner: { v: 7 } } } });
    expect(await may('nested.inner.v > 7', add)).toBe(false);
    expect(await may('nested.inner.v = 6', add)).toBe(true);
    const mapped = parseSchema(
      JSON.stringify({
        type: 'struct',
        fields: [
          field('a', { type: 'struct', fields: [field('b', 'integer', { 'delta.columnMapping.id': 2, 'delta.columnMapping.physicalName': 'col-b' })] }, {
            'delta.columnMapping.id': 1,
            'delta.columnMapping.physicalName': 'col-a',
          }),
          field('p', 'integer', { 'delta.columnMapping.id': 3, 'delta.columnMapping.physicalName': 'col-p' }),
        ],
      }),
    );
    const ctx = context(mapped, { mode: 'name', partitionColumns: new Set(['p']) });
    const physical = file({ numRecords: 1, minValues: { 'col-a': { 'col-b': 1 } }, maxValues: { 'col-a': { 'col-b': 2 } } }, { partitionValues: { 'col-p': '7' } });
    expect(await may('a.b > 2', physical, ctx)).toBe(false);
    expect(await may('a.b = 2', physical, ctx)).toBe(true);
    expect(await may('p = 7', physical, ctx)).toBe(true);
    expect(await may('p = 8', physical, ctx)).toBe(false);
    // Logical names in the statistics are not the ones to read under column mapping.
    const logical = file({ numRecords: 1, minValues: { a: { b: 5 } }, maxValues: { a: { b: 5 } } }, { partitionValues: { 'col-p': '7' } });
    expect(await may('a.b = 1', logical, ctx)).toBe(true);
  });

  it('uses partition values, typed, with null partitions', async () => {
    const add = file(null, { stats: null, partitionValues: { part: 'b', pday: '2021-01-02' } });
    expect(await may("part = 'b'", add)).toBe(true);
    expect(await may("part = 'a'", add)).toBe(false);
    expect(await may("part IS NULL", add)).toBe(false);
    expect(await may("pday > '2021-01-02'", add)).toBe(false);
    expect(await may("pday = DATE '2021-01-02' AND part LIKE 'b%'", add)).toBe(true);
    const nullPart = file(null, { stats: null, partitionValues: { part: null, pday: null } });
    expect(await may('part IS NULL', nullPart)).toBe(true);
    expect(await may("part = 'a'", nullPart)).toBe(false);
    expect(await may("part <> 'a'", nullPart)).toBe(false);
  });

  it('rounds float statistics to 32 bits, and ignores those of a double widened from float', async () => {
    const add = file({ numRecords: 1, minValues: { ratio: 0.1, score: 0.1 }, maxValues: { ratio: 0.1, score: 0.1 }, nullCount: { ratio: 0, score: 0 } });
    expect(await may('ratio = 0.1', add)).toBe(true);
    expect(await may('ratio < 0.1', add)).toBe(false);
    expect(await may('ratio > 0.1', add)).toBe(true); // NaN may be above the max
    // A float 0.1 read as double is 0.10000000149…, above the "0.1" its old statistics say.
    expect(await may('score > 0.1', add)).toBe(true);
    expect(await may('score < 0.05', add)).toBe(true);
  });

  it('falls back to stats_parsed from checkpoints, and ignores unreadable statistics', async () => {
    const parsed = { ...file(null, { stats: null }), stats_parsed: { numRecords: 2, minValues: { n: 5, name: 'k' }, maxValues: { n: 9, name: 'm' }, nullCount: { n: 0 } } } as AddFile;
    expect(await may('n > 9', parsed)).toBe(false);
    expect(await may('n IS NULL', parsed)).toBe(false);
    expect(await may("name < 'k'", parsed)).toBe(false);
    expect(await may('n = 7', parsed)).toBe(true);
    expect(await may('n > 9', file('{"numRecords": 2, "minValues": {'))).toBe(true);
    expect(await may('n > 9', file({ numRecords: 2, minValues: { n: 'abc' }, maxValues: { n: [1] } }))).toBe(true);
    expect(await may('day > DATE \'2021-01-01\'', file({ numRecords: 2, maxValues: { day: 'not a date' } }))).toBe(true);
    expect(await may('day > DATE \'2021-01-01\'', file({ numRecords: 2, maxValues: { day: '2020-12-31' } }))).toBe(false);
  });

  it('does not prune on corrupt partition values (the scan reports them)', async () => {
    const add = file(null, { stats: null, partitionValues: { part: 'a', pday: 'not-a-date' } });
    expect(await may("pday = '2021-01-01'", add)).toBe(true);
  });

  it('gives a partition-values-only filter for log replay', async () => {
    const metadata = { id: 'x', format: { provider: 'parquet', options: {} }, schemaString: JSON.stringify({ type: 'struct', fields: SCHEMA.fields }), partitionColumns: ['part', 'pday'], configuration: {} };
    const protocol = { minReaderVersion: 1, minWriterVersion: 2 };
    const keep = await partitionFilterFromWhere("part = 'b' AND n > 100")({ protocol, metadata });
    expect(keep({ part: 'b', pday: null })).toBe(true);
    expect(keep({ part: 'a', pday: null })).toBe(false);
    expect(keep({ part: null, pday: null })).toBe(false);
    const any = await partitionFilterFromWhere('n > 100 OR pday IS NULL')({ protocol, metadata });
    expect(keep({ part: 'b', pday: '2021-01-01' }) && any({ part: 'zzz', pday: '2021-01-01' })).toBe(true);
    await expect(partitionFilterFromWhere('nope = 1')({ protocol, metadata })).rejects.toMatchObject({ code: 'COLUMN_NOT_FOUND' });
  });
});
