/**
 * A Delta table as of one version: protocol, metadata, schema and the live files, reconstructed
 * from the log segment (checkpoint + later commits) and checked for read support.
 */
import type { Schema } from 'apache-arrow';
import { LakeError } from '../errors.js';
import type { Location } from '../storage/location.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { AddFile, CommitInfo, DomainMetadata, Metadata, Protocol, RemoveFile, Txn } from './actions.js';
import { resolveDataPath, type DataPath } from './data-paths.js';
import { readCheckpointActions, readCommitActions } from './log-reader.js';
import { loadLogSegment, type LogSegment } from './log-segment.js';
import { checkReadSupport } from './protocol-support.js';
import { Reconciler } from './replay.js';
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
  static async load(store: ObjectStore, location: Location, options: { version?: number } = {}): Promise<DeltaSnapshot> {
    const segment = await loadLogSegment(store, options);
    return DeltaSnapshot.fromSegment(store, location, segment);
  }

  static async fromSegment(store: ObjectStore, location: Location, segment: LogSegment): Promise<DeltaSnapshot> {
    const reconciler = new Reconciler(location);
    // Commits (and compactions) are small and read in parallel; they are applied newest first.
    const replayed = await Promise.all(segment.replay.map((file) => readCommitActions(store, file.key)));
    for (let i = replayed.length - 1; i >= 0; i--) reconciler.applyCommit(replayed[i]!);
    if (segment.checkpoint !== undefined) {
      reconciler.applyCheckpoint(await readCheckpointActions(store, segment.checkpoint.files));
    }
    const state = reconciler.result();
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
      state.files,
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

/** In-commit timestamps apply from `delta.inCommitTimestampEnablementVersion` on (PROTOCOL.md "In-Commit Timestamps"). */
export function inCommitTimestampsEnabled(metadata: Metadata, version: number): boolean {
  if (metadata.configuration['delta.enableInCommitTimestamps'] !== 'true') return false;
  const since = metadata.configuration['delta.inCommitTimestampEnablementVersion'];
  return since === undefined || version >= Number(since);
}
