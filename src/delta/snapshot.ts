/**
 * A Delta table as of one version: protocol, metadata, schema and the live files, reconstructed
 * from the log segment (checkpoint + later commits) and checked for read support.
 */
import type { Schema } from 'apache-arrow';
import { LakeError } from '../errors.js';
import type { Location } from '../storage/location.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { Action, AddFile, CommitInfo, DomainMetadata, Metadata, Protocol, RemoveFile, Txn } from './actions.js';
import { resolveDataPath, type DataPath } from './data-paths.js';
import { CheckpointReader, readCommitActions, type PartitionFilter } from './log-reader.js';
import { loadLogSegment, type LogSegment } from './log-segment.js';
import { checkReadSupport } from './protocol-support.js';
import { Reconciler } from './replay.js';
import { mapLimited } from '../map-limited.js';
import { parseSchema, toArrowSchema, type StructType } from './schema.js';
import { scanSnapshot, type ScanOptions } from './scan.js';
import type { RecordBatch } from 'apache-arrow';

export class DeltaSnapshot {
  private constructor(
    readonly store: ObjectStore,
    /** The table root. */
    readonly location: Location,
    readonly version: number,
    /** Commit time of `version` in ms since the epoch (in-commit timestamp when enabled). */
    readonly timestamp: number,
    readonly protocol: Protocol,
    readonly metadata: Metadata,
    /** Live files (add actions), in no particular order. */
    readonly files: readonly AddFile[],
    /** Remove tombstones still in the log. */
    readonly tombstones: readonly RemoveFile[],
    /** Latest transaction version per application id. */
    readonly appTransactions: ReadonlyMap<string, Txn>,
    readonly domainMetadata: ReadonlyMap<string, DomainMetadata>,
    /** commitInfo of `version`, when its commit file is still in the log. */
    readonly commitInfo: CommitInfo | undefined,
  ) {}

  /** Loads the snapshot at `version` (default: latest) of the table whose root `store` is. */
  static async load(store: ObjectStore, location: Location, options: SnapshotLoadOptions = {}): Promise<DeltaSnapshot> {
    const segment = await loadLogSegment(store, options.version === undefined ? {} : { version: options.version });
    return DeltaSnapshot.fromSegment(store, location, segment, options);
  }

  static async fromSegment(store: ObjectStore, location: Location, segment: LogSegment, options: FileLoadOptions = {}): Promise<DeltaSnapshot> {
    const reconciler = new Reconciler(location);
    // Commits (and compactions) are small and read in parallel, and so is the checkpoint (its
    // actions other than adds; adds are read last, column-wise). Commits apply newest first.
    const opening = segment.checkpoint === undefined ? undefined : CheckpointReader.open(store, segment.checkpoint.files);
    opening?.catch(() => {}); // handled where it is awaited; this keeps an early failure from being "unhandled"
    let replayed: Action[][];
    try {
      replayed = await mapLimited(segment.replay, COMMIT_READS, (file) => readCommitActions(store, file.key));
    } catch (error) {
      await opening?.then((checkpoint) => checkpoint.close()).catch(() => {});
      throw error;
    }
    for (let i = replayed.length - 1; i >= 0; i--) reconciler.applyCommit(replayed[i]!);
    // The partition filter is made from the table's protocol and metadata: known once every action
    // but the checkpoint's adds is applied. Commit adds are filtered afterwards.
    let filter: PartitionFilter | undefined;
    const makeFilter = async (): Promise<void> => {
      const { protocol, metadata } = reconciler.result();
      if (options.partitionFilter !== undefined && protocol !== undefined && metadata !== undefined) {
        checkReadSupport(protocol, metadata, `Delta table ${store.url}`);
        filter = await options.partitionFilter({ protocol, metadata });
        reconciler.filterPartitions(filter);
      }
    };
    if (opening !== undefined) {
      const checkpoint = await opening;
      try {
        reconciler.applyCheckpoint(checkpoint.actions);
        await makeFilter();
        const stats = options.stats !== false;
        for (const adds of await checkpoint.adds(filter === undefined ? { stats } : { stats, partitionFilter: filter })) {
          reconciler.applyCheckpointAdds(adds);
        }
      } finally {
        await checkpoint.close();
      }
    } else {
      await makeFilter();
    }
    const state = reconciler.result();
    let files = filter === undefined ? state.files : state.files.filter((file) => filter!(file.partitionValues ?? {}));
    if (options.stats === false) files = files.map(withoutStats);
    const where = `Delta table ${store.url} at version ${segment.version}`;
    if (state.protocol === undefined) {
      throw new LakeError('MISSING_PROTOCOL', `${where} has no protocol action in its log: the log is corrupt`);
    }
    checkReadSupport(state.protocol, state.metadata, `Delta table ${store.url}`);
    if (state.metadata === undefined) {
      throw new LakeError('MISSING_METADATA', `${where} has no metaData action in its log: the log is corrupt`);
    }
    const lastReplayed = segment.replay.at(-1);
    const commitActions =
      lastReplayed !== undefined && lastReplayed.firstVersion === segment.version
        ? replayed.at(-1)
        : segment.commitAtVersion === undefined
          ? undefined
          : await readCommitActions(store, segment.commitAtVersion.key);
    const commitInfo = commitActions?.find((action) => action.commitInfo !== undefined)?.commitInfo;
    const timestamp =
      inCommitTimestampsEnabled(state.metadata, segment.version) && typeof commitInfo?.inCommitTimestamp === 'number'
        ? commitInfo.inCommitTimestamp
        : (segment.commitAtVersion?.lastModified.getTime() ?? 0);

    return new DeltaSnapshot(
      store,
      location,
      segment.version,
      timestamp,
      state.protocol,
      state.metadata,
      files,
      state.tombstones,
      state.txns,
      state.domainMetadata,
      commitInfo,
    );
  }

  private parsedSchema: StructType | undefined;

  /**
   * The table schema. Parsed on first use, so that a snapshot whose metadata lacks a schema (seen
   * in old logs) still loads for log-level work such as history and file listings.
   */
  get schema(): StructType {
    this.parsedSchema ??= parseSchema(this.metadata.schemaString);
    return this.parsedSchema;
  }

  /** The logical schema as Arrow (what `scan` returns). */
  get arrowSchema(): Schema {
    return toArrowSchema(this.schema);
  }

  get partitionColumns(): readonly string[] {
    return this.metadata.partitionColumns;
  }

  /** Where a file of this snapshot is, and its decoded path relative to the table root. */
  dataPath(file: AddFile | RemoveFile): DataPath {
    return resolveDataPath(file.path, this.location);
  }

  scan(options: ScanOptions = {}): AsyncIterable<RecordBatch> {
    return scanSnapshot(this, options);
  }
}

/**
 * Commit files read at once. Enough to hide latency; bounded so that a thousand small reads do
 * not queue ahead of the checkpoint's (on the local store they share libuv's four threads).
 */
const COMMIT_READS = 16;

/** How a snapshot's live files are read. */
export interface FileLoadOptions {
  /**
   * Read per-file statistics (`stats`, and `stats_parsed` where stats is null). Default true.
   * With false the files have no statistics, which is safe for pruning (nothing is pruned on
   * statistics) and for describing (row counts are unknown), and a large checkpoint loads faster.
   */
  readonly stats?: boolean;
  /**
   * Keep only the live files whose partition values pass the filter made here from the table's
   * protocol and metadata (return undefined to keep all). For a checkpoint the filter runs once
   * per distinct partitionValues and only the passing rows are read. `files` then holds only
   * those files; everything else about the snapshot is unchanged.
   */
  readonly partitionFilter?: (table: { readonly protocol: Protocol; readonly metadata: Metadata }) =>
    | PartitionFilter
    | undefined
    | Promise<PartitionFilter | undefined>;
}

export interface SnapshotLoadOptions extends FileLoadOptions {
  readonly version?: number;
}

function withoutStats(file: AddFile): AddFile {
  if (file.stats === undefined && (file as { stats_parsed?: unknown }).stats_parsed === undefined) return file;
  const { stats: _stats, stats_parsed: _parsed, ...rest } = file as AddFile & { stats_parsed?: unknown };
  return rest;
}

/** In-commit timestamps apply from `delta.inCommitTimestampEnablementVersion` on (PROTOCOL.md "In-Commit Timestamps"). */
export function inCommitTimestampsEnabled(metadata: Metadata, version: number): boolean {
  if (metadata.configuration['delta.enableInCommitTimestamps'] !== 'true') return false;
  const since = metadata.configuration['delta.inCommitTimestampEnablementVersion'];
  return since === undefined || version >= Number(since);
}
