/**
 * A Delta table: open it, read a snapshot (latest, at a version, at a timestamp), list its history.
 */
import { LakeError, UsageError } from '../errors.js';
import { openStore, type StoreOptions } from '../storage/index.js';
import { displayLocation, parseLocation, type Location } from '../storage/location.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { CommitInfo } from './actions.js';
import { LOG_DIR } from './log-files.js';
import { readCommitActions } from './log-reader.js';
import { listLogFiles, type CommitFile } from './log-segment.js';
import { createTable, type CreateTableOptions } from './operations/create.js';
import { deleteRows, type DeleteResult } from './operations/delete.js';
import { writeTable, type WriteInput, type WriteOptions, type WriteResult } from './operations/write.js';
import type { TransactionOptions } from './transaction.js';
import { DeltaSnapshot, type FileLoadOptions } from './snapshot.js';
import { CommitTimes } from './commit-times.js';

/** Which version to read (at most one of version and timestamp), and how to read its files. */
export interface SnapshotOptions extends FileLoadOptions {
  /** A table version. */
  readonly version?: number;
  /** A time (ms since the epoch, or a Date): the latest version committed at or before it. */
  readonly timestamp?: number | Date;
}

export interface HistoryEntry extends CommitInfo {
  readonly version: number;
  /** Commit time in ms (in-commit timestamp when the commit has one, else the file's time). */
  readonly timestamp: number;
}

export class DeltaTable {
  constructor(
    readonly store: ObjectStore,
    readonly location: Location,
  ) {}

  /** Opens the table at a path or URL; TABLE_NOT_FOUND when there is no Delta log there. */
  static async open(location: string | Location, options: StoreOptions = {}): Promise<DeltaTable> {
    const parsed = typeof location === 'string' ? parseLocation(location) : location;
    const table = new DeltaTable(openStore(parsed, options), parsed);
    for await (const _ of table.store.list(LOG_DIR)) return table;
    throw new LakeError(
      'TABLE_NOT_FOUND',
      `no Delta table at ${displayLocation(parsed)}: there is no ${LOG_DIR} directory; check the location`,
    );
  }

  /** Creates a table (version 0) at a path or URL; TABLE_EXISTS when one is there already. */
  static async create(location: string | Location, options: CreateTableOptions, storeOptions: StoreOptions = {}): Promise<DeltaTable> {
    const parsed = typeof location === 'string' ? parseLocation(location) : location;
    const table = new DeltaTable(openStore(parsed, storeOptions), parsed);
    await createTable(table.store, parsed, options);
    return table;
  }

  /** Appends or overwrites rows (see operations/write.ts); returns the committed version and metrics. */
  write(data: WriteInput, options: WriteOptions = {}): Promise<WriteResult> {
    return writeTable(this, data, options);
  }

  /** Deletes the rows matching the SQL condition (all rows without one), copy-on-write. */
  delete(where?: string, options: TransactionOptions = {}): Promise<DeleteResult> {
    return deleteRows(this, where, options);
  }

  async snapshot(options: SnapshotOptions = {}): Promise<DeltaSnapshot> {
    if (options.version !== undefined && options.timestamp !== undefined) {
      throw new UsageError('give a version or a timestamp to read, not both');
    }
    const { version: _version, timestamp, ...files } = options;
    const version = timestamp === undefined ? options.version : await this.versionAt(toMillis(timestamp));
    return DeltaSnapshot.load(this.store, this.location, version === undefined ? files : { ...files, version });
  }

  /**
   * The latest version committed at or before `timestamp`. Commit times are in-commit timestamps
   * where the table has them, else commit file times made strictly increasing the way Delta does
   * (a commit whose file time is not after its predecessor's counts as 1 ms later).
   */
  async versionAt(timestamp: number): Promise<number> {
    const commits = await this.listCommits();
    const times = await CommitTimes.of(this.store, commits);
    const first = await times.at(0);
    const last = await times.at(commits.length - 1);
    const describe = (i: number, t: number) => `version ${commits[i]!.version} (${new Date(t).toISOString()})`;
    if (timestamp < first) {
      throw new LakeError(
        'TIMESTAMP_OUT_OF_RANGE',
        `${displayLocation(this.location)} has no version at or before ${new Date(timestamp).toISOString()}: the earliest is ${describe(0, first)}`,
      );
    }
    if (timestamp > last) {
      throw new LakeError(
        'TIMESTAMP_OUT_OF_RANGE',
        `${new Date(timestamp).toISOString()} is after the latest commit of ${displayLocation(this.location)}, ${describe(commits.length - 1, last)}: use a time up to then, or read the latest version`,
      );
    }
    return commits[await times.lastAtOrBefore(timestamp)]!.version;
  }

  /** Commits newest first, with their commitInfo. */
  async history(options: { limit?: number } = {}): Promise<HistoryEntry[]> {
    const commits = (await this.listCommits()).reverse().slice(0, options.limit ?? Infinity);
    return Promise.all(
      commits.map(async (commit) => {
        const actions = await readCommitActions(this.store, commit.key);
        const info = actions.find((action) => action.commitInfo !== undefined)?.commitInfo ?? {};
        const timestamp = typeof info.inCommitTimestamp === 'number' ? info.inCommitTimestamp : commit.lastModified.getTime();
        return { ...info, version: commit.version, timestamp };
      }),
    );
  }

  private async listCommits(): Promise<CommitFile[]> {
    const commits: CommitFile[] = [];
    for (const { file, meta } of await listLogFiles(this.store, 0)) {
      if (file.kind === 'commit') commits.push({ version: file.version, key: file.key, lastModified: meta.lastModified });
    }
    if (commits.length === 0) {
      throw new LakeError('TABLE_NOT_FOUND', `no Delta commits at ${displayLocation(this.location)}: check the location`);
    }
    return commits;
  }
}

function toMillis(timestamp: number | Date): number {
  const ms = timestamp instanceof Date ? timestamp.getTime() : timestamp;
  if (!Number.isFinite(ms)) throw new UsageError(`invalid timestamp ${String(timestamp)}`);
  return ms;
}
