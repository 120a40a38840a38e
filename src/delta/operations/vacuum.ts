/**
 * VACUUM: deletes the files under the table that no version inside the retention window refers to
 * and that are older than the window (PROTOCOL.md "Vacuum"; Delta Spark's VacuumCommand).
 *
 * What is kept: the latest version's files and their deletion vectors, and the files (and vectors)
 * of remove tombstones younger than the window — those are what the versions inside the window
 * read. Of the rest, only files whose modification time is before the window go: a file written a
 * minute ago by a writer that has not committed yet is not garbage.
 *
 * Where candidates come from:
 * - full: a listing of everything under the table, skipping `_delta_log/` and hidden names the way
 *   Delta does (a path segment starting with `.`, or with `_` unless it is a partition directory of
 *   a partition column or `_change_data`), so partition directories and deletion-vector files are
 *   included and other tools' `_`/`.` files are left alone;
 * - lite: the remove actions still in the log (no listing; files that never reached the log, such
 *   as the output of a failed write, are left for a full vacuum).
 *
 * A retention shorter than `delta.deletedFileRetentionDuration` (default 7 days) is refused unless
 * `enforceRetention` is false: readers of the versions inside the table's window would lose
 * files. Vacuum commits (VACUUM START / VACUUM END, as Delta Spark records them), so it needs
 * write support for the table's protocol, which also honours `vacuumProtocolCheck`.
 */
import { LakeError, NotFoundError } from '../../errors.js';
import { mapLimited } from '../../map-limited.js';
import { displayLocation } from '../../storage/location.js';
import type { AddFile, RemoveFile } from '../actions.js';
import { DEFAULT_DELETED_FILE_RETENTION_MS } from '../checkpoint-writer.js';
import { resolveDataPath } from '../data-paths.js';
import { dvPath } from '../deletion-vector.js';
import { LOG_DIR } from '../log-files.js';
import { readCommitActions } from '../log-reader.js';
import { listLogFiles } from '../log-segment.js';
import { checkWriteSupport } from '../protocol-support.js';
import { COLUMN_MAPPING_PHYSICAL_NAME_KEY, parseSchema } from '../schema.js';
import type { DeltaSnapshot } from '../snapshot.js';
import type { DeltaTable } from '../table.js';
import { describeDuration, parseInterval } from '../table-properties.js';
import { DeltaTransaction } from '../transaction.js';
import { stringMetrics } from './metrics.js';

export type VacuumMode = 'full' | 'lite';

export interface VacuumOptions {
  /** Default 'full' (Delta's default). */
  readonly mode?: VacuumMode;
  /** How long removed files stay (ms); default the table's `delta.deletedFileRetentionDuration`. */
  readonly retentionMs?: number;
  /** Refuse a retention shorter than the table's (default true). */
  readonly enforceRetention?: boolean;
  /** Only report what would be deleted. */
  readonly dryRun?: boolean;
  /** Milliseconds since the epoch; default Date.now. */
  readonly clock?: () => number;
  /** Keys deleted per request (default 1,000, S3's batch limit). */
  readonly batchSize?: number;
  /** After each batch: files deleted so far, of `total`. */
  readonly onProgress?: (deleted: number, total: number) => void;
}

export interface VacuumFile {
  /** Relative to the table root. */
  readonly path: string;
  readonly size: number;
}

export interface VacuumResult {
  readonly mode: VacuumMode;
  readonly dryRun: boolean;
  /** The version whose files and tombstones were kept. */
  readonly readVersion: number;
  readonly retentionMs: number;
  /** Files modified or removed before this time (ms) were eligible. */
  readonly cutoff: number;
  /** What was deleted (with dryRun: what would be). */
  readonly files: readonly VacuumFile[];
  readonly numFilesDeleted: number;
  readonly bytesDeleted: number;
  /** Versions of the VACUUM START and END commits (none for a dry run). */
  readonly versions: readonly number[];
  /** Lite only: the log no longer holds the commits before this version, so their removes were not seen. */
  readonly logStartsAt?: number;
}

const DELETE_BATCH = 1_000;
/** Parallel existence checks of lite candidates. */
const HEAD_CONCURRENCY = 16;

export async function vacuum(table: DeltaTable, options: VacuumOptions = {}): Promise<VacuumResult> {
  const snapshot = await table.snapshot();
  const name = `Delta table ${displayLocation(table.location)}`;
  // Its commits carry no data actions: checked as such, like the transactions below will.
  checkWriteSupport(snapshot.protocol, snapshot.metadata, name, { appendOnlyWrite: true });
  const mode = options.mode ?? 'full';
  const tableRetention = parseInterval(snapshot.metadata.configuration['delta.deletedFileRetentionDuration']) ?? DEFAULT_DELETED_FILE_RETENTION_MS;
  const retentionMs = options.retentionMs ?? tableRetention;
  if (!(retentionMs >= 0)) throw new LakeError('USAGE', `vacuum retention ${retentionMs} ms: give a duration of 0 or more`);
  if (retentionMs < tableRetention && options.enforceRetention !== false) {
    throw new LakeError(
      'RETENTION_TOO_SHORT',
      `vacuum retention of ${describeDuration(retentionMs)} is shorter than ${name}'s delta.deletedFileRetentionDuration (${describeDuration(tableRetention)}): ` +
        `readers and writers of versions inside that window could lose files; use a longer retention, or allow a short one explicitly if none runs`,
    );
  }
  const clock = options.clock ?? Date.now;
  const cutoff = clock() - retentionMs;
  const keep = referencedFiles(snapshot, cutoff);
  const found = mode === 'full' ? await listedCandidates(snapshot, keep, cutoff) : await loggedCandidates(snapshot, keep, cutoff);
  const files = found.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const bytes = files.reduce((n, f) => n + f.size, 0);
  const base = {
    mode,
    readVersion: snapshot.version,
    retentionMs,
    cutoff,
    files,
    ...(found.logStartsAt === undefined ? {} : { logStartsAt: found.logStartsAt }),
  };
  if (options.dryRun === true) return { ...base, dryRun: true, numFilesDeleted: 0, bytesDeleted: 0, versions: [] };

  const start = await new DeltaTransaction(snapshot, { clock }).commit({
    operation: 'VACUUM START',
    operationParameters: {
      retentionCheckEnabled: options.enforceRetention !== false,
      defaultRetentionMillis: tableRetention,
      specifiedRetentionMillis: retentionMs,
      vacuumType: mode.toUpperCase(),
    },
    operationMetrics: stringMetrics({ numFilesToDelete: files.length, sizeOfDataToDelete: bytes }),
  });
  let deleted = 0;
  let failure: Error | undefined;
  const batchSize = options.batchSize ?? DELETE_BATCH;
  for (let i = 0; i < files.length && failure === undefined; i += batchSize) {
    const result = await table.store.deleteMany(files.slice(i, i + batchSize).map((f) => f.path));
    deleted += result.deleted.length;
    if (result.failed.length > 0) {
      const first = result.failed[0]!;
      failure = new LakeError(
        'VACUUM_DELETE_FAILED',
        `vacuum of ${name} could not delete ${result.failed.length} file(s), first ${first.key}: ${first.error.message}; ${deleted} were deleted, run vacuum again`,
        { cause: first.error },
      );
    }
    options.onProgress?.(deleted, files.length);
  }
  const end = await new DeltaTransaction(snapshot, { clock }).commit({
    operation: 'VACUUM END',
    operationParameters: { status: failure === undefined ? 'COMPLETED' : 'FAILED' },
    operationMetrics: stringMetrics({ numDeletedFiles: deleted, numVacuumedDirectories: 0 }),
  });
  if (failure !== undefined) throw failure;
  return { ...base, dryRun: false, numFilesDeleted: deleted, bytesDeleted: bytes, versions: [start.version, end.version] };
}

/** Table-relative keys of the files the versions inside the window read. */
function referencedFiles(snapshot: DeltaSnapshot, cutoff: number): Set<string> {
  const keep = new Set<string>();
  const add = (path: string): void => {
    const relative = resolveDataPath(path, snapshot.location).relative;
    if (relative !== undefined) keep.add(relative);
  };
  const addWithVector = (file: AddFile | RemoveFile): void => {
    add(file.path);
    const dv = dvPath(file.deletionVector);
    if (dv !== undefined) add(dv);
  };
  for (const file of snapshot.files) addWithVector(file);
  for (const tombstone of snapshot.tombstones) if ((tombstone.deletionTimestamp ?? 0) > cutoff) addWithVector(tombstone);
  return keep;
}

interface Candidates {
  files: VacuumFile[];
  logStartsAt?: number;
}

async function listedCandidates(snapshot: DeltaSnapshot, keep: ReadonlySet<string>, cutoff: number): Promise<Candidates> {
  const partitionDirs = partitionDirectoryNames(snapshot);
  const files: VacuumFile[] = [];
  for await (const meta of snapshot.store.list('')) {
    if (meta.key.startsWith(LOG_DIR) || isHidden(meta.key, partitionDirs)) continue;
    if (keep.has(meta.key) || meta.lastModified.getTime() >= cutoff) continue;
    files.push({ path: meta.key, size: meta.size });
  }
  return { files };
}

/** Delta's rule for names vacuum leaves alone, applied to every segment of the key. */
function isHidden(key: string, partitionDirs: ReadonlySet<string>): boolean {
  return key.split('/').some((segment) => {
    if (segment.startsWith('.')) return true;
    if (!segment.startsWith('_')) return false;
    if (segment === '_change_data' || segment.startsWith('_delta_index')) return false;
    const eq = segment.indexOf('=');
    return eq < 0 || !partitionDirs.has(segment.slice(0, eq));
  });
}

/** Partition columns' directory names: logical and, under column mapping, physical. */
function partitionDirectoryNames(snapshot: DeltaSnapshot): Set<string> {
  const names = new Set<string>(snapshot.metadata.partitionColumns);
  for (const field of parseSchema(snapshot.metadata.schemaString).fields) {
    const physical = field.metadata[COLUMN_MAPPING_PHYSICAL_NAME_KEY];
    if (names.has(field.name) && typeof physical === 'string') names.add(physical);
  }
  return names;
}

async function loggedCandidates(snapshot: DeltaSnapshot, keep: ReadonlySet<string>, cutoff: number): Promise<Candidates> {
  const commits = (await listLogFiles(snapshot.store, 0)).filter((f) => f.file.kind === 'commit' && f.file.version <= snapshot.version);
  const removes: RemoveFile[] = [...snapshot.tombstones];
  for (const actions of await mapLimited(commits, HEAD_CONCURRENCY, (c) => readCommitActions(snapshot.store, c.file.key))) {
    for (const action of actions) if (action.remove !== undefined) removes.push(action.remove);
  }
  const eligible = new Set<string>();
  for (const remove of removes) {
    if ((remove.deletionTimestamp ?? 0) > cutoff) continue;
    for (const path of [remove.path, dvPath(remove.deletionVector)]) {
      if (path === undefined) continue;
      const relative = resolveDataPath(path, snapshot.location).relative;
      if (relative !== undefined && !keep.has(relative) && !relative.startsWith(LOG_DIR)) eligible.add(relative);
    }
  }
  // Earlier vacuums deleted some already; a file re-created since is not garbage yet.
  const heads = await mapLimited([...eligible], HEAD_CONCURRENCY, async (path) => {
    try {
      return await snapshot.store.head(path);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  });
  const files = heads.filter((m) => m !== undefined && m.lastModified.getTime() < cutoff).map((m) => ({ path: m!.key, size: m!.size }));
  const first = commits[0]?.file.version;
  return first === undefined || first === 0 ? { files } : { files, logStartsAt: first };
}
