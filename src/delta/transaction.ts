/**
 * An optimistic Delta transaction: it starts from a snapshot, records what it reads, stages
 * actions, and commits them as version `snapshot.version + 1` with put-if-absent (log-writer.ts).
 * When another writer took that version first, the winning commits are read and checked for
 * conflicts (conflicts.ts): without one the transaction commits on top of them (with backoff and
 * jitter between attempts); with one it fails with a ConcurrentModificationError naming the
 * winning version. Data files are written before the commit; a failed transaction leaves only
 * unreferenced files behind, which vacuum removes.
 */
import { LakeError, NotFoundError } from '../errors.js';
import { displayLocation } from '../storage/location.js';
import type { Action, AddFile, CommitInfo, DomainMetadata, Metadata, Protocol, RemoveFile } from './actions.js';
import { checkConflicts, type IsolationLevel, type TransactionFootprint, type WinningCommit } from './conflicts.js';
import { resolveDataPath } from './data-paths.js';
import { readCommitActions } from './log-reader.js';
import { commitKey } from './log-files.js';
import { tryCommit } from './log-writer.js';
import { checkWriteSupport } from './protocol-support.js';
import { checkpointDue, writeCheckpoint, type CheckpointResult } from './checkpoint-writer.js';
import { cleanUpExpiredLogs, type LogCleanupResult } from './log-cleanup.js';
import { DeltaSnapshot, inCommitTimestampsEnabled } from './snapshot.js';
import { engineInfo } from '../version.js';

export interface TransactionOptions {
  /** Default: the table's `delta.isolationLevel`, else WriteSerializable (Delta's default). */
  readonly isolation?: IsolationLevel;
  /** Milliseconds since the epoch; default Date.now. */
  readonly clock?: () => number;
  /** Attempts at committing before giving up on a busy table (default 20). */
  readonly maxAttempts?: number;
  /** Waits between attempts (default: setTimeout); tests pass a fake. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface CommitRequest {
  /** Delta's operation name: WRITE, DELETE, UPDATE, MERGE, OPTIMIZE, CREATE TABLE, … */
  readonly operation: string;
  readonly operationParameters?: Readonly<Record<string, unknown>>;
  readonly operationMetrics?: Readonly<Record<string, unknown>>;
}

export interface CommitResult {
  readonly version: number;
  /** Attempts it took (1 when nobody committed in between). */
  readonly attempts: number;
  readonly actions: readonly Action[];
  /**
   * The checkpoint written after the commit when `delta.checkpointInterval` called for one. The
   * commit stands either way: a checkpoint that failed is an error here, not a thrown one (the
   * next due commit writes one again).
   */
  readonly checkpoint?: CheckpointResult | { readonly written: false; readonly error: LakeError };
  /**
   * Log cleanup run after a written checkpoint (unless `delta.enableExpiredLogCleanup` is false);
   * like the checkpoint, a failure is reported here and leaves the commit standing.
   */
  readonly logCleanup?: LogCleanupResult | { readonly error: LakeError };
}

export class DeltaTransaction {
  private readonly adds: AddFile[] = [];
  private readonly removes: RemoveFile[] = [];
  private readonly appTransactions = new Map<string, number>();
  private readonly domains = new Map<string, DomainMetadata>();
  private readonly readFiles = new Set<string>();
  private readonly readPredicates: string[] = [];
  private readWhole = false;
  private newMetadata: Metadata | undefined;
  private newProtocol: Protocol | undefined;
  private committed = false;
  private readonly clock: () => number;

  constructor(
    readonly snapshot: DeltaSnapshot,
    private readonly options: TransactionOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /** The transaction's result depends on every row of the table (an unconditional overwrite). */
  readWholeTable(): void {
    this.readWhole = true;
  }

  /** The transaction read these files, selected with `where` (when it had one). */
  read(files: readonly AddFile[], where?: string): void {
    for (const file of files) this.readFiles.add(this.canonical(file.path));
    if (where !== undefined) this.readPredicates.push(where);
  }

  addFiles(files: readonly AddFile[]): void {
    this.adds.push(...files);
  }

  /**
   * Removes these live files, as `remove` actions. Their deletion timestamp is the commit's time
   * (its in-commit timestamp when the table has them): vacuum's retention then keeps exactly the
   * files of the versions time travel can reach inside the window.
   */
  removeFiles(files: readonly AddFile[], options: { dataChange?: boolean } = {}): void {
    for (const file of files) {
      this.removes.push({
        path: file.path,
        dataChange: options.dataChange ?? true,
        extendedFileMetadata: true,
        partitionValues: file.partitionValues,
        size: file.size,
        ...(file.stats === undefined || file.stats === null ? {} : { stats: file.stats }),
        ...(file.tags === undefined || file.tags === null ? {} : { tags: file.tags }),
        ...(file.deletionVector === undefined || file.deletionVector === null ? {} : { deletionVector: file.deletionVector }),
      });
    }
  }

  setMetadata(metadata: Metadata): void {
    this.newMetadata = metadata;
  }

  setProtocol(protocol: Protocol): void {
    this.newProtocol = protocol;
  }

  /** Records `txn` for an application (idempotent writes: the app checks it before writing). */
  setAppTransaction(appId: string, version: number): void {
    this.appTransactions.set(appId, version);
  }

  setDomainMetadata(domain: DomainMetadata): void {
    this.domains.set(domain.domain, domain);
  }

  /** The table state this transaction writes under (its own metadata change included). */
  get metadata(): Metadata {
    return this.newMetadata ?? this.snapshot.metadata;
  }

  get protocol(): Protocol {
    return this.newProtocol ?? this.snapshot.protocol;
  }

  private get isBlindAppend(): boolean {
    return (
      !this.readWhole &&
      this.readFiles.size === 0 &&
      this.readPredicates.length === 0 &&
      this.removes.length === 0 &&
      this.adds.every((a) => a.dataChange)
    );
  }

  private get table(): string {
    return `Delta table ${displayLocation(this.snapshot.location)}`;
  }

  private canonical(path: string): string {
    return resolveDataPath(path, this.snapshot.location).canonical;
  }

  /** Commits the staged actions; see the module comment for races. */
  async commit(request: CommitRequest): Promise<CommitResult> {
    if (this.committed) throw new LakeError('TRANSACTION_DONE', 'this transaction has already committed: start a new one');
    const { snapshot } = this;
    checkWriteSupport(this.protocol, this.metadata, this.table, { appendOnlyWrite: this.isBlindAppend });
    if (this.metadata.configuration['delta.appendOnly'] === 'true' && this.removes.some((r) => r.dataChange)) {
      throw new LakeError(
        'APPEND_ONLY',
        `${this.table} is append-only (delta.appendOnly=true): it cannot delete or overwrite rows; set the property to false first`,
      );
    }
    const footprint: TransactionFootprint = {
      root: snapshot.location,
      protocol: snapshot.protocol,
      metadata: snapshot.metadata,
      isolation: this.options.isolation ?? isolationOf(snapshot.metadata),
      readWholeTable: this.readWhole,
      readPredicates: this.readPredicates,
      readFiles: this.readFiles,
      removedFiles: new Set(this.removes.map((r) => this.canonical(r.path))),
      appIds: new Set(this.appTransactions.keys()),
      domains: new Set(this.domains.keys()),
    };
    const maxAttempts = this.options.maxAttempts ?? 20;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    let version = snapshot.version + 1;
    // The in-commit timestamp of the newest commit seen: ours must be later (monotonic).
    let previousTimestamp = snapshot.timestamp;
    for (let attempt = 1; ; attempt++) {
      const actions = this.actions(request, version, previousTimestamp);
      if (await tryCommit(snapshot.store, version, actions)) {
        this.committed = true;
        const result = { version, attempts: attempt, actions };
        if (!checkpointDue({ metadata: this.metadata }, version)) return result;
        const checkpoint = await this.checkpoint(version);
        if (!checkpoint.written || this.metadata.configuration['delta.enableExpiredLogCleanup'] === 'false') return { ...result, checkpoint };
        return { ...result, checkpoint, logCleanup: await this.cleanUpLog() };
      }
      if (attempt >= maxAttempts) {
        throw new LakeError(
          'COMMIT_RETRIES_EXHAUSTED',
          `${this.table}: ${maxAttempts} attempts to commit lost the race to other writers (last tried version ${version}); nothing was committed: retry later`,
        );
      }
      // Every version from ours up to the latest won; check each, then try after the latest.
      for (;;) {
        const winner = await readWinner(snapshot, version);
        if (winner === undefined) break;
        await checkConflicts(footprint, winner, this.table);
        const info = winner.actions.find((a) => a.commitInfo !== undefined)?.commitInfo;
        previousTimestamp = Math.max(previousTimestamp, info?.inCommitTimestamp ?? info?.timestamp ?? 0);
        version++;
      }
      await sleep(backoff(attempt));
    }
  }

  private async checkpoint(version: number): Promise<NonNullable<CommitResult['checkpoint']>> {
    try {
      const committed = await DeltaSnapshot.load(this.snapshot.store, this.snapshot.location, { version });
      return await writeCheckpoint(this.snapshot.store, committed, this.clock);
    } catch (error) {
      const wrapped = error instanceof LakeError ? error : new LakeError('CHECKPOINT_WRITE', String(error), { cause: error });
      return { written: false, error: wrapped };
    }
  }

  private async cleanUpLog(): Promise<NonNullable<CommitResult['logCleanup']>> {
    try {
      return await cleanUpExpiredLogs(this.snapshot.store, this.metadata, { clock: this.clock });
    } catch (error) {
      return { error: error instanceof LakeError ? error : new LakeError('LOG_CLEANUP_FAILED', String(error), { cause: error }) };
    }
  }

  /** The commit's actions, in the order Delta writers use: commitInfo first. */
  private actions(request: CommitRequest, version: number, previousTimestamp: number): Action[] {
    const now = this.clock();
    const commitInfo: Record<string, unknown> = {};
    if (inCommitTimestampsEnabled(this.metadata, version)) commitInfo.inCommitTimestamp = Math.max(now, previousTimestamp + 1);
    Object.assign(commitInfo, {
      timestamp: now,
      operation: request.operation,
      operationParameters: request.operationParameters ?? {},
      ...(request.operationMetrics === undefined ? {} : { operationMetrics: request.operationMetrics }),
      readVersion: this.snapshot.version,
      isolationLevel: this.options.isolation ?? isolationOf(this.snapshot.metadata),
      isBlindAppend: this.isBlindAppend,
      engineInfo: engineInfo(),
    });
    const actions: Action[] = [{ commitInfo: commitInfo as CommitInfo }];
    if (this.newProtocol !== undefined) actions.push({ protocol: this.newProtocol });
    if (this.newMetadata !== undefined) actions.push({ metaData: this.newMetadata });
    for (const [appId, txnVersion] of this.appTransactions) actions.push({ txn: { appId, version: txnVersion, lastUpdated: now } });
    for (const domain of this.domains.values()) actions.push({ domainMetadata: domain });
    const deletionTimestamp = (commitInfo.inCommitTimestamp as number | undefined) ?? now;
    for (const remove of this.removes) actions.push({ remove: { ...remove, deletionTimestamp } });
    for (const add of this.adds) actions.push({ add });
    return actions;
  }
}

/** `delta.isolationLevel` when set to one lake knows, else WriteSerializable. */
function isolationOf(metadata: Metadata): IsolationLevel {
  return metadata.configuration['delta.isolationLevel'] === 'Serializable' ? 'Serializable' : 'WriteSerializable';
}

async function readWinner(snapshot: DeltaSnapshot, version: number): Promise<WinningCommit | undefined> {
  try {
    return { version, actions: await readCommitActions(snapshot.store, commitKey(version)) };
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** Full-jitter exponential backoff: up to 50 ms · 2^(attempt−1), at most 2 s. */
function backoff(attempt: number): number {
  return Math.random() * Math.min(2_000, 50 * 2 ** (attempt - 1));
}
