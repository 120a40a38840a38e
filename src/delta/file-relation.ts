/**
 * A snapshot's data files as a DuckDB view that reads them where they lie: the rows in the
 * table's logical columns and types, with each row's file (its index in the list given) and row
 * number in that file. What merge joins against, so target rows never pass through JavaScript.
 *
 * - Local files are read in place; objects on S3 are first copied to the workspace's scratch
 *   directory (a few at a time): DuckDB here has no network access of its own.
 * - Columns are found by physical name (column mapping mode name; plain names without mapping),
 *   nested struct fields renamed to logical names; a column no file has is NULL; files of older
 *   schemas (fewer columns, narrower types) are unified by name and cast to the table's types.
 * - Partition values come from the log (the files do not hold them); deletion vectors are applied
 *   by anti-joining the deleted (file, row) pairs.
 *
 * - Column mapping mode id: top-level columns are matched by Parquet field id.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Field, Int32, Int64, makeData, RecordBatch, Schema, Struct } from 'apache-arrow';
import { sqlIdentifier, sqlString } from '../engine/duckdb-session.js';
import { duckdbType } from '../engine/duckdb-types.js';
import type { SqlWorkspace } from '../engine/sql-workspace.js';
import type { AddFile } from './actions.js';
import { resolveDataPath } from './data-paths.js';
import { fileDeletedRows, locateFile } from './scan.js';
import { COLUMN_MAPPING_ID_KEY, columnMappingMode, fieldId, physicalSchema, toArrowType, type StructField } from './schema.js';
import { LakeError } from '../errors.js';
import type { DeltaSnapshot } from './snapshot.js';
import { renameColumns } from './sql-columns.js';

export const FILE_COLUMN = '__lake_file';
export const ROW_COLUMN = '__lake_row';
const STAGING_CONCURRENCY = 8;

/** Creates the view `name` of these files' live rows. */
export async function registerDataFiles(workspace: SqlWorkspace, snapshot: DeltaSnapshot, files: readonly AddFile[], name: string): Promise<void> {
  const mode = columnMappingMode(snapshot.metadata, snapshot.protocol);
  const schema = snapshot.schema;
  const physical = physicalSchema(schema, mode);
  const partitionColumns = snapshot.metadata.partitionColumns;
  const columns = schema.fields.map((logical, i) => ({ logical, physical: physical.fields[i]! }));
  const tag = `SELECT ${[...columns.map((c) => `CAST(NULL AS ${duckdbType(toArrowType(c.logical.type))}) AS ${sqlIdentifier(c.logical.name)}`), `CAST(NULL AS INTEGER) AS ${FILE_COLUMN}`, `CAST(NULL AS BIGINT) AS ${ROW_COLUMN}`].join(', ')} WHERE FALSE`;
  if (files.length === 0) {
    await workspace.run(`CREATE OR REPLACE TEMP VIEW ${sqlIdentifier(name)} AS ${tag}`);
    return;
  }

  const paths = await localPaths(workspace, snapshot, files);
  // Mode id: top-level columns are found by Parquet field id (the name a file gives them does not
  // count), each under its physical name; nested fields by their physical names.
  const byId = mode === 'id' ? fieldIdSchema(columns.filter((c) => !partitionColumns.includes(c.logical.name))) : undefined;
  const source = `read_parquet([${paths.map(sqlString).join(', ')}], filename = true, file_row_number = true, ${byId === undefined ? 'union_by_name = true' : `schema = ${byId}`})`;
  const present = new Set(await workspace.columnNames(`SELECT * FROM ${source}`));

  const select = columns.map(({ logical, physical: p }) => {
    const type = duckdbType(toArrowType(logical.type));
    if (partitionColumns.includes(logical.name)) return `CAST(f.${sqlIdentifier(`p_${p.name}`)} AS ${type}) AS ${sqlIdentifier(logical.name)}`;
    if (!present.has(p.name)) return `CAST(NULL AS ${type}) AS ${sqlIdentifier(logical.name)}`;
    return `CAST(${renameColumns(`d.${sqlIdentifier(p.name)}`, p.type, logical.type)} AS ${type}) AS ${sqlIdentifier(logical.name)}`;
  });
  const partitionPhysical = columns.filter((c) => partitionColumns.includes(c.logical.name)).map((c) => c.physical.name);
  const fileRows = files.map((file, i) => {
    const values = partitionPhysical.map((p) => {
      const value = file.partitionValues[p];
      return value === undefined || value === null || value === '' ? 'NULL' : sqlString(value);
    });
    return `(${[sqlString(paths[i]!), String(i), ...values].join(', ')})`;
  });
  const fileTable = `(VALUES ${fileRows.join(', ')}) AS f(path, idx${partitionPhysical.map((p) => `, ${sqlIdentifier(`p_${p}`)}`).join('')})`;

  const deleted = await registerDeletedRows(workspace, snapshot, files, `${name}__deleted`);
  const antiJoin = deleted === undefined ? '' : ` ANTI JOIN ${sqlIdentifier(deleted)} AS x ON x.${FILE_COLUMN} = f.idx AND x.${ROW_COLUMN} = d.file_row_number`;
  await workspace.run(
    `CREATE OR REPLACE TEMP VIEW ${sqlIdentifier(name)} AS SELECT ${select.join(', ')}, CAST(f.idx AS INTEGER) AS ${FILE_COLUMN}, d.file_row_number AS ${ROW_COLUMN} ` +
      `FROM ${source} AS d JOIN ${fileTable} ON d.filename = f.path${antiJoin}`,
  );
}

/** DuckDB's `read_parquet(schema = …)`: field id → the physical name and type to read it as. */
function fieldIdSchema(columns: readonly { logical: StructField; physical: StructField }[]): string {
  const entries = columns.map(({ logical, physical }) => {
    const id = fieldId(logical);
    if (id === undefined) throw new LakeError('CORRUPT_LOG', `column ${logical.name} has no ${COLUMN_MAPPING_ID_KEY} though the table maps columns by id`);
    return `${id}: {name: ${sqlString(physical.name)}, type: ${sqlString(duckdbType(toArrowType(physical.type)))}, default_value: NULL::VARCHAR}`;
  });
  return `MAP {${entries.join(', ')}}`;
}

/** A path DuckDB can open for each file: local files as they are, S3 objects copied to scratch. */
async function localPaths(workspace: SqlWorkspace, snapshot: DeltaSnapshot, files: readonly AddFile[]): Promise<string[]> {
  const paths: string[] = new Array<string>(files.length);
  let next = 0;
  const stage = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      const file = files[i]!;
      const location = resolveDataPath(file.path, snapshot.location).location;
      if (location?.scheme === 'file') {
        paths[i] = location.path;
        continue;
      }
      const { store, key } = locateFile(snapshot, file.path);
      const path = join(workspace.dir, `staged-${i}-${Math.random().toString(36).slice(2)}.parquet`);
      await writeFile(path, (await store.get(key)).bytes);
      paths[i] = path;
    }
  };
  await Promise.all(Array.from({ length: Math.min(STAGING_CONCURRENCY, files.length) }, stage));
  return paths;
}

/** The (file, row) pairs the files' deletion vectors delete, as a view; undefined when none has one. */
async function registerDeletedRows(workspace: SqlWorkspace, snapshot: DeltaSnapshot, files: readonly AddFile[], name: string): Promise<string | undefined> {
  const schema = new Schema([new Field(FILE_COLUMN, new Int32(), false), new Field(ROW_COLUMN, new Int64(), false)]);
  const batches: RecordBatch[] = [];
  for (const [index, file] of files.entries()) {
    const deleted = await fileDeletedRows(snapshot, file);
    if (deleted === undefined || deleted.cardinality === 0) continue;
    const rows = deleted.sorted();
    const children = [
      makeData({ type: new Int32(), length: rows.length, data: new Int32Array(rows.length).fill(index) }),
      makeData({ type: new Int64(), length: rows.length, data: BigInt64Array.from(rows, (r) => BigInt(r)) }),
    ];
    batches.push(new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children })));
  }
  if (batches.length === 0) return undefined;
  await workspace.register(name, batches, schema);
  return name;
}
