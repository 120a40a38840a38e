/**
 * Names of the files in `_delta_log/` (PROTOCOL.md "Delta Log Entries", "Checkpoints",
 * "Checkpoint Naming Scheme", "Log Compaction Files", "Last Checkpoint File").
 */

export const LOG_DIR = '_delta_log/';
export const LAST_CHECKPOINT_KEY = `${LOG_DIR}_last_checkpoint`;
export const SIDECAR_DIR = `${LOG_DIR}_sidecars/`;

export type LogFile =
  | { readonly kind: 'commit'; readonly version: number; readonly key: string }
  | { readonly kind: 'checkpoint'; readonly version: number; readonly key: string; readonly naming: 'classic' }
  | { readonly kind: 'checkpoint'; readonly version: number; readonly key: string; readonly naming: 'uuid'; readonly format: 'json' | 'parquet' }
  | {
      readonly kind: 'checkpoint';
      readonly version: number;
      readonly key: string;
      readonly naming: 'multipart';
      readonly part: number;
      readonly parts: number;
    }
  | { readonly kind: 'compaction'; readonly version: number; readonly endVersion: number; readonly key: string };

export type CheckpointFile = Extract<LogFile, { kind: 'checkpoint' }>;

const COMMIT = /^(\d{20})\.json$/;
const CLASSIC_CHECKPOINT = /^(\d{20})\.checkpoint\.parquet$/;
const MULTIPART_CHECKPOINT = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/;
const UUID_CHECKPOINT = /^(\d{20})\.checkpoint\.([0-9a-fA-F-]{36})\.(json|parquet)$/;
const COMPACTION = /^(\d{20})\.(\d{20})\.compacted\.json$/;

/** Recognizes a log file by its key (`_delta_log/…`); anything else (crc, staged commits…) is undefined. */
export function parseLogFile(key: string): LogFile | undefined {
  if (!key.startsWith(LOG_DIR)) return undefined;
  const name = key.slice(LOG_DIR.length);
  if (name.includes('/')) return undefined; // _sidecars/, _staged_commits/ …
  let m = COMMIT.exec(name);
  if (m !== null) return { kind: 'commit', version: Number(m[1]), key };
  m = CLASSIC_CHECKPOINT.exec(name);
  if (m !== null) return { kind: 'checkpoint', version: Number(m[1]), key, naming: 'classic' };
  m = MULTIPART_CHECKPOINT.exec(name);
  if (m !== null) {
    return { kind: 'checkpoint', version: Number(m[1]), key, naming: 'multipart', part: Number(m[2]), parts: Number(m[3]) };
  }
  m = UUID_CHECKPOINT.exec(name);
  if (m !== null) return { kind: 'checkpoint', version: Number(m[1]), key, naming: 'uuid', format: m[3] as 'json' | 'parquet' };
  m = COMPACTION.exec(name);
  if (m !== null) return { kind: 'compaction', version: Number(m[1]), endVersion: Number(m[2]), key };
  return undefined;
}

/** Versions are zero-padded to 20 digits, so that names sort in version order. */
export function versionPrefix(version: number): string {
  return String(version).padStart(20, '0');
}

export function commitKey(version: number): string {
  return `${LOG_DIR}${versionPrefix(version)}.json`;
}
