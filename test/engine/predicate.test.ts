import { describe, expect, it } from 'vitest';
import { parseExactJson, JsonNumber } from '../../src/engine/predicate-json.js';
import { castLiteral, column, literal, parsePredicate, predicateColumns, type Predicate } from '../../src/engine/predicate.js';
import { parseDateText, parseDecimalText, parseTimestampText, rescale } from '../../src/engine/predicate-values.js';

const int = (n: bigint | number) => literal({ type: 'integer', value: BigInt(n) });
const str = (value: string) => literal({ type: 'string', value });

describe('parsing SQL predicates with DuckDB into the IR', () => {
  it('turns comparisons, AND/OR/NOT and IS NULL into IR nodes', async () => {
    expect(await parsePredicate('a = 1')).toEqual({ kind: 'compare', op: '=', left: column('a'), right: int(1) });
    expect(await parsePredicate("a <> 'x' AND NOT b IS NULL OR c >= 2")).toEqual({
      kind: 'or',
      children: [
        {
          kind: 'and',
          children: [
            { kind: 'compare', op: '<>', left: column('a'), right: str('x') },
            { kind: 'not', child: { kind: 'isNull', operand: column('b') } },
          ],
        },
        { kind: 'compare', op: '>=', left: column('c'), right: int(2) },
      ],
    });
    expect(await parsePredicate('a != 1')).toMatchObject({ op: '<>' });
    expect(await parsePredicate('a IS NOT NULL')).toEqual({ kind: 'not', child: { kind: 'isNull', operand: column('a') } });
  });

  it('reads nested and quoted column names', async () => {
    expect(await parsePredicate('a.b.c < 1')).toMatchObject({ left: column('a', 'b', 'c') });
    expect(await parsePredicate('"weird name.x" = 1')).toMatchObject({ left: column('weird name.x') });
    expect(await parsePredicate('"Mixed"."Case" = 1')).toMatchObject({ left: column('Mixed', 'Case') });
  });

  it('keeps IN lists and BETWEEN as nodes (they compare in one common type)', async () => {
    expect(await parsePredicate('a IN (1, NULL)')).toEqual({ kind: 'in', operand: column('a'), list: [int(1), literal({ type: 'null' })] });
    expect(await parsePredicate('a NOT IN (1)')).toEqual({ kind: 'not', child: { kind: 'in', operand: column('a'), list: [int(1)] } });
    expect(await parsePredicate('a BETWEEN 1 AND 2')).toEqual({ kind: 'between', operand: column('a'), low: int(1), high: int(2) });
    expect(await parsePredicate('a NOT BETWEEN 1 AND 2')).toMatchObject({ kind: 'not', child: { kind: 'between' } });
  });

  it('reads LIKE, ILIKE, NOT LIKE and ESCAPE', async () => {
    expect(await parsePredicate("s LIKE 'a%'")).toEqual({ kind: 'like', operand: column('s'), pattern: 'a%', caseInsensitive: false });
    expect(await parsePredicate("s NOT ILIKE 'a_'")).toEqual({
      kind: 'not',
      child: { kind: 'like', operand: column('s'), pattern: 'a_', caseInsensitive: true },
    });
    expect(await parsePredicate("s LIKE 'a!%' ESCAPE '!'")).toEqual({ kind: 'like', operand: column('s'), pattern: 'a!%', escape: '!', caseInsensitive: false });
    expect(await parsePredicate('s LIKE NULL')).toEqual({ kind: 'constant', value: null });
    await expect(parsePredicate("s LIKE 'a' ESCAPE 'ab'")).rejects.toThrow(/single character/);
    await expect(parsePredicate('s LIKE t')).rejects.toMatchObject({ code: 'UNSUPPORTED_PREDICATE' });
  });

  it('reads literals exactly: 64- and 128-bit integers, decimals, doubles, strings', async () => {
    const right = async (sql: string) => ((await parsePredicate(`a = ${sql}`)) as Extract<Predicate, { kind: 'compare' }>).right;
    expect(await right('9223372036854775807')).toEqual(int(9223372036854775807n));
    expect(await right('-9223372036854775808')).toEqual(int(-9223372036854775808n));
    expect(await right('170141183460469231731687303715884105727')).toEqual(int(2n ** 127n - 1n));
    expect(await right('123456789012345678901234567.89')).toEqual(literal({ type: 'decimal', unscaled: 12345678901234567890123456789n, scale: 2 }));
    expect(await right('1.50')).toEqual(literal({ type: 'decimal', unscaled: 15n, scale: 1 }));
    expect(await right('-0.5')).toEqual(literal({ type: 'decimal', unscaled: -5n, scale: 1 }));
    expect(await right('1e3')).toEqual(literal({ type: 'float', value: 1000 }));
    expect(await right("'it''s'")).toEqual(str("it's"));
    expect(await right('NULL')).toEqual(literal({ type: 'null' }));
    expect(await right('TRUE')).toEqual(literal({ type: 'boolean', value: true }));
    expect(await right('+5')).toEqual(int(5));
  });

  it('evaluates casts of literals: DATE, TIMESTAMP, TIMESTAMPTZ, numbers, booleans', async () => {
    const right = async (sql: string) => ((await parsePredicate(`a = ${sql}`)) as Extract<Predicate, { kind: 'compare' }>).right;
    expect(await right("DATE '2021-01-02'")).toEqual(literal({ type: 'date', days: 18629 }));
    expect(await right("TIMESTAMP '1970-01-01 00:00:01.5'")).toEqual(literal({ type: 'timestamp', micros: 1_500_000n, utc: false }));
    expect(await right("TIMESTAMP '1970-01-01 02:00:00+02'")).toEqual(literal({ type: 'timestamp', micros: 7_200_000_000n, utc: false }));
    expect(await right("TIMESTAMPTZ '1970-01-01 02:00:00+02'")).toEqual(literal({ type: 'timestamp', micros: 0n, utc: true }));
    expect(await right("'1969-12-31'::DATE")).toEqual(literal({ type: 'date', days: -1 }));
    expect(await right("'5.5'::INT")).toEqual(int(6));
    expect(await right("CAST('-2.5' AS BIGINT)")).toEqual(int(-3));
    expect(await right("'1.505'::DECIMAL(5,2)")).toEqual(literal({ type: 'decimal', unscaled: 151n, scale: 2 }));
    expect(await right("'0.1'::FLOAT")).toEqual(literal({ type: 'float', value: Math.fround(0.1), single: true }));
    expect(await right("'yes'::BOOLEAN")).toEqual(literal({ type: 'boolean', value: true }));
    expect(await right("TRY_CAST('x' AS INT)")).toEqual(literal({ type: 'null' }));
    await expect(right("'x'::INT")).rejects.toMatchObject({ code: 'USAGE' });
    await expect(right('300::TINYINT')).rejects.toMatchObject({ code: 'USAGE' });
    await expect(right("DATE '2021-02-30'")).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('expands IS [NOT] DISTINCT FROM into null-safe logic', async () => {
    const p = await parsePredicate('a IS NOT DISTINCT FROM 1');
    expect(p.kind).toBe('or');
    expect((await parsePredicate('a IS DISTINCT FROM 1')).kind).toBe('not');
  });

  it('takes a column or constant as a whole condition', async () => {
    expect(await parsePredicate('flag')).toEqual({ kind: 'compare', op: '=', left: column('flag'), right: literal({ type: 'boolean', value: true }) });
    expect(await parsePredicate('TRUE')).toEqual({ kind: 'constant', value: true });
    expect(await parsePredicate('NULL')).toEqual({ kind: 'constant', value: null });
    expect(await parsePredicate('1')).toEqual({ kind: 'constant', value: true });
  });

  it('reports syntax errors with DuckDB message and position', async () => {
    await expect(parsePredicate('a = ')).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/not valid SQL: syntax error.*character 5/) });
    await expect(parsePredicate('')).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('refuses anything but one expression: more statements, clauses, set operations', async () => {
    for (const sql of ['a = 1; DROP TABLE t', 'a = 1 ORDER BY 1', 'a = 1 LIMIT 1', 'a = 1 GROUP BY a', 'a = 1 UNION SELECT 1', '1=1) OR (1=1']) {
      await expect(parsePredicate(sql), sql).rejects.toMatchObject({ code: 'USAGE' });
    }
  });

  it('names constructs it cannot evaluate: arithmetic, functions, casts of columns, subqueries', async () => {
    await expect(parsePredicate('a + 1 > 2')).rejects.toMatchObject({ code: 'UNSUPPORTED_PREDICATE', message: expect.stringMatching(/operator \+/) });
    await expect(parsePredicate('lower(s) = 1')).rejects.toMatchObject({ code: 'UNSUPPORTED_PREDICATE', message: expect.stringMatching(/function lower\(\)/) });
    await expect(parsePredicate('a::VARCHAR = 1')).rejects.toMatchObject({ code: 'UNSUPPORTED_PREDICATE', message: expect.stringMatching(/casts of columns/) });
    await expect(parsePredicate('a IN (SELECT 1)')).rejects.toMatchObject({ code: 'UNSUPPORTED_PREDICATE', message: expect.stringMatching(/subquery/) });
    await expect(parsePredicate('CASE WHEN a THEN b END')).rejects.toMatchObject({ code: 'UNSUPPORTED_PREDICATE' });
    await expect(parsePredicate("s = 'a' COLLATE nocase")).rejects.toMatchObject({ code: 'UNSUPPORTED_PREDICATE' });
  });

  it('lists the columns a predicate reads', async () => {
    expect(predicateColumns(await parsePredicate('a = 1 AND (b.c IN (1) OR a IS NULL) AND d BETWEEN 1 AND 2'))).toEqual([['a'], ['b', 'c'], ['d']]);
  });

  it('casts literals as DuckDB does (castLiteral)', () => {
    expect(castLiteral({ type: 'integer', value: 1n }, 'VARCHAR', undefined)).toEqual({ type: 'string', value: '1' });
    expect(castLiteral({ type: 'timestamp', micros: 86_400_000_001n, utc: true }, 'DATE', undefined)).toEqual({ type: 'date', days: 1 });
    expect(castLiteral({ type: 'string', value: '\\xAA' }, 'BLOB', undefined)).toEqual({ type: 'binary', value: Uint8Array.of(0xaa) });
  });
});

describe('literal text and exact JSON', () => {
  it('parses decimals exactly and rescales with the rounding asked', () => {
    expect(parseDecimalText('  -1.2500 ')).toEqual({ unscaled: -125n, scale: 2 });
    expect(parseDecimalText('1.5e3')).toEqual({ unscaled: 1500n, scale: 0 });
    expect(parseDecimalText('12E-3')).toEqual({ unscaled: 12n, scale: 3 });
    expect(parseDecimalText('1.2.3')).toBeUndefined();
    expect(rescale(-125n, 2, 1)).toBe(-13n);
    expect(rescale(-125n, 2, 1, 'floor')).toBe(-13n);
    expect(rescale(-125n, 2, 1, 'ceil')).toBe(-12n);
    expect(rescale(124n, 2, 1)).toBe(12n);
  });

  it('parses dates and timestamps as DuckDB casts them', () => {
    expect(parseDateText('2021-01-01')).toBe(18628);
    expect(parseDateText('2021-1-1 10:00')).toBe(18628);
    expect(parseDateText('0000-03-01')).toBe(-719468);
    expect(parseDateText('2021-02-29')).toBeUndefined();
    expect(parseTimestampText('2000-01-01T00:00:00.000-08:00', true)).toBe(946_713_600_000_000n);
    expect(parseTimestampText('2000-01-01T00:00:00.000-08:00', false)).toBe(946_684_800_000_000n);
    expect(parseTimestampText('2000-01-01 00:00:00.1234567', false)).toBe(946_684_800_123_456n);
    expect(parseTimestampText('2000-01-01 24:00:00', false)).toBe(946_771_200_000_000n);
    expect(parseTimestampText('2000-01-01 01:02:03 UTC', true)).toBe(946_688_523_000_000n);
    expect(parseTimestampText('2000-01-01 25:00', true)).toBeUndefined();
  });

  it('keeps JSON numbers as text', () => {
    const parsed = parseExactJson('{"a": 9007199254740993, "b": [1.10, -2e5], "__proto__": {"c": "\\u00e9"}}') as Record<string, unknown>;
    expect((parsed['a'] as JsonNumber).toBigInt()).toBe(9007199254740993n);
    expect((parsed['b'] as JsonNumber[]).map((n) => n.text)).toEqual(['1.10', '-2e5']);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(['a', 'b', '__proto__']);
    expect(() => parseExactJson('{"a": 1,}')).toThrow(SyntaxError);
    expect(() => parseExactJson('[1] x')).toThrow(SyntaxError);
  });
});
