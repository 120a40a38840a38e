/**
 * Evaluating a bound predicate (predicate-bind.ts) on an Arrow record batch, with SQL's
 * three-valued logic: each node gives, per row, TRUE, FALSE or NULL; a row is kept when the whole
 * predicate is TRUE. Values are read from the raw buffers (as json-values.ts does) and compared in
 * the comparison's domain: integers and decimals exactly as bigints, timestamps in microseconds,
 * dates in days, strings as UTF-8 bytes (code-point order), floats with NaN largest.
 *
 * The batch must hold every column the predicate reads, under the top-level names of the schema
 * it was bound to, with struct children in the schema's order.
 */
import { DateUnit, TimeUnit, Type, type Data, type Date_, type Decimal, type FixedSizeBinary, type RecordBatch, type Timestamp } from 'apache-arrow';
import { LakeError } from '../errors.js';
import { signedWords } from './json-values.js';
import {
  compareBytes,
  compareCanonical,
  testCompare,
  type BoundColumn,
  type BoundCompare,
  type BoundLike,
  type BoundOperand,
  type BoundPredicate,
  type Canonical,
  type Domain,
} from './predicate-bind.js';
import { floorDiv, MICROS_PER_DAY } from './predicate-values.js';

export const FALSE = 0;
export const TRUE = 1;
export const NULL = 2;

/** One byte per row: 1 where the predicate is TRUE (keep the row), 0 where it is FALSE or NULL. */
export function evaluateFilter(predicate: BoundPredicate, batch: RecordBatch): Uint8Array {
  const tri = evaluatePredicate(predicate, batch);
  for (let i = 0; i < tri.length; i++) if (tri[i] !== TRUE) tri[i] = 0;
  return tri;
}

/** One byte per row: TRUE (1), FALSE (0) or NULL (2). */
export function evaluatePredicate(predicate: BoundPredicate, batch: RecordBatch): Uint8Array {
  return evaluate(predicate, batch, batch.numRows);
}

function evaluate(p: BoundPredicate, batch: RecordBatch, n: number): Uint8Array {
  switch (p.kind) {
    case 'constant':
      return new Uint8Array(n).fill(p.value === null ? NULL : p.value ? TRUE : FALSE);
    case 'not': {
      const out = evaluate(p.child, batch, n);
      for (let i = 0; i < n; i++) if (out[i] !== NULL) out[i] = out[i] === TRUE ? FALSE : TRUE;
      return out;
    }
    case 'and':
    case 'or': {
      // AND: FALSE wins, then NULL; OR: TRUE wins, then NULL.
      const winner = p.kind === 'and' ? FALSE : TRUE;
      const out = new Uint8Array(n).fill(p.kind === 'and' ? TRUE : FALSE);
      for (const child of p.children) {
        const values = evaluate(child, batch, n);
        for (let i = 0; i < n; i++) {
          const v = values[i]!;
          if (out[i] === winner) continue;
          if (v === winner) out[i] = winner;
          else if (v === NULL) out[i] = NULL;
        }
      }
      return out;
    }
    case 'isNull': {
      const { valid } = columnData(batch, p.column);
      const out = new Uint8Array(n);
      if (valid !== undefined) for (let i = 0; i < n; i++) out[i] = valid(i) ? FALSE : TRUE;
      return out;
    }
    case 'like':
      return like(p, batch, n);
    case 'compare':
      return compare(p, batch, n);
  }
}

interface Reader {
  /** undefined: every row is valid. */
  readonly valid: ((i: number) => boolean) | undefined;
  readonly value: (i: number) => Canonical;
}

function compare(p: BoundCompare, batch: RecordBatch, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const op = p.op;
  // Fast path: a small integer (or date) column against a constant, compared as doubles (exact).
  const fast = numberFastPath(p, batch);
  if (fast !== undefined) {
    const { values, valid, constant, columnLeft } = fast;
    for (let i = 0; i < n; i++) {
      if (valid !== undefined && !valid(i)) {
        out[i] = NULL;
        continue;
      }
      const v = values[i]!;
      const c = columnLeft ? (v < constant ? -1 : v > constant ? 1 : 0) : v < constant ? 1 : v > constant ? -1 : 0;
      out[i] = testCompare(op, c) ? TRUE : FALSE;
    }
    return out;
  }
  const left = reader(p.left, p, batch);
  const right = reader(p.right, p, batch);
  const domain = p.domain;
  for (let i = 0; i < n; i++) {
    if ((left.valid !== undefined && !left.valid(i)) || (right.valid !== undefined && !right.valid(i))) {
      out[i] = NULL;
      continue;
    }
    out[i] = testCompare(op, compareCanonical(domain, left.value(i), right.value(i))) ? TRUE : FALSE;
  }
  return out;
}

function numberFastPath(
  p: BoundCompare,
  batch: RecordBatch,
): { values: ArrayLike<number>; valid: ((i: number) => boolean) | undefined; constant: number; columnLeft: boolean } | undefined {
  const columnLeft = p.left.kind === 'column';
  const col = columnLeft ? p.left : p.right;
  const lit = columnLeft ? p.right : p.left;
  if (col.kind !== 'column' || lit.kind !== 'literal') return undefined;
  const category = col.column.category;
  const smallInt = category.kind === 'int' && category.bits <= 32 && p.domain === 'exact' && p.scale === 0;
  const day = category.kind === 'date' && p.domain === 'date';
  if (!smallInt && !day) return undefined;
  const { leaf, valid } = columnData(batch, col.column);
  if (day && (leaf.type as Date_).unit !== DateUnit.DAY) return undefined;
  return { values: leaf.values as ArrayLike<number>, valid, constant: Number(lit.value as bigint | number), columnLeft };
}

function reader(operand: BoundOperand, p: BoundCompare, batch: RecordBatch): Reader {
  if (operand.kind === 'literal') {
    const value = operand.value;
    return { valid: undefined, value: () => value };
  }
  const { leaf, valid } = columnData(batch, operand.column);
  const value = accessor(leaf, operand.column, p.domain, p.scale);
  return { valid, value: p.single ? (i) => Math.fround(value(i) as number) : value };
}

function like(p: BoundLike, batch: RecordBatch, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const { leaf, valid } = columnData(batch, p.column);
  const bytes = accessor(leaf, p.column, 'string', 0) as (i: number) => Uint8Array;
  const prefix = p.prefix;
  if (p.prefixOnly && prefix !== undefined) {
    for (let i = 0; i < n; i++) {
      if (valid !== undefined && !valid(i)) out[i] = NULL;
      else {
        const value = bytes(i);
        out[i] = value.length >= prefix.length && compareBytes(value.subarray(0, prefix.length), prefix) === 0 ? TRUE : FALSE;
      }
    }
    return out;
  }
  const decoder = new TextDecoder();
  const regex = p.regex;
  for (let i = 0; i < n; i++) {
    if (valid !== undefined && !valid(i)) out[i] = NULL;
    else out[i] = regex.test(decoder.decode(bytes(i))) ? TRUE : FALSE;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Columns and values
// ---------------------------------------------------------------------------------------------

/** The leaf data of a (possibly nested) column and its validity, NULL where any enclosing struct is. */
function columnData(batch: RecordBatch, column: BoundColumn): { leaf: Data; valid: ((i: number) => boolean) | undefined } {
  const top = batch.schema.fields.findIndex((f) => f.name === column.path[0]);
  const vector = top === -1 ? null : batch.getChildAt(top);
  if (vector === null) {
    throw new LakeError('INTERNAL', `the predicate's column ${column.path.join('.')} was not read (not in the batch)`);
  }
  let data = vector.data[0]!;
  const levels: Data[] = [data];
  for (const index of column.indexes.slice(1)) {
    const child = data.children[index];
    if (child === undefined) throw new LakeError('INTERNAL', `the batch has no field ${column.path.join('.')}`);
    data = child;
    levels.push(data);
  }
  const nullable = levels.filter((level) => level.nullCount > 0 || level.type.typeId === Type.Null);
  let valid: ((i: number) => boolean) | undefined;
  if (nullable.length === 1) {
    const only = nullable[0]!;
    valid = only.type.typeId === Type.Null ? () => false : (i) => only.getValid(i);
  } else if (nullable.length > 1) {
    valid = (i) => nullable.every((level) => level.type.typeId !== Type.Null && level.getValid(i));
  }
  return { leaf: data, valid };
}

/** Reads row i of `data` (valid rows only) as a value of `domain`. */
function accessor(data: Data, column: BoundColumn, domain: Domain, scale: number): (i: number) => Canonical {
  const type = data.type;
  const unsupported = (): LakeError =>
    new LakeError('UNSUPPORTED_PREDICATE', `lake cannot compare column ${column.path.join('.')} of Arrow type ${String(type)} as ${domain}`);
  switch (type.typeId) {
    case Type.Int: {
      const values = data.values as ArrayLike<number | bigint>;
      const wide = values instanceof BigInt64Array || values instanceof BigUint64Array;
      if (domain === 'exact') {
        const factor = 10n ** BigInt(scale);
        return wide ? (i) => (values[i] as bigint) * factor : (i) => BigInt(values[i] as number) * factor;
      }
      if (domain === 'float') return wide ? (i) => Number(values[i] as bigint) : (i) => values[i] as number;
      throw unsupported();
    }
    case Type.Decimal: {
      const { scale: own, bitWidth } = type as Decimal;
      const words = data.values as Uint32Array;
      const stride = bitWidth / 32;
      if (domain === 'exact') {
        const factor = 10n ** BigInt(scale - own);
        return (i) => signedWords(words, i * stride, stride) * factor;
      }
      if (domain === 'float') {
        return (i) => {
          const unscaled = signedWords(words, i * stride, stride);
          return own === 0 ? Number(unscaled) : Number(decimalText(unscaled, own));
        };
      }
      throw unsupported();
    }
    case Type.Float: {
      if (domain !== 'float') throw unsupported();
      const values = data.values as Float32Array | Float64Array;
      return (i) => values[i]!;
    }
    case Type.Bool: {
      if (domain !== 'boolean') throw unsupported();
      const bits = data.values as Uint8Array;
      const offset = data.offset;
      return (i) => ((bits[(offset + i) >> 3]! >> ((offset + i) & 7)) & 1) === 1;
    }
    case Type.Date: {
      const day = (type as Date_).unit === DateUnit.DAY;
      const values = data.values as Int32Array | BigInt64Array;
      const days = day ? (i: number) => (values as Int32Array)[i]! : (i: number) => Number(floorDiv(BigInt((values as BigInt64Array)[i]!), 86_400_000n));
      if (domain === 'date') return days;
      if (domain === 'timestamp') return (i) => BigInt(days(i)) * MICROS_PER_DAY;
      throw unsupported();
    }
    case Type.Timestamp: {
      if (domain !== 'timestamp') throw unsupported();
      const values = data.values as BigInt64Array;
      switch ((type as Timestamp).unit) {
        case TimeUnit.SECOND:
          return (i) => values[i]! * 1_000_000n;
        case TimeUnit.MILLISECOND:
          return (i) => values[i]! * 1_000n;
        case TimeUnit.MICROSECOND:
          return (i) => values[i]!;
        default:
          return (i) => floorDiv(values[i]!, 1_000n);
      }
    }
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary: {
      if (domain !== 'string' && domain !== 'binary') throw unsupported();
      const offsets = data.valueOffsets as Int32Array | BigInt64Array;
      const bytes = data.values as Uint8Array;
      if (offsets instanceof BigInt64Array) return (i) => bytes.subarray(Number(offsets[i]), Number(offsets[i + 1]));
      return (i) => bytes.subarray(offsets[i]!, offsets[i + 1]!);
    }
    case Type.FixedSizeBinary: {
      if (domain !== 'binary') throw unsupported();
      const width = (type as FixedSizeBinary).byteWidth;
      const bytes = data.values as Uint8Array;
      return (i) => bytes.subarray(i * width, (i + 1) * width);
    }
    default:
      throw unsupported();
  }
}

function decimalText(unscaled: bigint, scale: number): string {
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return unscaled < 0n ? `-${text}` : text;
}
