/**
 * Writing a Delta table's data files from rows DuckDB can query (a view over input files, a
 * registered Arrow input, a join's result), with logical column names. In one DuckDB COPY the rows
 * are cast to the table's types, checked (NOT NULL columns, CHECK constraints, invariants, a
 * caller's condition), renamed to physical column names with field ids (column mapping), split by
 * partition values into Hive-style directories and cut into zstd Parquet files near the target
 * size; DuckDB's writer reports each file's statistics, which become `add.stats`. The files are
 * then moved into the table through the store, and described by `add` actions (nothing is
 * committed here).
 *
 * Why DuckDB writes: it reads inputs and writes Parquet in parallel and streams under its memory
 * limit (spilling to the workspace's scratch directory), so memory does not grow with the input,
 * and no row passes through JavaScript (measured: bench/writes.ts).
 *
 * DuckDB cannot cut files by size while partitioning, so a partitioned write makes one file per
 * partition (and thread); a file well over the target is then rewritten into target-sized files.
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import type { RecordBatch, Schema } from 'apache-arrow';
import { sqlIdentifier, sqlString } from '../engine/duckdb-session.js';
import { duckdbType } from '../engine/duckdb-types.js';
import { isCastable } from '../engine/parquet.js';
import type { SqlWorkspace, WrittenParquet } from '../engine/sql-workspace.js';
import { LakeError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { AddFile, Metadata, Protocol } from './actions.js';
import { tableConstraints, type RowCheck } from './constraints.js';
import { fileStats, statsColumnSelector } from './file-stats.js';
import { partitionPath } from './partition-values.js';
import { positiveInteger } from './table-properties.js';
import { renameColumns } from './sql-columns.js';
import {
  columnMappingMode,
  fieldId,
  isDecimalType,
  isPrimitiveType,
  parseSchema,
  physicalSchema,
  toArrowSchema,
  toArrowType,
  typeToString,
  type DeltaType,
  type StructField,
} from './schema.js';

export interface WriteFilesOptions {
  readonly metadata: Metadata;
  readonly protocol: Protocol;
  /** Bytes; default `delta.targetFileSize`, else 128 MiB. */
  readonly targetFileSize?: number;
  /** Default true. */
  readonly dataChange?: boolean;
  readonly clock?: () => number;
  /**
   * How the rows' columns become the table's types. 'safe' (default): only conversions that lose
   * nothing (int → long, float → double, decimal widening, …); another type is a SCHEMA_MISMATCH.
   * 'convert': DuckDB's CAST (text files' inferred types), where a value that does not fit fails.
   */
  readonly cast?: 'safe' | 'convert';
  /** A condition every row must meet (replaceWhere); a row that does not fails the write with this code. */
  readonly require?: { readonly sql: string; readonly code: string; readonly message: string };
  /** Called after each data file is stored (for progress reports). */
  readonly onFile?: (file: AddFile, rows: number) => void;
}

export interface WrittenFiles {
  readonly files: AddFile[];
  readonly rows: number;
}

export const DEFAULT_TARGET_FILE_SIZE = 128 * 1024 * 1024;
/** A partition's file this much over the target is cut again. */
const OVERSIZE = 1.5;
const UPLOAD_CONCURRENCY = 4;

/** Writes the rows of `relation` (a query over logical column names) as data files of the table. */
export async function writeDataFiles(store: ObjectStore, workspace: SqlWorkspace, relation: string, options: WriteFilesOptions): Promise<WrittenFiles> {
  const { metadata, protocol } = options;
  const schema = parseSchema(metadata.schemaString);
  const mode = columnMappingMode(metadata, protocol);
  const physical = physicalSchema(schema, mode);
  const partitionColumns = metadata.partitionColumns;
  const target = options.targetFileSize ?? positiveInteger(metadata.configuration['delta.targetFileSize'], DEFAULT_TARGET_FILE_SIZE);

  const conformed = await conformSql(workspace, relation, schema.fields, options.cast ?? 'safe');
  const checks = await rowChecks(workspace, conformed, schema.fields, metadata, options.require);

  const columns = schema.fields.map((logical, i) => ({ logical, physical: physical.fields[i]! }));
  const dataColumns = columns.filter((c) => !partitionColumns.includes(c.logical.name));
  const partitions = partitionColumns.map((name, i) => {
    const column = columns.find((c) => c.logical.name === name);
    if (column === undefined || !isPrimitiveType(column.logical.type)) throw new LakeError('CORRUPT_LOG', `partition column ${name} is not a primitive column of the table`);
    return { alias: `__lake_p${i}`, physical: column.physical.name, sql: partitionValueSql(sqlIdentifier(name), column.logical.type) };
  });
  const select = [
    ...dataColumns.map((c) => `${renameColumns(sqlIdentifier(c.logical.name), c.logical.type, c.physical.type)} AS ${sqlIdentifier(c.physical.name)}`),
    ...partitions.map((p) => `${p.sql} AS ${p.alias}`),
  ];
  const guard = checks.length === 0 ? '' : ` WHERE CASE ${checks.map((c, i) => `WHEN ${c.violation} THEN error('__lake_check ${i}')`).join(' ')} ELSE TRUE END`;
  const fieldIds = mode === 'none' ? undefined : fieldIdsLiteral(dataColumns.map((c) => c.physical));
  const copy = { ...(fieldIds === undefined ? {} : { fieldIds }) };

  let written: WrittenParquet[];
  try {
    written = await workspace.copyToParquet(`SELECT ${select.join(', ')} FROM (${conformed})${guard}`, {
      ...copy,
      ...(partitions.length === 0 ? { fileSizeBytes: target } : { partitionBy: partitions.map((p) => p.alias) }),
    });
  } catch (error) {
    const failed = /__lake_check (\d+)/.exec((error as Error).message);
    if (failed === null) throw error;
    throw await checkFailure(workspace, conformed, checks[Number(failed[1])]!);
  }
  if (partitions.length > 0) {
    const cut: WrittenParquet[] = [];
    for (const file of written) {
      if (file.bytes <= target * OVERSIZE) {
        cut.push(file);
        continue;
      }
      const parts = await workspace.copyToParquet(`SELECT * FROM read_parquet(${sqlString(file.path)})`, { ...copy, fileSizeBytes: target });
      await rm(file.path, { force: true });
      cut.push(...parts.map((part) => ({ ...part, partition: file.partition })));
    }
    written = cut;
  }

  const indexed = statsColumnSelector(metadata.configuration, schema, partitionColumns);
  const clock = options.clock ?? Date.now;
  const files: AddFile[] = [];
  let rows = 0;
  let next = 0;
  const nonEmpty = written.filter((file) => file.rows > 0);
  const upload = async (): Promise<void> => {
    while (next < nonEmpty.length) {
      const index = next++;
      const file = nonEmpty[index]!;
      const values: Record<string, string | null> = {};
      for (const p of partitions) values[p.physical] = file.partition[p.alias] ?? null;
      const directory = partitions.length === 0 ? '' : `${partitionPath(partitions.map((p) => p.physical), values)}/`;
      const key = `${directory}part-${String(index).padStart(5, '0')}-${randomUUID()}-c000.zstd.parquet`;
      await store.upload(key, createReadStream(file.path));
      await rm(file.path, { force: true });
      const add: AddFile = {
        path: encodePath(key),
        partitionValues: values,
        size: file.bytes,
        modificationTime: clock(),
        dataChange: options.dataChange ?? true,
        stats: fileStats(file.rows, file.leaves, dataColumns, indexed),
      };
      files[index] = add;
      rows += file.rows;
      options.onFile?.(add, file.rows);
    }
  };
  await Promise.all(Array.from({ length: Math.min(UPLOAD_CONCURRENCY, nonEmpty.length) }, upload));
  for (const file of written) if (file.rows === 0) await rm(file.path, { force: true });
  return { files, rows };
}

/** Registers Arrow record batches in the workspace and writes them (the library's Arrow inputs). */
export async function writeBatches(
  store: ObjectStore,
  workspace: SqlWorkspace,
  batches: Iterable<RecordBatch> | AsyncIterable<RecordBatch>,
  options: WriteFilesOptions & { readonly schema?: Schema },
): Promise<WrittenFiles> {
  const name = `__lake_batches_${randomUUID().replaceAll('-', '')}`;
  const schema = options.schema ?? toArrowSchema(parseSchema(options.metadata.schemaString));
  await workspace.register(name, batches, schema);
  try {
    return await writeDataFiles(store, workspace, `SELECT * FROM ${sqlIdentifier(name)}`, options);
  } finally {
    await workspace.run(`DROP VIEW IF EXISTS ${sqlIdentifier(name)}`);
  }
}

/**
 * The rows in the table's logical columns and types: columns by name, cast (see `cast`), missing
 * nullable columns as nulls. Mismatches are one-line SCHEMA_MISMATCH errors.
 */
async function conformSql(workspace: SqlWorkspace, relation: string, fields: readonly StructField[], cast: 'safe' | 'convert'): Promise<string> {
  const given = await workspace.arrowSchema(relation);
  const names = new Set(fields.map((f) => f.name));
  const unknown = given.fields.filter((f) => !names.has(f.name)).map((f) => f.name);
  if (unknown.length > 0) {
    throw new LakeError(
      'SCHEMA_MISMATCH',
      `the data has column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} that the table does not have (${fields.map((f) => f.name).join(', ')}): drop ${unknown.length > 1 ? 'them' : 'it'}, or write with schema mode merge`,
    );
  }
  const select = fields.map((field) => {
    const type = toArrowType(field.type);
    const source = given.fields.find((f) => f.name === field.name);
    if (source === undefined) {
      if (!field.nullable) throw new LakeError('SCHEMA_MISMATCH', `the data lacks column ${field.name}, which the table requires (it is not nullable)`);
      return `CAST(NULL AS ${duckdbType(type)}) AS ${sqlIdentifier(field.name)}`;
    }
    if (cast === 'safe' && !isCastable(source.type, type)) {
      throw new LakeError(
        'SCHEMA_MISMATCH',
        `column ${field.name} is ${typeToString(field.type)} in the table but ${String(source.type)} in the data: cast it to ${String(type)} first`,
      );
    }
    return `CAST(${sqlIdentifier(field.name)} AS ${duckdbType(type)}) AS ${sqlIdentifier(field.name)}`;
  });
  return `SELECT ${select.join(', ')} FROM (${relation})`;
}

interface Check {
  readonly violation: string;
  readonly code: string;
  readonly message: (row: number) => string;
}

/** NOT NULL columns, the table's constraints and the caller's condition, as violations to guard against. */
async function rowChecks(workspace: SqlWorkspace, conformed: string, fields: readonly StructField[], metadata: Metadata, require: WriteFilesOptions['require']): Promise<Check[]> {
  const checks: Check[] = fields
    .filter((f) => !f.nullable)
    .map((f) => ({
      violation: `${sqlIdentifier(f.name)} IS NULL`,
      code: 'NULL_CONSTRAINT',
      message: (row) => `column ${f.name} is not nullable, but row ${row} of the data has a null there; nothing was committed`,
    }));
  for (const constraint of tableConstraints(metadata)) {
    await checkEvaluable(workspace, conformed, constraint);
    checks.push({
      violation: constraint.violation,
      code: 'CONSTRAINT_VIOLATION',
      message: (row) => `row ${row} of the data violates the ${constraint.kind} ${constraint.name} (${constraint.sql}); nothing was committed`,
    });
  }
  if (require !== undefined) {
    checks.push({ violation: `NOT coalesce((${require.sql}), FALSE)`, code: require.code, message: (row) => `row ${row} ${require.message}` });
  }
  return checks;
}

async function checkEvaluable(workspace: SqlWorkspace, conformed: string, constraint: RowCheck): Promise<void> {
  try {
    await workspace.columnNames(`SELECT ${constraint.violation} FROM (${conformed})`);
  } catch (error) {
    throw new LakeError(
      'UNSUPPORTED_CONSTRAINT',
      `the table's ${constraint.kind} ${constraint.name} (${constraint.sql}) cannot be checked by lake (${(error as Error).message}); nothing was written: write with Delta Spark or drop the constraint`,
      { cause: error },
    );
  }
}

/** The error for a failed check, naming the first violating row (1-based, in input order). */
async function checkFailure(workspace: SqlWorkspace, conformed: string, check: Check): Promise<LakeError> {
  await workspace.run('SET preserve_insertion_order = true');
  try {
    const row = await workspace.scalar(`SELECT n FROM (SELECT row_number() OVER () AS n, * FROM (${conformed})) WHERE ${check.violation} ORDER BY n LIMIT 1`);
    return new LakeError(check.code, check.message(Number(row)));
  } finally {
    await workspace.run('SET preserve_insertion_order = false');
  }
}

/**
 * A partition column's value serialized as `add.partitionValues` holds it (partition-values.ts
 * `serializePartitionValue` is the same rule in JavaScript): timestamps as ISO 8601 in UTC with
 * microseconds, timestamp_ntz as `Y-M-D h:m:s[.f]`, decimals with their scale, empty strings null.
 */
function partitionValueSql(column: string, type: DeltaType): string {
  switch (type) {
    case 'string':
      return `nullif(${column}, '')`;
    case 'binary':
      return `nullif(decode(${column}), '')`;
    case 'float':
    case 'double':
      return `CASE WHEN isnan(${column}) THEN 'NaN' ELSE CAST(${column} AS VARCHAR) END`;
    case 'timestamp':
      return `strftime(${column}, '%Y-%m-%dT%H:%M:%S.%fZ')`;
    case 'timestamp_ntz':
      return `rtrim(rtrim(strftime(${column}, '%Y-%m-%d %H:%M:%S.%f'), '0'), '.')`;
    case 'void':
      return 'CAST(NULL AS VARCHAR)';
    default:
      if (typeof type === 'string' && (isDecimalType(type) || isPrimitiveType(type))) return `CAST(${column} AS VARCHAR)`;
      throw new LakeError('CORRUPT_LOG', `a partition column cannot have type ${typeToString(type)}`);
  }
}

/** DuckDB's FIELD_IDS literal for the physical columns (struct fields by name, lists' `element`, maps' `key`/`value`). */
function fieldIdsLiteral(fields: readonly StructField[]): string | undefined {
  const entries = fields.flatMap((field) => {
    const id = fieldId(field);
    const nested = nestedIds(field.type);
    if (nested === undefined) return id === undefined ? [] : [`${sqlIdentifier(field.name)}: ${id}`];
    return [`${sqlIdentifier(field.name)}: {${[...(id === undefined ? [] : [`__duckdb_field_id: ${id}`]), ...nested].join(', ')}}`];
  });
  return entries.length === 0 ? undefined : `{${entries.join(', ')}}`;
}

function nestedIds(type: DeltaType): string[] | undefined {
  if (typeof type === 'string') return undefined;
  if (type.type === 'struct') {
    const literal = fieldIdsLiteral(type.fields);
    return literal === undefined ? undefined : [literal.slice(1, -1)];
  }
  const inner = (name: string, t: DeltaType): string[] => {
    const ids = nestedIds(t);
    return ids === undefined ? [] : [`${name}: {${ids.join(', ')}}`];
  };
  const parts = type.type === 'array' ? inner('element', type.elementType) : [...inner('key', type.keyType), ...inner('value', type.valueType)];
  return parts.length === 0 ? undefined : parts;
}

/** A store key as an `add.path`: a relative URI, each segment percent-encoded (RFC 3986). */
function encodePath(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%3D/g, '='))
    .join('/');
}
