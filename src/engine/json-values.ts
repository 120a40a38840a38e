/**
 * Arrow values as JSON, exactly (the `lake scan --format jsonl` contract):
 * - integers as numbers, but 64-bit values beyond ±(2^53−1) as strings;
 * - decimals as strings with exactly `scale` fraction digits;
 * - dates `YYYY-MM-DD`; timestamps ISO-8601 in UTC with 6 fraction digits and `Z`, timestamps
 *   without a time zone the same without `Z`; times `HH:MM:SS.ffffff`;
 * - binary as base64; structs as objects; lists as arrays; maps as objects when the keys are
 *   strings, else arrays of `[key, value]`; NaN and ±Infinity as strings.
 * Values are read from the raw buffers, not through Arrow JS's getters, which turn timestamps
 * into float milliseconds (dropping microseconds) and dates into milliseconds.
 */
import {
  Type,
  type Data,
  type DataType,
  type Decimal,
  type Dictionary,
  type Int,
  type Map_,
  type RecordBatch,
  type Struct,
  type Time,
  type Timestamp,
  type Date_,
  TimeUnit,
  DateUnit,
} from 'apache-arrow';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

type Encoder = (index: number) => JsonValue;

/** Rows of a record batch as JSON objects keyed by column name. */
export function* batchRowsAsJson(batch: RecordBatch): Iterable<Record<string, JsonValue>> {
  const columns = batch.schema.fields.map((field, i) => ({ name: field.name, encode: encoderFor(batch.getChildAt(i)!.data[0]!) }));
  for (let row = 0; row < batch.numRows; row++) {
    const out: Record<string, JsonValue> = {};
    for (const { name, encode } of columns) out[name] = encode(row);
    yield out;
  }
}

/** An encoder for the values of `data` at logical indexes 0…length-1. */
export function encoderFor(data: Data): Encoder {
  const valid = (i: number): boolean => data.type.typeId !== Type.Null && data.getValid(i);
  const value = valueEncoder(data);
  return (i) => (valid(i) ? value(i) : null);
}

/**
 * Arrow JS slicing rules (data.mjs `slice`): offset buffers and fixed-width value buffers are
 * sliced along with the data, so they are indexed by the logical index; validity bitmaps and
 * boolean bits are not, and are indexed by `offset + index`. Struct and fixed-size-list children
 * are sliced along with their parent; list and map children are reached through the offsets.
 */
function valueEncoder(data: Data): Encoder {
  const type: DataType = data.type;
    switch (type.typeId) {
    case Type.Null:
      return () => null;
    case Type.Bool: {
      const bits = data.values as Uint8Array;
      return (i) => ((bits[(data.offset + i) >> 3]! >> ((data.offset + i) & 7)) & 1) === 1;
    }
    case Type.Int: {
      const values = data.values as ArrayLike<number | bigint>;
      if ((type as Int).bitWidth === 64) return (i) => safeInteger(values[i] as bigint);
      return (i) => values[i] as number;
    }
    case Type.Float: {
      const values = data.values as Float32Array | Float64Array | Uint16Array;
      return (i) => finiteOrString(Number(values[i]));
    }
    case Type.Utf8:
    case Type.LargeUtf8: {
      const decoder = new TextDecoder();
      return (i) => decoder.decode(slice(data, i));
    }
    case Type.Binary:
    case Type.LargeBinary:
      return (i) => Buffer.from(slice(data, i)).toString('base64');
    case Type.FixedSizeBinary: {
      const width = (type as unknown as { byteWidth: number }).byteWidth;
      const bytes = data.values as Uint8Array;
      return (i) => Buffer.from(bytes.subarray(i * width, (i + 1) * width)).toString('base64');
    }
    case Type.Decimal: {
      const { scale, bitWidth } = type as Decimal;
      const words = data.values as Uint32Array;
      const stride = bitWidth / 32;
      return (i) => formatDecimal(signedWords(words, i * stride, stride), scale);
    }
    case Type.Date: {
      if ((type as Date_).unit === DateUnit.DAY) {
        const days = data.values as Int32Array;
        return (i) => formatDate(BigInt(days[i]!));
      }
      const millis = data.values as BigInt64Array;
      return (i) => formatDate(floorDiv(millis[i]!, 86_400_000n));
    }
    case Type.Timestamp: {
      const { unit, timezone } = type as Timestamp;
      const values = data.values as BigInt64Array;
      const utc = timezone !== null && timezone !== undefined && timezone !== '';
      return (i) => formatTimestamp(toMicros(values[i]!, unit), utc);
    }
    case Type.Time: {
      const { unit, bitWidth } = type as Time;
      const values = data.values as Int32Array | BigInt64Array;
      return (i) => formatTimeOfDay(toMicros(bitWidth === 64 ? (values[i] as bigint) : BigInt(values[i] as number), unit));
    }
    case Type.Struct: {
      const fields = (type as Struct).children;
      const children = data.children.map((child) => encoderFor(child));
      return (i) => {
        const out: Record<string, JsonValue> = {};
        // Struct children are sliced along with their parent: child index i is parent index i.
        fields.forEach((field, k) => (out[field.name] = children[k]!(i)));
        return out;
      };
    }
    case Type.List:
    case Type.LargeList: {
      const offsets = data.valueOffsets as Int32Array | BigInt64Array;
      const child = encoderFor(data.children[0]!);
      return (i) => {
        const out: JsonValue[] = [];
        for (let k = Number(offsets[i]); k < Number(offsets[i + 1]); k++) out.push(child(k));
        return out;
      };
    }
    case Type.FixedSizeList: {
      const size = (type as unknown as { listSize: number }).listSize;
      const child = encoderFor(data.children[0]!);
      // Sliced along with the parent, like struct children.
      return (i) => Array.from({ length: size }, (_, k) => child(i * size + k));
    }
    case Type.Map: {
      const offsets = data.valueOffsets as Int32Array;
      const entries = data.children[0]!;
      const keys = encoderFor(entries.children[0]!);
      const values = encoderFor(entries.children[1]!);
      const keyType = ((type as Map_).children[0]!.type as Struct).children[0]!.type;
      const stringKeys = keyType.typeId === Type.Utf8 || keyType.typeId === Type.LargeUtf8;
      return (i) => {
        const pairs: [JsonValue, JsonValue][] = [];
        for (let k = offsets[i]!; k < offsets[i + 1]!; k++) pairs.push([keys(k), values(k)]);
        return stringKeys ? Object.fromEntries(pairs.map(([k, v]) => [String(k), v])) : pairs;
      };
    }
    case Type.Dictionary: {
      const indices = data.values as ArrayLike<number | bigint>;
      const dictionary = (data.dictionary as unknown as { data: Data[] } | undefined)?.data[0];
      if (dictionary === undefined) throw new Error(`dictionary column without a dictionary (${String(type as Dictionary)})`);
      const decode = encoderFor(dictionary);
      return (i) => decode(Number(indices[i]));
    }
    default:
      throw new Error(`cannot encode Arrow type ${String(type)} as JSON`);
  }
}

function slice(data: Data, i: number): Uint8Array {
  const offsets = data.valueOffsets as Int32Array | BigInt64Array;
  const start = Number(offsets[i]);
  const end = Number(offsets[i + 1]);
  return (data.values as Uint8Array).subarray(start, end);
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function safeInteger(value: bigint): number | string {
  return value > MAX_SAFE || value < -MAX_SAFE ? value.toString() : Number(value);
}

function finiteOrString(value: number): number | string {
  return Number.isFinite(value) ? value : String(value); // 'NaN', 'Infinity', '-Infinity'
}

/** A two's-complement little-endian integer of `count` 32-bit words. */
export function signedWords(words: Uint32Array, start: number, count: number): bigint {
  let value = 0n;
  for (let k = count - 1; k >= 0; k--) value = (value << 32n) | BigInt(words[start + k]!);
  const bits = BigInt(count * 32);
  return value >= 1n << (bits - 1n) ? value - (1n << bits) : value;
}

export function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString();
  if (scale <= 0) return (negative ? '-' : '') + digits + '0'.repeat(-scale);
  const padded = digits.padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

function toMicros(value: bigint, unit: TimeUnit): bigint {
  switch (unit) {
    case TimeUnit.SECOND:
      return value * 1_000_000n;
    case TimeUnit.MILLISECOND:
      return value * 1_000n;
    case TimeUnit.MICROSECOND:
      return value;
    default:
      return floorDiv(value, 1_000n); // nanoseconds: Delta and Iceberg timestamps are microseconds
  }
}

/** Days since 1970-01-01 as a proleptic Gregorian `YYYY-MM-DD` (H. Hinnant's civil_from_days). */
export function formatDate(days: bigint): string {
  const z = days + 719_468n;
  const era = floorDiv(z, 146_097n);
  const doe = z - era * 146_097n;
  const yoe = (doe - doe / 1_460n + doe / 36_524n - doe / 146_096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const day = doy - (153n * mp + 2n) / 5n + 1n;
  const month = mp < 10n ? mp + 3n : mp - 9n;
  const year = yoe + era * 400n + (month <= 2n ? 1n : 0n);
  const yearText = year < 0n ? `-${String(-year).padStart(4, '0')}` : String(year).padStart(4, '0');
  return `${yearText}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export function formatTimestamp(micros: bigint, utc: boolean): string {
  const days = floorDiv(micros, 86_400_000_000n);
  return `${formatDate(days)}T${formatTimeOfDay(micros - days * 86_400_000_000n)}${utc ? 'Z' : ''}`;
}

function formatTimeOfDay(micros: bigint): string {
  const fraction = micros % 1_000_000n;
  const seconds = micros / 1_000_000n;
  const pad = (n: bigint, width = 2) => String(n).padStart(width, '0');
  return `${pad(seconds / 3600n)}:${pad((seconds / 60n) % 60n)}:${pad(seconds % 60n)}.${pad(fraction, 6)}`;
}
