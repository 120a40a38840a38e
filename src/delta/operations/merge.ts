/**
 * MERGE INTO target USING source ON predicate, with the builder names delta-rs and Delta Spark
 * use. The join and every clause run in DuckDB (sql-workspace.ts), spilling under a memory limit;
 * JavaScript only moves Arrow batches in and out.
 *
 * 1. Candidate target files: every live file when a `whenNotMatchedBySource` clause exists (rows
 *    the source does not mention may change); otherwise the files that may hold rows whose join
 *    keys fall in the source's key ranges (for each `target.k = source.s` conjunct of the
 *    predicate, `k BETWEEN min(s) AND max(s)`), pruned by partition values and statistics.
 * 2. The candidates' rows, tagged with (file, row), and the source are joined (FULL OUTER). For
 *    each joined row the first clause of its kind (matched / not matched / not matched by source)
 *    whose condition holds decides: update, delete, insert, or nothing (the target row is copied).
 * 3. A target row that several source rows match and a matched clause would modify is Delta's
 *    error (the result would depend on row order), unless the only matched clause is an
 *    unconditional delete.
 * 4. Files with a modified row are removed and their remaining rows written again with the
 *    updates and inserts; untouched candidates stay. One transaction commits it all.
 */
import { Field, RecordBatch, Schema, type Table } from 'apache-arrow';
import { parseSchema, toArrowSchema } from '../schema.js';
import { sqlIdentifier, sqlString } from '../../engine/duckdb-session.js';
import { duckdbType } from '../../engine/duckdb-types.js';
import { inputFilesSql, isInputFiles, type InputFiles } from '../../engine/input-files.js';
import { SqlWorkspace, type SqlWorkspaceOptions } from '../../engine/sql-workspace.js';
import { LakeError, UsageError } from '../../errors.js';
import type { AddFile } from '../actions.js';
import { filesMatching } from '../file-pruning.js';
import { FILE_COLUMN, registerDataFiles, ROW_COLUMN } from '../file-relation.js';
import type { DeltaSnapshot } from '../snapshot.js';
import type { DeltaTable } from '../table.js';
import { DeltaTransaction, type TransactionOptions } from '../transaction.js';
import { writeDataFiles } from '../write-files.js';
import { stringMetrics } from './metrics.js';
import { evolvedMetadata, type WriteInput } from './write.js';

export interface MergeOptions extends TransactionOptions, SqlWorkspaceOptions {
  /** The join condition, SQL over both aliases: `target.id = source.id`. */
  readonly predicate: string;
  readonly sourceAlias?: string;
  readonly targetAlias?: string;
  /** 'merge': source columns the table lacks are added (nullable, at the end) for updateAll/insertAll. */
  readonly schemaMode?: 'merge';
}

type Assignments = Readonly<Record<string, string>>;

type Clause =
  | { readonly when: 'matched'; readonly action: 'update'; readonly set: Assignments | 'all'; readonly condition?: string }
  | { readonly when: 'matched'; readonly action: 'delete'; readonly condition?: string }
  | { readonly when: 'notMatched'; readonly action: 'insert'; readonly values: Assignments | 'all'; readonly condition?: string }
  | { readonly when: 'notMatchedBySource'; readonly action: 'update'; readonly set: Assignments; readonly condition?: string }
  | { readonly when: 'notMatchedBySource'; readonly action: 'delete'; readonly condition?: string };

export interface MergeMetrics {
  readonly numSourceRows: number;
  readonly numTargetRowsInserted: number;
  readonly numTargetRowsUpdated: number;
  readonly numTargetRowsDeleted: number;
  readonly numTargetRowsCopied: number;
  readonly numTargetFilesAdded: number;
  readonly numTargetFilesRemoved: number;
  readonly numTargetBytesAdded: number;
  readonly numTargetBytesRemoved: number;
  readonly executionTimeMs: number;
}

export interface MergeResult {
  /** Undefined when the merge changed nothing (nothing is committed then). */
  readonly version: number | undefined;
  readonly metrics: MergeMetrics;
}

/** `table.merge(source, options)` then clauses, then `execute()`; clauses apply in the order given. */
export class MergeBuilder {
  private readonly clauses: Clause[] = [];

  constructor(
    private readonly table: DeltaTable,
    private readonly source: WriteInput,
    private readonly options: MergeOptions,
  ) {}

  whenMatchedUpdate(clause: { set: Assignments; condition?: string }): this {
    return this.add({ when: 'matched', action: 'update', set: clause.set, ...optional(clause.condition) });
  }

  whenMatchedUpdateAll(clause: { condition?: string } = {}): this {
    return this.add({ when: 'matched', action: 'update', set: 'all', ...optional(clause.condition) });
  }

  whenMatchedDelete(clause: { condition?: string } = {}): this {
    return this.add({ when: 'matched', action: 'delete', ...optional(clause.condition) });
  }

  whenNotMatchedInsert(clause: { values: Assignments; condition?: string }): this {
    return this.add({ when: 'notMatched', action: 'insert', values: clause.values, ...optional(clause.condition) });
  }

  whenNotMatchedInsertAll(clause: { condition?: string } = {}): this {
    return this.add({ when: 'notMatched', action: 'insert', values: 'all', ...optional(clause.condition) });
  }

  whenNotMatchedBySourceUpdate(clause: { set: Assignments; condition?: string }): this {
    return this.add({ when: 'notMatchedBySource', action: 'update', set: clause.set, ...optional(clause.condition) });
  }

  whenNotMatchedBySourceDelete(clause: { condition?: string } = {}): this {
    return this.add({ when: 'notMatchedBySource', action: 'delete', ...optional(clause.condition) });
  }

  execute(): Promise<MergeResult> {
    if (this.clauses.length === 0) throw new UsageError('a merge needs at least one when… clause');
    return executeMerge(this.table, this.source, this.options, this.clauses);
  }

  private add(clause: Clause): this {
    this.clauses.push(clause);
    return this;
  }
}

function optional(condition: string | undefined): { condition?: string } {
  return condition === undefined ? {} : { condition };
}

/** Internal column names; the `__lake_` prefix keeps them apart from the table's. */
const FILE = FILE_COLUMN;
const ROW = ROW_COLUMN;
const SOURCE_ROW = '__lake_source';
const CLAUSE = '__lake_clause';

async function executeMerge(table: DeltaTable, source: WriteInput, options: MergeOptions, clauses: readonly Clause[]): Promise<MergeResult> {
  const clock = options.clock ?? Date.now;
  const started = clock();
  const sourceAlias = options.sourceAlias ?? 'source';
  const targetAlias = options.targetAlias ?? 'target';
  const snapshot = await table.snapshot();
  const workspace = await SqlWorkspace.open(options);
  try {
    let sourceSchema: Schema | undefined;
    if (isInputFiles(source)) {
      await workspace.run(`CREATE OR REPLACE TEMP VIEW __lake_source_rows AS ${inputFilesSql(source)}`);
      sourceSchema = await workspace.arrowSchema('SELECT * FROM __lake_source_rows');
    } else {
      await workspace.register(
        '__lake_source_rows',
        (async function* () {
          for await (const batch of sourceBatches(source)) {
            sourceSchema ??= batch.schema;
            yield batch;
          }
        })(),
      );
    }
    // Schema evolution: the table's metadata with the source's new columns (the same object without).
    const metadata = options.schemaMode === 'merge' && sourceSchema !== undefined ? evolvedMetadata(snapshot.metadata, sourceSchema, 'merge') : snapshot.metadata;
    const columns = toArrowSchema(parseSchema(metadata.schemaString)).fields;
    const targetColumns = new Set(snapshot.arrowSchema.fields.map((f) => f.name));
    const sourceColumns = new Set(await workspace.columnNames('SELECT * FROM __lake_source_rows'));
    checkClauses(clauses, columns.map((f) => f.name));
    const numSourceRows = Number(await workspace.scalar('SELECT count(*) FROM __lake_source_rows'));

    // 1. Candidate target files.
    const bySource = clauses.some((c) => c.when === 'notMatchedBySource');
    const where = bySource ? undefined : await sourceKeyRanges(workspace, options.predicate, sourceAlias, targetAlias, snapshot);
    const candidates = where === undefined ? snapshot.files : await filesMatching(snapshot, where);

    // 2. Join and decide per joined row.
    // DuckDB reads the candidates where they lie (file-relation.ts).
    await registerDataFiles(workspace, snapshot, candidates, '__lake_target_rows');
    // Kept: the rows a clause decides and every matched row; not the (many) target rows no source
    // row matches and no clause touches: those are copied from the files if their file is rewritten.
    await workspace.run(
      `CREATE TEMP TABLE __lake_merged AS SELECT * FROM (${mergeQuery(clauses, columns, targetColumns, sourceColumns, options.predicate, sourceAlias, targetAlias)}) ` +
        `WHERE ${CLAUSE} > 0 OR (${FILE} IS NOT NULL AND ${SOURCE_ROW})`,
    );

    // 3. Several source rows for one target row that a matched clause modifies.
    const onlyUnconditionalDelete = clauses.filter((c) => c.when === 'matched').every((c) => c.action === 'delete' && c.condition === undefined);
    if (!onlyUnconditionalDelete) {
      const duplicated = Number(
        await workspace.scalar(
          `SELECT count(*) FROM (SELECT 1 FROM __lake_merged WHERE ${FILE} IS NOT NULL AND ${SOURCE_ROW} AND ${CLAUSE} > 0 GROUP BY ${FILE}, ${ROW} HAVING count(*) > 1)`,
        ),
      );
      if (duplicated > 0) {
        throw new LakeError(
          'MERGE_DUPLICATE_SOURCE',
          `the merge failed: ${duplicated} target row${duplicated > 1 ? 's are' : ' is'} matched by several source rows and would be modified more than once; nothing was committed: make the source unique on the merge keys (for example, deduplicate it first)`,
        );
      }
    }

    // 4. What changes, and the rows to write.
    const kinds = clauses.map((c) => (c.action === 'delete' ? 'delete' : c.action === 'insert' ? 'insert' : 'update'));
    const clauseKind = `(CASE ${CLAUSE} ${kinds.map((k, i) => `WHEN ${i + 1} THEN '${k}'`).join(' ')} ELSE 'copy' END)`;
    await workspace.run(`CREATE TEMP TABLE __lake_counts AS SELECT ${clauseKind} AS kind, count(*) AS n FROM __lake_merged WHERE ${FILE} IS NOT NULL OR ${CLAUSE} > 0 GROUP BY ALL`);
    const count = async (kind: string): Promise<number> => Number((await workspace.scalar(`SELECT coalesce(sum(n), 0) FROM __lake_counts WHERE kind = '${kind}'`)) ?? 0);
    const touched = new Set<number>();
    for await (const batch of workspace.query(`SELECT DISTINCT ${FILE} FROM __lake_merged WHERE ${FILE} IS NOT NULL AND ${CLAUSE} > 0`)) {
      const files = batch.getChildAt(0)!;
      for (let i = 0; i < batch.numRows; i++) touched.add(Number(files.get(i)));
    }
    const inserted = await count('insert');
    const removed = [...touched].sort((a, b) => a - b).map((i) => candidates[i]!);
    let added: AddFile[] = [];
    let copied = 0;
    if (removed.length > 0 || inserted > 0) {
      const touchedList = removed.length === 0 ? 'NULL' : [...touched].join(', ');
      const names = columns.map((f) => sqlIdentifier(f.name)).join(', ');
      // Rows of touched files no clause changed, as they are (a column the merge adds is null).
      const current = columns.map((f) => (targetColumns.has(f.name) ? sqlIdentifier(f.name) : `CAST(NULL AS ${duckdbType(f.type)}) AS ${sqlIdentifier(f.name)}`)).join(', ');
      const unchanged =
        `FROM __lake_target_rows AS t ANTI JOIN (SELECT ${FILE}, ${ROW} FROM __lake_merged WHERE ${CLAUSE} > 0 AND ${FILE} IS NOT NULL) AS c ` +
        `ON t.${FILE} = c.${FILE} AND t.${ROW} = c.${ROW} WHERE t.${FILE} IN (${touchedList})`;
      // Changed rows (each target row once: several source rows may match a row only when every
      // matched clause is an unconditional delete, and deleted rows are not written), then inserts.
      const output =
        `SELECT ${current} ${unchanged} UNION ALL ` +
        `SELECT ${names} FROM __lake_merged WHERE ${FILE} IN (${touchedList}) AND ${clauseKind} = 'update' UNION ALL ` +
        `SELECT ${names} FROM __lake_merged WHERE ${FILE} IS NULL AND ${CLAUSE} > 0`;
      const written = await writeDataFiles(table.store, workspace, output, { metadata, protocol: snapshot.protocol, clock });
      added = written.files;
      copied = written.rows - (await count('update')) - inserted;
    }
    const metrics: MergeMetrics = {
      numSourceRows,
      numTargetRowsInserted: inserted,
      numTargetRowsUpdated: await count('update'),
      numTargetRowsDeleted: await count('delete'),
      numTargetRowsCopied: copied,
      numTargetFilesAdded: added.length,
      numTargetFilesRemoved: removed.length,
      numTargetBytesAdded: added.reduce((n, f) => n + f.size, 0),
      numTargetBytesRemoved: removed.reduce((n, f) => n + f.size, 0),
      executionTimeMs: clock() - started,
    };
    if (removed.length === 0 && added.length === 0) return { version: undefined, metrics };

    const txn = new DeltaTransaction(snapshot, options);
    if (metadata !== snapshot.metadata) txn.setMetadata(metadata);
    if (where === undefined) txn.readWholeTable();
    txn.read(candidates, where);
    txn.removeFiles(removed);
    txn.addFiles(added);
    const describe = (when: Clause['when']) =>
      JSON.stringify(clauses.filter((c) => c.when === when).map((c) => ({ actionType: c.action, ...(c.condition === undefined ? {} : { predicate: c.condition }) })));
    const { version } = await txn.commit({
      operation: 'MERGE',
      operationParameters: {
        predicate: JSON.stringify(options.predicate),
        matchedPredicates: describe('matched'),
        notMatchedPredicates: describe('notMatched'),
        notMatchedBySourcePredicates: describe('notMatchedBySource'),
      },
      operationMetrics: stringMetrics(metrics),
    });
    return { version, metrics };
  } catch (error) {
    if (error instanceof LakeError && error.code === 'SQL') {
      throw new LakeError('SQL', `merge on ${options.predicate}: ${error.message}`, { cause: error });
    }
    throw error;
  } finally {
    await workspace.close();
  }
}

function checkClauses(clauses: readonly Clause[], columns: readonly string[]): void {
  for (const clause of clauses) {
    const names = 'set' in clause && clause.set !== 'all' ? Object.keys(clause.set) : 'values' in clause && clause.values !== 'all' ? Object.keys(clause.values) : [];
    for (const name of names) {
      if (!columns.includes(name)) throw new UsageError(`merge assigns ${name}, which is not a column of the table; its columns are ${columns.join(', ')}`);
    }
  }
}

/**
 * The joined rows with, per row: the target's (file, row), whether a source row is there, the
 * number (1-based) of the clause that applies (0: none), and every target column's new value.
 */
function mergeQuery(
  clauses: readonly Clause[],
  columns: readonly Field[],
  targetColumns: ReadonlySet<string>,
  sourceColumns: ReadonlySet<string>,
  predicate: string,
  sourceAlias: string,
  targetAlias: string,
): string {
  const t = sqlIdentifier(targetAlias);
  const s = sqlIdentifier(sourceAlias);
  const matched = `${t}.${FILE} IS NOT NULL AND ${s}.${SOURCE_ROW} IS NOT NULL`;
  const notMatched = `${t}.${FILE} IS NULL`;
  const bySource = `${s}.${SOURCE_ROW} IS NULL`;
  // Target rows no source row matches matter only to notMatchedBySource clauses; without them the
  // join keeps just the matches, so DuckDB can skip target row groups outside the source's keys.
  const bySourceClauses = clauses.some((c) => c.when === 'notMatchedBySource');
  const whens = clauses.map((clause, i) => {
    const kind = clause.when === 'matched' ? matched : clause.when === 'notMatched' ? notMatched : bySource;
    return `WHEN (${kind})${clause.condition === undefined ? '' : ` AND (${clause.condition})`} THEN ${i + 1}`;
  });
  const value = (clause: Clause, column: Field): string | undefined => {
    const name = column.name;
    const cast = (expression: string) => `CAST((${expression}) AS ${duckdbType(column.type)})`;
    if (clause.action === 'delete') return undefined;
    // updateAll / insertAll take the source's column of the same name; a column the source lacks
    // keeps its value (update) or is null (insert).
    const fromSource = sourceColumns.has(name) ? cast(`${s}.${sqlIdentifier(name)}`) : undefined;
    if (clause.action === 'insert') {
      if (clause.values === 'all') return fromSource ?? `CAST(NULL AS ${duckdbType(column.type)})`;
      return clause.values[name] === undefined ? `CAST(NULL AS ${duckdbType(column.type)})` : cast(clause.values[name]!);
    }
    if (clause.set === 'all') return fromSource;
    return clause.set[name] === undefined ? undefined : cast(clause.set[name]!);
  };
  const values = columns.map((column) => {
    const changes = clauses.flatMap((clause, i) => {
      const v = value(clause, column);
      return v === undefined ? [] : [`WHEN ${i + 1} THEN ${v}`];
    });
    // A column the merge adds has no target value: null.
    const current = targetColumns.has(column.name) ? `${t}.${sqlIdentifier(column.name)}` : `CAST(NULL AS ${duckdbType(column.type)})`;
    return changes.length === 0 ? `${current} AS ${sqlIdentifier(column.name)}` : `CASE __lake_choice ${changes.join(' ')} ELSE ${current} END AS ${sqlIdentifier(column.name)}`;
  });
  const inner =
    `SELECT ${t}.${FILE} AS ${FILE}, ${t}.${ROW} AS ${ROW}, ${s}.${SOURCE_ROW} IS NOT NULL AS ${SOURCE_ROW}, ` +
    `(CASE ${whens.join(' ')} ELSE 0 END) AS __lake_choice, ${values.join(', ')} ` +
    `FROM (SELECT *, TRUE AS ${SOURCE_ROW} FROM __lake_source_rows) AS ${s} ${bySourceClauses ? 'FULL OUTER' : 'LEFT OUTER'} JOIN __lake_target_rows AS ${t} ON (${predicate})`;
  return `SELECT * EXCLUDE (__lake_choice), __lake_choice AS ${CLAUSE} FROM (${inner})`;
}

/**
 * `k BETWEEN min AND max` per `target.k = source.s` conjunct of the predicate, from the source's
 * values; undefined when no conjunct has that shape (every file is a candidate then).
 */
async function sourceKeyRanges(
  workspace: SqlWorkspace,
  predicate: string,
  sourceAlias: string,
  targetAlias: string,
  snapshot: DeltaSnapshot,
): Promise<string | undefined> {
  const ranges: string[] = [];
  const columns = new Set(snapshot.schema.fields.map((f) => f.name));
  for (const conjunct of splitTopLevelAnd(predicate)) {
    const m = /^\(*\s*([A-Za-z_][\w]*)\.([A-Za-z_][\w]*)\s*=\s*([A-Za-z_][\w]*)\.([A-Za-z_][\w]*)\s*\)*$/.exec(conjunct.trim());
    if (m === null) continue;
    const [, a, ac, b, bc] = m as unknown as [string, string, string, string, string];
    const pair = a === targetAlias && b === sourceAlias ? [ac, bc] : a === sourceAlias && b === targetAlias ? [bc, ac] : undefined;
    if (pair === undefined || !columns.has(pair[0]!)) continue;
    const [targetColumn, sourceColumn] = pair as [string, string];
    const field = snapshot.arrowSchema.fields.find((f) => f.name === targetColumn)!;
    if (/BLOB|STRUCT|MAP|\[\]/.test(duckdbType(field.type))) continue;
    const bounds = `SELECT min(${sqlIdentifier(sourceColumn)})::VARCHAR || chr(0) || max(${sqlIdentifier(sourceColumn)})::VARCHAR FROM __lake_source_rows`;
    const text = (await workspace.scalar(bounds)) as string | null;
    if (text === null) return 'FALSE'; // no source key: nothing matches
    const [min, max] = text.split('\0') as [string, string];
    ranges.push(`${sqlIdentifier(targetColumn)} BETWEEN ${sqlString(min)} AND ${sqlString(max)}`);
  }
  return ranges.length === 0 ? undefined : ranges.join(' AND ');
}

/** The conjuncts of `a AND b AND (c OR d)`, splitting only outside parentheses and quotes. */
function splitTopLevelAnd(sql: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!;
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && /^\sand\s/i.test(sql.slice(i, i + 5))) {
      parts.push(sql.slice(start, i));
      start = i + 5;
      i += 4;
    }
  }
  parts.push(sql.slice(start));
  return parts;
}

async function* sourceBatches(source: Exclude<WriteInput, InputFiles>): AsyncIterable<RecordBatch> {
  if (source instanceof RecordBatch) yield source;
  else if ('batches' in source && Array.isArray((source as Table).batches)) yield* (source as Table).batches;
  else yield* source as AsyncIterable<RecordBatch> | Iterable<RecordBatch>;
}


