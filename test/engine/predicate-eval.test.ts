import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { Field, Int32, Schema, Struct, Utf8 } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeError } from '../../src/errors.js';
import { bindPredicate } from '../../src/engine/predicate-bind.js';
import { evaluateFilter, evaluatePredicate } from '../../src/engine/predicate-eval.js';
import { parsePredicate } from '../../src/engine/predicate.js';
import { batchOf, COLUMNS, Random, randomPredicate, randomRows, SCHEMA, type Row } from './predicate-fixtures.js';

const T = 1;
const F = 0;
const N = 2;

async function tri(sql: string, rows: readonly Row[]): Promise<number[]> {
  const bound = bindPredicate(await parsePredicate(sql), SCHEMA);
  return [...evaluatePredicate(bound, batchOf(rows))];
}

const row = (values: Row): Row => Object.fromEntries(COLUMNS.map((c) => [c.name, values[c.name] ?? null]));
const rows = (column: string, values: readonly unknown[]): Row[] => values.map((v) => row({ [column]: v as Row[string] }));

describe('evaluating predicates on record batches', () => {
  it('uses three-valued logic: NULL is neither true nor false, NOT NULL is NULL', async () => {
    const data = rows('i', [1, 5, null]);
    expect(await tri('i > 2', data)).toEqual([F, T, N]);
    expect(await tri('NOT (i > 2)', data)).toEqual([T, F, N]);
    expect(await tri('i > 2 OR i IS NULL', data)).toEqual([F, T, T]);
    expect(await tri('i > 2 AND i IS NULL', data)).toEqual([F, F, N]);
    expect(await tri('i > 2 AND i IS NOT NULL', data)).toEqual([F, T, F]);
    expect(await tri('i > 2 OR NULL', data)).toEqual([N, T, N]);
    expect(await tri('i > 2 AND NULL', data)).toEqual([F, N, N]);
    expect(await tri('i = NULL', data)).toEqual([N, N, N]);
    expect(await tri('i IN (1, NULL)', data)).toEqual([T, N, N]);
    expect(await tri('i NOT IN (1, NULL)', data)).toEqual([F, N, N]);
    expect(await tri('i IS DISTINCT FROM 1', data)).toEqual([F, T, T]);
    expect(await tri('i IS NOT DISTINCT FROM NULL', data)).toEqual([F, F, T]);
    expect(await tri('TRUE', data)).toEqual([T, T, T]);
    const filter = evaluateFilter(bindPredicate(await parsePredicate('i > 2 OR NULL'), SCHEMA), batchOf(data));
    expect([...filter]).toEqual([0, 1, 0]);
  });

  it('compares integers and decimals exactly, across scales and beyond 2^53', async () => {
    expect(await tri('i = 5.0', rows('i', [5, 4]))).toEqual([T, F]);
    expect(await tri('i < 4.5', rows('i', [4, 5]))).toEqual([T, F]);
    expect(await tri("i = '5'", rows('i', [5]))).toEqual([T]);
    expect(await tri("i = '5.5'", rows('i', [5]))).toEqual([F]);
    expect(await tri('l = 9007199254740993', rows('l', [9007199254740993n, 9007199254740992n]))).toEqual([T, F]);
    expect(await tri('l > 9223372036854775806', rows('l', [2n ** 63n - 1n]))).toEqual([T]);
    expect(await tri('dec = 1.5', rows('dec', [150n, 151n]))).toEqual([T, F]);
    expect(await tri('dec > 1.505', rows('dec', [151n, 150n]))).toEqual([T, F]);
    expect(await tri('dec BETWEEN -1 AND 0.01', rows('dec', [-100n, 1n, 2n]))).toEqual([T, T, F]);
  });

  it('compares floats as DuckDB does: literal cast to FLOAT, NaN largest and equal to itself', async () => {
    expect(await tri('f = 0.1', rows('f', [Math.fround(0.1)]))).toEqual([T]);
    expect(await tri('f = 0.1::DOUBLE', rows('f', [Math.fround(0.1)]))).toEqual([F]);
    expect(await tri('d > 1e308', rows('d', [NaN, Infinity, 1]))).toEqual([T, T, F]);
    expect(await tri("d = 'NaN'::DOUBLE", rows('d', [NaN, 1]))).toEqual([T, F]);
    expect(await tri('d = 0', rows('d', [-0]))).toEqual([T]);
  });

  it('compares strings by code point (UTF-8 bytes), not UTF-16 units', async () => {
    // U+FFFD sorts before U+1F600 by code point, after it by UTF-16 unit.
    expect(await tri("s < '😀'", rows('s', ['\uFFFD', 'z', '😀']))).toEqual([T, T, F]);
    expect(await tri("s > 'z'", rows('s', ['é', 'a']))).toEqual([T, F]);
    expect(await tri("s = ''", rows('s', ['', null]))).toEqual([T, N]);
  });

  it('matches LIKE and ILIKE patterns, with ESCAPE', async () => {
    const data = rows('s', ['abc', 'ab', 'a%b', 'xabc', 'é', null, 'ABC']);
    expect(await tri("s LIKE 'ab%'", data)).toEqual([T, T, F, F, F, N, F]);
    expect(await tri("s LIKE '_b_'", data)).toEqual([T, F, F, F, F, N, F]);
    expect(await tri("s LIKE '%b%'", data)).toEqual([T, T, T, T, F, N, F]);
    expect(await tri("s LIKE 'a!%b' ESCAPE '!'", data)).toEqual([F, F, T, F, F, N, F]);
    expect(await tri("s NOT LIKE '_'", data)).toEqual([T, T, T, T, F, N, T]);
    expect(await tri("s ILIKE 'abc'", data)).toEqual([T, F, F, F, F, N, T]);
    await expect(parsePredicate("s LIKE 'a!' ESCAPE '!'")).rejects.toThrow(/must not end with its escape/);
  });

  it('compares dates with dates, timestamps and strings; timestamps in microseconds', async () => {
    const jan2 = 18629;
    expect(await tri("dt = '2021-01-02'", rows('dt', [jan2, jan2 + 1]))).toEqual([T, F]);
    expect(await tri("dt = DATE '2021-01-02'", rows('dt', [jan2]))).toEqual([T]);
    expect(await tri("dt < TIMESTAMP '2021-01-02 00:00:01'", rows('dt', [jan2, jan2 + 1]))).toEqual([T, F]);
    const micros = BigInt(jan2) * 86_400_000_000n;
    expect(await tri("ts = '2021-01-02 00:00:00.000001'", rows('ts', [micros + 1n, micros]))).toEqual([T, F]);
    expect(await tri("ts = TIMESTAMPTZ '2021-01-02 02:00:00+02'", rows('ts', [micros]))).toEqual([T]);
    // A TIMESTAMP literal ignores a zone in its text (as DuckDB's cast does).
    expect(await tri("ntz = TIMESTAMP '2021-01-02 02:00:00+02'", rows('ntz', [micros + 7_200_000_000n]))).toEqual([T]);
    expect(await tri("ts >= DATE '2021-01-02'", rows('ts', [micros - 1n, micros]))).toEqual([F, T]);
  });

  it('reads nested struct fields, NULL when the struct is', async () => {
    const data = rows('st', [{ x: 1, y: 'a' }, { x: null, y: 'b' }, null]);
    expect(await tri('st.x = 1', data)).toEqual([T, N, N]);
    expect(await tri('st.x IS NULL', data)).toEqual([F, T, T]);
    expect(await tri('st IS NULL', data)).toEqual([F, F, T]);
    expect(await tri("st.y LIKE 'b%'", data)).toEqual([F, T, N]);
    expect(await tri('"ST"."X" = 1', data)).toEqual([T, N, N]);
  });

  it('takes a boolean column as a condition', async () => {
    expect(await tri('b', rows('b', [true, false, null]))).toEqual([T, F, N]);
    expect(await tri("NOT b OR b = 'yes'", rows('b', [true, false, null]))).toEqual([T, T, N]);
  });

  it('refuses unknown columns, listing the columns, and incomparable types', async () => {
    const bind = async (sql: string) => bindPredicate(await parsePredicate(sql), SCHEMA);
    await expect(bind('nope = 1')).rejects.toMatchObject({ code: 'COLUMN_NOT_FOUND', message: expect.stringMatching(/its columns are i, l, dec/) });
    await expect(bind('st.z = 1')).rejects.toMatchObject({ code: 'COLUMN_NOT_FOUND', message: expect.stringMatching(/fields are x, y/) });
    await expect(bind('i.x = 1')).rejects.toMatchObject({ code: 'COLUMN_NOT_FOUND' });
    await expect(bind('s = 1')).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/cannot compare column s/) });
    await expect(bind("i = 'abc'")).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/not a number/) });
    await expect(bind("dt = 'tomorrow'")).rejects.toMatchObject({ code: 'USAGE' });
    await expect(bind("i LIKE '1%'")).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/LIKE matches strings only/) });
    await expect(bind('i')).rejects.toMatchObject({ code: 'USAGE' });
    await expect(bind('st = 1')).rejects.toMatchObject({ code: 'USAGE' });
    await expect(bind("st = 'x'")).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/compares only numbers/) });
    await expect(bind("st IN ('x', NULL)")).rejects.toMatchObject({ code: 'USAGE' });
    expect(await bind('NULL = NULL')).toEqual({ kind: 'constant', value: null });
  });

  it('works on sliced batches (offsets into buffers and bitmaps)', async () => {
    const data = [...rows('s', ['x', 'ab', null, 'abc']), ...rows('i', [1, 2, 3, 4])];
    const batch = batchOf(data).slice(1, 7);
    const bound = bindPredicate(await parsePredicate("s LIKE 'ab%' OR i > 2 OR st IS NULL"), SCHEMA);
    expect([...evaluatePredicate(bound, batch)]).toEqual([T, T, T, T, T, T]);
    const bound2 = bindPredicate(await parsePredicate("s LIKE 'ab%' OR i > 2"), SCHEMA);
    expect([...evaluatePredicate(bound2, batch)]).toEqual([T, N, T, N, N, T]);
  });

  it('binds nested names case-insensitively on any schema', async () => {
    const schema = new Schema([new Field('Wrap', new Struct([new Field('Inner', new Utf8(), true), new Field('n', new Int32(), true)]), true)]);
    const bound = bindPredicate(await parsePredicate("wrap.inner = 'a' AND WRAP.N > 0"), schema);
    expect(bound.kind).toBe('and');
    await expect(Promise.resolve().then(() => bindPredicate({ kind: 'isNull', operand: { kind: 'column', path: ['x'] } }, schema))).rejects.toBeInstanceOf(LakeError);
  });
});

// ---------------------------------------------------------------------------------------------
// DuckDB as the oracle: random rows, random predicates, same answers.

describe('row filtering agrees with DuckDB', () => {
  let connection: DuckDBConnection;
  beforeAll(async () => {
    const instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
    await connection.run("SET TimeZone = 'UTC'");
  });
  afterAll(() => connection?.closeSync());

  it('on 1,250 random predicates over 10 random tables of every type', async () => {
    // LAKE_PREDICATE_FUZZ=<tables>[,<seed>] runs a longer search.
    const [tables = 10, seed = 20240601] = (process.env['LAKE_PREDICATE_FUZZ'] ?? '').split(',').filter(Boolean).map(Number);
    const r = new Random(seed);
    let compared = 0;
    const failures: string[] = [];
    for (let table = 0; table < tables; table++) {
      const data = randomRows(r, 40);
      await connection.run('DROP TABLE IF EXISTS t');
      await connection.run(`CREATE TABLE t (id INTEGER, ${COLUMNS.map((c) => `"${c.name}" ${c.sql}`).join(', ')})`);
      const values = data.map((row, id) => `(${id}, ${COLUMNS.map((c) => (row[c.name] === null ? 'NULL' : c.literal(row[c.name]!))).join(', ')})`);
      await connection.run(`INSERT INTO t VALUES ${values.join(', ')}`);
      const batch = batchOf(data);
      for (let k = 0; k < 125; k++) {
        const sql = randomPredicate(r);
        let expected: number[];
        try {
          const result = await connection.runAndReadAll(`SELECT id FROM t WHERE ${sql} ORDER BY id`);
          expected = result.getRows().map((row) => Number(row[0]));
        } catch {
          continue; // DuckDB refuses it (e.g. a cast that fails): nothing to compare
        }
        let actual: number[];
        try {
          const mask = evaluateFilter(bindPredicate(await parsePredicate(sql), SCHEMA), batch);
          actual = [...mask].flatMap((keep, id) => (keep === 1 ? [id] : []));
        } catch (error) {
          failures.push(`${sql}: lake threw ${(error as Error).message}`);
          continue;
        }
        compared++;
        if (JSON.stringify(actual) !== JSON.stringify(expected)) {
          failures.push(`${sql}: lake ${JSON.stringify(actual)} DuckDB ${JSON.stringify(expected)}`);
        }
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
    expect(compared).toBeGreaterThan(tables * 100);
  }, 120_000);
});
