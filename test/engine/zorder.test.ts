/**
 * The curve keys in SQL against plain reference implementations: the Morton key interleaves bits
 * exactly, for 1 to 5 columns; the Hilbert index is a bijection whose consecutive values are
 * neighbouring cells (checked on the 16×16 and 4×4×4 corners the curve's first indices fill).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckSession } from '../../src/engine/duckdb-session.js';
import { bitsPerColumn, hilbertTransposeSql, mortonKeySql } from '../../src/engine/zorder.js';

let session: DuckSession;
beforeAll(async () => {
  session = await DuckSession.open('zorder-test');
});
afterAll(() => session.close());

function interleave(values: readonly bigint[], bits: number): bigint {
  const n = values.length;
  let key = 0n;
  for (let bit = bits - 1; bit >= 0; bit--) for (let j = 0; j < n; j++) key = (key << 1n) | ((values[j]! >> BigInt(bit)) & 1n);
  return key;
}

async function keys(points: readonly (readonly number[])[], curve: 'zorder' | 'hilbert'): Promise<bigint[]> {
  const n = points[0]!.length;
  const columns = Array.from({ length: n }, (_, j) => `k${j}`);
  const values = points.map((p, i) => `(${i}, ${p.map((v) => `${v}::BIGINT`).join(', ')})`).join(', ');
  let relation = `SELECT * FROM (VALUES ${values}) t(i, ${columns.join(', ')})`;
  if (curve === 'hilbert') relation = hilbertTransposeSql(relation, columns);
  const rows = await session.rowObjects(`SELECT i, ${mortonKeySql(columns)} AS key FROM (${relation}) ORDER BY i`);
  return rows.map((r) => BigInt(r.key as bigint | number));
}

describe('Morton key', () => {
  for (const n of [1, 2, 3, 4, 5]) {
    it(`interleaves ${n} columns of ${bitsPerColumn(n)} bits exactly`, async () => {
      const b = bitsPerColumn(n);
      let seed = 7 * n;
      const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 2 ** b;
      const points = Array.from({ length: 200 }, () => Array.from({ length: n }, next));
      points.push(Array.from({ length: n }, () => 2 ** b - 1), Array.from({ length: n }, () => 0));
      expect(await keys(points, 'zorder')).toEqual(points.map((p) => interleave(p.map(BigInt), b)));
    });
  }
});

describe('Hilbert index', () => {
  const grid = (side: number, n: number): number[][] => {
    const out: number[][] = [[]];
    for (let d = 0; d < n; d++) out.splice(0, out.length, ...out.flatMap((p) => Array.from({ length: side }, (_, v) => [...p, v])));
    return out;
  };
  for (const [n, side] of [[2, 16], [3, 4]] as const) {
    it(`fills the ${side}^${n} corner with indices 0…${side ** n - 1}, each step to a neighbouring cell`, async () => {
      const points = grid(side, n);
      const indices = await keys(points, 'hilbert');
      const order = points.map((p, i) => ({ p, key: indices[i]! })).sort((a, b) => (a.key < b.key ? -1 : 1));
      expect(order.map((o) => o.key)).toEqual(Array.from({ length: side ** n }, (_, i) => BigInt(i)));
      for (let i = 1; i < order.length; i++) {
        const distance = order[i]!.p.reduce((sum, v, d) => sum + Math.abs(v - order[i - 1]!.p[d]!), 0);
        expect(distance, `step ${i - 1} → ${i}`).toBe(1);
      }
    });
  }
  it('is a bijection on random points of the full grid (distinct points, distinct indices)', async () => {
    const b = bitsPerColumn(2);
    const points = Array.from({ length: 500 }, (_, i) => [(i * 7919) % 2 ** b, (i * 104729) % 2 ** b]);
    const indices = await keys(points, 'hilbert');
    expect(new Set(indices.map(String)).size).toBe(new Set(points.map(String)).size);
    for (const index of indices) expect(index >= 0n && index < 2n ** BigInt(2 * b)).toBe(true);
  });
});
