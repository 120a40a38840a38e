/**
 * What lake can read (PROTOCOL.md "Protocol Evolution", "Table Features"): reader versions 1–3,
 * and on version 3 the reader features listed here. Anything else is refused by name before a
 * single data file is read, because a reader that ignores a feature returns wrong rows.
 */
import { LakeError } from '../errors.js';
import type { Protocol } from './actions.js';

export const MAX_READER_VERSION = 3;

/** Reader features lake implements, with where. */
export const SUPPORTED_READER_FEATURES: ReadonlySet<string> = new Set([
  'columnMapping', // schema.ts: physical names and field ids
  'deletionVectors', // deletion-vector.ts, applied by the scan
  'timestampNtz', // read as timestamps without time zone
  'v2Checkpoint', // log-reader.ts: UUID-named checkpoints and sidecars
  'vacuumProtocolCheck', // readers only acknowledge it
  'typeWidening', // the scan casts narrower file types up to the table's
  'typeWidening-preview',
]);

/** Throws UNSUPPORTED_READER_VERSION / UNSUPPORTED_FEATURE when lake cannot read `protocol`. */
export function checkReadSupport(protocol: Protocol, table: string): void {
  const { minReaderVersion } = protocol;
  if (!Number.isInteger(minReaderVersion) || minReaderVersion < 1 || minReaderVersion > MAX_READER_VERSION) {
    throw new LakeError(
      'UNSUPPORTED_READER_VERSION',
      `${table} needs Delta reader version ${minReaderVersion}; lake reads versions 1 to ${MAX_READER_VERSION}: use a newer Delta client`,
    );
  }
  if (minReaderVersion === 3) {
    const unsupported = (protocol.readerFeatures ?? []).filter((feature) => !SUPPORTED_READER_FEATURES.has(feature));
    if (unsupported.length > 0) {
      throw new LakeError(
        'UNSUPPORTED_FEATURE',
        `${table} uses the Delta reader feature${unsupported.length > 1 ? 's' : ''} ${unsupported.join(', ')}, which lake cannot read yet`,
      );
    }
  }
}
