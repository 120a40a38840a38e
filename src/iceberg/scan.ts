/**
 * Reading an Iceberg snapshot's rows through DuckDB.
 *
 * - Data files are read by Parquet field id (DuckDB's `read_parquet(schema = MAP {id: …})`), so
 *   renamed, reordered, added and dropped columns resolve as the spec says; a field a file lacks
 *   is its identity partition value (partition columns need not be in the files), else its
 *   initial default, else NULL (defaults pass as text, which DuckDB casts: the MAP's values must
 *   share one type). Promoted types (int → long, float → double, wider decimals) are
 *   cast to the schema's type.
 * - Files written without field ids (imported with add_files, say) are read by the names the
 *   table's `schema.name-mapping.default` gives each top-level field.
 * - Deletes: position delete files and v3 deletion vectors remove (data file, row position)
 *   pairs; a position delete applies to data files whose data sequence number is at most its own.
 *   Equality delete files remove rows whose equality columns equal a delete row's (NULL equals
 *   NULL), for data files with a smaller data sequence number, in the same partition unless the
 *   delete file's spec is unpartitioned.
 */
import { Field, Int64, makeData, RecordBatch, Schema as ArrowSchema, Struct, Utf8, vectorFromArray } from 'apache-arrow';
import { sqlIdentifier, sqlString } from '../engine/duckdb-session.js';
import { SqlWorkspace, type SqlWorkspaceOptions } from '../engine/sql-workspace.js';
import { LakeError } from '../errors.js';
import { decodeBitmapArray } from '../delta/deletion-vector.js';
import { FileContent, ManifestContent, type ManifestEntry } from './manifests.js';
import { currentSchema, type NestedField, type PartitionSpec, type Schema, type Snapshot } from './metadata.js';
import type { IcebergTable, PlannedFiles, SnapshotSelector } from './table.js';
import { avroValueSql, duckType, jsonValueSql } from './values.js';
import { bindIcebergWhere, mayMatchFile, mayMatchManifest } from './pruning.js';
import type { BoundPredicate } from '../engine/predicate-bind.js';

/** Reserved field ids of position delete files (format/spec.md "Position Delete Files"). */
const DELETE_FILE_PATH_ID = 2147483546;
const DELETE_POS_ID = 2147483545;

const PATH = '__lake_path';
const ROW = '__lake_row';
const SEQ = '__lake_seq';
const PART = '__lake_part';

/**
 * The schema a snapshot is read with: the table's current schema for its current snapshot; for
 * time travel, the schema the snapshot was written with (as Spark reads it), else the current one.
 */
export function snapshotSchema(table: IcebergTable, snapshot: Snapshot | undefined): Schema {
  const current = currentSchema(table.metadata);
  if (snapshot === undefined || snapshot.snapshotId === table.metadata.currentSnapshotId) return current;
  return table.metadata.schemas.find((s) => s.schemaId === snapshot.schemaId) ?? current;
}

/** Creates the view `name` of the planned files' live rows, in `schema`'s columns. */
export async function registerIcebergRows(workspace: SqlWorkspace, table: IcebergTable, planned: PlannedFiles, schema: Schema, name: string): Promise<void> {
  const columns = schema.fields.map((f) => `${sqlIdentifier(f.name)}`).join(', ');
  const empty = emptyRelation(schema.fields);
  if (planned.data.length === 0) {
    await workspace.run(`CREATE OR REPLACE TEMP VIEW ${sqlIdentifier(name)} AS ${empty}`);
    return;
  }
  const specs = new Map(table.metadata.partitionSpecs.map((s) => [s.specId, s]));
  const nameMapping = parseNameMapping(table.metadata.properties['schema.name-mapping.default']);
  const parts: string[] = [];
  for (const entry of planned.data) {
    const file = entry.dataFile;
    if (file.fileFormat !== 'PARQUET') throw new LakeError('UNSUPPORTED_FILE_FORMAT', `data file ${file.filePath} is ${file.fileFormat}; lake reads Parquet data files`);
    const path = await table.files.localPath(file.filePath, workspace.dir, 'data file');
    const spec = specs.get(entry.partitionSpecId);
    const tail = `${sqlString(file.filePath)} AS ${PATH}, file_row_number AS ${ROW}, ${entry.sequenceNumber}::BIGINT AS ${SEQ}, ${sqlString(partitionKey(entry))} AS ${PART}`;
    const byName = nameMapping === undefined ? undefined : await columnsWithoutFieldIds(workspace, path);
    if (byName !== undefined) {
      // A file written without field ids (imported, say): its columns are found by the names the mapping gives each field.
      const select = schema.fields.map((field) => {
        const column = (nameMapping!.get(field.id) ?? []).find((n) => byName.has(n));
        const value = column === undefined ? missingValueSql(field, entry, spec) : sqlIdentifier(column);
        return `CAST(${value} AS ${duckType(field.type)}) AS ${sqlIdentifier(field.name)}`;
      });
      parts.push(`SELECT ${select.join(', ')}, ${tail} FROM read_parquet(${sqlString(path)}, file_row_number = true)`);
      continue;
    }
    const mapping = schema.fields.map((field) => `${field.id}: {name: ${sqlString(field.name)}, type: ${sqlString(duckType(field.type))}, default_value: CAST(${missingValueSql(field, entry, spec)} AS VARCHAR)}`);
    parts.push(
      `SELECT ${schema.fields.map((f) => `CAST(${sqlIdentifier(f.name)} AS ${duckType(f.type)}) AS ${sqlIdentifier(f.name)}`).join(', ')}, ${tail} ` +
        `FROM read_parquet(${sqlString(path)}, schema = MAP {${mapping.join(', ')}}, file_row_number = true)`,
    );
  }
  let rows = `(${parts.join(' UNION ALL ')})`;
  const positional = await registerPositionDeletes(workspace, table, planned.deletes, `${name}__positions`);
  if (positional !== undefined) {
    rows = `(SELECT d.* FROM ${rows} AS d ANTI JOIN ${positional} AS p ON p.file_path = d.${PATH} AND p.pos = d.${ROW} AND p.seq >= d.${SEQ})`;
  }
  const equality = planned.deletes.filter((e) => e.dataFile.content === FileContent.EqualityDeletes);
  for (const [i, group] of groupByEqualityIds(equality).entries()) {
    const relation = await registerEqualityDeletes(workspace, table, group, schema, `${name}__equality${i}`);
    const ids = group[0]!.dataFile.equalityIds!;
    const on = ids.map((id) => {
      const field = schema.fields.find((f) => f.id === id);
      if (field === undefined) throw new LakeError('UNSUPPORTED_DELETE', `an equality delete file uses field id ${id}, which the read schema does not have`);
      return `e.${sqlIdentifier(field.name)} IS NOT DISTINCT FROM d.${sqlIdentifier(field.name)}`;
    });
    rows = `(SELECT d.* FROM ${rows} AS d ANTI JOIN ${relation} AS e ON ${on.join(' AND ')} AND e.seq > d.${SEQ} AND (e.global OR e.part = d.${PART}))`;
  }
  await workspace.run(`CREATE OR REPLACE TEMP VIEW ${sqlIdentifier(name)} AS SELECT ${columns} FROM ${rows}`);
}

/** No rows, in these fields' DuckDB types. */
function emptyRelation(fields: readonly NestedField[]): string {
  return `SELECT ${fields.map((f) => `CAST(NULL AS ${duckType(f.type)}) AS ${sqlIdentifier(f.name)}`).join(', ')} WHERE FALSE`;
}

/**
 * The files a scan of `snapshot` reads: with `where`, manifests whose partition summaries rule it
 * out are not opened and data files whose metrics or partition values rule it out are left out
 * (pruning.ts). Delete files are all kept. Pruning is best effort: a condition the engine cannot
 * judge (an expression it does not model) keeps everything, and the row filter selects exactly.
 */
export async function planIcebergScan(table: IcebergTable, snapshot: Snapshot | undefined, schema: Schema, where?: string): Promise<PlannedFiles> {
  if (where === undefined) return table.plan(snapshot);
  const predicate = await bindWhereTo(schema, where);
  if (predicate === undefined) return table.plan(snapshot);
  const specs = new Map(table.metadata.partitionSpecs.map((s) => [s.specId, s]));
  const planned = await table.plan(snapshot, {
    manifestFilter: (m) => m.content !== ManifestContent.Data || mayMatchManifest(predicate, schema, m, specs.get(m.partitionSpecId)),
  });
  return { ...planned, data: planned.data.filter((entry) => mayMatchFile(predicate, schema, entry, specs.get(entry.partitionSpecId))) };
}

async function bindWhereTo(schema: Schema, where: string): Promise<BoundPredicate | undefined> {
  try {
    return await bindIcebergWhere(where, await icebergArrowSchema(schema, schema.fields.map((f) => f.name)));
  } catch (error) {
    if (error instanceof LakeError) return undefined;
    throw error;
  }
}

/** `schema.name-mapping.default`: top-level field id → the names a file may give it. */
function parseNameMapping(text: string | undefined): Map<number, string[]> | undefined {
  if (text === undefined) return undefined;
  let entries: { 'field-id'?: number; names?: string[] }[];
  try {
    entries = JSON.parse(text) as typeof entries;
  } catch (error) {
    throw new LakeError('CORRUPT_METADATA', `the table property schema.name-mapping.default is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return new Map(entries.filter((e) => typeof e['field-id'] === 'number').map((e) => [e['field-id']!, e.names ?? []]));
}

/** The top-level column names of a Parquet file that has no field ids; undefined when it has them. */
async function columnsWithoutFieldIds(workspace: SqlWorkspace, path: string): Promise<Set<string> | undefined> {
  const withIds = Number(await workspace.scalar(`SELECT count(*) FROM parquet_schema(${sqlString(path)}) WHERE field_id IS NOT NULL`));
  if (withIds > 0) return undefined;
  return new Set(await workspace.columnNames(`SELECT * FROM read_parquet(${sqlString(path)})`));
}

/** What a data file lacking `field` holds for it: its identity partition value, else the initial default, else NULL. */
function missingValueSql(field: NestedField, entry: ManifestEntry, spec: PartitionSpec | undefined): string {
  const identity = spec?.fields.find((p) => p.sourceId === field.id && p.transform === 'identity');
  if (identity !== undefined && entry.dataFile.partition.has(identity.fieldId)) return avroValueSql(entry.dataFile.partition.get(identity.fieldId), field.type);
  if (field.initialDefault !== undefined) return jsonValueSql(field.initialDefault, field.type);
  return `CAST(NULL AS ${duckType(field.type)})`;
}

/** A file's partition as a comparable key: its spec and values. */
function partitionKey(entry: ManifestEntry): string {
  const values = [...entry.dataFile.partition].map(([id, v]) => `${id}=${v instanceof Uint8Array ? Buffer.from(v).toString('hex') : String(v)}`);
  return `${entry.partitionSpecId}:${values.join(',')}`;
}

/** (file_path, pos, seq) of every position delete and deletion vector, as a relation; undefined when there are none. */
async function registerPositionDeletes(workspace: SqlWorkspace, table: IcebergTable, deletes: readonly ManifestEntry[], name: string): Promise<string | undefined> {
  const parts: string[] = [];
  const vectors: { path: string; pos: bigint[]; seq: bigint }[] = [];
  for (const entry of deletes) {
    const file = entry.dataFile;
    if (file.content !== FileContent.PositionDeletes) continue;
    if (file.fileFormat === 'PUFFIN') {
      vectors.push({ path: file.referencedDataFile ?? '', pos: await deletionVectorRows(table, entry), seq: entry.sequenceNumber });
      continue;
    }
    if (file.fileFormat !== 'PARQUET') throw new LakeError('UNSUPPORTED_FILE_FORMAT', `delete file ${file.filePath} is ${file.fileFormat}; lake reads Parquet delete files and Puffin deletion vectors`);
    const path = await table.files.localPath(file.filePath, workspace.dir, 'position delete file');
    parts.push(
      `SELECT file_path, pos, ${entry.sequenceNumber}::BIGINT AS seq FROM read_parquet(${sqlString(path)}, schema = MAP {` +
        `${DELETE_FILE_PATH_ID}: {name: 'file_path', type: 'VARCHAR', default_value: NULL::VARCHAR}, ${DELETE_POS_ID}: {name: 'pos', type: 'BIGINT', default_value: NULL::VARCHAR}})`,
    );
  }
  if (vectors.length > 0) {
    const paths: string[] = [];
    const positions: bigint[] = [];
    const seqs: bigint[] = [];
    for (const v of vectors) for (const p of v.pos) (paths.push(v.path), positions.push(p), seqs.push(v.seq));
    const schema = new ArrowSchema([new Field('file_path', new Utf8(), false), new Field('pos', new Int64(), false), new Field('seq', new Int64(), false)]);
    const children = [vectorFromArray(paths, new Utf8()).data[0]!, makeData({ type: new Int64(), length: positions.length, data: BigInt64Array.from(positions) }), makeData({ type: new Int64(), length: seqs.length, data: BigInt64Array.from(seqs) })];
    await workspace.register(`${name}_dv`, [new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: positions.length, nullCount: 0, children }))], schema);
    parts.push(`SELECT file_path, pos, seq FROM ${sqlIdentifier(`${name}_dv`)}`);
  }
  if (parts.length === 0) return undefined;
  await workspace.run(`CREATE OR REPLACE TEMP TABLE ${sqlIdentifier(name)} AS ${parts.join(' UNION ALL ')}`);
  return sqlIdentifier(name);
}

/** The row positions a v3 deletion vector (a Puffin `deletion-vector-v1` blob) deletes. */
async function deletionVectorRows(table: IcebergTable, entry: ManifestEntry): Promise<bigint[]> {
  const file = entry.dataFile;
  if (file.contentOffset === undefined || file.contentSizeInBytes === undefined || file.referencedDataFile === undefined) {
    throw new LakeError('CORRUPT_METADATA', `deletion vector ${file.filePath} lacks its content offset, size or referenced data file`);
  }
  const start = file.contentOffset;
  const blob = await table.files.readRange(file.filePath, start, start + file.contentSizeInBytes, 'deletion vector file');
  // Blob: length of magic + bitmap (4 bytes, big-endian), magic, portable 64-bit roaring bitmap, CRC-32.
  const length = new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getUint32(0, false);
  const rows = decodeBitmapArray(blob.subarray(4, 4 + length), `deletion vector in ${file.filePath}`, file.filePath);
  return Array.from(rows.sorted(), (r) => BigInt(r));
}

function groupByEqualityIds(entries: readonly ManifestEntry[]): ManifestEntry[][] {
  const groups = new Map<string, ManifestEntry[]>();
  for (const entry of entries) {
    const ids = entry.dataFile.equalityIds;
    if (ids === undefined || ids.length === 0) throw new LakeError('CORRUPT_METADATA', `equality delete file ${entry.dataFile.filePath} names no equality field ids`);
    const key = [...ids].sort((a, b) => a - b).join(',');
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  return [...groups.values()];
}

/** One group's delete rows: the equality columns, seq, and the partition scope. */
async function registerEqualityDeletes(workspace: SqlWorkspace, table: IcebergTable, group: readonly ManifestEntry[], schema: Schema, name: string): Promise<string> {
  const specs = new Map(table.metadata.partitionSpecs.map((s) => [s.specId, s]));
  const parts: string[] = [];
  for (const entry of group) {
    const file = entry.dataFile;
    if (file.fileFormat !== 'PARQUET') throw new LakeError('UNSUPPORTED_FILE_FORMAT', `delete file ${file.filePath} is ${file.fileFormat}; lake reads Parquet delete files`);
    const fields = file.equalityIds!.map((id) => schema.fields.find((f) => f.id === id)!);
    const path = await table.files.localPath(file.filePath, workspace.dir, 'equality delete file');
    const mapping = fields.map((f) => `${f.id}: {name: ${sqlString(f.name)}, type: ${sqlString(duckType(f.type))}, default_value: NULL::VARCHAR}`);
    const global = (specs.get(entry.partitionSpecId)?.fields.length ?? 0) === 0;
    parts.push(
      `SELECT ${fields.map((f) => sqlIdentifier(f.name)).join(', ')}, ${entry.sequenceNumber}::BIGINT AS seq, ${global ? 'TRUE' : 'FALSE'} AS global, ${sqlString(partitionKey(entry))} AS part ` +
        `FROM read_parquet(${sqlString(path)}, schema = MAP {${mapping.join(', ')}})`,
    );
  }
  await workspace.run(`CREATE OR REPLACE TEMP TABLE ${sqlIdentifier(name)} AS ${parts.join(' UNION ALL ')}`);
  return sqlIdentifier(name);
}

/** The Arrow schema of these columns as a scan returns them (what DuckDB makes of the Iceberg types). */
export async function icebergArrowSchema(schema: Schema, columns: readonly string[]): Promise<ArrowSchema> {
  const workspace = await SqlWorkspace.open();
  try {
    const fields = columns.map((c) => schema.fields.find((f) => f.name === c)!);
    return await workspace.arrowSchema(emptyRelation(fields));
  } finally {
    await workspace.close();
  }
}

export interface IcebergScanOptions extends SnapshotSelector, SqlWorkspaceOptions {
  /** Top-level column names to return, in this order (default: all, in schema order). */
  readonly columns?: readonly string[];
  /** Only rows for which this SQL condition (DuckDB's dialect) is true; files that cannot match are skipped. */
  readonly where?: string;
  readonly limit?: number;
}

/** The rows of a snapshot as Arrow batches (the snapshot a selector names; the current one by default). */
export async function* scanIceberg(table: IcebergTable, options: IcebergScanOptions = {}): AsyncIterable<RecordBatch> {
  const snapshot = table.snapshot(options);
  const schema = snapshotSchema(table, snapshot);
  const columns = options.columns ?? schema.fields.map((f) => f.name);
  for (const column of columns) {
    if (!schema.fields.some((f) => f.name === column)) throw new LakeError('COLUMN_NOT_FOUND', `${table.name} has no column ${column} (its columns: ${schema.fields.map((f) => f.name).join(', ')})`);
  }
  const workspace = await SqlWorkspace.open(options);
  try {
    await registerIcebergRows(workspace, table, await planIcebergScan(table, snapshot, schema, options.where), schema, '__lake_rows');
    const where = options.where === undefined ? '' : ` WHERE ${options.where}`;
    const limit = options.limit === undefined ? '' : ` LIMIT ${options.limit}`;
    yield* workspace.query(`SELECT ${columns.map(sqlIdentifier).join(', ')} FROM __lake_rows${where}${limit}`);
  } finally {
    await workspace.close();
  }
}
