/** DELETE FROM table [WHERE condition], copy-on-write (remove-rows.ts), in one transaction. */
import type { DeltaTable } from '../table.js';
import { DeltaTransaction, type TransactionOptions } from '../transaction.js';
import { stringMetrics } from './metrics.js';
import { liveRows, removeRowsMatching } from './remove-rows.js';

export interface DeleteResult {
  readonly version: number | undefined;
  readonly metrics: DeleteMetrics;
}

export interface DeleteMetrics {
  readonly numRemovedFiles: number;
  readonly numAddedFiles: number;
  readonly numDeletedRows: number;
  readonly numCopiedRows: number;
  readonly numRemovedBytes: number;
  readonly numAddedBytes: number;
  readonly executionTimeMs: number;
}

/**
 * Deletes the rows for which `where` is true (every row without one). When nothing matches,
 * nothing is committed and `version` is undefined.
 */
export async function deleteRows(table: DeltaTable, where: string | undefined, options: TransactionOptions = {}): Promise<DeleteResult> {
  const clock = options.clock ?? Date.now;
  const started = clock();
  const snapshot = await table.snapshot();
  const txn = new DeltaTransaction(snapshot, options);
  let removed;
  if (where === undefined) {
    txn.readWholeTable();
    txn.removeFiles(snapshot.files);
    removed = { removedFiles: snapshot.files, addedFiles: [], deletedRows: snapshot.files.reduce((n, f) => n + (liveRows(f) ?? 0), 0), copiedRows: 0 };
  } else {
    removed = await removeRowsMatching(table.store, txn, where, clock);
  }
  const metrics: DeleteMetrics = {
    numRemovedFiles: removed.removedFiles.length,
    numAddedFiles: removed.addedFiles.length,
    numDeletedRows: removed.deletedRows,
    numCopiedRows: removed.copiedRows,
    numRemovedBytes: removed.removedFiles.reduce((n, f) => n + f.size, 0),
    numAddedBytes: removed.addedFiles.reduce((n, f) => n + f.size, 0),
    executionTimeMs: clock() - started,
  };
  if (removed.removedFiles.length === 0) return { version: undefined, metrics };
  const { version } = await txn.commit({
    operation: 'DELETE',
    operationParameters: { predicate: JSON.stringify(where === undefined ? [] : [where]) },
    operationMetrics: stringMetrics(metrics),
  });
  return { version, metrics };
}
