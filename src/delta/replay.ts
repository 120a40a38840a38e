/**
 * Action reconciliation (PROTOCOL.md "Action Reconciliation"), replaying newest first: the first
 * reference seen for a logical file — (canonical path, deletion vector unique id) — is the one
 * that counts, so older references are skipped without being held. Only keys from commits are
 * remembered: a checkpoint is itself reconciled and is the oldest layer, so its rows are checked
 * against the commits' keys and never stored, which keeps a million-file checkpoint cheap.
 */
import type { Location } from '../storage/location.js';
import type { Action, AddFile, DeletionVectorDescriptor, DomainMetadata, Metadata, Protocol, RemoveFile, Txn } from './actions.js';
import { resolveDataPath } from './data-paths.js';

export interface ReconciledState {
  readonly protocol: Protocol | undefined;
  readonly metadata: Metadata | undefined;
  /** Live files, in no particular order. */
  readonly files: AddFile[];
  /** Remove tombstones still in the log (for VACUUM). */
  readonly tombstones: RemoveFile[];
  readonly txns: Map<string, Txn>;
  /** Live domain metadata (removed domains excluded). */
  readonly domainMetadata: Map<string, DomainMetadata>;
}

/** `uniqueId` of a deletion vector, as the protocol derives it ("Derived Fields"). */
export function deletionVectorId(dv: DeletionVectorDescriptor | null | undefined): string {
  if (dv === null || dv === undefined) return '';
  return dv.offset === null || dv.offset === undefined
    ? `${dv.storageType}${dv.pathOrInlineDv}`
    : `${dv.storageType}${dv.pathOrInlineDv}@${dv.offset}`;
}

export class Reconciler {
  private protocol: Protocol | undefined;
  private metadata: Metadata | undefined;
  private readonly files: AddFile[] = [];
  private readonly tombstones: RemoveFile[] = [];
  private readonly txns = new Map<string, Txn>();
  private readonly domains = new Map<string, DomainMetadata>();
  private readonly seenFiles = new Set<string>();

  constructor(private readonly root: Location) {}

  /** Applies one commit's actions; commits must come newest first. */
  applyCommit(actions: Iterable<Action>): void {
    this.apply(actions, true);
  }

  /** Applies the checkpoint, the oldest layer; nothing may follow it. */
  applyCheckpoint(actions: Iterable<Action>): void {
    this.apply(actions, false);
  }

  private apply(actions: Iterable<Action>, remember: boolean): void {
    for (const action of actions) {
      if (action.add !== undefined) {
        if (this.firstReference(action.add.path, action.add.deletionVector, remember)) this.files.push(action.add);
      } else if (action.remove !== undefined) {
        if (this.firstReference(action.remove.path, action.remove.deletionVector, remember)) this.tombstones.push(action.remove);
      } else if (action.metaData !== undefined) {
        this.metadata ??= action.metaData;
      } else if (action.protocol !== undefined) {
        this.protocol ??= action.protocol;
      } else if (action.txn !== undefined) {
        if (!this.txns.has(action.txn.appId)) this.txns.set(action.txn.appId, action.txn);
      } else if (action.domainMetadata !== undefined) {
        if (!this.domains.has(action.domainMetadata.domain)) this.domains.set(action.domainMetadata.domain, action.domainMetadata);
      }
    }
  }

  private firstReference(path: string, dv: DeletionVectorDescriptor | null | undefined, remember: boolean): boolean {
    const key = `${resolveDataPath(path, this.root).canonical}\u0000${deletionVectorId(dv)}`;
    if (this.seenFiles.has(key)) return false;
    if (remember) this.seenFiles.add(key);
    return true;
  }

  result(): ReconciledState {
    const domainMetadata = new Map([...this.domains].filter(([, d]) => !d.removed));
    return {
      protocol: this.protocol,
      metadata: this.metadata,
      files: this.files,
      tombstones: this.tombstones,
      txns: this.txns,
      domainMetadata,
    };
  }
}
