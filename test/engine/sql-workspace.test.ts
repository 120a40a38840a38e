/** SQL over Arrow through DuckDB: types survive the round trip; joins; errors are one line. */
import { tableFromArrays, Schema, Field, Int64, Utf8, type RecordBatch } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { SqlWorkspace } from '../../src/engine/sql-workspace.js';
import { batchRowsAsJson } from '../../src/engine/json-values.js';
import { readParquet } from '../../src/engine/parquet.js';
import { writeParquet } from '../../src/engine/parquet-write.js';

async function rows(batches: AsyncIterable<RecordBatch>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const batch of batches) out.push(...batchRowsAsJson(batch));
  return out;
}

describe('SqlWorkspace', () => {
  it('joins registered Arrow inputs (cut into several files) and returns Arrow batches', async () => {
    const ws = await SqlWorkspace.open({ memoryLimit: '256MB', rowsPerFile: 2 });
    try {
      const source = readParquet(
        writeParquet(tableFromArrays({ id: BigInt64Array.from([1n, 2n, 3n]), name: ['a', 'b', null] })),
      );
      await ws.register('target', source.batches);
      await ws.register('source', [tableFromArrays({ id: BigInt64Array.from([2n, 3n, 4n]), v: Float64Array.from([0.5, 1.5, 2.5]) }).batches[0]!]);
      const joined = await rows(ws.query('SELECT t.id, t.name, s.v FROM target t JOIN source s USING (id) ORDER BY id'));
      expect(joined).toEqual([
        { id: 2, name: 'b', v: 0.5 },
        { id: 3, name: null, v: 1.5 },
      ]);
      expect(await ws.scalar('SELECT count(*) FROM target')).toBe(3n);
    } finally {
      await ws.close();
    }
  });

  it('keeps types both ways: zoned and zoneless timestamps, decimals, dates, lists, structs', async () => {
    const ws = await SqlWorkspace.open();
    try {
      const sql = `SELECT TIMESTAMPTZ '2024-01-01 10:00:00.123456+00' AS ts, TIMESTAMP '2024-01-01 10:00:00' AS ntz,
        1.25::DECIMAL(10,2) AS d, DATE '2024-01-02' AS dt, [1, 2]::BIGINT[] AS l, {'a': 1::INTEGER, 'b': 'x'} AS s`;
      const first: RecordBatch[] = [];
      for await (const batch of ws.query(sql)) first.push(batch);
      const types = Object.fromEntries(first[0]!.schema.fields.map((f) => [f.name, String(f.type)]));
      expect(types).toEqual({
        ts: 'Timestamp<MICROSECOND, UTC>',
        ntz: 'Timestamp<MICROSECOND>',
        d: 'Decimal[10e+2]',
        dt: 'Date32<DAY>',
        l: 'List<Int64>',
        s: 'Struct<{a:Int32, b:Utf8}>',
      });
      await ws.register('again', first);
      const back = await rows(ws.query('SELECT * FROM again'));
      expect(back).toEqual([
        { ts: '2024-01-01T10:00:00.123456Z', ntz: '2024-01-01T10:00:00.000000', d: '1.25', dt: '2024-01-02', l: [1, 2], s: { a: 1, b: 'x' } },
      ]);
    } finally {
      await ws.close();
    }
  });

  it('an empty input is an empty view of its schema; SQL errors are one line', async () => {
    const ws = await SqlWorkspace.open();
    try {
      const schema = new Schema([new Field('id', new Int64(), true), new Field('s', new Utf8(), true)]);
      await ws.register('empty', [], schema);
      expect(await rows(ws.query('SELECT * FROM empty'))).toEqual([]);
      await expect(ws.scalar('SELECT nope FROM empty')).rejects.toMatchObject({ code: 'SQL' });
      await expect(ws.scalar('SELECT nope FROM empty')).rejects.toThrow(/^SQL failed: [^\n]+$/);
    } finally {
      await ws.close();
    }
  });
});
