/**
 * Conflict detection for optimistic Delta transactions: after losing the race for version N, a
 * transaction reads the commits that won (N, N+1, …) and decides whether committing on top of them
 * is still correct. The rules are Delta's (PROTOCOL.md leaves them to writers; these are the ones
 * Delta Spark's ConflictChecker applies, and delta-rs follows):
 *
 * 1. A winner that changed the protocol or the metadata (schema, partitioning, properties) is a
 *    conflict: what this transaction wrote may no longer fit the table.
 * 2. Files a winner added that this transaction should have read are a conflict ("concurrent
 *    append"): a file may match the transaction's read predicates (pruned by partition values and
 *    statistics, so "may" errs on the side of a conflict). Under WriteSerializable (Delta's
 *    default) only adds of non-blind-append winners count, so concurrent appends never conflict
 *    with each other or with a delete/update/merge; under Serializable every data-changing add counts.
 *    Adds with dataChange false (compaction) never count: they hold rows that were already there.
 * 3. A winner that removed, with dataChange true, a file this transaction read is a conflict
 *    ("concurrent delete-read"): this transaction's view of those rows is stale.
 * 4. A winner that removed a file this transaction also removes is a conflict
 *    ("concurrent delete-delete"), whatever dataChange says: both cannot retire the same file.
 * 5. A winner that recorded a `txn` for an application id this transaction records, or changed a
 *    metadata domain this transaction changes, is a conflict.
 *
 * Everything else commits on top: the winner's changes and this transaction's are disjoint.
 */
import { bindPredicate, type BoundPredicate } from '../engine/predicate-bind.js';
import { parsePredicate } from '../engine/predicate.js';
import { LakeError } from '../errors.js';
import type { Location } from '../storage/location.js';
import type { Action, AddFile, Metadata, Protocol } from './actions.js';
import { resolveDataPath } from './data-paths.js';
import { filePrunerFor } from './file-pruning.js';
import { parseSchema, toArrowSchema } from './schema.js';

export type IsolationLevel = 'Serializable' | 'WriteSerializable';

/** A commit file that won, as read back. */
export interface WinningCommit {
  readonly version: number;
  readonly actions: readonly Action[];
}

/** What a transaction read and what it changes: the facts conflict checks need. */
export interface TransactionFootprint {
  readonly root: Location;
  /** The table's protocol and metadata as the transaction read them (to bind read predicates). */
  readonly protocol: Protocol;
  readonly metadata: Metadata;
  readonly isolation: IsolationLevel;
  /** The transaction read every row (an overwrite without predicate, for example). */
  readonly readWholeTable: boolean;
  /** SQL conditions the transaction read the table with (its `where`s). */
  readonly readPredicates: readonly string[];
  /** Canonical paths (resolveDataPath(...).canonical) of the files the transaction read. */
  readonly readFiles: ReadonlySet<string>;
  /** Canonical paths of the files the transaction removes. */
  readonly removedFiles: ReadonlySet<string>;
  readonly appIds: ReadonlySet<string>;
  readonly domains: ReadonlySet<string>;
}

/** Thrown when a concurrent commit makes this transaction's commit incorrect. */
export class ConcurrentModificationError extends LakeError {
  constructor(
    readonly winningVersion: number,
    readonly conflict: string,
    message: string,
  ) {
    super('CONCURRENT_MODIFICATION', message);
  }
}

/** Throws ConcurrentModificationError when `winner` conflicts with the transaction. */
export async function checkConflicts(footprint: TransactionFootprint, winner: WinningCommit, table: string): Promise<void> {
  const fail = (conflict: string, what: string): never => {
    throw new ConcurrentModificationError(
      winner.version,
      conflict,
      `${table}: a concurrent commit (version ${winner.version}) ${what}; nothing was committed: read the table again and retry the operation`,
    );
  };
  const commitInfo = winner.actions.find((a) => a.commitInfo !== undefined)?.commitInfo;
  const winnerBlindAppend = commitInfo?.isBlindAppend === true;
  const canonical = (path: string): string => resolveDataPath(path, footprint.root).canonical;
  const added: AddFile[] = [];
  for (const action of winner.actions) {
    if (action.protocol !== undefined) fail('protocol', 'changed the table protocol');
    if (action.metaData !== undefined) fail('metadata', 'changed the table metadata (schema, partitioning or properties)');
    if (action.txn !== undefined && footprint.appIds.has(action.txn.appId)) {
      fail('txn', `recorded a transaction of application ${action.txn.appId}, which this transaction also records`);
    }
    if (action.domainMetadata !== undefined && footprint.domains.has(action.domainMetadata.domain)) {
      fail('domain', `changed the metadata domain ${action.domainMetadata.domain}, which this transaction also changes`);
    }
    if (action.remove !== undefined) {
      const path = canonical(action.remove.path);
      if (footprint.removedFiles.has(path)) fail('delete-delete', `removed ${action.remove.path}, which this transaction also removes`);
      if (action.remove.dataChange && (footprint.readWholeTable || footprint.readFiles.has(path))) {
        fail('delete-read', `removed ${action.remove.path}, which this transaction read`);
      }
    }
    if (action.add !== undefined && action.add.dataChange) {
      if (footprint.isolation === 'Serializable' || !winnerBlindAppend) added.push(action.add);
    }
  }
  if (added.length === 0) return;
  if (footprint.readWholeTable) fail('append', `added ${added[0]!.path}, which this transaction would have read`);
  if (footprint.readPredicates.length === 0) return;
  const schema = toArrowSchema(parseSchema(footprint.metadata.schemaString));
  const predicates: BoundPredicate[] = [];
  for (const where of footprint.readPredicates) predicates.push(bindPredicate(await parsePredicate(where), schema));
  for (const predicate of predicates) {
    const mayMatch = filePrunerFor(footprint, predicate);
    const hit = added.find(mayMatch);
    if (hit !== undefined) fail('append', `added ${hit.path}, which may hold rows this transaction read (${footprint.readPredicates.join(' OR ')})`);
  }
}
