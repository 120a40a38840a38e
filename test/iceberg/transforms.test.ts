/**
 * Partition transforms: the bucket hash against the spec's own test vectors (format/spec.md
 * "Appendix B: 32-bit Hash Requirements"), decimal hash bytes, and time transforms' ranges.
 */
import { describe, expect, it } from 'vitest';
import { bucketOf, decimalBytes, longBytes, murmur3, timeRange } from '../../src/iceberg/transforms.js';

describe('bucket hash', () => {
  it('matches the spec vectors', () => {
    const utf8 = (s: string) => new TextEncoder().encode(s);
    const uuid = Uint8Array.from(Buffer.from('f79c3e09677c4bbda4793f349cb785e7', 'hex'));
    expect(murmur3(longBytes(34n))).toBe(2017239379); // int and long 34
    expect(murmur3(longBytes(17486n))).toBe(-653330422); // date 2017-11-16
    expect(murmur3(longBytes(81068000000n))).toBe(-662762989); // time 22:31:08
    expect(murmur3(longBytes(1510871468000000n))).toBe(-2047944441); // timestamp 2017-11-16T22:31:08
    expect(murmur3(decimalBytes(1420n))).toBe(-500754589); // decimal(4,2) 14.20
    expect(murmur3(utf8('iceberg'))).toBe(1210000089);
    expect(murmur3(uuid)).toBe(1488055340);
    expect(murmur3(Uint8Array.from([0, 1, 2, 3]))).toBe(-188683207);
    expect(bucketOf(longBytes(34n), 16)).toBe(2017239379 % 16);
  });

  it('encodes decimals in the fewest two\'s-complement bytes', () => {
    expect([...decimalBytes(0n)]).toEqual([0]);
    expect([...decimalBytes(127n)]).toEqual([0x7f]);
    expect([...decimalBytes(128n)]).toEqual([0x00, 0x80]);
    expect([...decimalBytes(-1n)]).toEqual([0xff]);
    expect([...decimalBytes(-129n)]).toEqual([0xff, 0x7f]);
  });
});

describe('time transforms', () => {
  it('give the range of source values a partition stands for', () => {
    const day = (iso: string) => Date.parse(iso) / 86_400_000;
    const micros = (iso: string) => BigInt(Date.parse(iso)) * 1000n;
    expect(timeRange('year', 54, 'date')).toEqual({ min: day('2024-01-01'), max: day('2024-12-31') });
    expect(timeRange('month', 54 * 12 + 1, 'timestamptz')).toEqual({ min: micros('2024-02-01'), max: micros('2024-03-01') - 1n });
    expect(timeRange('month', -1, 'date')).toEqual({ min: day('1969-12-01'), max: day('1969-12-31') });
    expect(timeRange('day', day('2024-05-06'), 'timestamp')).toEqual({ min: micros('2024-05-06'), max: micros('2024-05-07') - 1n });
    expect(timeRange('hour', 10, 'timestamp')).toEqual({ min: 36_000_000_000n, max: 39_600_000_000n - 1n });
    expect(timeRange('bucket[4]', 1, 'date')).toBeUndefined();
  });
});
