/**
 * Pruning end to end on a table written here: Parquet files from DuckDB and a Delta log whose
 * statistics are written the way Spark writes them (timestamps truncated to milliseconds, strings
 * cut to 32 characters — the maximum as a bare prefix, as an old writer might, or with Delta's
 * tie-breaker — 64-bit integers and decimals as exact JSON numbers, NaN left out of min/max).
 * The rows a scan returns with `where` must be the full scan's rows the condition keeps.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { RecordBatch } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesMatching } from '../../src/delta/file-pruning.js';
import type { DeltaSnapshot } from '../../src/delta/snapshot.js';
import { DeltaTable } from '../../src/delta/table.js';
import { toArrowSchema } from '../../src/delta/schema.js';
import { batchRowsAsJson, formatDate, formatDecimal, formatTimestamp } from '../../src/engine/json-values.js';
import { bindPredicate } from '../../src/engine/predicate-bind.js';
import { evaluateFilter } from '../../src/engine/predicate-eval.js';
import { parsePredicate } from '../../src/engine/predicate.js';
import { Random } from '../engine/predicate-fixtures.js';

type Row = { id: bigint | null; n: number | null; amount: bigint | null; name: string | null; ts: bigint | null; day: number | null; score: number | null; st: { x: number | null } | null };

const FILES = 12;
const DAY = 86_400_000_000n;
const BASE = 18628n * DAY; // 2021-01-01
const PREFIXES = ['alpha-', 'beta-', 'gamma-', 'é-', '😀-', 'zeta-'];

function makeRows(r: Random, file: number): Row[] {
  return Array.from({ length: 5 + r.int(20) }, () => ({
    id: r.chance(0.1) ? null : BigInt(file) * 1000n + BigInt(r.int(1000)) + (file % 3 === 0 ? 9_007_199_254_740_000n : 0n),
    n: r.chance(0.1) ? null : file * 10 + r.int(10),
    amount: r.chance(0.1) ? null : BigInt(file * 100_000 + r.int(100_000)) * (file % 2 === 0 ? 1n : -1n) + 10n ** 18n,
    name: r.chance(0.1) ? null : `${PREFIXES[file % PREFIXES.length]}${'x'.repeat(r.int(40))}${r.int(100)}`,
    ts: r.chance(0.1) ? null : BASE + BigInt(file) * DAY + BigInt(r.int(1_000_000)) * 1_000n + BigInt(r.pick([0, 1, 999])),
    day: r.chance(0.1) ? null : 18628 + file + r.int(2),
    score: r.chance(0.1) ? null : r.chance(0.05) ? NaN : file + r.next(),
    st: r.chance(0.1) ? null : { x: r.chance(0.1) ? null : file * 2 + r.int(3) },
  }));
}

const sql = {
  str: (s: string) => `'${s.replaceAll("'", "''")}'`,
  ts: (micros: bigint) => `TIMESTAMPTZ '${formatTimestamp(micros, false)}+00'`,
};

/** Spark's JSON stats value of a timestamp: truncated to milliseconds. */
function statsTimestamp(micros: bigint): string {
  const ms = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
  return `${formatTimestamp(ms * 1000n, false).slice(0, 23)}Z`;
}

function minMax<T>(values: readonly (T | null)[], less: (a: T, b: T) => boolean): [T, T] | undefined {
  const present = values.filter((v): v is T => v !== null && !(typeof v === 'number' && Number.isNaN(v)));
  if (present.length === 0) return undefined;
  return [present.reduce((m, v) => (less(v, m) ? v : m)), present.reduce((m, v) => (less(m, v) ? v : m))];
}

const utf8Less = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0;

/** The add action's `stats` JSON, written by hand so numbers stay exact. */
function stats(rows: readonly Row[], file: number): string {
  const min: string[] = [];
  const max: string[] = [];
  const nulls: string[] = [];
  const add = (name: string, values: readonly unknown[], pair: [string, string] | undefined) => {
    nulls.push(`"${name}":${values.filter((v) => v === null).length}`);
    if (pair !== undefined) {
      min.push(`"${name}":${pair[0]}`);
      max.push(`"${name}":${pair[1]}`);
    }
  };
  const pairOf = <T,>(values: readonly (T | null)[], less: (a: T, b: T) => boolean, text: (v: T, bound: 0 | 1) => string): [string, string] | undefined => {
    const mm = minMax(values, less);
    return mm === undefined ? undefined : [text(mm[0], 0), text(mm[1], 1)];
  };
  add('id', rows.map((r) => r.id), pairOf(rows.map((r) => r.id), (a, b) => a < b, String));
  add('n', rows.map((r) => r.n), pairOf(rows.map((r) => r.n), (a, b) => a < b, String));
  add('amount', rows.map((r) => r.amount), pairOf(rows.map((r) => r.amount), (a, b) => a < b, (v) => formatDecimal(v, 3)));
  add(
    'name',
    rows.map((r) => r.name),
    pairOf(rows.map((r) => r.name), utf8Less, (v, bound) => {
      if (v.length <= 32) return JSON.stringify(v);
      // min: a prefix; max: a bare prefix on odd files (an old writer), Delta's tie-breaker on even ones.
      return JSON.stringify(bound === 0 || file % 2 === 1 ? v.slice(0, 32) : `${v.slice(0, 32)}\u{10FFFF}`);
    }),
  );
  add('ts', rows.map((r) => r.ts), pairOf(rows.map((r) => r.ts), (a, b) => a < b, (v) => JSON.stringify(statsTimestamp(v))));
  add('day', rows.map((r) => r.day), pairOf(rows.map((r) => r.day), (a, b) => a < b, (v) => JSON.stringify(formatDate(BigInt(v)))));
  add('score', rows.map((r) => r.score), pairOf(rows.map((r) => r.score), (a, b) => a < b, String));
  const x = rows.map((r) => (r.st === null ? null : r.st.x));
  const xs = pairOf(x, (a, b) => a < b, String);
  nulls.push(`"st":{"x":${x.filter((v) => v === null).length}}`);
  if (xs !== undefined) {
    min.push(`"st":{"x":${xs[0]}}`);
    max.push(`"st":{"x":${xs[1]}}`);
  }
  return `{"numRecords":${rows.length},"minValues":{${min.join(',')}},"maxValues":{${max.join(',')}},"nullCount":{${nulls.join(',')}}}`;
}

const SCHEMA = {
  type: 'struct',
  fields: [
    ['id', 'long'],
    ['n', 'integer'],
    ['amount', 'decimal(38,3)'],
    ['name', 'string'],
    ['ts', 'timestamp'],
    ['day', 'date'],
    ['score', 'double'],
    ['st', { type: 'struct', fields: [{ name: 'x', type: 'integer', nullable: true, metadata: {} }] }],
    ['p', 'integer'],
  ].map(([name, type]) => ({ name, type, nullable: true, metadata: {} })),
};

let dir: string;
let snapshot: DeltaSnapshot;
const allRows: Row[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lake-pruning-'));
  await mkdir(join(dir, '_delta_log'));
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  await con.run("SET TimeZone = 'UTC'");
  const r = new Random(7);
  const log = [
    JSON.stringify({ protocol: { minReaderVersion: 1, minWriterVersion: 2 } }),
    JSON.stringify({ metaData: { id: 'test', format: { provider: 'parquet', options: {} }, schemaString: JSON.stringify(SCHEMA), partitionColumns: ['p'], configuration: {}, createdTime: 0 } }),
  ];
  for (let file = 0; file < FILES; file++) {
    const rows = makeRows(r, file);
    allRows.push(...rows);
    const lit = (v: unknown, f: (x: never) => string) => (v === null ? 'NULL' : f(v as never));
    const values = rows.map(
      (row) =>
        `(${lit(row.id, (v: bigint) => `${v}::BIGINT`)}, ${lit(row.n, String)}, ${lit(row.amount, (v: bigint) => `(${formatDecimal(v, 3)})::DECIMAL(38,3)`)}, ` +
        `${lit(row.name, sql.str)}, ${lit(row.ts, sql.ts)}, ${lit(row.day, (v: number) => `DATE '${formatDate(BigInt(v))}'`)}, ` +
        `${lit(row.score, (v: number) => (Number.isNaN(v) ? "'NaN'::DOUBLE" : `${v}::DOUBLE`))}, ${row.st === null ? 'NULL' : `{'x': ${row.st.x ?? 'NULL'}}`})`,
    );
    await con.run('CREATE OR REPLACE TABLE f (id BIGINT, n INTEGER, amount DECIMAL(38,3), name VARCHAR, ts TIMESTAMPTZ, day DATE, score DOUBLE, st STRUCT(x INTEGER))');
    await con.run(`INSERT INTO f VALUES ${values.join(', ')}`);
    const path = `p=${file % 4}/part-${file}.parquet`;
    await mkdir(join(dir, `p=${file % 4}`), { recursive: true });
    await con.run(`COPY f TO '${join(dir, path)}' (FORMAT parquet)`);
    log.push(JSON.stringify({ add: { path, partitionValues: { p: String(file % 4) }, size: 1, modificationTime: 0, dataChange: true, stats: stats(rows, file) } }));
  }
  con.closeSync();
  await writeFile(join(dir, '_delta_log', '00000000000000000000.json'), `${log.join('\n')}\n`);
  snapshot = await (await DeltaTable.open(dir)).snapshot();
}, 60_000);

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function rowsOf(batches: AsyncIterable<RecordBatch>): Promise<string[]> {
  const rows: string[] = [];
  for await (const batch of batches) for (const row of batchRowsAsJson(batch)) rows.push(JSON.stringify(row));
  return rows.sort();
}

describe('pruning a table with Spark-style statistics', () => {
  it('returns exactly the matching rows, and prunes files', async () => {
    const batches: RecordBatch[] = [];
    for await (const batch of snapshot.scan()) batches.push(batch);
    expect(batches.reduce((n, b) => n + b.numRows, 0)).toBe(allRows.length);
    const r = new Random(11);
    const pick = <T,>(values: readonly (T | null)[]): T => {
      const present = values.filter((v): v is T => v !== null);
      return present[r.int(present.length)]!;
    };
    const predicates: string[] = [];
    for (let k = 0; k < 12; k++) {
      const id = pick(allRows.map((x) => x.id));
      const ts = pick(allRows.map((x) => x.ts));
      const name = pick(allRows.map((x) => x.name));
      const amount = pick(allRows.map((x) => x.amount));
      predicates.push(
        `id = ${id}`,
        `id > ${id} AND id < ${id! + 50n}`,
        `ts = ${sql.ts(ts)}`,
        `ts > ${sql.ts(ts)}`,
        `ts <= ${sql.ts(ts)}`,
        `name = ${sql.str(name)}`,
        `name >= ${sql.str(name)}`,
        `name < ${sql.str(name)}`,
        `name LIKE ${sql.str(`${name.slice(0, 3 + r.int(40))}%`)}`,
        `amount = ${formatDecimal(amount, 3)}`,
        `amount < ${formatDecimal(amount, 3)}`,
        `day = DATE '${formatDate(BigInt(pick(allRows.map((x) => x.day))))}'`,
        `score > ${pick(allRows.map((x) => x.score))}`.replace('NaN', "'NaN'::DOUBLE"),
        `score < ${pick(allRows.map((x) => x.score))}`.replace('NaN', "'NaN'::DOUBLE"),
        `st.x = ${pick(allRows.map((x) => x.st?.x ?? null))}`,
        `p = ${k % 4} AND n >= ${k * 10}`,
        `NOT (n < ${k * 10}) AND p <> 1`,
      );
    }
    const schema = toArrowSchema(snapshot.schema);
    let read = 0;
    for (const where of predicates) {
      const bound = bindPredicate(await parsePredicate(where), schema);
      const expected: string[] = [];
      for (const batch of batches) {
        const keep = evaluateFilter(bound, batch);
        [...batchRowsAsJson(batch)].forEach((row, i) => keep[i] === 1 && expected.push(JSON.stringify(row)));
      }
      expect(await rowsOf(snapshot.scan({ where })), where).toEqual(expected.sort());
      read += (await filesMatching(snapshot, where)).length;
    }
    const total = FILES * predicates.length;
    if (process.env['LAKE_PRUNING_REPORT'] === '1') {
      process.stdout.write(`synthetic table: ${predicates.length} predicates, ${FILES} files, ${read}/${total} file reads (${Math.round((100 * (total - read)) / total)}% pruned)\n`);
    }
    expect(read).toBeLessThan(total / 2);
  }, 120_000);

  it('keeps a file whose truncated string maximum may hide the value (bare 32-character prefix)', async () => {
    const long = allRows.map((x) => x.name).find((name): name is string => name !== null && name.length > 40 && !name.startsWith('alpha'));
    expect(long).toBeDefined();
    const files = await filesMatching(snapshot, `name = ${sql.str(long!)}`);
    expect(files.length).toBeGreaterThanOrEqual(1);
    expect(await rowsOf(snapshot.scan({ where: `name = ${sql.str(long!)}`, columns: ['name'] }))).toContain(JSON.stringify({ name: long }));
  });

  it('keeps a file whose maximum timestamp is within the truncated millisecond', async () => {
    const ts = allRows.map((x) => x.ts).filter((v): v is bigint => v !== null && v % 1000n === 999n)[0];
    expect(ts).toBeDefined();
    const rows = await rowsOf(snapshot.scan({ where: `ts = ${sql.ts(ts!)}`, columns: ['ts'] }));
    expect(rows.length).toBeGreaterThanOrEqual(1);
  });
});


