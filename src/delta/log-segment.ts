/**
 * Which log files make up a version: the newest complete checkpoint at or before it, plus every
 * commit after that checkpoint up to the version (PROTOCOL.md "Checkpoints", "Last Checkpoint
 * File"). Listing starts at the checkpoint `_last_checkpoint` points to, not at version 0, so a
 * long log costs one short listing.
 */
import { LakeError, NotFoundError } from '../errors.js';
import type { ObjectMeta, ObjectStore } from '../storage/object-store.js';
import { LAST_CHECKPOINT_KEY, LOG_DIR, parseLogFile, versionPrefix, type CheckpointFile, type LogFile } from './log-files.js';

export interface CommitFile {
  readonly version: number;
  readonly key: string;
  readonly lastModified: Date;
}

export interface LogSegment {
  /** The version this segment reconstructs. */
  readonly version: number;
  /** The checkpoint it starts from (all parts, in part order), if any. */
  readonly checkpoint: { readonly version: number; readonly files: readonly CheckpointFile[] } | undefined;
  /** Commits after the checkpoint up to `version`, ascending. */
  readonly commits: readonly CommitFile[];
  /** The commit file of `version` itself, when it is still in the log (its time, its commitInfo). */
  readonly commitAtVersion: CommitFile | undefined;
  /**
   * The files to replay after the checkpoint, ascending: the commits, except that a log
   * compaction file (PROTOCOL.md "Log Compaction Files") stands in for the run of commits it
   * covers when it lies wholly inside the segment — one file read instead of many.
   */
  readonly replay: readonly ReplayFile[];
}

export interface ReplayFile {
  readonly key: string;
  readonly firstVersion: number;
  readonly lastVersion: number;
}

export interface LastCheckpointHint {
  readonly version: number;
  readonly parts?: number;
}

/** Every recognized log file, with listing metadata. */
export interface ListedLogFile {
  readonly file: LogFile;
  readonly meta: ObjectMeta;
}

/**
 * The log segment for `version` (default: the latest). Errors name the table and the version:
 * TABLE_NOT_FOUND, VERSION_NOT_FOUND, LOG_VERSIONS_NOT_CONTIGUOUS.
 */
export async function loadLogSegment(store: ObjectStore, options: { version?: number } = {}): Promise<LogSegment> {
  const target = options.version;
  if (target !== undefined && (!Number.isSafeInteger(target) || target < 0)) {
    throw new LakeError('VERSION_NOT_FOUND', `${store.url}: version ${target} is not a table version (versions are whole numbers from 0)`);
  }
  const hint = await readLastCheckpoint(store);
  const usableHint = hint !== undefined && (target === undefined || hint.version <= target) ? hint : undefined;
  if (usableHint !== undefined) {
    const listed = await listLogFiles(store, usableHint.version);
    const segment = segmentFrom(store, listed, target, { fromHint: true });
    if (segment !== undefined) return segment;
    // The hint was stale (its checkpoint is gone or incomplete): fall back to a full listing.
  }
  const listed = await listLogFiles(store, 0);
  if (listed.length === 0) throw tableNotFound(store);
  const segment = segmentFrom(store, listed, target, { fromHint: false });
  if (segment === undefined) throw tableNotFound(store);
  return segment;
}

/** The log files with versions at or after `fromVersion`, in name order. */
export async function listLogFiles(store: ObjectStore, fromVersion: number): Promise<ListedLogFile[]> {
  const listed: ListedLogFile[] = [];
  // Keys of version v all start with its 20-digit prefix, which sorts before them.
  const startAfter = fromVersion === 0 ? undefined : `${LOG_DIR}${versionPrefix(fromVersion)}`;
  for await (const meta of store.list(LOG_DIR, startAfter === undefined ? {} : { startAfter })) {
    const file = parseLogFile(meta.key);
    if (file !== undefined) listed.push({ file, meta });
  }
  return listed;
}

function segmentFrom(
  store: ObjectStore,
  listed: readonly ListedLogFile[],
  target: number | undefined,
  { fromHint }: { fromHint: boolean },
): LogSegment | undefined {
  const commits = new Map<number, CommitFile>();
  const checkpointsByVersion = new Map<number, CheckpointFile[]>();
  const compactions: { version: number; endVersion: number; key: string }[] = [];
  for (const { file, meta } of listed) {
    if (file.kind === 'commit') commits.set(file.version, { version: file.version, key: file.key, lastModified: meta.lastModified });
    else if (file.kind === 'compaction') compactions.push(file);
    else if (file.kind === 'checkpoint') {
      const group = checkpointsByVersion.get(file.version) ?? [];
      group.push(file);
      checkpointsByVersion.set(file.version, group);
    }
  }
  const completeCheckpoints = [...checkpointsByVersion.entries()]
    .map(([version, files]) => ({ version, files: completeCheckpoint(files) }))
    .filter((c): c is { version: number; files: CheckpointFile[] } => c.files !== undefined)
    .sort((a, b) => b.version - a.version);

  const latestCommit = commits.size === 0 ? -1 : Math.max(...commits.keys());
  const latestCheckpoint = completeCheckpoints[0]?.version ?? -1;
  const latest = Math.max(latestCommit, latestCheckpoint);
  if (latest < 0) return undefined;
  const version = target ?? latest;
  if (version > latest) {
    throw new LakeError('VERSION_NOT_FOUND', `${store.url}: version ${version} does not exist; the latest version is ${latest}`);
  }
  const checkpoint = completeCheckpoints.find((c) => c.version <= version);
  if (checkpoint === undefined && fromHint) return undefined;
  const first = checkpoint === undefined ? 0 : checkpoint.version + 1;
  const segmentCommits: CommitFile[] = [];
  for (let v = first; v <= version; v++) {
    const commit = commits.get(v);
    if (commit === undefined) {
      if (fromHint) return undefined;
      const earliestCommit = commits.size === 0 ? undefined : Math.min(...commits.keys());
      if (checkpoint === undefined && v === 0 && (earliestCommit === undefined || version < earliestCommit)) {
        const earliest = Math.min(earliestCommit ?? Infinity, ...completeCheckpoints.map((c) => c.version));
        throw new LakeError(
          'VERSION_NOT_FOUND',
          `${store.url}: version ${version} can no longer be read: its log files were cleaned up; the earliest readable version is ${earliest}`,
        );
      }
      const next = [...commits.keys()].filter((k) => k > v).sort((a, b) => a - b)[0];
      throw new LakeError(
        'LOG_VERSIONS_NOT_CONTIGUOUS',
        `${store.url}: the Delta log is missing version ${v}` +
          (next === undefined ? '' : ` (versions jump from ${v - 1} to ${next})`) +
          ': the log is incomplete or was cleaned up without a checkpoint',
      );
    }
    segmentCommits.push(commit);
  }
  return {
    version,
    checkpoint,
    commits: segmentCommits,
    commitAtVersion: commits.get(version),
    replay: replayFiles(segmentCommits, compactions, first, version),
  };
}

/** Commits from `first` to `last`, with the longest compaction starting at each version used instead. */
function replayFiles(
  commits: readonly CommitFile[],
  compactions: readonly { version: number; endVersion: number; key: string }[],
  first: number,
  last: number,
): ReplayFile[] {
  const files: ReplayFile[] = [];
  for (let v = first; v <= last; ) {
    const compaction = compactions
      .filter((c) => c.version === v && c.endVersion <= last)
      .sort((a, b) => b.endVersion - a.endVersion)[0];
    if (compaction !== undefined) {
      files.push({ key: compaction.key, firstVersion: v, lastVersion: compaction.endVersion });
      v = compaction.endVersion + 1;
    } else {
      files.push({ key: commits[v - first]!.key, firstVersion: v, lastVersion: v });
      v++;
    }
  }
  return files;
}

/**
 * The parts of one version's checkpoints that form a complete checkpoint, or undefined. Several
 * checkpoints of one version may coexist (racing writers, v2 next to classic); any complete one
 * holds the same state. A multi-part checkpoint with a missing part is ignored, as the spec says.
 */
export function completeCheckpoint(files: CheckpointFile[]): CheckpointFile[] | undefined {
  const single = files.find((f) => f.naming === 'uuid') ?? files.find((f) => f.naming === 'classic');
  if (single !== undefined) return [single];
  const byParts = new Map<number, Map<number, CheckpointFile>>();
  for (const file of files) {
    if (file.naming !== 'multipart') continue;
    const parts = byParts.get(file.parts) ?? new Map<number, CheckpointFile>();
    parts.set(file.part, file);
    byParts.set(file.parts, parts);
  }
  for (const [count, parts] of byParts) {
    if (parts.size === count) return [...parts.values()].sort((a, b) => partOf(a) - partOf(b));
  }
  return undefined;
}

function partOf(file: CheckpointFile): number {
  return file.naming === 'multipart' ? file.part : 0;
}

/** `_last_checkpoint`, or undefined when it is missing or unreadable (then the log is listed). */
export async function readLastCheckpoint(store: ObjectStore): Promise<LastCheckpointHint | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = (await store.get(LAST_CHECKPOINT_KEY)).bytes;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { version?: unknown; parts?: unknown };
    if (typeof parsed.version !== 'number' || !Number.isSafeInteger(parsed.version) || parsed.version < 0) return undefined;
    return typeof parsed.parts === 'number' ? { version: parsed.version, parts: parsed.parts } : { version: parsed.version };
  } catch {
    return undefined; // corrupt: the protocol makes the file a hint, so listing is always correct
  }
}

function tableNotFound(store: ObjectStore): LakeError {
  return new LakeError(
    'TABLE_NOT_FOUND',
    `no Delta table at ${store.url}: ${LOG_DIR} holds no commits or checkpoints; check the location`,
  );
}
