/**
 * SQL over Arrow data with DuckDB: the compute behind update and merge (and later Z-order
 * sorting). Data goes in as Arrow record batches and comes out as Arrow record batches; in between
 * it lives in Parquet files in the workspace's scratch directory, which DuckDB scans in parallel
 * and spills around (`memoryLimit`, the scratch directory as its temp directory), so inputs and
 * joins larger than memory work. Parquet is the hand-over format because it is the one both
 * sides read and write natively (@duckdb/node-api takes no Arrow streams), and it keeps types:
 * decimals, timestamps with and without zone, nested types.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Table, type RecordBatch, type Schema } from 'apache-arrow';
import { LakeError } from '../errors.js';
import { DuckSession, sqlIdentifier, sqlString } from './duckdb-session.js';
import { readParquetBatches, readParquetSchema } from './parquet.js';
import { writeParquet } from './parquet-write.js';

export interface SqlWorkspaceOptions {
  /** DuckDB's memory limit, e.g. '2GB' (default: DuckDB's, 80% of RAM). */
  readonly memoryLimit?: string;
  /** Where the scratch directory goes (default: the OS temp directory). */
  readonly tempDir?: string;
  /** Rows per Parquet file an input is cut into (default 1 Mi). */
  readonly rowsPerFile?: number;
}

/** Rows per row group of a query's result (one Arrow batch each when read back). */
const RESULT_ROW_GROUP = 1 << 20;

export interface CopyOptions {
  /** Start a new file when the current one passes this many bytes (not with partitionBy: DuckDB cannot combine them). */
  readonly fileSizeBytes?: number;
  /** Columns of the query whose values make one directory (and file set) each; they are not written into the files. */
  readonly partitionBy?: readonly string[];
  /** DuckDB's FIELD_IDS literal (`{a: 1, s: {__duckdb_field_id: 2, x: 3}}`). */
  readonly fieldIds?: string;
  /** Default zstd. */
  readonly compression?: 'zstd' | 'snappy' | 'uncompressed';
}

/** Statistics of one leaf column of a written file, as DuckDB's writer reports them (text). */
export interface LeafStats {
  /** The leaf's path in the file: struct field names, `element` in lists, `key`/`value` in maps. */
  readonly path: readonly string[];
  readonly min?: string;
  readonly max?: string;
  readonly nullCount?: number;
  readonly hasNaN: boolean;
}

/** One Parquet file a COPY wrote. */
export interface WrittenParquet {
  /** Local path, in the workspace's scratch directory: move it away or it goes with the workspace. */
  readonly path: string;
  readonly rows: number;
  readonly bytes: number;
  readonly leaves: readonly LeafStats[];
  /** The partitionBy columns' values (text; null for NULL). */
  readonly partition: Readonly<Record<string, string | null>>;
}

export class SqlWorkspace {
  private files = 0;
  private constructor(
    private readonly session: DuckSession,
    private readonly options: SqlWorkspaceOptions,
  ) {}

  /** The workspace's scratch directory (removed on close). */
  get dir(): string {
    return this.session.dir;
  }

  static async open(options: SqlWorkspaceOptions = {}): Promise<SqlWorkspace> {
    const session = await DuckSession.open('sql', options.tempDir === undefined ? {} : { tempDir: options.tempDir });
    try {
      await session.run(`SET temp_directory = ${sqlString(join(session.dir, 'spill'))}`);
      if (options.memoryLimit !== undefined) await session.run(`SET memory_limit = ${sqlString(options.memoryLimit)}`);
      // Text ⇄ TIMESTAMPTZ conversions in expressions are in UTC, whatever the machine's zone.
      await session.run("SET TimeZone = 'UTC'");
      // Results must come back in a deterministic order only where a query says ORDER BY.
      await session.run('SET preserve_insertion_order = false');
    } catch (error) {
      await session.close();
      throw new LakeError('SQL', `cannot configure DuckDB: ${(error as Error).message}`, { cause: error });
    }
    return new SqlWorkspace(session, options);
  }

  /**
   * Makes the batches queryable as the view `name`. An input with no batches is an empty view of
   * `schema` (required then, since DuckDB needs the columns).
   */
  async register(name: string, batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>, schema?: Table['schema']): Promise<void> {
    const limit = this.options.rowsPerFile ?? 1 << 20;
    const paths: string[] = [];
    let pending: RecordBatch[] = [];
    let rows = 0;
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const path = join(this.session.dir, `${this.files++}.parquet`);
      await writeFile(path, writeParquet(new Table(pending), { compression: 'uncompressed' }));
      paths.push(path);
      pending = [];
      rows = 0;
    };
    let seenSchema = schema;
    for await (const batch of batches) {
      seenSchema ??= batch.schema;
      pending.push(batch);
      rows += batch.numRows;
      if (rows >= limit) await flush();
    }
    if (paths.length === 0 && pending.length === 0) {
      if (seenSchema === undefined) throw new LakeError('SQL', `input ${name} has no batches and no schema`);
      pending.push(...new Table(seenSchema).batches);
      if (pending.length === 0) {
        const path = join(this.session.dir, `${this.files++}.parquet`);
        await writeFile(path, writeParquet(new Table(seenSchema)));
        paths.push(path);
      }
    }
    await flush();
    await this.run(`CREATE OR REPLACE VIEW ${sqlIdentifier(name)} AS SELECT * FROM read_parquet([${paths.map(sqlString).join(', ')}])`);
  }

  /** Runs a statement; DuckDB's message becomes a one-line LakeError 'SQL'. */
  async run(sql: string): Promise<void> {
    try {
      await this.session.run(sql);
    } catch (error) {
      throw sqlError(error);
    }
  }

  /** The names of a query's columns (without running it over the data). */
  async columnNames(sql: string): Promise<string[]> {
    try {
      return [...(await this.session.query(`SELECT * FROM (${sql}) LIMIT 0`)).names];
    } catch (error) {
      throw sqlError(error);
    }
  }

  /** A single-row, single-column query's value (counts, checks). */
  async scalar(sql: string): Promise<unknown> {
    try {
      const result = await this.session.query(sql);
      return result.chunks[0]?.getColumnVector(0).getItem(0) ?? null;
    } catch (error) {
      throw sqlError(error);
    }
  }

  /**
   * The query's rows as Arrow record batches. DuckDB writes them to a Parquet file first (streaming,
   * under its memory limit); they are read back one row group (up to 1 Mi rows) at a time.
   */
  async *query(sql: string): AsyncIterable<RecordBatch> {
    const path = join(this.session.dir, `result-${this.files++}.parquet`);
    // Large row groups, compressed: parquet-wasm copies the whole file into its heap for every row
    // group it decodes, so fewer groups and fewer bytes are what make reading back fast (measured
    // on 10M rows: 65,536-row uncompressed groups spent 5.4 s in that copy alone).
    await this.run(`COPY (${sql}) TO ${sqlString(path)} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${RESULT_ROW_GROUP})`);
    try {
      const bytes = new Uint8Array(await readFile(path));
      yield* readParquetBatches(bytes, { path });
    } finally {
      await rm(path, { force: true });
    }
  }

  /** The Arrow schema of a query's result (DuckDB types as its Parquet writer maps them). */
  async arrowSchema(sql: string): Promise<Schema> {
    const path = join(this.session.dir, `schema-${this.files++}.parquet`);
    await this.run(`COPY (SELECT * FROM (${sql}) LIMIT 0) TO ${sqlString(path)} (FORMAT parquet)`);
    try {
      return readParquetSchema(new Uint8Array(await readFile(path)), { path });
    } finally {
      await rm(path, { force: true });
    }
  }

  /**
   * Writes a query's rows as Parquet files in a new scratch directory, in parallel and streaming
   * under the memory limit, and returns each file's row count, size and per-column statistics as
   * DuckDB's writer collected them (RETURN_STATS): no second pass over the data.
   */
  async copyToParquet(sql: string, options: CopyOptions = {}): Promise<WrittenParquet[]> {
    const dir = join(this.session.dir, `copy-${this.files++}`);
    await mkdir(dir);
    const partitioned = options.partitionBy !== undefined && options.partitionBy.length > 0;
    const settings = [
      'FORMAT parquet',
      `COMPRESSION ${options.compression ?? 'zstd'}`,
      'RETURN_STATS true',
      "FILENAME_PATTERN 'part-{uuid}'",
      ...(partitioned ? [`PARTITION_BY (${options.partitionBy!.map(sqlIdentifier).join(', ')})`, 'WRITE_PARTITION_COLUMNS false'] : []),
      // DuckDB rolls files between row groups: row groups of at most a quarter of the target (in
      // memory; smaller once compressed) let small targets be met too.
      ...(!partitioned && options.fileSizeBytes !== undefined
        ? [`FILE_SIZE_BYTES ${Math.max(1, Math.floor(options.fileSizeBytes))}`, `ROW_GROUP_SIZE_BYTES ${Math.max(4096, Math.floor(options.fileSizeBytes / 4))}`]
        : []),
      ...(options.fieldIds === undefined ? [] : [`FIELD_IDS ${options.fieldIds}`]),
    ];
    let rows: Record<string, unknown>[];
    try {
      rows = await this.session.rowObjects(`COPY (${sql}) TO ${sqlString(dir)} (${settings.join(', ')})`);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw sqlError(error);
    }
    return rows.map((row) => {
      const entries = (value: unknown): { key: string; value: unknown }[] => (Array.isArray(value) ? (value as { key: string; value: unknown }[]) : []);
      const leaves = entries(row.column_statistics).map(({ key, value }): LeafStats => {
        const stats = Object.fromEntries(entries(value).map((e) => [e.key, e.value as string | null]));
        return {
          path: splitQuotedPath(key),
          ...(stats.min == null ? {} : { min: stats.min }),
          ...(stats.max == null ? {} : { max: stats.max }),
          ...(stats.null_count == null ? {} : { nullCount: Number(stats.null_count) }),
          hasNaN: stats.has_nan === 'true',
        };
      });
      const partition = Object.fromEntries(entries(row.partition_keys).map(({ key, value }) => [key, value as string | null]));
      return { path: String(row.filename), rows: Number(row.count), bytes: Number(row.file_size_bytes), leaves, partition };
    });
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

/** `"a"."b""c"` → ['a', 'b"c']: a column path as DuckDB's COPY statistics name it. */
export function splitQuotedPath(text: string): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      let part = '';
      i++;
      for (;;) {
        if (i >= text.length) break;
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            part += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        part += text[i++];
      }
      parts.push(part);
    } else {
      const end = text.indexOf('.', i);
      parts.push(text.slice(i, end === -1 ? text.length : end));
      i = end === -1 ? text.length : end;
    }
    if (text[i] === '.') i++;
  }
  return parts;
}

function sqlError(error: unknown): LakeError {
  if (error instanceof LakeError) return error;
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  return new LakeError('SQL', `SQL failed: ${message}`, { cause: error });
}
