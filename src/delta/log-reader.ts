/**
 * Reading actions out of log files: JSON commits (one action per line), checkpoints in Parquet
 * (one action per row, each action a struct column) or JSON (v2), and v2 checkpoint sidecars.
 *
 * Parquet checkpoints are read with DuckDB, because a checkpoint can hold millions of `add`
 * actions and the cost is in decoding columns nobody needs and in crossing into JavaScript one
 * value at a time (measured on 1 M adds: parquet-wasm decoding the whole file ≈ 9 s, building an
 * object per row from it ≈ 35 s more; see bench/). So:
 * - The checkpoint's bytes come from the ObjectStore (as every read does) and are staged to a
 *   temporary local file for DuckDB, which reads only the projected columns, multi-threaded.
 * - `add` rows cross into JavaScript columnar and in bulk: DuckDB concatenates each column of
 *   64 Ki rows into one string (`string_agg`, ordered by row number) and JavaScript cuts it by the
 *   byte lengths that come with it, so a million paths cost a few dozen native calls instead of a
 *   million. Partition values cross as JSON text and are parsed once per distinct value (files
 *   of one partition share one object). The rarely set fields (tags, deletionVector, baseRowId,
 *   defaultRowCommitVersion, clusteringProvider, and stats_parsed where stats is null) cross as
 *   JSON for the rows that have any of them.
 * - `stats` is projected only when asked for (`stats: false` leaves it out, as if the files had
 *   no statistics), and a partition filter is pushed down: it is evaluated once per distinct
 *   partitionValues and DuckDB returns only the rows of the partitions that pass.
 * - Other actions (protocol, metaData, txn, domainMetadata, remove, sidecar, checkpointMetadata)
 *   cross as JSON text per row; they are few (removes are tombstones only).
 * DuckDB errors are exceptions (a corrupt or truncated file raises, it does not crash the
 * process); they become LakeError 'CORRUPT_CHECKPOINT' naming the file.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  DuckDBListVector,
  DuckDBDataChunk,
  DuckDBStructType,
  DuckDBType,
  DuckDBVector,
} from '@duckdb/node-api';
import { DuckSession, sqlIdentifier, sqlString, type QueryResult } from '../engine/duckdb-session.js';
import { LakeError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { Action, AddFile } from './actions.js';
import { SIDECAR_DIR, type CheckpointFile } from './log-files.js';

/** The action columns of a checkpoint that state reconstruction reads, other than `add`. */
const OTHER_ACTIONS = ['protocol', 'metaData', 'txn', 'domainMetadata', 'remove', 'checkpointMetadata', 'sidecar'] as const;

/** Fields of `add` read column-wise; every other field (except those below) is a rare field. */
const HOT_ADD_FIELDS = new Set(['path', 'partitionValues', 'size', 'modificationTime', 'dataChange', 'stats']);
/** Fields of `add` never read: derived copies of others that nothing uses. */
const SKIPPED_ADD_FIELDS = new Set(['partitionValues_parsed', 'stats_parsed']);

/** Rows per bulk transfer from DuckDB. */
const GROUP_ROWS = 65_536;
/** Aggregates keep the file's row order (and so line up with each other). */
const ORDERED = 'ORDER BY file_row_number';

/** Parses a commit (or JSON checkpoint) file; errors name the file and line. */
export function parseJsonActions(bytes: Uint8Array, key: string, errorCode = 'CORRUPT_LOG'): Action[] {
  const text = new TextDecoder().decode(bytes);
  const actions: Action[] = [];
  let lineNumber = 0;
  for (const line of text.split('\n')) {
    lineNumber++;
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new LakeError(errorCode, `${key} line ${lineNumber} is not valid JSON (${(error as Error).message}): the Delta log is corrupt`, {
        path: key,
        cause: error,
      });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new LakeError(errorCode, `${key} line ${lineNumber} is not a JSON object: the Delta log is corrupt`, { path: key });
    }
    actions.push(parsed as Action);
  }
  return actions;
}

export async function readCommitActions(store: ObjectStore, key: string): Promise<Action[]> {
  return parseJsonActions((await store.get(key)).bytes, key);
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

export type PartitionValues = Readonly<Record<string, string | null>>;

/** Decides from a file's partition values (as the log holds them) whether it is wanted. */
export type PartitionFilter = (partitionValues: PartitionValues) => boolean;

export interface CheckpointAddOptions {
  /** Read `add.stats` (and `stats_parsed` where stats is null). Default true. */
  readonly stats?: boolean;
  /** Only adds whose partition values pass (evaluated once per distinct partitionValues). */
  readonly partitionFilter?: PartitionFilter;
}

/**
 * `add` actions of one checkpoint file, column-wise. Row i is the file's i-th add (in file order).
 * A missing (null) required field is NaN in the number columns, 2 in `dataChange`, undefined
 * elsewhere; `checkpointAddFile` leaves such fields out (as JSON actions omit null fields).
 */
export interface CheckpointAdds {
  readonly length: number;
  readonly paths: readonly string[];
  readonly partitionValues: readonly (PartitionValues | undefined)[];
  readonly sizes: Float64Array;
  readonly modificationTimes: Float64Array;
  /** 0 false, 1 true, 2 null. */
  readonly dataChange: Uint8Array;
  /** Absent when stats were not read; an entry is undefined where the row's stats are null. */
  readonly stats: readonly (string | undefined)[] | undefined;
  /** The other non-null fields of the rows that have any (tags, deletionVector, …). */
  readonly rare: ReadonlyMap<number, Readonly<Record<string, unknown>>>;
}

/** Row i of a column-wise batch as an AddFile (the shape a JSON commit's add parses to). */
export function checkpointAddFile(adds: CheckpointAdds, i: number): AddFile {
  const partitionValues = adds.partitionValues[i];
  const size = adds.sizes[i]!;
  const modificationTime = adds.modificationTimes[i]!;
  const dataChange = adds.dataChange[i]!;
  let file: Record<string, unknown>;
  if (partitionValues !== undefined && !Number.isNaN(size) && !Number.isNaN(modificationTime) && dataChange !== 2) {
    // The common case as one object literal: one shape for all files, and fast to make.
    file = { path: adds.paths[i], partitionValues, size, modificationTime, dataChange: dataChange === 1 };
  } else {
    file = { path: adds.paths[i] };
    if (partitionValues !== undefined) file.partitionValues = partitionValues;
    if (!Number.isNaN(size)) file.size = size;
    if (!Number.isNaN(modificationTime)) file.modificationTime = modificationTime;
    if (dataChange !== 2) file.dataChange = dataChange === 1;
  }
  const stats = adds.stats?.[i];
  if (stats !== undefined) file.stats = stats;
  const rare = adds.rare.size === 0 ? undefined : adds.rare.get(i);
  if (rare !== undefined) Object.assign(file, rare);
  return file as unknown as AddFile;
}

/**
 * A checkpoint opened for reading: every part, and the sidecars of a v2 checkpoint. `actions` are
 * its actions other than Parquet adds, in file order (the adds of JSON parts included, sidecar
 * actions replaced by the sidecars' contents); `adds()` reads the Parquet adds. Close it.
 */
export class CheckpointReader {
  private constructor(
    readonly actions: readonly Action[],
    private readonly parquet: readonly StagedParquet[],
    private readonly duck: Duck | undefined,
  ) {}

  static async open(store: ObjectStore, files: readonly CheckpointFile[]): Promise<CheckpointReader> {
    const actions: Action[] = [];
    const parquet: StagedParquet[] = [];
    let duck: Duck | undefined;
    const stage = async (key: string, bytes: Uint8Array): Promise<StagedParquet> => {
      duck ??= await Duck.open();
      return duck.stage(key, bytes);
    };
    try {
      const expand = async (partActions: readonly Action[]): Promise<void> => {
        for (const action of partActions) {
          if (action.sidecar === undefined) {
            actions.push(action);
            continue;
          }
          const key = sidecarKey((action.sidecar as { path: string }).path);
          const sidecar = await stage(key, (await store.get(key)).bytes);
          parquet.push(sidecar);
          actions.push(...(await sidecar.otherActions()));
        }
      };
      for (const file of files) {
        const bytes = (await store.get(file.key)).bytes;
        if (file.naming === 'uuid' && file.format === 'json') {
          await expand(parseJsonActions(bytes, file.key, 'CORRUPT_CHECKPOINT'));
        } else {
          const part = await stage(file.key, bytes);
          parquet.push(part);
          await expand(await part.otherActions());
        }
      }
      // Partition dictionaries do not depend on what is asked of adds(): make them now, while the
      // caller is busy with commits.
      for (const file of parquet) if (file.hasPartitionValues) await file.partitionDictionary();
    } catch (error) {
      await (duck as Duck | undefined)?.close();
      throw error;
    }
    return new CheckpointReader(actions, parquet, duck);
  }

  /** The Parquet adds, one batch per file (part or sidecar). */
  async adds(options: CheckpointAddOptions = {}): Promise<CheckpointAdds[]> {
    const batches: CheckpointAdds[] = [];
    for (const file of this.parquet) batches.push(await file.adds(options));
    return batches;
  }

  async close(): Promise<void> {
    await this.duck?.close();
  }
}

/**
 * All actions of a checkpoint as objects: every part of a multi-part one, and the sidecars a v2
 * checkpoint references. Errors are CORRUPT_CHECKPOINT naming the file. (State reconstruction
 * uses CheckpointReader, which keeps adds column-wise.)
 */
export async function readCheckpointActions(store: ObjectStore, files: readonly CheckpointFile[]): Promise<Action[]> {
  const reader = await CheckpointReader.open(store, files);
  try {
    const actions = [...reader.actions];
    for (const adds of await reader.adds()) {
      for (let i = 0; i < adds.length; i++) actions.push({ add: checkpointAddFile(adds, i) });
    }
    return actions;
  } finally {
    await reader.close();
  }
}

/** Sidecars live in `_delta_log/_sidecars/`; the action holds a URI-encoded name or full path. */
function sidecarKey(path: string): string {
  const name = decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
  return `${SIDECAR_DIR}${name}`;
}

// ---------------------------------------------------------------------------------------------
// DuckDB

/** The DuckDB session of one checkpoint, with its staged files; errors name the checkpoint file. */
class Duck {
  private staged = 0;
  private constructor(private readonly session: DuckSession) {}

  static async open(): Promise<Duck> {
    return new Duck(await DuckSession.open('checkpoint'));
  }

  get connection(): DuckSession['connection'] {
    return this.session.connection;
  }

  /** Writes the bytes to a local file and reads its schema (CORRUPT_CHECKPOINT if it is not Parquet). */
  async stage(key: string, bytes: Uint8Array): Promise<StagedParquet> {
    const path = join(this.session.dir, `${this.staged++}.parquet`);
    await writeFile(path, bytes);
    const source = `read_parquet(${sqlString(path)}, file_row_number = true)`;
    const result = await this.query(key, `SELECT * FROM ${source} LIMIT 0`);
    const columns = new Map<string, DuckDBType>();
    result.names.forEach((name, i) => columns.set(name, result.types[i]!));
    return new StagedParquet(this, this.staged - 1, key, source, columns);
  }

  run(key: string, sql: string): Promise<void> {
    return named(key, this.session.run(sql));
  }

  forEachChunk(key: string, sql: string, each: (chunk: DuckDBDataChunk) => void): Promise<void> {
    return named(key, this.session.forEachChunk(sql, each));
  }

  query(key: string, sql: string): Promise<QueryResult> {
    return named(key, this.session.query(sql));
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

async function named<T>(key: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw corruptCheckpoint(key, error);
  }
}


function corruptCheckpoint(key: string, error: unknown): LakeError {
  if (error instanceof LakeError) return error;
  // DuckDB names the staged copy; the user knows the file by its key.
  const detail = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.replace(STAGED_PATH, key);
  return new LakeError('CORRUPT_CHECKPOINT', `checkpoint file ${key} cannot be read as Parquet (${detail}): it is truncated or corrupt`, {
    path: key,
    cause: error,
  });
}

const STAGED_PATH = /\/[^'"\s]*lake-checkpoint-[^/'"\s]+\/\d+\.parquet/g;

const STRUCT = 25; // DuckDBTypeId.STRUCT

function structFields(type: DuckDBType | undefined): readonly string[] | undefined {
  return type !== undefined && type.typeId === STRUCT ? (type as DuckDBStructType).entryNames : undefined;
}

class StagedParquet {
  constructor(
    private readonly duck: Duck,
    /** Distinguishes this file's temporary tables. */
    private readonly id: number,
    readonly key: string,
    private readonly source: string,
    private readonly columns: ReadonlyMap<string, DuckDBType>,
  ) {}

  /** Rows of the action columns other than add, as actions, in file order. */
  async otherActions(): Promise<Action[]> {
    const present = OTHER_ACTIONS.filter((name) => structFields(this.columns.get(name)) !== undefined);
    if (present.length === 0) return [];
    // One JSON text per action; JSON text never holds a raw NUL, so NUL separates them.
    const each = present.map((name) => `CASE WHEN ${sqlIdentifier(name)} IS NOT NULL THEN '{"${name}":' || to_json(${sqlIdentifier(name)}) || '}' END`);
    const sql =
      `SELECT string_agg(concat_ws(chr(0), ${each.join(', ')}), chr(0) ${ORDERED}) AS actions ` +
      `FROM ${this.source} WHERE ${present.map((name) => `${sqlIdentifier(name)} IS NOT NULL`).join(' OR ')} ` +
      `GROUP BY file_row_number // ${GROUP_ROWS} ORDER BY min(file_row_number)`;
    const result = await this.duck.query(this.key, sql);
    const actions: Action[] = [];
    for (const text of firstColumn(result)) {
      for (const json of (text as string).split('\0')) {
        const parsed = JSON.parse(json) as Record<string, unknown>;
        const [name, value] = Object.entries(parsed)[0]!;
        actions.push({ [name]: withoutNullFields(value) } as Action);
      }
    }
    return actions;
  }

  private dictionary: Promise<(PartitionValues | undefined)[]> | undefined;

  /**
   * The distinct partitionValues maps of the adds, in table `lake_partitions_<id>` (pv, id, json)
   * and as parsed objects by id (id 0 unused). Made once; `CheckpointReader.open` starts it early.
   */
  partitionDictionary(): Promise<(PartitionValues | undefined)[]> {
    this.dictionary ??= (async () => {
      const f = (name: string): string => `struct_extract("add", ${sqlString(name)})`;
      const table = `lake_partitions_${this.id}`;
      await this.duck.run(
        this.key,
        `CREATE OR REPLACE TEMP TABLE ${table} AS SELECT pv, (row_number() OVER ())::INTEGER AS id, coalesce(to_json(pv)::VARCHAR, 'null') AS json ` +
          `FROM (SELECT DISTINCT ${f('partitionValues')} AS pv FROM ${this.source} WHERE ${f('path')} IS NOT NULL)`,
      );
      const dictionary = await this.duck.query(this.key, `SELECT id, json FROM ${table}`);
      const partitions: (PartitionValues | undefined)[] = [undefined];
      for (const chunk of dictionary.chunks) {
        const ids = chunk.getColumnVector(0);
        const texts = chunk.getColumnVector(1);
        for (let i = 0; i < chunk.rowCount; i++) {
          partitions[ids.getItem(i) as number] = (JSON.parse(texts.getItem(i) as string) as PartitionValues | null) ?? undefined;
        }
      }
      return partitions;
    })();
    return this.dictionary;
  }

  /** Whether the file has adds with partition values (and so a partition dictionary). */
  get hasPartitionValues(): boolean {
    const fields = structFields(this.columns.get('add'));
    return fields !== undefined && fields.includes('path') && fields.includes('partitionValues');
  }

  async adds(options: CheckpointAddOptions): Promise<CheckpointAdds> {
    const fields = structFields(this.columns.get('add'));
    if (fields === undefined) return emptyAdds(options.stats !== false);
    const has = (name: string): boolean => fields.includes(name);
    if (!has('path')) throw new LakeError('CORRUPT_CHECKPOINT', `checkpoint file ${this.key} has an add column without a path field: it is corrupt`, { path: this.key });
    const f = (name: string): string => `struct_extract("add", ${sqlString(name)})`;
    const withStats = options.stats !== false;
    // An add row is one whose path is set (the protocol requires it). Testing the struct itself
    // for null would make DuckDB read every field of it, stats included.
    let where = `${f('path')} IS NOT NULL`;
    let from = this.source;
    let filtered = false;

    // Partition values: a dictionary of the distinct maps (id → parsed JSON), rows carry the id.
    let partitions: (PartitionValues | undefined)[] = [undefined];
    let partitionIds = `list(0 ${ORDERED})`;
    if (has('partitionValues')) {
      const table = `lake_partitions_${this.id}`;
      partitions = await this.partitionDictionary();
      partitionIds = `list(${table}.id ${ORDERED})`;
      let joined = table;
      if (options.partitionFilter !== undefined) {
        const filter = options.partitionFilter;
        const keep: number[] = [];
        for (let id = 1; id < partitions.length; id++) if (filter(partitions[id] ?? {})) keep.push(id);
        if (keep.length === 0) return emptyAdds(withStats);
        if (keep.length < partitions.length - 1) {
          const kept = `lake_kept_${this.id}`;
          await this.duck.run(this.key, `CREATE OR REPLACE TEMP TABLE ${kept} (id INTEGER)`);
          const appender = await this.duck.connection.createAppender(kept);
          for (const id of keep) {
            appender.appendInteger(id);
            appender.endRow();
          }
          appender.closeSync();
          joined = `(SELECT * FROM ${table} WHERE id IN (SELECT id FROM ${kept})) AS ${table}`;
          filtered = true;
        }
      }
      // Every row's map is in the dictionary (IS NOT DISTINCT FROM matches a null map too), so the
      // inner join keeps every row, or with a filter exactly the rows of the passing partitions.
      from += ` JOIN ${joined} ON ${f('partitionValues')} IS NOT DISTINCT FROM ${table}.pv`;
    } else if (options.partitionFilter !== undefined && !options.partitionFilter({})) {
      return emptyAdds(withStats);
    }

    const rareFields = fields.filter((name) => !HOT_ADD_FIELDS.has(name) && !SKIPPED_ADD_FIELDS.has(name));
    const rareParts = rareFields.map((name) => [name, f(name)] as const);
    let rareCondition = rareFields.map((name) => `${f(name)} IS NOT NULL`);
    if (withStats && has('stats_parsed')) {
      // stats_parsed is what pruning falls back on when stats is absent; elsewhere it is a copy.
      const statsNull = has('stats') ? `${f('stats')} IS NULL` : 'TRUE';
      rareParts.push(['stats_parsed', `CASE WHEN ${statsNull} THEN ${f('stats_parsed')} END`]);
      rareCondition = [...rareCondition, `(${statsNull} AND ${f('stats_parsed')} IS NOT NULL)`];
    }
    const number = (name: string): string => (has(name) ? `list(coalesce(${f(name)}::DOUBLE, 'NaN'::DOUBLE) ${ORDERED})` : `list('NaN'::DOUBLE)`);
    const select = [
      `count(*)::INTEGER AS n`,
      ...textColumn('paths', f('path')),
      `${partitionIds} AS pvs`,
      `${number('size')} AS sizes`,
      `${number('modificationTime')} AS times`,
      has('dataChange')
        ? `list((CASE WHEN ${f('dataChange')} THEN 1 WHEN NOT ${f('dataChange')} THEN 0 ELSE 2 END)::UTINYINT ${ORDERED}) AS dc`
        : `list(2::UTINYINT) AS dc`,
      rareParts.length === 0
        ? `'' AS rare`
        : `string_agg(CASE WHEN ${rareCondition.join(' OR ')} THEN to_json(struct_pack(${rareParts
            .map(([name, expr]) => `${sqlIdentifier(name)} := ${expr}`)
            .join(', ')}))::VARCHAR ELSE '' END, chr(0) ${ORDERED}) AS rare`,
    ];
    const grouped = `FROM ${from} WHERE ${where} GROUP BY file_row_number // ${GROUP_ROWS} ORDER BY min(file_row_number)`;
    const statsColumns = withStats && has('stats') ? textColumn('stats', f('stats')) : [];
    if (filtered) {
      // Few rows: one query. (One scan instead of two; the stats column is read either way.)
      return this.collect(await this.duck.query(this.key, `SELECT ${[...select, ...statsColumns].join(', ')} ${grouped}`), partitions, withStats);
    }
    const adds = this.collect(await this.duck.query(this.key, `SELECT ${select.join(', ')} ${grouped}`), partitions, withStats);
    if (withStats && has('stats')) await this.readStats(`SELECT ${f('stats')}, file_row_number FROM ${this.source} WHERE ${where}`, adds);
    return adds;
  }

  /**
   * Fills `adds.stats` from a query of one stats value per add row, streamed in file order.
   *
   * All rows' stats are most of a checkpoint's bytes (≈ 300 MB of JSON for 1 M adds with 5
   * columns), so they are read by a query of their own, after the other columns' results are
   * gone (a lower peak), and a value at a time: measured on 1 M adds, 2.1 s against 4.5 s for
   * string_agg and cutting (concatenating 300 MB costs more than it saves). DuckDB keeps a scan's
   * row order without ORDER BY (`preserve_insertion_order`, on by default); the row numbers are
   * checked to increase, so a different order is an error rather than stats on the wrong files.
   */
  private async readStats(sql: string, adds: CheckpointAdds): Promise<void> {
    const stats = adds.stats as (string | undefined)[];
    const misaligned = (): LakeError =>
      new LakeError('CORRUPT_CHECKPOINT', `checkpoint file ${this.key}: stats do not line up with the rows`, { path: this.key });
    let at = 0;
    let previous = -1n;
    await this.duck.forEachChunk(this.key, sql, (chunk) => {
      const values = chunk.getColumnVector(0);
      const rows = chunk.getColumnVector(1);
      if (at + chunk.rowCount > adds.length) throw misaligned();
      for (let i = 0; i < chunk.rowCount; i++) {
        const row = rows.getItem(i) as bigint;
        if (row <= previous) throw misaligned();
        previous = row;
        stats[at++] = (values.getItem(i) as string | null) ?? undefined;
      }
    });
    if (at !== adds.length) throw misaligned();
  }

  private collect(result: QueryResult, partitions: readonly (PartitionValues | undefined)[], withStats: boolean): CheckpointAdds {
    const column = (name: string): number => result.names.indexOf(name);
    const total = sumRows(result, column('n'));
    const paths: string[] = new Array(total);
    const partitionValues: (PartitionValues | undefined)[] = new Array(total);
    const sizes = new Float64Array(total);
    const modificationTimes = new Float64Array(total);
    const dataChange = new Uint8Array(total);
    const stats: (string | undefined)[] | undefined = withStats ? new Array(total) : undefined;
    const rare = new Map<number, Record<string, unknown>>();
    let at = 0;
    for (const chunk of result.chunks) {
      const vector = (name: string): DuckDBVector => chunk.getColumnVector(column(name));
      for (let g = 0; g < chunk.rowCount; g++) {
        const n = vector('n').getItem(g) as number;
        cutText(this.key, 'path', vector('paths').getItem(g) as string | null, vector('paths_lengths') as DuckDBListVector, g, paths, at, n, true);
        if (stats !== undefined && column('stats') !== -1) {
          cutText(this.key, 'stats', vector('stats').getItem(g) as string | null, vector('stats_lengths') as DuckDBListVector, g, stats, at, n, false);
        }
        const ids = (vector('pvs') as DuckDBListVector).getItemVector(g);
        if (ids === null || ids.itemCount !== n) throw new LakeError('CORRUPT_CHECKPOINT', `checkpoint file ${this.key}: partition values do not line up with the rows`, { path: this.key });
        for (let i = 0; i < n; i++) partitionValues[at + i] = partitions[(ids.getItem(i) as number | null) ?? 0];
        copyNumbers(vector('sizes') as DuckDBListVector, g, sizes, at);
        copyNumbers(vector('times') as DuckDBListVector, g, modificationTimes, at);
        copyNumbers(vector('dc') as DuckDBListVector, g, dataChange, at);
        const rareText = vector('rare').getItem(g) as string;
        if (rareText.length > n - 1) {
          // n - 1 separators alone: all empty. Otherwise some rows have rare fields.
          const parts = rareText.split('\0');
          if (parts.length !== n) throw new LakeError('CORRUPT_CHECKPOINT', `checkpoint file ${this.key}: add fields do not line up with the rows`, { path: this.key });
          for (let i = 0; i < parts.length; i++) {
            const text = parts[i]!;
            if (text !== '') rare.set(at + i, withoutNullFields(JSON.parse(text)) as Record<string, unknown>);
          }
        }
        at += n;
      }
    }
    return { length: total, paths, partitionValues, sizes, modificationTimes, dataChange, stats, rare };
  }
}

/** The values of a result's first column. */
function firstColumn(result: QueryResult): unknown[] {
  const values: unknown[] = [];
  for (const chunk of result.chunks) {
    const vector = chunk.getColumnVector(0);
    for (let i = 0; i < vector.itemCount; i++) values.push(vector.getItem(i));
  }
  return values;
}

function sumRows(result: QueryResult, column: number): number {
  let total = 0;
  for (const chunk of result.chunks) {
    const vector = chunk.getColumnVector(column);
    for (let g = 0; g < vector.itemCount; g++) total += vector.getItem(g) as number;
  }
  return total;
}

function emptyAdds(withStats: boolean): CheckpointAdds {
  return {
    length: 0,
    paths: [],
    partitionValues: [],
    sizes: new Float64Array(0),
    modificationTimes: new Float64Array(0),
    dataChange: new Uint8Array(0),
    stats: withStats ? [] : undefined,
    rare: new Map(),
  };
}

/**
 * A string column as two aggregates: the texts concatenated, and their UTF-8 byte lengths (-1 for
 * null), both in row order. No separator is needed, so any text (even with NULs) survives.
 */
function textColumn(name: string, expr: string): string[] {
  return [
    `string_agg(coalesce(${expr}, ''), '' ${ORDERED}) AS ${name}`,
    `list(coalesce(strlen(${expr}), -1)::INTEGER ${ORDERED}) AS ${name}_lengths`,
  ];
}

/** Cuts a group's concatenated text into `out[at…at+n)` by the byte lengths. */
function cutText(
  key: string,
  field: string,
  text: string | null,
  lengthsVector: DuckDBListVector,
  group: number,
  out: (string | undefined)[],
  at: number,
  n: number,
  required: boolean,
): void {
  const lengths = lengthsVector.getItemVector(group);
  if (lengths === null || lengths.itemCount !== n) throw new LakeError('CORRUPT_CHECKPOINT', `checkpoint file ${key}: ${field} lengths do not line up with the rows`, { path: key });
  const all = text ?? '';
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += Math.max(0, lengths.getItem(i) as number);
  // Only ASCII text has as many UTF-16 units as UTF-8 bytes: then byte offsets are string offsets.
  const ascii = all.length === bytes;
  const encoded = ascii ? undefined : Buffer.from(all, 'utf8');
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const length = lengths.getItem(i) as number;
    if (length < 0) {
      if (required) throw new LakeError('CORRUPT_CHECKPOINT', `checkpoint file ${key} has an add action without a ${field}: it is corrupt`, { path: key });
      out[at + i] = undefined;
      continue;
    }
    out[at + i] = encoded === undefined ? all.substring(offset, offset + length) : encoded.toString('utf8', offset, offset + length);
    offset += length;
  }
}

/** A group's list of numbers into `out` from `at`. */
function copyNumbers(listVector: DuckDBListVector, group: number, out: Float64Array | Uint8Array, at: number): void {
  const items = listVector.getItemVector(group);
  if (items === null) return;
  for (let i = 0; i < items.itemCount; i++) out[at + i] = items.getItem(i) as number;
}



/** A Parquet struct has every field, null where a JSON action would omit it. */
function withoutNullFields(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null));
}
