import { describe, expect, it } from 'vitest';
import { bindPredicate, type BoundColumn, type BoundPredicate } from '../../src/engine/predicate-bind.js';
import { evaluateFilter } from '../../src/engine/predicate-eval.js';
import { mayMatch, possibleOutcomes, successor, MAY_FALSE, MAY_NULL, MAY_TRUE, type ColumnStats, type FileStats } from '../../src/engine/predicate-prune.js';
import { parsePredicate } from '../../src/engine/predicate.js';
import { batchOf, Random, randomPredicate, randomRows, SCHEMA, type Row, type Value } from './predicate-fixtures.js';

async function bind(sql: string): Promise<BoundPredicate> {
  return bindPredicate(await parsePredicate(sql), SCHEMA);
}

/** FileStats from a map of dotted column path → facts. */
function stats(columns: Record<string, ColumnStats>, rowCount?: number): FileStats {
  return { ...(rowCount === undefined ? {} : { rowCount }), column: (c: BoundColumn) => columns[c.path.join('.')] };
}

async function may(sql: string, facts: Record<string, ColumnStats>): Promise<boolean> {
  return mayMatch(await bind(sql), stats(facts));
}

async function outcomes(sql: string, facts: Record<string, ColumnStats>): Promise<number> {
  return possibleOutcomes(await bind(sql), stats(facts));
}

describe('pruning rules', () => {
  const i = { i: { nulls: 'none', min: 10, max: 20 } } as const;

  it('compares the literal with min and max, per operator', async () => {
    expect(await may('i > 20', i)).toBe(false);
    expect(await may('i > 19', i)).toBe(true);
    expect(await may('i >= 20', i)).toBe(true);
    expect(await may('i >= 21', i)).toBe(false);
    expect(await may('i < 10', i)).toBe(false);
    expect(await may('i <= 10', i)).toBe(true);
    expect(await may('i = 9', i)).toBe(false);
    expect(await may('i = 21', i)).toBe(false);
    expect(await may('i = 15', i)).toBe(true);
    expect(await may('15 < i', i)).toBe(true);
    expect(await may('25 < i', i)).toBe(false);
    expect(await may('i <> 15', i)).toBe(true);
    expect(await may('i <> 15', { i: { min: 15, max: 15, nulls: 'none' } })).toBe(false);
    expect(await may('i BETWEEN 21 AND 30', i)).toBe(false);
    expect(await may('i BETWEEN 0 AND 10', i)).toBe(true);
    expect(await may('i IN (1, 2, 30)', i)).toBe(false);
    expect(await may('i IN (1, 12)', i)).toBe(true);
    expect(await may('i = 20.5', i)).toBe(false);
    expect(await may("i = '15'", i)).toBe(true);
  });

  it('treats missing bounds as unbounded and skips files with no rows', async () => {
    expect(await may('i > 100', { i: { min: 10 } })).toBe(true);
    expect(await may('i < 0', { i: { min: 10 } })).toBe(false);
    expect(await may('i > 100', {})).toBe(true);
    expect(mayMatch(await bind('i > 100'), stats({}, 0))).toBe(false);
    expect(mayMatch(await bind('TRUE'), stats({}, 0))).toBe(false);
  });

  it('uses null counts: IS NULL, IS NOT NULL, all-null columns', async () => {
    expect(await may('i IS NULL', { i: { nulls: 'none' } })).toBe(false);
    expect(await may('i IS NULL', {})).toBe(true);
    expect(await may('i IS NOT NULL', { i: { nulls: 'all' } })).toBe(false);
    expect(await may('i = 1', { i: { nulls: 'all' } })).toBe(false);
    expect(await may('NOT (i = 1)', { i: { nulls: 'all' } })).toBe(false);
    expect(await may('i = 1 OR i IS NULL', { i: { nulls: 'all' } })).toBe(true);
    expect(await outcomes('i > 5', { i: { min: 10, max: 20 } })).toBe(MAY_TRUE | MAY_NULL);
    expect(await outcomes('i > 5', i)).toBe(MAY_TRUE);
  });

  it('pushes NOT through: a file where the condition always holds is skipped for its negation', async () => {
    expect(await may('NOT (i >= 10)', i)).toBe(false);
    expect(await may('NOT (i >= 10)', { i: { min: 10, max: 20 } })).toBe(false); // nulls: NOT NULL is NULL
    expect(await may('NOT (i > 10)', i)).toBe(true);
    expect(await may('NOT (i IS NULL OR i > 5)', i)).toBe(false);
    expect(await may('i NOT IN (1, 2)', i)).toBe(true);
    expect(await may('i NOT BETWEEN 0 AND 30', i)).toBe(false);
    expect(await may('NOT (i = 15)', { i: { min: 15, max: 15, nulls: 'none' } })).toBe(false);
  });

  it('combines AND and OR', async () => {
    expect(await may('i > 5 AND i < 8', i)).toBe(false);
    expect(await may('i > 25 OR i < 8', i)).toBe(false);
    expect(await may('i > 25 OR i < 12', i)).toBe(true);
    expect(await may('i > 25 AND s = 1::VARCHAR', i)).toBe(false);
    expect(await may('i IS DISTINCT FROM 15', { i: { min: 15, max: 15, nulls: 'none' } })).toBe(false);
    expect(await may('i IS NOT DISTINCT FROM NULL', i)).toBe(false);
    expect(await may('i IS NOT DISTINCT FROM NULL', { i: { min: 10, max: 20 } })).toBe(true);
  });

  it('prunes strings by code point and LIKE by prefix', async () => {
    const s = { s: { nulls: 'none', min: 'b', max: 'bz' } } as const;
    expect(await may("s = 'a'", s)).toBe(false);
    expect(await may("s = 'c'", s)).toBe(false);
    expect(await may("s > 'bz'", s)).toBe(false);
    expect(await may("s LIKE 'a%'", s)).toBe(false);
    expect(await may("s LIKE 'c%'", s)).toBe(false);
    expect(await may("s LIKE 'b%'", s)).toBe(true);
    expect(await may("s LIKE 'bza_%'", s)).toBe(false);
    expect(await may("s LIKE 'bz_%'", s)).toBe(true); // only the text before the first wildcard is used
    expect(await may("s LIKE 'bza%'", { s: { min: 'b', max: 'bzz' } })).toBe(true);
    expect(await may("s LIKE '%a'", s)).toBe(true);
    expect(await may("s NOT LIKE 'b%'", s)).toBe(false);
    expect(await may("s NOT LIKE 'b%'", { s: { nulls: 'none', min: 'a', max: 'bz' } })).toBe(true);
    expect(await may("s ILIKE 'a%'", s)).toBe(true);
    // U+FFFD < U+1F600 by code point (the opposite of UTF-16 order).
    expect(await may("s > '\uFFFD'", { s: { min: 'a', max: '😀' } })).toBe(true);
    expect(await may("s < '😀'", { s: { min: '\uFFFD', max: '\uFFFD' } })).toBe(true);
    expect(await may("s > '😀'", { s: { min: 'a', max: '\uFFFD' } })).toBe(false);
    expect([...successor(new Uint8Array([0x61, 0xff]))!]).toEqual([0x62]);
    expect(successor(new Uint8Array([0xff]))).toBeUndefined();
  });

  it('compares decimals, dates and timestamps exactly, with string literals cast', async () => {
    expect(await may('dec > 1.505', { dec: { min: 100n, max: 150n } })).toBe(false);
    expect(await may('dec >= 1.5', { dec: { min: 100n, max: 150n } })).toBe(true);
    expect(await may("dt = '2021-01-03'", { dt: { min: 18628, max: 18629 } })).toBe(false);
    expect(await may("dt < TIMESTAMP '2021-01-01 00:00:01'", { dt: { min: 18628, max: 18629 } })).toBe(true);
    const midnight = 18628n * 86_400_000_000n;
    expect(await may("ts > '2021-01-01 00:00:00'", { ts: { min: midnight - 5n, max: midnight } })).toBe(false);
    expect(await may("ts > '2020-12-31 23:00:00-01:00'", { ts: { min: midnight - 5n, max: midnight } })).toBe(false);
    expect(await may('l = 9007199254740993', { l: { min: 9007199254740992n, max: 9007199254740992n } })).toBe(false);
    expect(await may('l = 9007199254740993', { l: { min: 9007199254740992n, max: 9007199254740994n } })).toBe(true);
  });

  it('assumes a float column may hold NaN above its max unless the bounds are exact', async () => {
    expect(await may('d > 5', { d: { nulls: 'none', min: 0, max: 1 } })).toBe(true); // NaN > 5
    expect(await may('d > 5', { d: { nulls: 'none', min: 0, max: 1, exact: true } })).toBe(false);
    expect(await may('d = 5', { d: { nulls: 'none', min: 0, max: 1 } })).toBe(false);
    expect(await may('d < 0', { d: { nulls: 'none', min: 0, max: 1 } })).toBe(false);
    expect(await may("d = 'NaN'::DOUBLE", { d: { nulls: 'none', min: 0, max: 1 } })).toBe(true);
    expect(await may("d = 'NaN'::DOUBLE", { d: { nulls: 'none', min: 0, max: 1, exact: true } })).toBe(false);
    expect(await may('f = 0.1', { f: { nulls: 'none', min: Math.fround(0.1), max: Math.fround(0.1) } })).toBe(true);
    expect(await may('f > 0.1', { f: { nulls: 'none', min: Math.fround(0.1), max: Math.fround(0.1), exact: true } })).toBe(false);
  });

  it('reads nested columns by their path', async () => {
    expect(await may('st.x > 5', { 'st.x': { min: 0, max: 3 } })).toBe(false);
    expect(await may('st.x > 2', { 'st.x': { min: 0, max: 3 } })).toBe(true);
  });

  it('never prunes on a constant TRUE, always on FALSE and NULL', async () => {
    expect(await may('TRUE', {})).toBe(true);
    expect(await may('FALSE', {})).toBe(false);
    expect(await may('NULL', {})).toBe(false);
    expect(await outcomes('NULL', {})).toBe(MAY_NULL);
    expect(await outcomes('NOT FALSE', {})).toBe(MAY_TRUE);
    expect(MAY_FALSE).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: pruning never drops a file the row filter would return rows from.

const LEAF_PATHS = ['i', 'l', 'dec', 'd', 'f', 's', 'dt', 'ts', 'ntz', 'b', 'st.x', 'st.y'];

function leafValue(row: Row, path: string): Value {
  const [top, child] = path.split('.');
  const v = row[top!] ?? null;
  if (child === undefined) return v;
  return v === null ? null : ((v as Record<string, Value>)[child] ?? null);
}

function less(a: Value, b: Value): boolean {
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0;
  return (a as number) < (b as number);
}

/** Statistics of `rows` as a writer would compute them (min/max over non-null, non-NaN values), loosened at random. */
function statsOf(rows: readonly Row[], r: Random): FileStats {
  const columns: Record<string, ColumnStats> = {};
  for (const path of LEAF_PATHS) {
    if (r.chance(0.1)) continue; // no statistics for this column
    const values = rows.map((row) => leafValue(row, path));
    const present = values.filter((v) => v !== null && !(typeof v === 'number' && Number.isNaN(v)));
    const nulls = values.every((v) => v === null) ? 'all' : values.every((v) => v !== null) ? 'none' : undefined;
    let min = present.reduce<Value>((m, v) => (m === null || less(v, m) ? v : m), null);
    let max = present.reduce<Value>((m, v) => (m === null || less(m, v) ? v : m), null);
    // Wide bounds: a smaller min, a larger max (as after deletes, or truncation).
    if (min !== null && r.chance(0.2)) min = typeof min === 'bigint' ? min - 1n : typeof min === 'number' ? min - 1 : typeof min === 'string' ? min.slice(0, r.int(min.length + 1)) : min;
    if (max !== null && r.chance(0.2)) max = typeof max === 'bigint' ? max + 1n : typeof max === 'number' ? max + 1 : typeof max === 'string' ? `${max}\u{10FFFF}` : max;
    columns[path] = {
      ...(nulls === undefined || r.chance(0.1) ? {} : { nulls }),
      ...(min === null || r.chance(0.1) ? {} : { min: min as never }),
      ...(max === null || r.chance(0.1) ? {} : { max: max as never }),
    };
  }
  return { rowCount: rows.length, column: (c) => columns[c.path.join('.')] };
}

describe('pruning is conservative', () => {
  it('skips only files where the row filter keeps nothing (2,400 random predicates × their files)', async () => {
    // LAKE_PREDICATE_FUZZ=<tables>[,<seed>] runs a longer search.
    const [tables = 12, seed = 42] = (process.env['LAKE_PREDICATE_FUZZ'] ?? '').split(',').filter(Boolean).map(Number);
    const r = new Random(seed);
    let files = 0;
    let pruned = 0;
    const failures: string[] = [];
    for (let table = 0; table < tables; table++) {
      const rows = randomRows(r, 60);
      const groups: Row[][] = [];
      for (let start = 0; start < rows.length; ) {
        const size = 1 + r.int(6);
        groups.push(rows.slice(start, start + size));
        start += size;
      }
      const batches = groups.map((g) => batchOf(g));
      const facts = groups.map((g) => statsOf(g, r));
      for (let k = 0; k < 200; k++) {
        const sql = randomPredicate(r);
        let bound: BoundPredicate;
        try {
          bound = await bind(sql);
        } catch {
          continue;
        }
        groups.forEach((group, g) => {
          files++;
          if (mayMatch(bound, facts[g]!)) return;
          pruned++;
          const kept = [...evaluateFilter(bound, batches[g]!)].filter((v) => v === 1).length;
          if (kept > 0) failures.push(`${sql}: file ${JSON.stringify(group, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))} pruned but ${kept} rows match`);
        });
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
    // Pruning is not vacuous: a good share of (predicate, file) pairs are skipped.
    expect(pruned / files).toBeGreaterThan(0.2);
  }, 120_000);
});

