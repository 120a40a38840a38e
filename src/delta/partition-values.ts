/**
 * Partition values (PROTOCOL.md "Partition Value Serialization"): the strings `add.partitionValues`
 * holds, parsed into values a scan can put straight into Arrow vectors, the constant columns a scan
 * adds for partition columns (they are not stored in data files), and Hive-style directory names
 * (`col=value/`, escaped as Spark's ExternalCatalogUtils.escapePathName does) for writers.
 *
 * JS representations (`PartitionValue`), chosen to match Arrow's storage:
 * - string → string; binary → Uint8Array (the UTF-8 bytes of the serialized string, the inverse
 *   of Spark's binary-to-string cast);
 * - byte, short, integer → number; long → bigint;
 * - float, double → number (a float already rounded to 32 bits), NaN and ±Infinity included;
 * - boolean → boolean;
 * - date → number: days since 1970-01-01 (proleptic Gregorian, negative before 1970);
 * - timestamp, timestamp_ntz → bigint: microseconds since 1970-01-01T00:00:00 (for timestamp a UTC
 *   instant; for timestamp_ntz the wall-clock time as written);
 * - decimal(p,s) → bigint: the unscaled value (value × 10^s), as Arrow's Decimal128 stores it;
 * - null → null.
 */
import { DateUnit, makeData, makeVector, Precision, TimeUnit, Type, type Data, type DataType, type Vector } from 'apache-arrow';
import type { Decimal, FixedSizeBinary, FixedSizeList, Int, Struct, Timestamp } from 'apache-arrow';
import { LakeError, UsageError } from '../errors.js';
import { decimalParams, isDecimalType, type PrimitiveType } from './schema.js';

export type PartitionValue = null | string | number | bigint | boolean | Uint8Array;

export interface PartitionValueOptions {
  /** The column, for error messages. */
  readonly column?: string;
  /**
   * The IANA time zone in which `timestamp` values written without a zone (`2021-09-08 11:11:11`)
   * are wall-clock times. The protocol says "the time zone of the system which wrote to the table",
   * which the log does not record; the default, UTC, is what Delta readers assume. Values with `Z`
   * or an offset, and timestamp_ntz values, are not affected.
   */
  readonly timeZone?: string;
}

/** The directory name Hive and Spark use for a null partition value. */
export const HIVE_DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__';

const MICROS_PER_DAY = 86_400_000_000n;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/**
 * Parses a serialized partition value of a column of `type`. `null` (absent) and the empty string
 * are null for every type ("An empty string for any type translates to a null partition value";
 * Spark never writes an empty string, it writes null). A value that does not parse is a LakeError
 * 'CORRUPT_LOG' naming the column, the value and the type; a type that cannot be a partition
 * column (variant, nested types) is 'UNSUPPORTED_TYPE'.
 */
export function parsePartitionValue(
  serialized: string | null | undefined,
  type: PrimitiveType,
  options: PartitionValueOptions = {},
): PartitionValue {
  if (serialized === null || serialized === undefined || serialized === '') return null;
  const bad = (detail = ''): LakeError =>
    new LakeError(
      'CORRUPT_LOG',
      `partition value ${JSON.stringify(serialized)}${options.column === undefined ? '' : ` of column ${options.column}`} is not a valid ${String(type)}${detail}`,
    );
  switch (type) {
    case 'string':
      return serialized;
    case 'binary':
      return utf8Encoder.encode(serialized);
    case 'boolean': {
      const lower = serialized.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
      throw bad(' (expected true or false)');
    }
    case 'byte':
      return parseInteger(serialized, -128, 127, bad);
    case 'short':
      return parseInteger(serialized, -32768, 32767, bad);
    case 'integer':
      return parseInteger(serialized, -2147483648, 2147483647, bad);
    case 'long': {
      if (!/^[+-]?\d+$/.test(serialized)) throw bad();
      const value = BigInt(serialized);
      if (value !== BigInt.asIntN(64, value)) throw bad(' (out of range)');
      return value;
    }
    case 'float':
      return Math.fround(parseFloating(serialized, bad));
    case 'double':
      return parseFloating(serialized, bad);
    case 'date':
      return parseDate(serialized, bad);
    case 'timestamp':
      return parseTimestamp(serialized, true, options.timeZone, bad);
    case 'timestamp_ntz':
      return parseTimestamp(serialized, false, undefined, bad);
    case 'void':
      return null;
    default:
      if (isDecimalType(type)) {
        const { precision, scale } = decimalParams(type);
        return parseDecimal(serialized, precision, scale, bad);
      }
      throw new LakeError(
        'UNSUPPORTED_TYPE',
        `${options.column === undefined ? 'a partition column' : `partition column ${options.column}`} has type ${describeType(type)}, which cannot be a partition column`,
      );
  }
}

function describeType(type: unknown): string {
  return typeof type === 'string' ? type : JSON.stringify(type);
}

function parseInteger(text: string, min: number, max: number, bad: (detail?: string) => LakeError): number {
  if (!/^[+-]?\d+$/.test(text)) throw bad();
  const value = Number(text);
  if (value < min || value > max) throw bad(' (out of range)');
  return value === 0 ? 0 : value; // no -0
}

const FLOAT_SYNTAX = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function parseFloating(text: string, bad: (detail?: string) => LakeError): number {
  if (FLOAT_SYNTAX.test(text)) return Number(text);
  // Java's Double.toString spellings, and the special literals Spark's casts accept.
  switch (text.toLowerCase()) {
    case 'nan':
    case '+nan':
    case '-nan':
      return NaN;
    case 'infinity':
    case '+infinity':
    case 'inf':
    case '+inf':
      return Infinity;
    case '-infinity':
    case '-inf':
      return -Infinity;
  }
  throw bad();
}

const DATE_SYNTAX = /^([+-]?\d{4,})-(\d{1,2})-(\d{1,2})$/;

function parseDate(text: string, bad: (detail?: string) => LakeError): number {
  const match = DATE_SYNTAX.exec(text);
  if (match === null) throw bad(' (expected YYYY-MM-DD)');
  return civilDays(Number(match[1]), Number(match[2]), Number(match[3]), bad);
}

/** Days since 1970-01-01 of a proleptic Gregorian date, validated. */
function civilDays(year: number, month: number, day: number, bad: (detail?: string) => LakeError): number {
  if (!Number.isSafeInteger(year) || Math.abs(year) > 5_000_000) throw bad(' (year out of range)');
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) throw bad(' (no such date)');
  // Howard Hinnant's days_from_civil.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The proleptic Gregorian date of a day number (inverse of civilDays). */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

// `{date} {time}` (Spark) or `{date}T{time}Z` (ISO 8601, UTC); seconds and fraction optional,
// fraction up to nanoseconds (truncated to microseconds, as Spark's casts do); a date alone is
// midnight.
const TIMESTAMP_SYNTAX =
  /^([+-]?\d{4,})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?$/;

function parseTimestamp(
  text: string,
  utc: boolean,
  timeZone: string | undefined,
  bad: (detail?: string) => LakeError,
): bigint {
  const match = TIMESTAMP_SYNTAX.exec(text);
  if (match === null) throw bad(' (expected YYYY-MM-DD HH:MM:SS[.ffffff] or YYYY-MM-DDTHH:MM:SS[.ffffff]Z)');
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone] = match;
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (hour > 23 || minute > 59 || second > 59) throw bad(' (no such time)');
  const days = civilDays(Number(y), Number(mo), Number(d), bad);
  const micros = BigInt(fraction.padEnd(6, '0').slice(0, 6));
  const wallClock = BigInt(days) * MICROS_PER_DAY + BigInt(hour * 3600 + minute * 60 + second) * 1_000_000n + micros;
  if (!utc) return wallClock; // timestamp_ntz: as written (a zone, if any, is ignored)
  if (zone !== undefined) return wallClock - BigInt(offsetSeconds(zone)) * 1_000_000n;
  if (timeZone === undefined || timeZone === 'UTC') return wallClock;
  return wallClock - BigInt(zoneOffsetForWallClock(timeZone, wallClock)) * 1000n;
}

function offsetSeconds(zone: string): number {
  if (zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(/:/g, '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2, 4) || '0');
  const seconds = Number(digits.slice(4, 6) || '0');
  return sign * (hours * 3600 + minutes * 60 + seconds);
}

const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = zoneFormatters.get(timeZone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        era: 'short',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch (error) {
      throw new UsageError(`'${timeZone}' is not a time zone (use an IANA name such as America/Los_Angeles)`, { cause: error });
    }
    zoneFormatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The zone's UTC offset in ms at the instant `utcMs`. */
function zoneOffsetAt(timeZone: string, utcMs: number): number {
  const parts: Record<string, string> = {};
  for (const part of zoneFormatter(timeZone).formatToParts(new Date(utcMs))) parts[part.type] = part.value;
  let year = Number(parts['year']);
  if (parts['era'] === 'BC' || parts['era'] === 'B') year = 1 - year;
  const local = Date.UTC(year, Number(parts['month']) - 1, Number(parts['day']), Number(parts['hour']), Number(parts['minute']), Number(parts['second']));
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const fixed = new Date(local);
  fixed.setUTCFullYear(year);
  return fixed.getTime() - (utcMs - (((utcMs % 1000) + 1000) % 1000));
}

/**
 * The offset (ms) that applies to a wall-clock time in the zone, as java.time resolves it (and so
 * Spark): in an overlap the earlier instant (the offset before the transition), in a gap the
 * offset before the gap (the time moves forward by the gap's length).
 */
function zoneOffsetForWallClock(timeZone: string, wallClockMicros: bigint): number {
  const wallMs = Number(wallClockMicros / 1000n);
  const day = 86_400_000;
  if (!Number.isFinite(wallMs) || Math.abs(wallMs) > 8.64e15 - 2 * day) {
    throw new LakeError('CORRUPT_LOG', `timestamp partition value is outside the range time zones can be applied to`);
  }
  const before = zoneOffsetAt(timeZone, wallMs - day);
  const candidates = new Set([before, zoneOffsetAt(timeZone, wallMs), zoneOffsetAt(timeZone, wallMs + day)]);
  const valid = [...candidates].filter((offset) => zoneOffsetAt(timeZone, wallMs - offset) === offset);
  return valid.length > 0 ? Math.max(...valid) : before;
}

function parseDecimal(text: string, precision: number, scale: number, bad: (detail?: string) => LakeError): bigint {
  const match = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (match === null) throw bad();
  const [, sign, whole = '', fraction = '', exponent = '0'] = match;
  if (whole === '' && fraction === '') throw bad();
  let digits = (whole + fraction).replace(/^0+(?=\d)/, '');
  // value = digits × 10^(exponent - fraction.length); unscaled = value × 10^scale
  let shift = Number(exponent) - fraction.length + scale;
  if (/^0+$/.test(digits)) return 0n;
  if (shift > precision) throw bad(' (too many digits for the precision)');
  if (shift < 0) {
    const dropped = digits.slice(Math.max(0, digits.length + shift));
    if (!/^0*$/.test(dropped) || digits.length + shift < 0) {
      throw bad(` (more than ${scale} digits after the decimal point)`);
    }
    digits = digits.slice(0, digits.length + shift) || '0';
    shift = 0;
  }
  let unscaled = BigInt(digits) * 10n ** BigInt(shift);
  if (unscaled >= 10n ** BigInt(precision)) throw bad(' (too many digits for the precision)');
  if (sign === '-') unscaled = -unscaled;
  return unscaled;
}

// ---------------------------------------------------------------------------------------------
// Serializing (writers)
// ---------------------------------------------------------------------------------------------

/**
 * The serialized form of a partition value, as `add.partitionValues` holds it: the inverse of
 * parsePartitionValue. Timestamps are written the way the protocol recommends, ISO 8601 in UTC
 * with microseconds (`1970-01-01T00:00:00.000000Z`); timestamp_ntz as `1970-01-01 00:00:00[.ffffff]`;
 * decimals in plain notation with `scale` digits after the point. An empty string is written as
 * null (an empty value would be read back as null anyway, as Spark does).
 */
export function serializePartitionValue(value: PartitionValue, type: PrimitiveType): string | null {
  if (value === null) return null;
  const wrong = (): LakeError =>
    new UsageError(`${describeValue(value)} is not a value of type ${String(type)} for a partition column`);
  switch (type) {
    case 'string':
      if (typeof value !== 'string') throw wrong();
      return value === '' ? null : value;
    case 'binary':
      if (!(value instanceof Uint8Array)) throw wrong();
      if (value.length === 0) return null;
      try {
        return utf8Decoder.decode(value);
      } catch (error) {
        throw new UsageError('a binary partition value must be valid UTF-8 to be serialized', { cause: error });
      }
    case 'boolean':
      if (typeof value !== 'boolean') throw wrong();
      return String(value);
    case 'byte':
    case 'short':
    case 'integer':
    case 'long':
      if (typeof value !== 'number' && typeof value !== 'bigint') throw wrong();
      return BigInt(value).toString();
    case 'float':
    case 'double':
      if (typeof value !== 'number') throw wrong();
      if (Number.isNaN(value)) return 'NaN';
      if (Object.is(value, -0)) return '-0.0';
      return Number.isInteger(value) && Math.abs(value) < 1e21 ? `${value}.0` : String(value);
    case 'date':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw wrong();
      return formatDate(value);
    case 'timestamp':
    case 'timestamp_ntz': {
      if (typeof value !== 'bigint' && typeof value !== 'number') throw wrong();
      const micros = BigInt(value);
      const days = floorDiv(micros, MICROS_PER_DAY);
      const inDay = micros - days * MICROS_PER_DAY;
      const seconds = Number(inDay / 1_000_000n);
      const fraction = (inDay % 1_000_000n).toString().padStart(6, '0');
      const time = `${pad2(Math.floor(seconds / 3600))}:${pad2(Math.floor(seconds / 60) % 60)}:${pad2(seconds % 60)}`;
      if (type === 'timestamp') return `${formatDate(Number(days))}T${time}.${fraction}Z`;
      const trimmed = fraction.replace(/0+$/, '');
      return `${formatDate(Number(days))} ${time}${trimmed === '' ? '' : `.${trimmed}`}`;
    }
    case 'void':
      return null;
    default: {
      if (!isDecimalType(type) || (typeof value !== 'bigint' && typeof value !== 'number')) throw wrong();
      const { scale } = decimalParams(type);
      const unscaled = BigInt(value);
      const digits = (unscaled < 0n ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
      const text = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
      return unscaled < 0n ? `-${text}` : text;
    }
  }
}

function describeValue(value: PartitionValue): string {
  if (value instanceof Uint8Array) return `a ${value.length}-byte array`;
  return typeof value === 'bigint' ? `${value}n` : JSON.stringify(value);
}

function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days);
  const y = year < 0 ? `-${String(-year).padStart(4, '0')}` : year > 9999 ? `+${year}` : String(year).padStart(4, '0');
  return `${y}-${pad2(month)}-${pad2(day)}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

// ---------------------------------------------------------------------------------------------
// Constant columns
// ---------------------------------------------------------------------------------------------

/**
 * A column of `length` copies of `value` as Arrow data of `type`, built from filled typed arrays
 * (no per-row JS values). `value` is as parsePartitionValue returns it for the Delta type whose
 * Arrow type `type` is (bigints and numbers are accepted interchangeably for integer types;
 * timestamps are microseconds whatever the Arrow unit). null gives an all-null column of any type,
 * nested ones included (what a scan uses for columns a data file lacks).
 */
export function partitionData(type: DataType, value: PartitionValue, length: number): Data {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`invalid column length ${length}`);
  if (value === null) return nullData(type, length);
  const wrong = (): LakeError =>
    new LakeError('UNSUPPORTED_TYPE', `cannot make a constant ${String(type)} column of ${describeValue(value)}`);
  switch (type.typeId) {
    case Type.Int: {
      const t = type as Int;
      if (typeof value !== 'number' && typeof value !== 'bigint') throw wrong();
      const data = new t.ArrayType(length);
      if (t.bitWidth === 64) (data as BigInt64Array | BigUint64Array).fill(BigInt(value));
      else (data as Int32Array).fill(Number(value));
      return makeData({ type: t, length, data });
    }
    case Type.Float: {
      if (typeof value !== 'number') throw wrong();
      const precision = (type as DataType<Type.Float> & { precision: Precision }).precision;
      if (precision === Precision.HALF) throw wrong();
      const data = precision === Precision.SINGLE ? new Float32Array(length) : new Float64Array(length);
      data.fill(value);
      return makeData({ type: type as DataType<Type.Float>, length, data } as never);
    }
    case Type.Bool: {
      if (typeof value !== 'boolean') throw wrong();
      const data = new Uint8Array(bitmapBytes(length)).fill(value ? 0xff : 0);
      return makeData({ type: type as DataType<Type.Bool>, length, data } as never);
    }
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary: {
      const bytes =
        typeof value === 'string' ? utf8Encoder.encode(value) : value instanceof Uint8Array ? value : undefined;
      if (bytes === undefined) throw wrong();
      const large = type.typeId === Type.LargeUtf8 || type.typeId === Type.LargeBinary;
      const total = bytes.length * length;
      if (!large && total > 0x7fffffff) {
        throw new LakeError('UNSUPPORTED_TYPE', `a constant column of ${length} × ${bytes.length} bytes exceeds Arrow's 2 GiB limit`);
      }
      let valueOffsets: Int32Array | BigInt64Array;
      if (large) {
        const offsets = new BigInt64Array(length + 1);
        for (let i = 0; i <= length; i++) offsets[i] = BigInt(i * bytes.length);
        valueOffsets = offsets;
      } else {
        const offsets = new Int32Array(length + 1);
        for (let i = 0, width = bytes.length; i <= length; i++) offsets[i] = i * width;
        valueOffsets = offsets;
      }
      return makeData({ type, length, valueOffsets, data: repeat(bytes, length) } as never);
    }
    case Type.Date: {
      if (typeof value !== 'number' && typeof value !== 'bigint') throw wrong();
      const unit = (type as DataType<Type.Date> & { unit: DateUnit }).unit;
      const data = unit === DateUnit.DAY ? new Int32Array(length).fill(Number(value)) : new BigInt64Array(length).fill(BigInt(value) * 86_400_000n);
      return makeData({ type: type as DataType<Type.Date>, length, data } as never);
    }
    case Type.Timestamp: {
      if (typeof value !== 'number' && typeof value !== 'bigint') throw wrong();
      const micros = BigInt(value);
      const t = type as Timestamp;
      const stored =
        t.unit === TimeUnit.MICROSECOND
          ? micros
          : t.unit === TimeUnit.NANOSECOND
            ? micros * 1000n
            : floorDiv(micros, t.unit === TimeUnit.MILLISECOND ? 1000n : 1_000_000n);
      return makeData({ type: t, length, data: new BigInt64Array(length).fill(stored) });
    }
    case Type.Decimal: {
      if (typeof value !== 'number' && typeof value !== 'bigint') throw wrong();
      const t = type as Decimal;
      const words = t.bitWidth / 32;
      const bits = BigInt.asUintN(t.bitWidth, BigInt(value));
      const one = new Uint32Array(words);
      for (let i = 0; i < words; i++) one[i] = Number((bits >> BigInt(32 * i)) & 0xffffffffn);
      return makeData({ type: t, length, data: repeat(one, length) });
    }
    case Type.FixedSizeBinary: {
      const t = type as FixedSizeBinary;
      if (!(value instanceof Uint8Array) || value.length !== t.byteWidth) throw wrong();
      return makeData({ type: t, length, data: repeat(value, length) });
    }
    default:
      throw wrong();
  }
}

/** partitionData as a Vector. */
export function partitionVector(type: DataType, value: PartitionValue, length: number): Vector {
  return makeVector(partitionData(type, value, length));
}

/** An all-null column of any type (nested types included), with zeroed buffers of full size. */
export function nullData(type: DataType, length: number): Data {
  const nullBitmap = new Uint8Array(bitmapBytes(length));
  const base = { length, nullCount: length, nullBitmap };
  switch (type.typeId) {
    case Type.Null:
      return makeData({ type: type as DataType<Type.Null>, length } as never);
    case Type.Struct: {
      const children = (type as Struct).children.map((field) => nullData(field.type, length));
      return makeData({ type: type as Struct, ...base, children });
    }
    case Type.List:
    case Type.Map: {
      const child = nullData(type.children[0]!.type, 0);
      return makeData({ type, ...base, valueOffsets: new Int32Array(length + 1), child } as never);
    }
    case Type.LargeList: {
      const child = nullData(type.children[0]!.type, 0);
      return makeData({ type, ...base, valueOffsets: new BigInt64Array(length + 1), child } as never);
    }
    case Type.FixedSizeList: {
      const t = type as FixedSizeList;
      return makeData({ type: t, ...base, child: nullData(t.children[0]!.type, length * t.listSize) });
    }
    case Type.Utf8:
    case Type.Binary:
      return makeData({ type, ...base, valueOffsets: new Int32Array(length + 1), data: new Uint8Array(0) } as never);
    case Type.LargeUtf8:
    case Type.LargeBinary:
      return makeData({ type, ...base, valueOffsets: new BigInt64Array(length + 1), data: new Uint8Array(0) } as never);
    case Type.Bool:
      return makeData({ type, ...base, data: new Uint8Array(bitmapBytes(length)) } as never);
    case Type.Decimal:
      return makeData({ type: type as Decimal, ...base, data: new Uint32Array(length * ((type as Decimal).bitWidth / 32)) });
    case Type.FixedSizeBinary:
      return makeData({ type: type as FixedSizeBinary, ...base, data: new Uint8Array(length * (type as FixedSizeBinary).byteWidth) });
    case Type.Int:
    case Type.Float:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Duration: {
      const ArrayType = (type as DataType & { ArrayType: new (n: number) => ArrayBufferView }).ArrayType;
      return makeData({ type, ...base, data: new ArrayType(length) } as never);
    }
    default:
      throw new LakeError('UNSUPPORTED_TYPE', `cannot make an all-null column of type ${String(type)}`);
  }
}

function bitmapBytes(length: number): number {
  return Math.ceil(length / 8);
}

/** `count` copies of `unit` back to back, by doubling copies. */
function repeat<T extends Uint8Array | Uint32Array>(unit: T, count: number): T {
  const total = unit.length * count;
  const out = new (unit.constructor as new (n: number) => T)(total);
  if (total === 0) return out;
  out.set(unit, 0);
  let filled = unit.length;
  while (filled < total) {
    const n = Math.min(filled, total - filled);
    out.copyWithin(filled, 0, n);
    filled += n;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Hive-style partition directories
// ---------------------------------------------------------------------------------------------

// Spark's ExternalCatalogUtils.charToEscape (non-Windows): ASCII 0x01–0x1F, 0x7F and
// " # % ' * / : = ? \ { [ ] ^
const ESCAPED = new Uint8Array(128);
for (let c = 0x01; c <= 0x1f; c++) ESCAPED[c] = 1;
for (const c of '"#%\'*/:=?\\\x7f{[]^') ESCAPED[c.charCodeAt(0)] = 1;

/** Escapes a partition column name or value for a directory name, as Spark's escapePathName. */
export function escapePartitionValue(value: string): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 128 && ESCAPED[c] === 1) {
      out += `${value.slice(start, i)}%${c.toString(16).toUpperCase().padStart(2, '0')}`;
      start = i + 1;
    }
  }
  return start === 0 ? value : out + value.slice(start);
}

/**
 * Reverses escapePartitionValue, as Spark's unescapePathName: each `%XX` (two hex digits) becomes
 * the character with that code; a `%` not followed by two hex digits stays as it is.
 */
export function unescapePartitionValue(value: string): string {
  if (!value.includes('%')) return value;
  return value.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** One directory level, `column=value`, with null (and empty) values as __HIVE_DEFAULT_PARTITION__. */
export function partitionPathSegment(column: string, value: string | null): string {
  return `${escapePartitionValue(column)}=${value === null || value === '' ? HIVE_DEFAULT_PARTITION : escapePartitionValue(value)}`;
}

/** The Hive-style directory of a file's partition values, e.g. `a=1/b=__HIVE_DEFAULT_PARTITION__`. */
export function partitionPath(columns: readonly string[], values: Readonly<Record<string, string | null>>): string {
  return columns.map((column) => partitionPathSegment(column, values[column] ?? null)).join('/');
}

/**
 * The partition values a relative file path's directories spell (`a=1/b=x%3Ay/part-0.parquet` →
 * a: '1', b: 'x:y'); __HIVE_DEFAULT_PARTITION__ is null. Directories without `=` are skipped. The
 * path must already be percent-decoded (as a store key is), only Hive escaping is undone here.
 */
export function parsePartitionPath(path: string): Record<string, string | null> {
  const values: Record<string, string | null> = {};
  const segments = path.split('/');
  for (const segment of segments.slice(0, -1)) {
    const eq = segment.indexOf('=');
    if (eq <= 0) continue;
    const raw = segment.slice(eq + 1);
    Object.defineProperty(values, unescapePartitionValue(segment.slice(0, eq)), {
      value: raw === HIVE_DEFAULT_PARTITION ? null : unescapePartitionValue(raw),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return values;
}
