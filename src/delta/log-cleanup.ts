/**
 * Log cleanup (Delta's "metadata cleanup"): deletes commit, checkpoint, compaction and checksum
 * files of versions that time travel inside `delta.logRetentionDuration` (default 30 days) no
 * longer needs.
 *
 * Every version committed since the cutoff, and the one current at the cutoff, must stay
 * readable; each is read from the newest complete checkpoint at or before it plus the commits
 * after. So the log may lose exactly the files of versions before the newest complete checkpoint
 * at or before the version current at the cutoff — that checkpoint, its commit and everything
 * later stay. Without such a checkpoint nothing goes. `_last_checkpoint` and `_sidecars/` are not
 * touched (lake writes no v2 checkpoints; their sidecars are another writer's to clean).
 *
 * Commit times are those of time travel (commit-times.ts). Runs on its own (`lake expire`) and
 * after each checkpoint a transaction writes, unless `delta.enableExpiredLogCleanup` is false.
 */
import { LakeError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { Metadata } from './actions.js';
import { CommitTimes } from './commit-times.js';
import { LOG_DIR, parseLogFile, type CheckpointFile } from './log-files.js';
import { completeCheckpoint, type CommitFile } from './log-segment.js';
import { describeDuration, parseInterval } from './table-properties.js';

/** Default `delta.logRetentionDuration`: 30 days. */
export const DEFAULT_LOG_RETENTION_MS = 30 * 86_400_000;

const CHECKSUM = /^(\d{20})\.crc$/;
const DELETE_BATCH = 1_000;

export interface LogCleanupOptions {
  /** Default: the table's `delta.logRetentionDuration`. */
  readonly retentionMs?: number;
  /** Refuse a retention shorter than the table's (default true). */
  readonly enforceRetention?: boolean;
  readonly dryRun?: boolean;
  readonly clock?: () => number;
}

export interface LogCleanupResult {
  readonly retentionMs: number;
  readonly cutoff: number;
  /** The checkpoint version the log starts at afterwards (undefined: nothing could go). */
  readonly logStartsAt: number | undefined;
  /** Keys deleted (with dryRun: that would be). */
  readonly files: readonly string[];
  readonly dryRun: boolean;
}

export function logRetentionMs(metadata: Metadata): number {
  return parseInterval(metadata.configuration['delta.logRetentionDuration']) ?? DEFAULT_LOG_RETENTION_MS;
}

export async function cleanUpExpiredLogs(store: ObjectStore, metadata: Metadata, options: LogCleanupOptions = {}): Promise<LogCleanupResult> {
  const tableRetention = logRetentionMs(metadata);
  const retentionMs = options.retentionMs ?? tableRetention;
  if (retentionMs < tableRetention && options.enforceRetention !== false) {
    throw new LakeError(
      'RETENTION_TOO_SHORT',
      `log retention of ${describeDuration(retentionMs)} is shorter than the table's delta.logRetentionDuration (${describeDuration(tableRetention)}): time travel inside that window would break; use a longer retention, or allow a short one explicitly`,
    );
  }
  const cutoff = (options.clock ?? Date.now)() - retentionMs;
  const dryRun = options.dryRun === true;
  const commits: CommitFile[] = [];
  const checkpoints = new Map<number, CheckpointFile[]>();
  const byVersion: { version: number; key: string }[] = [];
  for await (const meta of store.list(LOG_DIR)) {
    const file = parseLogFile(meta.key);
    if (file === undefined) {
      const checksum = CHECKSUM.exec(meta.key.slice(LOG_DIR.length));
      if (checksum !== null) byVersion.push({ version: Number(checksum[1]), key: meta.key });
      continue;
    }
    if (file.kind === 'commit') commits.push({ version: file.version, key: file.key, lastModified: meta.lastModified });
    if (file.kind === 'checkpoint') checkpoints.set(file.version, [...(checkpoints.get(file.version) ?? []), file]);
    // A compaction counts as its last version: it goes only when all it covers may go.
    byVersion.push({ version: file.kind === 'compaction' ? file.endVersion : file.version, key: file.key });
  }
  commits.sort((a, b) => a.version - b.version);
  const times = await CommitTimes.of(store, commits);
  const atCutoff = await times.lastAtOrBefore(cutoff);
  const nothing = { retentionMs, cutoff, logStartsAt: undefined, files: [], dryRun };
  if (atCutoff < 0) return nothing;
  const limit = commits[atCutoff]!.version;
  const start = [...checkpoints.entries()]
    .filter(([version, files]) => version <= limit && completeCheckpoint(files) !== undefined)
    .reduce((best, [version]) => Math.max(best, version), -1);
  if (start <= 0) return nothing;
  const files = byVersion.filter((f) => f.version < start).map((f) => f.key).sort();
  if (!dryRun) {
    for (let i = 0; i < files.length; i += DELETE_BATCH) {
      const result = await store.deleteMany(files.slice(i, i + DELETE_BATCH));
      const failed = result.failed[0];
      if (failed !== undefined) {
        throw new LakeError('LOG_CLEANUP_FAILED', `log cleanup could not delete ${failed.key}: ${failed.error.message}; run it again`, { cause: failed.error });
      }
    }
  }
  return { retentionMs, cutoff, logStartsAt: start, files, dryRun };
}
