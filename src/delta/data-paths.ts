/**
 * Paths of data files and deletion vectors in the Delta log. The protocol stores them as URIs
 * (RFC 2396): relative to the table root, or absolute, and percent-encoded ("the path is a URI …
 * which needs to be decoded to get the data file path"). Writers differ in the spelling of one
 * file: `file:/x`, `file:///x` and `/x` are the same file, and so are `a%20b` and a decoded name.
 * Reconciliation needs one spelling, so every path is canonicalized here before it is compared.
 */
import { LakeError } from '../errors.js';
import { posix } from 'node:path';
import { displayLocation, formatLocation, parseLocation, type Location } from '../storage/location.js';

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

export interface DataPath {
  /** One spelling per file (a URL), for comparing paths. */
  readonly canonical: string;
  /** Where the file is, or undefined for a scheme lake cannot read (hdfs:, abfss:, gs:…). */
  readonly location: Location | undefined;
  /** The decoded path relative to the table root, or undefined when the file lies outside it. */
  readonly relative: string | undefined;
}

/** Resolves a path from the log against the table root. */
export function resolveDataPath(path: string, root: Location): DataPath {
  const location = locate(path, root);
  if (location === undefined) return { canonical: path, location: undefined, relative: undefined };
  return { canonical: formatLocation(location), location, relative: relativeTo(location, root) };
}

function locate(path: string, root: Location): Location | undefined {
  const scheme = SCHEME.exec(path)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    const decoded = decode(path);
    if (decoded.startsWith('/')) {
      // An unqualified absolute path belongs to the table's own filesystem (Hadoop qualifies it so).
      return root.scheme === 's3'
        ? { scheme: 's3', bucket: root.bucket, prefix: decoded.replace(/^\/+/, '') }
        : { scheme: 'file', path: decoded };
    }
    // RFC 3986 resolution against the root; '..' may climb out of the table (never above a bucket).
    if (root.scheme === 'file') return { scheme: 'file', path: posix.join(root.path, decoded) };
    const key = posix.normalize(`${root.prefix}/${decoded}`).replace(/^\/+/, '');
    return key === '..' || key.startsWith('../') ? undefined : { scheme: 's3', bucket: root.bucket, prefix: key };
  }
  if (scheme === 'file') return parseLocation(path); // file: URLs are percent-decoded there
  if (scheme === 's3' || scheme === 's3a' || scheme === 's3n') {
    const rest = path.slice(path.indexOf(':') + 3);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    const key = slash === -1 ? '' : decode(rest.slice(slash + 1));
    return { scheme: 's3', bucket, prefix: key.replace(/^\/+/, '') };
  }
  return undefined;
}

function relativeTo(location: Location, root: Location): string | undefined {
  if (location.scheme === 'file' && root.scheme === 'file') {
    const base = root.path === '/' ? '/' : `${root.path}/`;
    return location.path.startsWith(base) ? location.path.slice(base.length) : undefined;
  }
  if (location.scheme === 's3' && root.scheme === 's3' && location.bucket === root.bucket) {
    if (root.prefix === '') return location.prefix;
    return location.prefix.startsWith(`${root.prefix}/`) ? location.prefix.slice(root.prefix.length + 1) : undefined;
  }
  return undefined;
}

function decode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch (cause) {
    throw new LakeError('CORRUPT_LOG', `path ${path} in the Delta log is not a valid URI (a '%' must start an escape such as %20)`, {
      cause,
    });
  }
}

/** For messages: the path a user would recognize. */
export function describeDataPath(path: DataPath): string {
  return path.location === undefined ? path.canonical : displayLocation(path.location);
}
