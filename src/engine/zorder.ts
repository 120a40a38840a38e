/**
 * Z-order (Morton) sort keys in DuckDB SQL, shared by the formats' OPTIMIZE … ZORDER BY.
 *
 * The encoding, and why:
 * 1. Each column becomes a number that preserves its order: integers, decimals and floats their
 *    value; dates days since the epoch; timestamps microseconds; strings and binaries their first
 *    6 bytes read as a big-endian number (48 bits: exact in a double; order beyond the prefix is
 *    not seen, as in every prefix-based scheme). NULL sorts first, NaN last.
 * 2. That number is mapped linearly onto [0, 2^b) between the minimum and maximum the rows being
 *    sorted hold (b = 62 / number of columns, at most 16: 65,536 steps per column already order
 *    rows far finer than files split them; more bits only cost time). A raw encoding wastes most of its bits
 *    on what all rows share (timestamps of one year agree in their top 20 bits; small ints in
 *    their top 50), and interleaving such bits clusters nothing; normalized to the observed range,
 *    every interleaved bit splits the data. (Spark instead ranks values into range ids, which also
 *    evens out skew at the cost of a sort per column; skewed columns cluster less well here.)
 * 3. The b-bit keys are interleaved bit by bit, most significant first, column 1's bit above
 *    column 2's at each level: the Morton key, a BIGINT. Interleaving in that order (rather than
 *    concatenating bytes of the columns, which some implementations do) is what makes rows close
 *    in every column close in the key.
 */
import { Type, type DataType } from 'apache-arrow';
import { LakeError } from '../errors.js';
import { sqlIdentifier } from './duckdb-session.js';

export interface ZOrderColumn {
  readonly name: string;
  readonly type: DataType;
}

/** The SQL of a column's order-preserving number (DOUBLE), NULL for NULL. */
export function orderNumberSql(column: ZOrderColumn): string {
  const c = sqlIdentifier(column.name);
  switch (column.type.typeId) {
    case Type.Int:
    case Type.Decimal:
      return `CAST(${c} AS DOUBLE)`;
    case Type.Float:
      return `CASE WHEN isnan(${c}) THEN 'Infinity'::DOUBLE ELSE CAST(${c} AS DOUBLE) END`;
    case Type.Date:
      return `CAST(date_diff('day', DATE '1970-01-01', ${c}) AS DOUBLE)`;
    case Type.Timestamp:
      return `CAST(epoch_us(${c}) AS DOUBLE)`;
    case Type.Bool:
      return `CAST(CAST(${c} AS INTEGER) AS DOUBLE)`;
    case Type.Utf8:
    case Type.LargeUtf8:
      return prefixNumber(`encode(${c})`, c);
    case Type.Binary:
    case Type.LargeBinary:
      return prefixNumber(c, c);
    default:
      throw new LakeError('UNSUPPORTED_ZORDER', `cannot Z-order by ${column.name}: its type ${String(column.type)} has no order lake can encode (use a primitive column)`);
  }
}

function prefixNumber(blob: string, column: string): string {
  return `CASE WHEN ${column} IS NULL THEN NULL ELSE CAST(CAST('0x' || rpad(substr(hex(${blob}), 1, 12), 12, '0') AS UBIGINT) AS DOUBLE) END`;
}

/** Bits per column in a key over `n` columns. */
export function bitsPerColumn(n: number): number {
  return Math.min(16, Math.floor(62 / n));
}

/**
 * A column's key: its order number mapped onto [0, 2^b) over `range` (the min and max of the
 * order numbers of the rows being sorted; null when all are NULL). NULL is 0.
 */
export function columnKeySql(column: ZOrderColumn, range: { min: number; max: number } | null, columns: number): string {
  if (range === null || !(range.max > range.min) || !Number.isFinite(range.max - range.min)) return 'CAST(0 AS BIGINT)';
  const top = 2 ** bitsPerColumn(columns) - 1;
  const scaled = `least(greatest((${orderNumberSql(column)} - ${range.min}) / ${range.max - range.min}, 0), 1) * ${top}`;
  return `coalesce(CAST(floor(${scaled}) AS BIGINT), 0)`;
}

/**
 * The Morton key (BIGINT) of columns holding b-bit keys (columnKeySql): their bits interleaved
 * from the top, the first column's bit the most significant at each level.
 *
 * Each key's bits are spread apart in log2(b) steps rather than bit by bit (the "magic numbers"
 * way): at each step the upper half of every group of bits moves up into place. The bits that
 * move are masked out before the shift, so no shift ever carries a bit past 62 (DuckDB checks
 * BIGINT shifts for overflow).
 */
export function mortonKeySql(keyColumns: readonly string[]): string {
  const n = keyColumns.length;
  if (n === 1) return keyColumns[0]!;
  return keyColumns.map((key, j) => `(${spreadSql(key, n)} << ${n - 1 - j})`).join(' | ');
}

/** `key`'s bit i moved to bit i·n. */
function spreadSql(key: string, n: number): string {
  const b = bitsPerColumn(n);
  let group = 1;
  while (group < b) group *= 2;
  let sql = `(${key})`;
  for (let half = group / 2; half >= 1; half /= 2) {
    // Bits sit in groups of 2·half, group k at k·2·half·n; split each: its upper half moves up
    // by half·(n-1), to (2k+1)·half·n, where group 2k+1 of `half` bits belongs.
    const stays = groupMask(b, half, n, 'lower');
    const moves = groupMask(b, half, n, 'upper');
    sql = `((${sql} & ${stays}) | ((${sql} & ${moves}) << ${half * (n - 1)}))`;
  }
  return sql;
}

/**
 * Before the step that splits groups of 2·half bits into groups of `half`: the mask of the bits
 * that stay (lower halves) or move (upper halves). Group k of 2·half bits starts at bit
 * k·2·half·n; its lower half is bits [start, start+half), its upper half [start+half, start+2·half).
 */
function groupMask(b: number, half: number, n: number, which: 'lower' | 'upper'): string {
  let mask = 0n;
  for (let bit = 0; bit < b; bit++) {
    const k = Math.floor(bit / (2 * half));
    const offset = bit % (2 * half);
    const upper = offset >= half;
    if (upper === (which === 'upper')) mask |= 1n << BigInt(k * 2 * half * n + offset);
  }
  return mask.toString();
}

/**
 * A relation that adds nothing but rewrites the key columns (b-bit keys, columnKeySql) into the
 * "transposed" Hilbert index of the point they form (J. Skilling, "Programming the Hilbert
 * curve", AIP Conf. Proc. 707, 2004): its Morton key is then the point's index on the Hilbert
 * curve. Unlike the Z-order curve, consecutive Hilbert indices are always neighbouring cells, so
 * a file's rows form fewer, more compact regions; the price is a sequence of projections (one per
 * bit and column) instead of one expression.
 */
export function hilbertTransposeSql(relation: string, keyColumns: readonly string[]): string {
  const n = keyColumns.length;
  const b = bitsPerColumn(n);
  const x = keyColumns;
  let sql = relation;
  const step = (replacements: readonly string[]) => {
    sql = `SELECT * REPLACE (${replacements.join(', ')}) FROM (${sql})`;
  };
  // Undo the excess work: for each bit from the top, invert or exchange the lower bits.
  for (let q = 2 ** (b - 1); q > 1; q /= 2) {
    const p = q - 1;
    for (let i = 0; i < n; i++) {
      const set = `((${x[i]} & ${q}) <> 0)`;
      if (i === 0) {
        step([`CASE WHEN ${set} THEN xor(${x[0]}, ${p}) ELSE ${x[0]} END AS ${x[0]}`]);
        continue;
      }
      const t = `(xor(${x[0]}, ${x[i]}) & ${p})`;
      step([
        `CASE WHEN ${set} THEN xor(${x[0]}, ${p}) ELSE xor(${x[0]}, ${t}) END AS ${x[0]}`,
        `CASE WHEN ${set} THEN ${x[i]} ELSE xor(${x[i]}, ${t}) END AS ${x[i]}`,
      ]);
    }
  }
  // Gray encode.
  for (let i = 1; i < n; i++) step([`xor(${x[i]}, ${x[i - 1]}) AS ${x[i]}`]);
  const terms: string[] = [];
  for (let q = 2 ** (b - 1); q > 1; q /= 2) terms.push(`CASE WHEN (${x[n - 1]} & ${q}) <> 0 THEN ${q - 1} ELSE 0 END`);
  if (terms.length > 0) {
    const t = terms.reduce((acc, term) => `xor(${acc}, ${term})`);
    sql = `SELECT * EXCLUDE (__lake_t) REPLACE (${x.map((k) => `xor(${k}, __lake_t) AS ${k}`).join(', ')}) FROM (SELECT *, ${t} AS __lake_t FROM (${sql}))`;
  }
  return sql;
}
