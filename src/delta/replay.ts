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
import { checkpointAddFile, type CheckpointAdds, type PartitionFilter } from './log-reader.js';

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
  /**
   * The keys in seenFiles that are a plain relative path (see `canonicalizer`) without a deletion
   * vector, as that path: a checkpoint row with such a path is looked up without building its key.
   */
  private readonly seenPlainPaths = new Set<string>();
  private readonly canonical: Canonicalizer;
  private partitionFilter: PartitionFilter | undefined;

  constructor(private readonly root: Location) {
    this.canonical = canonicalizer(root);
  }

  /**
   * From now on, live files whose partition values fail `filter` are left out of `files` (they
   * are still reconciled: a remove of such a file still hides older adds of it).
   */
  filterPartitions(filter: PartitionFilter | undefined): void {
    this.partitionFilter = filter;
  }

  /** Applies one commit's actions; commits must come newest first. */
  applyCommit(actions: Iterable<Action>): void {
    this.apply(actions, true);
  }

  /** Applies the checkpoint, the oldest layer; nothing may follow it. */
  applyCheckpoint(actions: Iterable<Action>): void {
    this.apply(actions, false);
  }

  /**
   * Applies the column-wise adds of a checkpoint (after its other actions): an AddFile is made
   * only for rows that are live. Nothing but checkpoint adds may follow.
   */
  applyCheckpointAdds(adds: CheckpointAdds): void {
    const check = this.seenFiles.size > 0;
    const filter = this.partitionFilter;
    const { isPlain } = this.canonical;
    const rare = adds.rare.size > 0;
    for (let i = 0; i < adds.length; i++) {
      if (check) {
        const path = adds.paths[i]!;
        const dv = rare ? (adds.rare.get(i)?.deletionVector as DeletionVectorDescriptor | null | undefined) : undefined;
        const seen = dv === null || dv === undefined ? (isPlain(path) ? this.seenPlainPaths.has(path) : this.seenFiles.has(this.key(path, null))) : this.seenFiles.has(this.key(path, dv));
        if (seen) continue;
      }
      if (filter !== undefined && !filter(adds.partitionValues[i] ?? {})) continue;
      this.files.push(checkpointAddFile(adds, i));
    }
  }

  private apply(actions: Iterable<Action>, remember: boolean): void {
    for (const action of actions) {
      if (action.add !== undefined) {
        if (this.firstReference(action.add.path, action.add.deletionVector, remember) && this.wanted(action.add)) this.files.push(action.add);
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

  private wanted(add: AddFile): boolean {
    return this.partitionFilter === undefined || this.partitionFilter(add.partitionValues ?? {});
  }

  private key(path: string, dv: DeletionVectorDescriptor | null | undefined): string {
    return `${this.canonical.canonical(path)}\u0000${deletionVectorId(dv)}`;
  }

  private firstReference(path: string, dv: DeletionVectorDescriptor | null | undefined, remember: boolean): boolean {
    const key = this.key(path, dv);
    if (this.seenFiles.has(key)) return false;
    if (remember) {
      this.seenFiles.add(key);
      const { prefix } = this.canonical;
      if (prefix !== undefined && key.startsWith(prefix) && key.endsWith('\u0000')) {
        const relative = key.slice(prefix.length, -1);
        if (this.canonical.isPlain(relative)) this.seenPlainPaths.add(relative);
      }
    }
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

export interface Canonicalizer {
  /** `resolveDataPath(path, root).canonical`. */
  readonly canonical: (path: string) => string;
  /** Whether `path` is plain: then its canonical form is `prefix + path`. */
  readonly isPlain: (path: string) => boolean;
  /** The canonical form of the root followed by '/'; undefined if the root has none usable. */
  readonly prefix: string | undefined;
}

/**
 * `resolveDataPath(path, root).canonical`, fast for the common case: a relative path of plain
 * segments (letters, digits, `-._=+,@`, no `%`, no `.`/`..` segments) is resolved by prefixing
 * the root's canonical form, which is what the full resolution gives for such paths (no decoding,
 * no normalization, nothing for the file: URL to escape). Everything else goes the full way.
 */
export function canonicalizer(root: Location): Canonicalizer {
  const probe = 'lake-probe';
  const resolved = resolveDataPath(probe, root).canonical;
  const full = (path: string): string => resolveDataPath(path, root).canonical;
  if (!resolved.endsWith(`/${probe}`)) return { canonical: full, isPlain: () => false, prefix: undefined };
  const prefix = resolved.slice(0, resolved.length - probe.length);
  const isPlain = (path: string): boolean => PLAIN_PATH.test(path);
  return { canonical: (path) => (isPlain(path) ? prefix + path : full(path)), isPlain, prefix };
}
const PLAIN_SEGMENT = '(?!\\.\\.?(?:/|$))[A-Za-z0-9\\-._=+,@]+';
const PLAIN_PATH = new RegExp(`^${PLAIN_SEGMENT}(?:/${PLAIN_SEGMENT})*$`);
