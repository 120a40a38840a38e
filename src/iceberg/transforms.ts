/**
 * Iceberg partition transforms (format/spec.md "Partition Transforms") as far as reading needs
 * them: the bucket hash, and for each transform the range of source values a partition value
 * stands for, so that a condition on the source column can skip partitions.
 *
 * bucket[N]: `(murmur3_x86_32(bytes, seed 0) & Integer.MAX_VALUE) % N`, where bytes is the spec's
 * hash input: int, long, date, time and timestamps as an 8-byte little-endian long; strings as
 * UTF-8; UUIDs as 16 big-endian bytes; binary and fixed as they are; decimals as the minimal
 * two's-complement big-endian bytes of the unscaled value.
 */

/** MurmurHash3 x86 32-bit (Austin Appleby), seed 0 unless given. */
export function murmur3(bytes: Uint8Array, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  const blocks = bytes.length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const o = i * 4;
    let k = bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const tail = blocks * 4;
  const rest = bytes.length & 3;
  if (rest > 0) {
    if (rest === 3) k ^= bytes[tail + 2]! << 16;
    if (rest >= 2) k ^= bytes[tail + 1]! << 8;
    k ^= bytes[tail]!;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** The hash input of a long (int, long, date, time, timestamp values). */
export function longBytes(value: bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigInt64(0, BigInt.asIntN(64, value), true);
  return bytes;
}

/** The hash input of a decimal: minimal two's-complement big-endian bytes of the unscaled value. */
export function decimalBytes(unscaled: bigint): Uint8Array {
  const out: number[] = [];
  let v = unscaled;
  for (;;) {
    out.unshift(Number(BigInt.asUintN(8, v)));
    v >>= 8n;
    // Done when the remaining value is the sign extension of the byte just taken.
    if ((v === 0n && (out[0]! & 0x80) === 0) || (v === -1n && (out[0]! & 0x80) !== 0)) break;
  }
  return Uint8Array.from(out);
}

/** bucket[N] of a hash input. */
export function bucketOf(input: Uint8Array, n: number): number {
  return (murmur3(input) & 0x7fffffff) % n;
}

/** N of `bucket[N]`, W of `truncate[W]`. */
export function transformParameter(transform: string): number | undefined {
  const m = /^(?:bucket|truncate)\[(\d+)\]$/.exec(transform);
  return m === null ? undefined : Number(m[1]);
}

const MICROS_PER_HOUR = 3_600_000_000n;
const MICROS_PER_DAY = 86_400_000_000n;

/**
 * The source values a partition value of a time transform covers, inclusive, in the engine's
 * representation of the source type (dates: days as a number; timestamps: microseconds as a
 * bigint). Undefined when the transform or source type is not one of these.
 */
export function timeRange(transform: string, value: number, sourceType: string): { min: number | bigint; max: number | bigint } | undefined {
  const isDate = sourceType === 'date';
  const isTimestamp = sourceType === 'timestamp' || sourceType === 'timestamptz';
  if (!isDate && !isTimestamp) return undefined;
  let startDay: number;
  let endDay: number; // exclusive
  switch (transform) {
    case 'year':
      startDay = daysOf(1970 + value, 0);
      endDay = daysOf(1971 + value, 0);
      break;
    case 'month':
      startDay = daysOf(1970 + Math.floor(value / 12), ((value % 12) + 12) % 12);
      endDay = daysOf(1970 + Math.floor((value + 1) / 12), (((value + 1) % 12) + 12) % 12);
      break;
    case 'day':
      startDay = value;
      endDay = value + 1;
      break;
    case 'hour':
      if (isDate) return { min: Math.floor(value / 24), max: Math.floor(value / 24) };
      return { min: BigInt(value) * MICROS_PER_HOUR, max: BigInt(value + 1) * MICROS_PER_HOUR - 1n };
    default:
      return undefined;
  }
  if (isDate) return { min: startDay, max: endDay - 1 };
  return { min: BigInt(startDay) * MICROS_PER_DAY, max: BigInt(endDay) * MICROS_PER_DAY - 1n };
}

function daysOf(year: number, month: number): number {
  return Date.UTC(year, month, 1) / 86_400_000;
}
