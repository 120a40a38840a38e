/**
 * The Iceberg conformance cases (`iceberg/cases/<case>/expected.json`, see the corpus README):
 * each case's checks run against lake's reader; a case passes when every check does.
 *
 * A check opens the table the way its upstream query did: through the table directory when the
 * upstream resolved the metadata itself (`resolved_via`: version hint or highest version), else
 * the metadata file it names; always with the case's path remapping. Values are compared as the
 * upstream engine (DuckDB, for these cases) renders them: DuckDB casts lake's values to text,
 * floats compare with a relative tolerance.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SqlWorkspace } from '../../src/engine/sql-workspace.js';
import type { CaseResult } from './delta-cases.js';
import { JsonNumber, parseExactJson, type ExactJson } from '../../src/engine/predicate-json.js';
import { planIcebergScan, registerIcebergRows, snapshotSchema } from '../../src/iceberg/scan.js';
import { IcebergTable } from '../../src/iceberg/table.js';
import type { PathRemap } from '../../src/iceberg/files.js';
import { formatLocation, parseLocation, type StoreOptions } from '../../src/storage/index.js';
import { sqlString } from '../../src/engine/duckdb-session.js';
import { duckType } from '../../src/iceberg/values.js';
import { currentSchema, type IcebergType, type PartitionSpec } from '../../src/iceberg/metadata.js';
import type { ManifestEntry, ManifestFile } from '../../src/iceberg/manifests.js';
import { decodeBound } from '../../src/iceberg/pruning.js';
import { avroValueSql } from '../../src/iceberg/values.js';

export const ICEBERG_UPSTREAM = 'iceberg/cases: tables from the duckdb-iceberg project test data (written by Spark, PyIceberg and others), expected values from its tests';

export interface IcebergCaseResult extends CaseResult {
  readonly checks: { readonly passed: number; readonly failed: number };
}

type Check = { readonly [key: string]: ExactJson };

export async function listIcebergCases(root: string): Promise<string[]> {
  return (await readdir(join(root, 'cases'), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

/**
 * Where a case is read from: its files under `dir` locally, or a copy of the case directory at
 * `url` (an S3 prefix) read with `storeOptions`. Expected files are always read locally.
 */
export interface CasePlace {
  readonly url?: string;
  readonly storeOptions?: StoreOptions;
}

interface Place {
  readonly dir: string;
  /** The location of a case-relative path. */
  at(relative: string): string;
  readonly storeOptions: StoreOptions;
}

export async function runIcebergCase(root: string, name: string, where: CasePlace = {}): Promise<IcebergCaseResult> {
  const dir = join(root, 'cases', name);
  const place: Place = {
    dir,
    at: (relative) => (where.url === undefined ? join(dir, relative) : `${where.url}/${relative}`),
    storeOptions: where.storeOptions ?? {},
  };
  const expected = parseExactJson(await readFile(join(dir, 'expected.json'), 'utf8')) as { [key: string]: ExactJson };
  const remap: PathRemap[] = (expected.path_prefixes as Check[]).filter((p) => p.maps_to !== null).map((p) => ({ from: p.prefix as string, to: place.at(p.maps_to as string) }));
  const failures: string[] = [];
  const checks = expected.checks as Check[];
  for (const [i, check] of checks.entries()) {
    try {
      await runCheck(place, expected, remap, check);
    } catch (error) {
      failures.push(`check ${i} (${String(check.kind)}): ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return { case: name, ok: failures.length === 0, ...(failures.length === 0 ? {} : { error: failures.join('; ') }), checks: { passed: checks.length - failures.length, failed: failures.length } };
}

class Mismatch extends Error {}

async function open(place: Place, expected: Check, remap: PathRemap[], check: Check): Promise<IcebergTable> {
  const metadata = place.at(check.metadata as string);
  const options = { ...place.storeOptions, remap };
  // The upstream found the metadata itself: so does lake, from the table directory.
  if (typeof check.resolved_via === 'string') {
    const table = await IcebergTable.open(place.at(expected.table_dir as string), options);
    const found = formatLocation(table.metadataLocation);
    if (found !== formatLocation(parseLocation(metadata))) throw new Mismatch(`found metadata ${found}, expected ${metadata} (${String(check.resolved_via)})`);
    return table;
  }
  return IcebergTable.open(place.at(expected.table_dir as string), { ...options, metadata });
}

function selector(check: Check): { snapshotId?: bigint; timestamp?: number } {
  const s = check.snapshot;
  if (s === null || s === undefined) return {};
  if (s instanceof JsonNumber) return { snapshotId: s.toBigInt()! };
  const ms = (s as Check).timestamp_ms_utc;
  return { timestamp: (ms as JsonNumber).toNumber() };
}

async function runCheck(place: Place, expected: Check, remap: PathRemap[], check: Check): Promise<void> {
  const kind = check.kind as string;
  if (kind === 'error') {
    let failed = false;
    try {
      await withRows(place, expected, remap, check, async (ws) => ws.scalar(`SELECT count(*) FROM (${upstreamSql(check)})`));
    } catch {
      failed = true;
    }
    if (!failed) throw new Mismatch(`reading succeeded, but it must fail: ${String(check.meaning)}`);
    return;
  }
  if (kind === 'count') {
    const count = await withRows(place, expected, remap, check, async (ws) => ws.scalar(upstreamSql(check)));
    const want = (check.expected as JsonNumber).toNumber();
    if (Number(count) !== want) throw new Mismatch(`count ${String(count)}, expected ${want}`);
    return;
  }
  if (kind === 'rows') {
    const rows = await withRows(place, expected, remap, check, async (ws) => textRows(ws, `SELECT CAST(COLUMNS(*) AS VARCHAR) FROM (${upstreamSql(check)})`));
    compareRows(rows, check.expected as string[][], check.order_matters === true);
    return;
  }
  if (kind === 'snapshots' || kind === 'manifest_entries' || kind === 'column_stats' || kind === 'partition_stats') {
    const table = await open(place, expected, remap, check);
    const ws = await SqlWorkspace.open();
    try {
      await registerMetadataTables(ws, table);
      const rows = await textRows(ws, `SELECT CAST(COLUMNS(*) AS VARCHAR) FROM (${upstreamSql(check)})`);
      compareRows(rows, check.expected as string[][], check.order_matters === true);
    } finally {
      await ws.close();
    }
    return;
  }
  if (kind === 'schema') {
    const table = await open(place, expected, remap, check);
    const schema = snapshotSchema(table, table.snapshot(selector(check)));
    const wanted = (check.expected as string[][]).map((row) => row[0]!);
    const rows = wanted.map((name) => {
      const field = schema.fields.find((f) => f.name === name);
      if (field === undefined) throw new Mismatch(`no column ${name}`);
      return [name, upstreamTypeName(field.type), field.required ? 'NO' : 'YES', 'NULL', 'NULL', 'NULL'];
    });
    compareRows(rows, check.expected as string[][], true);
    return;
  }
  if (kind === 'rows_match_file') {
    const files = (check.expected_files as string[]).map((f) => sqlString(join(place.dir, f)));
    const orderBy = (check.order_by as string[]).map((c) => `"${c}"`).join(', ');
    await withRows(place, expected, remap, check, async (ws) => {
      const differ = await ws.scalar(
        `SELECT count(*) FROM ((SELECT * FROM r EXCEPT ALL SELECT * FROM read_parquet([${files.join(', ')}])) UNION ALL (SELECT * FROM read_parquet([${files.join(', ')}]) EXCEPT ALL SELECT * FROM r))`,
      );
      if (Number(differ) !== 0) throw new Mismatch(`${String(differ)} rows differ from the expected files (compared as multisets, upstream ordered by ${orderBy})`);
    });
    return;
  }
  throw new Mismatch(`not implemented: the runner has no ${kind} check yet`);
}

/**
 * The check's upstream query with its table function call replaced by lake's rows (the view r):
 * its projection, filter, order and limit then apply to what lake read.
 */
function upstreamSql(check: Check): string {
  const sql = (check.sql_like as string)
    .trim()
    .replace(/;\s*$/, '')
    .replace(/iceberg_snapshots\s*\((?:[^()']|'[^']*'|\([^()]*\))*\)/i, 'snapshots_r')
    .replace(/iceberg_metadata\s*\((?:[^()']|'[^']*'|\([^()]*\))*\)/i, 'entries_r')
    .replace(/iceberg_column_stats\s*\((?:[^()']|'[^']*'|\([^()]*\))*\)/i, 'column_stats_r')
    .replace(/iceberg_partition_stats\s*\((?:[^()']|'[^']*'|\([^()]*\))*\)/i, 'partition_stats_r');
  if (/\b(snapshots_r|entries_r|column_stats_r|partition_stats_r)\b/.test(sql)) return sql;
  const call = /iceberg_scan\s*\((?:[^()']|'[^']*'|\([^()]*\))*\)/i;
  // Or a catalog table name (catalog.schema.table) after FROM.
  const named = /(\bFROM\s+)([A-Za-z_][\w]*\.[A-Za-z_][\w]*\.[A-Za-z_][\w]*)/i;
  if (!call.test(sql) && !named.test(sql)) throw new Mismatch(`the runner cannot find the table in ${sql}`);
  const replaced = call.test(sql) ? sql.replace(call, 'r') : sql.replace(named, '$1r');
  return /^\s*FROM\b/i.test(replaced) ? `SELECT * ${replaced}` : replaced;
}

/** lake's view of the snapshots and the current snapshot's manifest entries, as ICEBERG_SNAPSHOTS / ICEBERG_METADATA list them. */
async function registerMetadataTables(ws: SqlWorkspace, table: IcebergTable): Promise<void> {
  const str = (v: string | undefined) => (v === undefined ? 'NULL::VARCHAR' : sqlString(v));
  const snapshots = table.metadata.snapshots.map(
    (s) => `(${s.sequenceNumber}::BIGINT, ${s.snapshotId}::UBIGINT, make_timestamp(${s.timestampMs * 1000}::BIGINT), ${str(s.manifestList)})`,
  );
  await ws.run(
    `CREATE OR REPLACE TEMP TABLE snapshots_r AS SELECT * FROM (VALUES ${snapshots.length === 0 ? '(NULL::BIGINT, NULL::UBIGINT, NULL::TIMESTAMP, NULL::VARCHAR)' : snapshots.join(', ')}) t(sequence_number, snapshot_id, timestamp_ms, manifest_list)${snapshots.length === 0 ? ' WHERE FALSE' : ''}`,
  );
  const snapshot = table.snapshot();
  const manifests = snapshot === undefined ? [] : await table.manifests(snapshot);
  const entries = await table.entries(manifests);
  await registerStatsTables(ws, table, entries, manifests);
  const statuses = ['EXISTING', 'ADDED', 'DELETED'];
  const contents = ['DATA', 'POSITION_DELETES', 'EQUALITY_DELETES'];
  const rows = entries.map(({ manifest, entry }) =>
    `(${sqlString(manifest.path)}, ${manifest.sequenceNumber}::BIGINT, ${sqlString(manifest.content === 0 ? 'DATA' : 'DELETE')}, ${sqlString(statuses[entry.status]!)}, ${sqlString(contents[entry.dataFile.content]!)}, ` +
    `${sqlString(entry.dataFile.filePath)}, ${sqlString(entry.dataFile.fileFormat)}, ${entry.dataFile.recordCount}::BIGINT, ${entry.sequenceNumber}::BIGINT, ${entry.fileSequenceNumber}::BIGINT)`,
  );
  const empty = `(NULL::VARCHAR, NULL::BIGINT, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::BIGINT, NULL::BIGINT, NULL::BIGINT)`;
  await ws.run(
    `CREATE OR REPLACE TEMP TABLE entries_r AS SELECT * FROM (VALUES ${rows.length === 0 ? empty : rows.join(', ')}) ` +
      `t(manifest_path, manifest_sequence_number, manifest_content, status, content, file_path, file_format, record_count, data_sequence_number, file_sequence_number)${rows.length === 0 ? ' WHERE FALSE' : ''}`,
  );
}

/**
 * Per-file column metrics and per-manifest partition summaries, as ICEBERG_COLUMN_STATS and
 * ICEBERG_PARTITION_STATS list them: bounds decoded by lake (pruning.ts) and rendered by DuckDB,
 * binary bounds as 0x-hex, a file's partition as a struct of r0, r1, ….
 */
async function registerStatsTables(ws: SqlWorkspace, table: IcebergTable, entries: readonly { manifest: ManifestFile; entry: ManifestEntry }[], manifests: readonly ManifestFile[]): Promise<void> {
  const schema = currentSchema(table.metadata);
  const specs = new Map(table.metadata.partitionSpecs.map((s) => [s.specId, s]));
  const boundSql = (bytes: Uint8Array | undefined, type: IcebergType): string => {
    if (bytes === undefined) return 'NULL::VARCHAR';
    if (type === 'binary' || (typeof type === 'string' && /^fixed\[/.test(type))) return sqlString(`0x${Buffer.from(bytes).toString('hex')}`);
    const value = decodeBound(bytes, type);
    if (value === undefined) return 'NULL::VARCHAR';
    return `CAST(${avroValueSql(value, type)} AS VARCHAR)`;
  };
  const resultType = (spec: PartitionSpec, i: number): IcebergType => {
    const field = spec.fields[i]!;
    const source = schema.fields.find((f) => f.id === field.sourceId)?.type ?? 'string';
    if (field.transform === 'identity' || field.transform.startsWith('truncate')) return source;
    if (field.transform === 'day') return 'date';
    return 'int';
  };
  const statuses = ['EXISTING', 'ADDED', 'DELETED'];
  const contents = ['DATA', 'POSITION_DELETES', 'EQUALITY_DELETES'];
  const rows: string[] = [];
  for (const { entry } of entries) {
    const file = entry.dataFile;
    const spec = specs.get(entry.partitionSpecId) ?? { specId: entry.partitionSpecId, fields: [] };
    const partition = spec.fields.length === 0 ? 'NULL::VARCHAR' : `CAST(struct_pack(${spec.fields.map((f, i) => `r${i} := ${avroValueSql(file.partition.get(f.fieldId), resultType(spec, i))}`).join(', ')}) AS VARCHAR)`;
    for (const field of schema.fields) {
      const n = (m: ReadonlyMap<number, number>) => (m.get(field.id) === undefined ? 'NULL::BIGINT' : `${m.get(field.id)}::BIGINT`);
      rows.push(
        `(${rows.length}, ${sqlString(statuses[entry.status]!)}, ${sqlString(contents[file.content]!)}, ${sqlString(file.filePath)}, ${partition}, ${sqlString(field.name)}, ${sqlString(duckType(field.type))}, ` +
          `${boundSql(file.lowerBounds.get(field.id), field.type)}, ${boundSql(file.upperBounds.get(field.id), field.type)}, ${n(file.columnSizes)}, ${n(file.valueCounts)}, ${n(file.nullValueCounts)}, ${n(file.nanValueCounts)}, ${entry.fileSequenceNumber}::BIGINT)`,
      );
    }
  }
  const statsColumns = 'status, content, file_path, partition, column_name, column_type, lower_bound, upper_bound, column_size, value_count, null_value_count, nan_value_count, file_sequence_number';
  const emptyStats = `(0, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::BIGINT, NULL::BIGINT, NULL::BIGINT, NULL::BIGINT, NULL::BIGINT)`;
  // In manifest order, which queries with OFFSET and no ORDER BY rely on.
  await ws.run(`CREATE OR REPLACE TEMP TABLE column_stats_t AS SELECT * FROM (VALUES ${rows.length === 0 ? emptyStats : rows.join(', ')}) t(ord, ${statsColumns})${rows.length === 0 ? ' WHERE FALSE' : ''}`);
  await ws.run('CREATE OR REPLACE TEMP VIEW column_stats_r AS SELECT * EXCLUDE (ord) FROM column_stats_t ORDER BY ord');

  const summaries: string[] = [];
  for (const manifest of manifests) {
    const spec = specs.get(manifest.partitionSpecId);
    if (spec === undefined || manifest.partitions === undefined) continue;
    for (const [i, summary] of manifest.partitions.entries()) {
      const field = spec.fields[i];
      if (field === undefined) continue;
      const type = resultType(spec, i);
      const source = schema.fields.find((f) => f.id === field.sourceId)?.name ?? '';
      summaries.push(
        `(${sqlString(manifest.path)}, ${manifest.addedSnapshotId ?? 'NULL'}::UBIGINT, ${manifest.partitionSpecId}, ${field.fieldId}, ${sqlString(field.name)}, ${sqlString(`[${source}]`)}, ${sqlString(field.transform)}, ${sqlString(duckType(type))}, ` +
          `${boundSql(summary.lowerBound, type)}, ${boundSql(summary.upperBound, type)}, ${summary.containsNull}, ${summary.containsNan ?? 'NULL'}::BOOLEAN)`,
      );
    }
  }
  const partitionColumns = 'manifest_path, added_snapshot_id, partition_spec_id, partition_field_id, partition_field_name, partition_source_columns, partition_field_transform, partition_field_type, lower_bound, upper_bound, contains_null, contains_nan';
  const emptySummary = `(NULL::VARCHAR, NULL::UBIGINT, NULL::INTEGER, NULL::INTEGER, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::VARCHAR, NULL::BOOLEAN, NULL::BOOLEAN)`;
  await ws.run(`CREATE OR REPLACE TEMP TABLE partition_stats_r AS SELECT * FROM (VALUES ${summaries.length === 0 ? emptySummary : summaries.join(', ')}) t(${partitionColumns})${summaries.length === 0 ? ' WHERE FALSE' : ''}`);
}

async function withRows<T>(place: Place, expected: Check, remap: PathRemap[], check: Check, body: (ws: SqlWorkspace) => Promise<T>): Promise<T> {
  const table = await open(place, expected, remap, check);
  const snapshot = table.snapshot(selector(check));
  const ws = await SqlWorkspace.open();
  try {
    for (const statement of (check.session as string[] | undefined) ?? []) {
      if (/^SET (TimeZone|Calendar)/i.test(statement)) await ws.run(statement);
    }
    // The query's own WHERE, handed to lake for pruning (the query applies it exactly anyway;
    // a condition lake cannot bind, such as one on an alias, prunes nothing).
    const where = typeof check.sql_like === 'string' ? whereOf(check.sql_like) : undefined;
    const schema = snapshotSchema(table, snapshot);
    await registerIcebergRows(ws, table, await planIcebergScan(table, snapshot, schema, where), schema, 'r');
    return await body(ws);
  } finally {
    await ws.close();
  }
}

/** DuckDB's name of an Iceberg type, as the upstream DuckDB (which has TIMESTAMPTZ_NS) reports it. */
function upstreamTypeName(type: IcebergType): string {
  return type === 'timestamptz_ns' ? 'TIMESTAMPTZ_NS' : duckType(type);
}

/** The WHERE condition of a single-table upstream query, up to ORDER BY / LIMIT / OFFSET; undefined if none or if it joins. */
function whereOf(sql: string): string | undefined {
  if (/\bjoin\b/i.test(sql)) return undefined;
  const m = /\bwhere\b([\s\S]*?)(?:\border\s+by\b|\blimit\b|\boffset\b|;|$)/i.exec(sql);
  return m === null ? undefined : m[1]!.trim();
}

async function textRows(ws: SqlWorkspace, sql: string): Promise<(string | null)[][]> {
  const rows: (string | null)[][] = [];
  for await (const batch of ws.query(sql)) {
    for (let i = 0; i < batch.numRows; i++) rows.push(batch.schema.fields.map((_, j) => batch.getChildAt(j)!.get(i) as string | null));
  }
  return rows;
}

function compareRows(actual: (string | null)[][], expected: (string | null)[][], ordered: boolean): void {
  const render = (row: (string | null)[]) => row.map((v) => (v === null ? 'NULL' : v));
  const a = actual.map(render);
  const e = expected.map(render);
  if (!ordered) {
    a.sort(compareRow);
    e.sort(compareRow);
  }
  if (a.length !== e.length) throw new Mismatch(`${a.length} rows, expected ${e.length}: ${JSON.stringify(a.slice(0, 3))} vs ${JSON.stringify(e.slice(0, 3))}`);
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < e[i]!.length; j++) {
      if (!sameCell(a[i]![j]!, e[i]![j]!)) throw new Mismatch(`row ${i} column ${j}: ${JSON.stringify(a[i])}, expected ${JSON.stringify(e[i])}`);
    }
  }
}

function compareRow(x: string[], y: string[]): number {
  const a = JSON.stringify(x);
  const b = JSON.stringify(y);
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameCell(actual: string, expected: string): boolean {
  if (actual === expected) return true;
  // The corpus renders booleans true/false, and 1/0 in one case (its README says so).
  if ((actual === 'true' && expected === '1') || (actual === 'false' && expected === '0')) return true;
  const a = Number(actual);
  const e = Number(expected);
  return actual.trim() !== '' && Number.isFinite(a) && Number.isFinite(e) && Math.abs(a - e) <= 1e-6 * Math.max(Math.abs(a), Math.abs(e));
}
