/**
 * Telling a Delta table from an Iceberg table by what its directory holds:
 * - Delta: any object under `_delta_log/`;
 * - Iceberg: an object under `metadata/` whose name ends `.metadata.json` (including
 *   `.gz.metadata.json`, and both `v3.metadata.json` and `00003-<uuid>.metadata.json` naming).
 *
 * Detection lists as little as it can: it stops at the first matching key, and looks for
 * Hadoop-style `metadata/v<N>.metadata.json` under the `metadata/v` prefix first, since those
 * names sort after every manifest (`snap-…`, `<uuid>-m0.avro`) in a full listing.
 */
import { LakeError, StorageError } from './errors.js';
import { displayLocation, parseLocation } from './storage/location.js';
import type { ObjectStore } from './storage/object-store.js';

export type TableFormat = 'delta' | 'iceberg';
export const TABLE_FORMATS: readonly TableFormat[] = ['delta', 'iceberg'];

export const DELTA_LOG_PREFIX = '_delta_log/';
export const ICEBERG_METADATA_PREFIX = 'metadata/';

export interface DetectOptions {
  /**
   * The format the caller says the table has (`--format`). Detection then only checks that a table
   * of that format is there, which also settles a directory that holds both.
   */
  readonly format?: TableFormat;
}

/**
 * The format of the table at the store's root. Throws LakeError 'TABLE_NOT_FOUND' when there is no
 * table (of the requested format), and 'AMBIGUOUS_FORMAT' when there are both and no format was given.
 */
export async function detectFormat(store: ObjectStore, options: DetectOptions = {}): Promise<TableFormat> {
  const where = storeDisplay(store);
  try {
    return await detect(store, where, options);
  } catch (error) {
    // Store errors name a key relative to the store; say which table they are about.
    if (error instanceof StorageError) {
      throw new StorageError(error.code, `${where}: ${error.message}`, {
        path: where,
        cause: error,
        retryable: error.retryable,
      });
    }
    throw error;
  }
}

async function detect(store: ObjectStore, where: string, options: DetectOptions): Promise<TableFormat> {
  if (options.format === 'delta') {
    if (await hasDeltaLog(store)) return 'delta';
    throw new LakeError('TABLE_NOT_FOUND', `no Delta table at ${where}: there is no ${DELTA_LOG_PREFIX} directory; check the location (or drop --format to detect it)`, { path: where });
  }
  if (options.format === 'iceberg') {
    if (await hasIcebergMetadata(store)) return 'iceberg';
    throw new LakeError('TABLE_NOT_FOUND', `no Iceberg table at ${where}: there is no ${ICEBERG_METADATA_PREFIX}*.metadata.json file; check the location (or drop --format to detect it)`, { path: where });
  }
  const [delta, iceberg] = await Promise.all([hasDeltaLog(store), hasIcebergMetadata(store)]);
  if (delta && iceberg) {
    throw new LakeError(
      'AMBIGUOUS_FORMAT',
      `${where} holds both a Delta log (${DELTA_LOG_PREFIX}) and Iceberg metadata (${ICEBERG_METADATA_PREFIX}): pass --format delta or --format iceberg`,
      { path: where },
    );
  }
  if (delta) return 'delta';
  if (iceberg) return 'iceberg';
  throw new LakeError(
    'TABLE_NOT_FOUND',
    `no Delta or Iceberg table at ${where}: found neither ${DELTA_LOG_PREFIX} nor ${ICEBERG_METADATA_PREFIX}*.metadata.json; check the location`,
    { path: where },
  );
}

/** Whether any object exists under `_delta_log/`. */
export async function hasDeltaLog(store: ObjectStore): Promise<boolean> {
  for await (const _ of store.list(DELTA_LOG_PREFIX)) return true;
  return false;
}

/** Whether `metadata/` holds an Iceberg table-metadata file. */
export async function hasIcebergMetadata(store: ObjectStore): Promise<boolean> {
  // Hadoop-catalog naming (v1.metadata.json) first: a short listing that usually matches at once.
  return (
    (await firstKeyMatching(store, `${ICEBERG_METADATA_PREFIX}v`, isIcebergMetadataKey)) ||
    (await firstKeyMatching(store, ICEBERG_METADATA_PREFIX, isIcebergMetadataKey))
  );
}

/** Whether a key names an Iceberg metadata file directly under `metadata/`. */
export function isIcebergMetadataKey(key: string): boolean {
  if (!key.startsWith(ICEBERG_METADATA_PREFIX)) return false;
  const name = key.slice(ICEBERG_METADATA_PREFIX.length);
  return !name.includes('/') && name.endsWith('.metadata.json') && name.length > '.metadata.json'.length;
}

async function firstKeyMatching(store: ObjectStore, prefix: string, match: (key: string) => boolean): Promise<boolean> {
  for await (const meta of store.list(prefix)) {
    if (match(meta.key)) return true;
  }
  return false;
}

function storeDisplay(store: ObjectStore): string {
  try {
    return displayLocation(parseLocation(store.url));
  } catch {
    return store.url;
  }
}
