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

/** The Morton key (BIGINT) of columns holding the keys (columnKeySql), bits interleaved from the top. */
export function mortonKeySql(keyColumns: readonly string[]): string {
  const n = keyColumns.length;
  const b = bitsPerColumn(n);
  const terms: string[] = [];
  for (let bit = 0; bit < b; bit++) {
    // At each level the first column's bit is the most significant. (Each term in parentheses:
    // in DuckDB's SQL, + binds tighter than <<.)
    keyColumns.forEach((key, j) => terms.push(`((((${key}) >> ${bit}) & 1) << ${bit * n + (n - 1 - j)})`));
  }
  return terms.join(' + ');
}
