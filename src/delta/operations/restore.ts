/**
 * RESTORE: one commit that makes the latest version hold exactly the files of an earlier one —
 * removes for files added since, adds (as in that version, with their deletion vectors and
 * statistics) for files removed since — and brings back that version's metadata (schema,
 * partitioning, properties). The protocol is kept: it never goes back down.
 *
 * A logical file is its path and deletion vector (PROTOCOL.md "Reconciliation"), so a file whose
 * vector changed since is removed with the new vector and added with the old one. Before
 * committing, every file to add is checked to exist: after vacuum deleted one, restore fails
 * naming it, instead of committing a version that cannot be read. The transaction reads the
 * whole table, so any concurrent change other than a blind append conflicts.
 */
import { LakeError, NotFoundError } from '../../errors.js';
import { mapLimited } from '../../map-limited.js';
import { displayLocation } from '../../storage/location.js';
import type { AddFile, Metadata } from '../actions.js';
import { resolveDataPath } from '../data-paths.js';
import { dvPath } from '../deletion-vector.js';
import { deletionVectorId } from '../replay.js';
import type { DeltaSnapshot } from '../snapshot.js';
import type { DeltaTable } from '../table.js';
import { DeltaTransaction, type TransactionOptions } from '../transaction.js';
import { stringMetrics } from './metrics.js';

export interface RestoreOptions extends TransactionOptions {
  /** The version to restore (give this or `timestamp`). */
  readonly version?: number;
  /** The version current at this time (ms since the epoch, or a Date). */
  readonly timestamp?: number | Date;
}

export interface RestoreMetrics {
  readonly tableSizeAfterRestore: number;
  readonly numOfFilesAfterRestore: number;
  readonly numRemovedFiles: number;
  readonly numRestoredFiles: number;
  readonly removedFilesSize: number;
  readonly restoredFilesSize: number;
}

export interface RestoreResult {
  /** The commit made, or undefined when the latest version already held the same files and metadata. */
  readonly version: number | undefined;
  readonly restoredVersion: number;
  readonly metrics: RestoreMetrics;
}

const HEAD_CONCURRENCY = 16;

export async function restore(table: DeltaTable, options: RestoreOptions): Promise<RestoreResult> {
  const { version, timestamp, ...transaction } = options;
  if ((version === undefined) === (timestamp === undefined)) throw new LakeError('USAGE', 'restore needs a version or a timestamp to restore to (one of them)');
  const latest = await table.snapshot();
  const target = await table.snapshot(version === undefined ? { timestamp: timestamp! } : { version });
  const name = `Delta table ${displayLocation(table.location)}`;
  const keyOf = (file: AddFile) => `${resolveDataPath(file.path, table.location).canonical}\u0000${deletionVectorId(file.deletionVector)}`;
  const current = new Set(latest.files.map(keyOf));
  const wanted = new Set(target.files.map(keyOf));
  const toAdd = target.files.filter((f) => !current.has(keyOf(f)));
  const toRemove = latest.files.filter((f) => !wanted.has(keyOf(f)));
  const metrics: RestoreMetrics = {
    tableSizeAfterRestore: target.files.reduce((n, f) => n + f.size, 0),
    numOfFilesAfterRestore: target.files.length,
    numRemovedFiles: toRemove.length,
    numRestoredFiles: toAdd.length,
    removedFilesSize: toRemove.reduce((n, f) => n + f.size, 0),
    restoredFilesSize: toAdd.reduce((n, f) => n + f.size, 0),
  };
  const metadataChanged = !sameMetadata(latest.metadata, target.metadata);
  if (toAdd.length === 0 && toRemove.length === 0 && !metadataChanged) return { version: undefined, restoredVersion: target.version, metrics };
  await checkFilesExist(target, toAdd, name);

  const txn = new DeltaTransaction(latest, transaction);
  txn.readWholeTable();
  if (metadataChanged) txn.setMetadata({ ...target.metadata, id: latest.metadata.id });
  txn.removeFiles(toRemove);
  txn.addFiles(toAdd.map((f) => ({ ...f, dataChange: true })));
  const committed = await txn.commit({
    operation: 'RESTORE',
    operationParameters: version === undefined ? { timestamp: new Date(timestamp!).toISOString() } : { version },
    operationMetrics: stringMetrics(metrics),
  });
  return { version: committed.version, restoredVersion: target.version, metrics };
}

function sameMetadata(a: Metadata, b: Metadata): boolean {
  const configuration = (m: Metadata) => JSON.stringify(Object.entries(m.configuration).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return a.schemaString === b.schemaString && JSON.stringify(a.partitionColumns) === JSON.stringify(b.partitionColumns) && configuration(a) === configuration(b);
}

/** Every data file and stored deletion vector to re-add is still there (vacuum may have taken it). */
async function checkFilesExist(target: DeltaSnapshot, files: readonly AddFile[], name: string): Promise<void> {
  const keys: string[] = [];
  for (const file of files) {
    keys.push(file.path);
    const dv = dvPath(file.deletionVector);
    if (dv !== undefined) keys.push(dv);
  }
  const missing = (
    await mapLimited(keys, HEAD_CONCURRENCY, async (path) => {
      const relative = resolveDataPath(path, target.location).relative;
      if (relative === undefined) return undefined; // outside the table: not ours to check or vacuum
      try {
        await target.store.head(relative);
        return undefined;
      } catch (error) {
        if (error instanceof NotFoundError) return relative;
        throw error;
      }
    })
  ).filter((p): p is string => p !== undefined);
  if (missing.length > 0) {
    throw new LakeError(
      'RESTORE_FILES_MISSING',
      `cannot restore ${name} to version ${target.version}: ${missing.length} of its files are gone (first: ${missing[0]}), deleted by vacuum; restore a later version`,
    );
  }
}
