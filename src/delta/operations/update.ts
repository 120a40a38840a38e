/**
 * UPDATE table SET column = expression, … [WHERE condition], copy-on-write, in one transaction.
 *
 * Candidate files are those pruning cannot rule out; each is read (deletion vectors applied) and
 * its rows tested against the condition. A file without a matching row stays. A file with one is
 * removed and rewritten by DuckDB: every column is `CASE WHEN condition THEN CAST(expression AS
 * its type) ELSE column END`, so the expressions are DuckDB SQL (functions, arithmetic, CASE …)
 * and the table's types are kept. Rows that move to another partition land in its directory.
 */
import { duckdbType } from '../../engine/duckdb-types.js';
import { sqlIdentifier } from '../../engine/duckdb-session.js';
import { SqlWorkspace, type SqlWorkspaceOptions } from '../../engine/sql-workspace.js';
import { LakeError, UsageError } from '../../errors.js';
import type { AddFile } from '../actions.js';
import { filePruner } from '../file-pruning.js';
import type { DeltaTable } from '../table.js';
import { DeltaTransaction, type TransactionOptions } from '../transaction.js';
import { writeDataFiles } from '../write-files.js';
import { stringMetrics } from './metrics.js';
import { bindForPruning, matchesPerFile } from './remove-rows.js';
import { FILE_COLUMN, registerDataFiles } from '../file-relation.js';

export interface UpdateOptions extends TransactionOptions, SqlWorkspaceOptions {
  /** column → SQL expression (DuckDB's dialect) over the row's columns. */
  readonly set: Readonly<Record<string, string>>;
  /** Only rows for which this SQL condition is true (every row without one). */
  readonly where?: string;
}

export interface UpdateMetrics {
  readonly numUpdatedRows: number;
  readonly numCopiedRows: number;
  readonly numAddedFiles: number;
  readonly numRemovedFiles: number;
  readonly numAddedBytes: number;
  readonly numRemovedBytes: number;
  readonly executionTimeMs: number;
}

export interface UpdateResult {
  /** Undefined when no row matched (nothing is committed then). */
  readonly version: number | undefined;
  readonly metrics: UpdateMetrics;
}

export async function updateRows(table: DeltaTable, options: UpdateOptions): Promise<UpdateResult> {
  const clock = options.clock ?? Date.now;
  const started = clock();
  const snapshot = await table.snapshot();
  const columns = snapshot.schema.fields;
  const assignments = Object.entries(options.set);
  if (assignments.length === 0) throw new UsageError('update needs at least one column to set');
  for (const [name] of assignments) {
    if (!columns.some((f) => f.name === name)) {
      throw new UsageError(`update sets ${name}, which is not a column; the columns are ${columns.map((f) => f.name).join(', ')}`);
    }
  }
  const arrowSchema = snapshot.arrowSchema;
  const predicate = options.where === undefined ? undefined : await bindForPruning(snapshot, options.where);
  const candidates = predicate === undefined ? snapshot.files : snapshot.files.filter(filePruner(snapshot, predicate));
  const txn = new DeltaTransaction(snapshot, options);
  const condition = options.where === undefined ? 'TRUE' : `(${options.where})`;
  const select = arrowSchema.fields
    .map((field) => {
      const expression = options.set[field.name];
      const column = sqlIdentifier(field.name);
      return expression === undefined ? column : `CASE WHEN ${condition} THEN CAST((${expression}) AS ${duckdbType(field.type)}) ELSE ${column} END AS ${column}`;
    })
    .join(', ');
  const removed: AddFile[] = [];
  const added: AddFile[] = [];
  let updatedRows = 0;
  let copiedRows = 0;
  const workspace = await SqlWorkspace.open(options);
  try {
    if (candidates.length > 0) {
      // The candidates' live rows, read in place; DuckDB decides the rows, as the rewrite does
      // (NULL is not TRUE), and the files with a match are rewritten together.
      await registerDataFiles(workspace, snapshot, candidates, 'target');
      const matches = await matchesPerFile(workspace, condition, 'target');
      if (matches.size > 0) {
        for (const [index, { matched, live }] of matches) {
          removed.push(candidates[index]!);
          updatedRows += matched;
          copiedRows += live - matched;
        }
        const rewritten = await writeDataFiles(table.store, workspace, `SELECT ${select} FROM target WHERE ${FILE_COLUMN} IN (${[...matches.keys()].join(', ')})`, {
          metadata: snapshot.metadata,
          protocol: snapshot.protocol,
          clock,
        });
        added.push(...rewritten.files);
      }
    }
  } catch (error) {
    if (error instanceof LakeError && error.code === 'SQL') {
      throw new LakeError('SQL', `update ${JSON.stringify(options.set)}${options.where === undefined ? '' : ` where ${options.where}`}: ${error.message}`, { cause: error });
    }
    throw error;
  } finally {
    await workspace.close();
  }
  const metrics: UpdateMetrics = {
    numUpdatedRows: updatedRows,
    numCopiedRows: copiedRows,
    numAddedFiles: added.length,
    numRemovedFiles: removed.length,
    numAddedBytes: added.reduce((n, f) => n + f.size, 0),
    numRemovedBytes: removed.reduce((n, f) => n + f.size, 0),
    executionTimeMs: clock() - started,
  };
  if (removed.length === 0) return { version: undefined, metrics };
  txn.read(candidates, options.where);
  if (options.where === undefined) txn.readWholeTable();
  txn.removeFiles(removed);
  txn.addFiles(added);
  const { version } = await txn.commit({
    operation: 'UPDATE',
    operationParameters: { predicate: JSON.stringify(options.where === undefined ? [] : [options.where]) },
    operationMetrics: stringMetrics(metrics),
  });
  return { version, metrics };
}
