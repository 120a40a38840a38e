/**
 * `where` on real tables (the Delta conformance corpus): the rows a scan returns with `where` are
 * the rows of the full scan the condition keeps, and `filesMatching` (what `lake files --where`
 * lists) drops files when partition values or statistics allow.
 */
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { filesMatching } from '../../src/delta/file-pruning.js';
import type { DeltaSnapshot } from '../../src/delta/snapshot.js';
import { DeltaTable } from '../../src/delta/table.js';
import { batchRowsAsJson, type JsonValue } from '../../src/engine/json-values.js';
import { bindPredicate } from '../../src/engine/predicate-bind.js';
import { evaluateFilter } from '../../src/engine/predicate-eval.js';
import { parsePredicate } from '../../src/engine/predicate.js';
import { toArrowSchema, type DeltaType } from '../../src/delta/schema.js';
import { findConformanceDir, UPSTREAM } from '../conformance/delta-cases.js';

type Row = Record<string, JsonValue>;

const found = await findConformanceDir();
if (!found.found) {
  const message = `conformance data not found (looked in ${found.looked.join(', ')}): the where tests on real tables were NOT run (${UPSTREAM.join('; ')})`;
  if (process.env.CI === 'true') throw new Error(message);
  process.stderr.write(`\n*** ${message}\n\n`);
}
const root = found.found ? found.dir : '';

async function snapshotOf(name: string): Promise<DeltaSnapshot> {
  const [corpus, table] = name.startsWith('dat/') ? ['dat', name.slice(4)] : ['golden', name];
  return (await DeltaTable.open(join(root, 'delta', corpus, table, 'delta'))).snapshot();
}

async function rowsOf(batches: AsyncIterable<RecordBatch>): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const batch of batches) rows.push(...batchRowsAsJson(batch));
  return rows;
}

/** The rows of the full scan's batches the predicate keeps, evaluated batch by batch (the reference). */
async function filtered(snapshot: DeltaSnapshot, batches: readonly RecordBatch[], where: string): Promise<Row[]> {
  const bound = bindPredicate(await parsePredicate(where), toArrowSchema(snapshot.schema));
  const rows: Row[] = [];
  for (const batch of batches) {
    const keep = evaluateFilter(bound, batch);
    [...batchRowsAsJson(batch)].forEach((row, i) => keep[i] === 1 && rows.push(row));
  }
  return rows;
}

const sortRows = (rows: Row[]): Row[] => rows.map((r) => JSON.stringify(r)).sort().map((r) => JSON.parse(r) as Row);

interface Case {
  readonly where: string;
  /** The test's own filter of the full scan. */
  readonly keep: (row: Row) => boolean;
  /** How many files `filesMatching` keeps. */
  readonly files: number;
}

const ALL_TYPES_CASES: readonly Case[] = [
  { where: 'as_int = 0', keep: (r) => r['as_int'] === 0, files: 1 },
  { where: 'as_int > 0', keep: (r) => (r['as_int'] as number) > 0, files: 0 },
  { where: 'as_long < 0 OR as_byte > 0', keep: () => false, files: 0 },
  { where: 'NOT (as_short = 0)', keep: (r) => r['as_short'] !== 0 && r['as_short'] !== null, files: 0 },
  { where: "as_string = '0'", keep: (r) => r['as_string'] === '0', files: 1 },
  { where: "as_string > '0'", keep: (r) => (r['as_string'] as string) > '0', files: 0 },
  { where: "as_string LIKE '1%'", keep: (r) => String(r['as_string']).startsWith('1'), files: 0 },
  { where: "as_date = '2000-01-01'", keep: (r) => r['as_date'] === '2000-01-01', files: 1 },
  { where: "as_date > DATE '2000-01-01'", keep: () => false, files: 0 },
  { where: "as_timestamp = '2000-01-01 00:00:00-08:00'", keep: (r) => r['as_timestamp'] === '2000-01-01T08:00:00.000000Z', files: 1 },
  { where: "as_timestamp > TIMESTAMPTZ '2000-01-01 08:00:00.001+00'", keep: () => false, files: 0 },
  { where: 'as_big_decimal <> 0', keep: (r) => r['as_big_decimal'] !== '0' && r['as_big_decimal'] !== null, files: 0 },
  { where: 'as_double < 0', keep: (r) => (r['as_double'] as number) < 0, files: 0 },
  // A float column may hold NaN above its maximum: never pruned on `>`.
  { where: 'as_float > 0', keep: (r) => (r['as_float'] as number) > 0, files: 1 },
  { where: 'as_int IS NULL', keep: (r) => r['as_int'] === null, files: 0 },
  { where: 'as_int IS NOT NULL AND as_long IN (0, 5)', keep: (r) => r['as_int'] !== null && (r['as_long'] === 0 || r['as_long'] === 5), files: 1 },
];

const CASES: Readonly<Record<string, readonly Case[]>> = {
  'data-skipping-basic-stats-all-types': ALL_TYPES_CASES,
  'data-skipping-basic-stats-all-types-checkpoint': ALL_TYPES_CASES,
  'data-skipping-basic-stats-all-types-columnmapping-name': ALL_TYPES_CASES,
  'data-skipping-basic-stats-all-types-columnmapping-id': ALL_TYPES_CASES,
  'data-skipping-partition-and-data-column': [
    { where: 'part = 0 AND id = 0', keep: (r) => r['part'] === 0 && r['id'] === 0, files: 1 },
    { where: 'part = 1', keep: (r) => r['part'] === 1, files: 2 },
    { where: 'id > 1', keep: (r) => (r['id'] as number) > 1, files: 0 },
    { where: 'part = 0 OR id = 0', keep: (r) => r['part'] === 0 || r['id'] === 0, files: 3 },
    { where: 'NOT (part = 0 OR id = 0)', keep: (r) => r['part'] !== 0 && r['id'] !== 0, files: 1 },
  ],
  'data-reader-partition-values': [
    { where: 'as_int = 1', keep: (r) => r['as_int'] === 1, files: 1 },
    { where: 'as_int IS NULL', keep: (r) => r['as_int'] === null, files: 1 },
    { where: 'as_boolean', keep: (r) => r['as_boolean'] === true, files: 1 },
    { where: "as_string_lit_null = 'null'", keep: (r) => r['as_string_lit_null'] === 'null', files: 2 },
    { where: "as_timestamp = '2021-09-08 11:11:11'", keep: (r) => r['as_timestamp'] === '2021-09-08T11:11:11.000000Z', files: 2 },
    { where: 'as_big_decimal >= 0.5', keep: (r) => r['as_big_decimal'] === '1', files: 1 },
    { where: "as_date <> '2021-09-08'", keep: () => false, files: 0 },
    { where: 'as_float = 1 AND as_double = 1.0', keep: (r) => r['as_float'] === 1 && r['as_double'] === 1, files: 1 },
    { where: "as_nested_struct.aa = '1'", keep: (r) => (r['as_nested_struct'] as Row | null)?.['aa'] === '1', files: 3 },
  ],
};

describe.skipIf(!found.found)('scan with where on the conformance tables', () => {
  for (const [table, cases] of Object.entries(CASES)) {
    it(`${table}: rows and files`, async () => {
      const snapshot = await snapshotOf(table);
      const all = await rowsOf(snapshot.scan());
      for (const c of cases) {
        const rows = await rowsOf(snapshot.scan({ where: c.where }));
        expect(sortRows(rows), c.where).toEqual(sortRows(all.filter(c.keep)));
        expect((await filesMatching(snapshot, c.where)).length, c.where).toBe(c.files);
      }
    });
  }

  it('reads the columns the condition needs but returns only those asked for, and applies limit after filtering', async () => {
    const snapshot = await snapshotOf('data-skipping-partition-and-data-column');
    const rows = await rowsOf(snapshot.scan({ columns: ['id'], where: 'part = 1' }));
    expect(rows.map((r) => Object.keys(r))).toEqual([['id'], ['id']]);
    expect(rows.map((r) => r['id']).sort()).toEqual([0, 1]);
    expect(await rowsOf(snapshot.scan({ columns: ['id'], where: 'part = 1', limit: 1 }))).toHaveLength(1);
    expect(await rowsOf(snapshot.scan({ where: 'part = 1', limit: 0 }))).toHaveLength(0);
  });

  it('filters rows of files with deletion vectors (deleted rows stay deleted)', async () => {
    for (const table of ['dv-partitioned-with-checkpoint', 'dv-with-columnmapping']) {
      const snapshot = await snapshotOf(table);
      const all = await rowsOf(snapshot.scan());
      const column = snapshot.schema.fields.find((f) => f.name !== 'part')!.name;
      const values = all.map((r) => r[column]).filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
      const mid = values[Math.floor(values.length / 2)]!;
      const rows = await rowsOf(snapshot.scan({ where: `${column} >= ${mid} AND part IS NOT NULL` }));
      expect(sortRows(rows), table).toEqual(sortRows(all.filter((r) => (r[column] as number) >= mid && r['part'] !== null)));
    }
  });

  it('reports errors before reading data: unknown columns, bad SQL, unsupported constructs', async () => {
    const snapshot = await snapshotOf('data-skipping-partition-and-data-column');
    await expect(rowsOf(snapshot.scan({ where: 'nope = 1' }))).rejects.toMatchObject({ code: 'COLUMN_NOT_FOUND', message: expect.stringMatching(/its columns are part, id/) });
    await expect(rowsOf(snapshot.scan({ where: 'id =' }))).rejects.toMatchObject({ code: 'USAGE' });
    await expect(rowsOf(snapshot.scan({ where: 'abs(id) = 1' }))).rejects.toMatchObject({ code: 'UNSUPPORTED_PREDICATE' });
    await expect(filesMatching(snapshot, "id = 'x'")).rejects.toMatchObject({ code: 'USAGE' });
  });
});

// ---------------------------------------------------------------------------------------------
// Many predicates generated from each table's own values: pruning never loses a row.

const TABLES = [
  'data-skipping-basic-stats-all-types',
  'data-skipping-basic-stats-all-types-columnmapping-id',
  'data-skipping-partition-and-data-column',
  'data-reader-partition-values',
  'data-reader-primitives',
  'data-reader-nested-struct',
  'data-reader-timestamp_ntz',
  'data-reader-timestamp_ntz-name-mode',
  'dv-partitioned-with-checkpoint',
  'dv-with-columnmapping',
  'kernel-timestamp-int96',
  'kernel-timestamp-pst',
  'kernel-timestamp-timestamp_micros',
  'kernel-timestamp-timestamp_millis',
  'basic-decimal-table',
  'decimal-various-scale-precision',
  'multi-part-checkpoint',
  'v2-checkpoint-parquet',
  'basic-with-inserts-deletes-checkpoint',
  'dat/all_primitive_types',
  'dat/basic_partitioned',
  'dat/multi_partitioned',
  'dat/multi_partitioned_2',
  'dat/nested_types',
  'dat/with_checkpoint',
  'dat/stats_as_struct',
];

/** A SQL literal for a value of the full scan's JSON (json-values.ts encoding). */
function sqlLiteral(value: JsonValue, type: DeltaType): string | undefined {
  if (value === null) return 'NULL';
  if (typeof type !== 'string') return undefined;
  if (type === 'string') return `'${String(value).replaceAll("'", "''")}'`;
  if (type === 'date') return `DATE '${String(value)}'`;
  if (type === 'timestamp') return `TIMESTAMPTZ '${String(value)}'`;
  if (type === 'timestamp_ntz') return `TIMESTAMP '${String(value)}'`;
  if (type === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (type === 'float' || type === 'double') return typeof value === 'number' ? String(value) : `'${String(value)}'::DOUBLE`;
  if (type === 'binary') return undefined;
  return String(value); // integers (exact, also as strings beyond 2^53) and decimals
}

function leaves(type: DeltaType, prefix: string[]): { path: string[]; type: DeltaType }[] {
  if (typeof type === 'object' && type.type === 'struct') return type.fields.flatMap((f) => leaves(f.type, [...prefix, f.name]));
  if (typeof type === 'object' || type === 'variant' || type === 'binary' || type === 'void') return [];
  return [{ path: prefix, type }];
}

function valueAt(row: Row, path: readonly string[]): JsonValue {
  let value: JsonValue = row;
  for (const name of path) value = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value[name] ?? null) : null;
  return value;
}

describe.skipIf(!found.found)('pruning on real statistics never loses rows', () => {
  it(`on ${TABLES.length} tables, predicates from their own values`, async () => {
    const report: string[] = [];
    for (const table of TABLES) {
      const snapshot = await snapshotOf(table);
      const batches: RecordBatch[] = [];
      for await (const batch of snapshot.scan()) batches.push(batch);
      const all = batches.flatMap((batch) => [...batchRowsAsJson(batch)]);
      let predicates: string[] = [];
      for (const { path, type } of leaves({ type: 'struct', fields: snapshot.schema.fields }, [])) {
        const ref = path.map((p) => `"${p.replaceAll('"', '""')}"`).join('.');
        const values = [...new Set(all.map((r) => JSON.stringify(valueAt(r, path))))].map((v) => JSON.parse(v) as JsonValue);
        const picked = [values[0], values[Math.floor(values.length / 2)], values.at(-1)].filter((v) => v !== undefined && v !== null);
        predicates.push(`${ref} IS NULL`, `${ref} IS NOT NULL`);
        for (const value of picked) {
          const lit = sqlLiteral(value!, type);
          if (lit === undefined) continue;
          for (const op of ['=', '<', '>=', '<>']) predicates.push(`${ref} ${op} ${lit}`);
          predicates.push(`NOT (${ref} > ${lit})`, `${ref} IN (${lit}, NULL)`, `${ref} = ${lit} OR ${ref} IS NULL`);
        }
      }
      // At most 40 per table, spread over the columns, to keep the suite quick.
      const step = Math.max(1, Math.ceil(predicates.length / 40));
      predicates = predicates.filter((_, i) => i % step === 0);
      let read = 0;
      for (const where of predicates) {
        const expected = await filtered(snapshot, batches, where);
        const rows = await rowsOf(snapshot.scan({ where }));
        expect(sortRows(rows), `${table}: ${where}`).toEqual(sortRows(expected));
        read += (await filesMatching(snapshot, where)).length;
      }
      const total = snapshot.files.length * predicates.length;
      report.push(`${table}: ${predicates.length} predicates, ${snapshot.files.length} files, ${read}/${total} file reads (${Math.round((100 * (total - read)) / Math.max(total, 1))}% pruned)`);
    }
    if (process.env['LAKE_PRUNING_REPORT'] === '1') process.stdout.write(`${report.join('\n')}\n`);
  }, 300_000);
});
