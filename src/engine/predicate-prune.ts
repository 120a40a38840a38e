/**
 * Pruning: can any row of a file satisfy a bound predicate, given what is known about the file's
 * columns (bounds and null counts from statistics, or the single value of a partition column)?
 * Format-neutral: Delta (src/delta/file-pruning.ts) and Iceberg supply the per-file facts.
 *
 * Each predicate node is evaluated to the set of truth values it may take on the file's rows,
 * a subset of {TRUE, FALSE, NULL}. Every step over-approximates (a value counted possible may be
 * impossible, never the reverse), so a file is skipped only when TRUE is impossible, which means no
 * row can match. NOT swaps TRUE and FALSE, which is why FALSE is tracked too.
 *
 * Rules for a comparison of ranges A (column bounds [min, max]) and B (a literal is [v, v]):
 * `a < b` can be TRUE iff min(A) < max(B), FALSE iff max(A) >= min(B), and so on for each
 * operator; `=` can be FALSE unless both sides are the same single value. NULL is possible when
 * either side may be null; a column whose rows are all null gives only NULL. `IS NULL` can be TRUE
 * iff the column may hold nulls and FALSE iff it may hold values. `LIKE 'p%…'` can be TRUE iff
 * [min, max] meets the strings starting with p. A float column without exact bounds may also hold
 * NaN (DuckDB orders it above every number; writers' statistics often leave it out).
 */
import {
  compareCanonical,
  scalarToCanonical,
  type BoundColumn,
  type BoundCompare,
  type BoundLike,
  type BoundOperand,
  type BoundPredicate,
  type Canonical,
  type Domain,
  type ScalarValue,
} from './predicate-bind.js';

/** What is known about one column of one file. Absent facts are unknown. */
export interface ColumnStats {
  /** 'none': no row is null; 'all': every row is null. */
  readonly nulls?: 'none' | 'all';
  /** A lower bound of the non-null values (the column's ScalarValue representation). */
  readonly min?: ScalarValue;
  /** An upper bound of the non-null values. */
  readonly max?: ScalarValue;
  /**
   * The bounds cover every value, NaN included (e.g. a partition value). Without it a float column
   * is assumed to possibly hold NaN beyond its max.
   */
  readonly exact?: boolean;
}

export interface FileStats {
  /** Rows the file contributes; 0 means no row can match. */
  readonly rowCount?: number;
  /** Facts about a column (as bound: schema path and type), or undefined when nothing is known. */
  column(column: BoundColumn): ColumnStats | undefined;
}

/** Truth-value sets as bit masks. */
export const MAY_TRUE = 1;
export const MAY_FALSE = 2;
export const MAY_NULL = 4;
const ANY = MAY_TRUE | MAY_FALSE | MAY_NULL;

/** False when no row of the file can satisfy the predicate: the file can be skipped. */
export function mayMatch(predicate: BoundPredicate, stats: FileStats): boolean {
  if (stats.rowCount === 0) return false;
  return (possibleOutcomes(predicate, stats) & MAY_TRUE) !== 0;
}

/** The truth values the predicate may take on the file's rows (MAY_TRUE | MAY_FALSE | MAY_NULL). */
export function possibleOutcomes(p: BoundPredicate, stats: FileStats): number {
  switch (p.kind) {
    case 'constant':
      return p.value === null ? MAY_NULL : p.value ? MAY_TRUE : MAY_FALSE;
    case 'not': {
      const child = possibleOutcomes(p.child, stats);
      return (child & MAY_NULL) | (child & MAY_TRUE ? MAY_FALSE : 0) | (child & MAY_FALSE ? MAY_TRUE : 0);
    }
    case 'and':
    case 'or': {
      // AND: TRUE needs every child TRUE; FALSE needs one FALSE; NULL needs one NULL and no FALSE.
      // OR is the dual. Per-child sets lose correlations between children: over-approximate.
      const winner = p.kind === 'and' ? MAY_FALSE : MAY_TRUE;
      const loser = p.kind === 'and' ? MAY_TRUE : MAY_FALSE;
      let allLoser = true;
      let anyWinner = false;
      let allLoserOrNull = true;
      let anyNull = false;
      for (const child of p.children) {
        const c = possibleOutcomes(child, stats);
        if (!(c & loser)) allLoser = false;
        if (c & winner) anyWinner = true;
        if (!(c & (loser | MAY_NULL))) allLoserOrNull = false;
        if (c & MAY_NULL) anyNull = true;
      }
      return (allLoser ? loser : 0) | (anyWinner ? winner : 0) | (allLoserOrNull && anyNull ? MAY_NULL : 0);
    }
    case 'isNull': {
      const facts = stats.column(p.column);
      return (facts?.nulls !== 'none' ? MAY_TRUE : 0) | (facts?.nulls !== 'all' ? MAY_FALSE : 0);
    }
    case 'like':
      return like(p, stats);
    case 'compare':
      return compare(p, stats);
  }
}

interface Interval {
  /** undefined: unbounded. */
  readonly lo: Canonical | undefined;
  readonly hi: Canonical | undefined;
}

interface Range {
  readonly mayBeNull: boolean;
  /** Where the non-null values may lie; empty when every row is null. */
  readonly intervals: readonly Interval[];
}

function range(operand: BoundOperand, domain: Domain, scale: number, single: boolean, stats: FileStats): Range {
  if (operand.kind === 'literal') return { mayBeNull: false, intervals: [{ lo: operand.value, hi: operand.value }] };
  const column = operand.column;
  const facts = stats.column(column);
  if (facts?.nulls === 'all') return { mayBeNull: true, intervals: [] };
  const convert = (value: ScalarValue | undefined): Canonical | undefined => {
    const converted = value === undefined ? undefined : scalarToCanonical(value, column.category, domain, scale);
    // Rounding to FLOAT is monotone, so rounded bounds bound the rounded values.
    return single && converted !== undefined ? Math.fround(converted as number) : converted;
  };
  const lo = convert(facts?.min);
  const hi = convert(facts?.max);
  const intervals: Interval[] = [{ lo, hi }];
  if (column.category.kind === 'float' && facts?.exact !== true && hi !== undefined && !Number.isNaN(hi as number)) {
    intervals.push({ lo: NaN, hi: NaN });
  }
  return { mayBeNull: facts?.nulls !== 'none', intervals };
}

function compare(p: BoundCompare, stats: FileStats): number {
  const left = range(p.left, p.domain, p.scale, p.single, stats);
  const right = range(p.right, p.domain, p.scale, p.single, stats);
  let out = left.mayBeNull || right.mayBeNull ? MAY_NULL : 0;
  for (const a of left.intervals) {
    for (const b of right.intervals) {
      out |= intervalOutcomes(p.op, a, b, p.domain);
      if ((out & ANY) === ANY) return out;
    }
  }
  return out;
}

/** Whether `x ? y` may hold, an undefined bound being infinite (so it always may). */
function may(domain: Domain, x: Canonical | undefined, y: Canonical | undefined, test: (c: number) => boolean): boolean {
  return x === undefined || y === undefined || test(compareCanonical(domain, x, y));
}

const lt = (c: number): boolean => c < 0;
const le = (c: number): boolean => c <= 0;
const gt = (c: number): boolean => c > 0;
const ge = (c: number): boolean => c >= 0;

function intervalOutcomes(op: BoundCompare['op'], a: Interval, b: Interval, d: Domain): number {
  const result = (t: boolean, f: boolean): number => (t ? MAY_TRUE : 0) | (f ? MAY_FALSE : 0);
  switch (op) {
    case '<':
      return result(may(d, a.lo, b.hi, lt), may(d, a.hi, b.lo, ge));
    case '<=':
      return result(may(d, a.lo, b.hi, le), may(d, a.hi, b.lo, gt));
    case '>':
      return result(may(d, a.hi, b.lo, gt), may(d, a.lo, b.hi, le));
    case '>=':
      return result(may(d, a.hi, b.lo, ge), may(d, a.lo, b.hi, lt));
    case '=':
    case '<>': {
      const overlap = may(d, a.lo, b.hi, le) && may(d, b.lo, a.hi, le);
      const samePoint =
        a.lo !== undefined &&
        a.hi !== undefined &&
        b.lo !== undefined &&
        b.hi !== undefined &&
        compareCanonical(d, a.lo, a.hi) === 0 &&
        compareCanonical(d, b.lo, b.hi) === 0 &&
        compareCanonical(d, a.lo, b.lo) === 0;
      return op === '=' ? result(overlap, !samePoint) : result(!samePoint, overlap);
    }
  }
}

function like(p: BoundLike, stats: FileStats): number {
  const facts = stats.column(p.column);
  const nulls = facts?.nulls !== 'none' ? MAY_NULL : 0;
  if (facts?.nulls === 'all') return MAY_NULL;
  const prefix = p.prefix;
  if (prefix === undefined) return nulls | MAY_TRUE | MAY_FALSE;
  const convert = (value: ScalarValue | undefined): Uint8Array | undefined =>
    value === undefined ? undefined : (scalarToCanonical(value, p.column.category, 'string', 0) as Uint8Array | undefined);
  const lo = convert(facts?.min);
  const hi = convert(facts?.max);
  // The strings that start with `prefix` are exactly [prefix, after) in byte (code point) order.
  const after = successor(prefix);
  const mayTrue = may('string', hi, prefix, ge) && may('string', lo, after, lt);
  const allMatch = p.prefixOnly && lo !== undefined && hi !== undefined && after !== undefined && compareCanonical('string', lo, prefix) >= 0 && compareCanonical('string', hi, after) < 0;
  return nulls | (mayTrue ? MAY_TRUE : 0) | (allMatch ? 0 : MAY_FALSE);
}

/** The smallest byte string greater than every string starting with `prefix` (undefined: none). */
export function successor(prefix: Uint8Array): Uint8Array | undefined {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return undefined;
  const out = prefix.slice(0, end);
  out[end - 1] = out[end - 1]! + 1;
  return out;
}
