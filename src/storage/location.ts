/**
 * Where a table or warehouse lives: the one place that turns user-given URLs and paths into
 * locations, and locations back into URLs.
 *
 * Encoding rules (tested in test/storage/location.test.ts):
 * - `s3://bucket/key` (also `s3a://`, `s3n://` as Spark writes them): the key is taken literally,
 *   as the AWS CLI and Hadoop do; `%20` in an s3 URL is the three characters `%20` in the key.
 * - `file:` URLs are RFC 8089 URIs and are percent-decoded: `file:///tmp/a%20b` is `/tmp/a b`.
 *   `file:/x` (Hadoop's form), `file:///x` and `file://localhost/x` are accepted. A `%` that does
 *   not start a valid escape is an error, because its meaning would be a guess.
 * - Anything without a scheme is a local path, taken literally and resolved against the working
 *   directory: `warehouse/orders`, `/data/a b/100%`.
 * - `formatLocation` writes canonical URLs: `s3://bucket/prefix` and percent-encoded `file:///…`.
 *
 * Object keys inside a store are the literal relative names (`_delta_log/00000000000000000000.json`,
 * `date=2024-01-01/part 1.parquet`): no percent-encoding at this layer. The formats decode the
 * URI-encoded paths their logs hold before calling the store.
 */
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UsageError } from '../errors.js';

export type Location =
  /** `prefix` has no leading or trailing slash; '' is the bucket root. */
  | { readonly scheme: 's3'; readonly bucket: string; readonly prefix: string }
  /** `path` is an absolute, normalized local path with no trailing slash (except '/'). */
  | { readonly scheme: 'file'; readonly path: string };

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;
// Only the characters a bucket name can hold (including the capitals and underscores that old
// AWS buckets and some S3-compatible servers allow); the server judges the rest of its rules.
const BUCKET = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,254}$/;

export function parseLocation(input: string, cwd: string = process.cwd()): Location {
  if (input.trim() === '') throw new UsageError('empty table location: give a path or a URL such as s3://bucket/prefix');
  const scheme = SCHEME.exec(input)?.[1]?.toLowerCase();
  if (scheme === undefined) return { scheme: 'file', path: normalizeLocal(path.resolve(cwd, input)) };
  if (scheme === 's3' || scheme === 's3a' || scheme === 's3n') return parseS3(input);
  if (scheme === 'file') return { scheme: 'file', path: normalizeLocal(decodeFileUrl(input)) };
  throw new UsageError(
    `unsupported location scheme '${scheme}:' in ${input}: use s3://bucket/prefix, file:///absolute/path or a local path`,
  );
}

function parseS3(input: string): Location {
  const rest = input.slice(input.indexOf(':') + 1);
  if (!rest.startsWith('//')) throw new UsageError(`malformed S3 URL ${input}: expected s3://bucket/prefix`);
  const afterSlashes = rest.slice(2);
  const slash = afterSlashes.indexOf('/');
  const bucket = slash === -1 ? afterSlashes : afterSlashes.slice(0, slash);
  const key = slash === -1 ? '' : afterSlashes.slice(slash + 1);
  if (!BUCKET.test(bucket)) throw new UsageError(`malformed S3 URL ${input}: '${bucket}' is not a bucket name`);
  const prefix = key.replace(/^\/+/, '').replace(/\/+$/, '');
  checkKey(prefix === '' ? undefined : prefix, input);
  return { scheme: 's3', bucket, prefix };
}

function decodeFileUrl(input: string): string {
  // WHATWG URL parsing needs `file://` or `file:/`; both map to an absolute path.
  let url: URL;
  try {
    url = new URL(input);
  } catch (cause) {
    throw new UsageError(`malformed file URL ${input}`, { cause });
  }
  if (url.hostname !== '' && url.hostname !== 'localhost') {
    throw new UsageError(`file URL ${input} names host '${url.hostname}': only local files are supported`);
  }
  try {
    return fileURLToPath(url);
  } catch (cause) {
    throw new UsageError(`malformed file URL ${input}: a '%' must start an escape such as %20 or %25`, { cause });
  }
}

function normalizeLocal(p: string): string {
  const normalized = path.posix.normalize(p);
  return normalized.length > 1 ? normalized.replace(/\/+$/, '') : normalized;
}

/** The canonical URL of a location. */
export function formatLocation(location: Location): string {
  if (location.scheme === 's3') {
    return location.prefix === '' ? `s3://${location.bucket}` : `s3://${location.bucket}/${location.prefix}`;
  }
  return pathToFileURL(location.path).href;
}

/** A human-readable form: local locations as plain paths, S3 as URLs. */
export function displayLocation(location: Location): string {
  return location.scheme === 'file' ? location.path : formatLocation(location);
}

/** The location `relative` (a '/'-separated key, taken literally) below `base`. */
export function childLocation(base: Location, relative: string): Location {
  const key = relative.replace(/^\/+/, '').replace(/\/+$/, '');
  if (key === '') return base;
  checkKey(key, relative);
  if (base.scheme === 's3') {
    return { ...base, prefix: base.prefix === '' ? key : `${base.prefix}/${key}` };
  }
  return { scheme: 'file', path: normalizeLocal(path.posix.join(base.path, key)) };
}

/**
 * Checks that `key` is a relative object key that cannot escape its store's root: '/'-separated,
 * no leading slash, no empty, '.' or '..' segments. `undefined` (the root itself) passes.
 */
export function checkKey(key: string | undefined, shownAs: string = key ?? ''): void {
  if (key === undefined) return;
  if (key === '') throw new UsageError(`empty object key in ${shownAs}`);
  if (key.startsWith('/')) throw new UsageError(`object key ${shownAs} must be relative (no leading '/')`);
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new UsageError(`object key ${shownAs} has an empty, '.' or '..' segment`);
    }
  }
  if (key.includes('\0')) throw new UsageError(`object key ${JSON.stringify(shownAs)} contains a NUL byte`);
}
