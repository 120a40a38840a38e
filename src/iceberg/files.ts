/**
 * The files an Iceberg table's metadata names, and reading them.
 *
 * Iceberg metadata stores absolute paths (`s3://…`, `file:/…`, `/…`). A table that was moved or
 * copied still names its old place; opening it with a path remap (old prefix → new location)
 * rewrites every path taken from metadata — table location, manifest lists, manifests, data and
 * delete files — by its longest matching prefix. A leading `./` is ignored on both sides, since
 * writers that stored relative paths spell them either way. Position delete files keep the
 * original data file paths inside; they are matched against the original, un-remapped paths.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { LakeError, NotFoundError } from '../errors.js';
import { displayLocation, openStore, parseLocation, type Location, type ObjectStore, type StoreOptions } from '../storage/index.js';

export interface PathRemap {
  /** A prefix of paths as the metadata has them. */
  readonly from: string;
  /** Where those files are now: a path or URL. */
  readonly to: string;
}

/** Resolves metadata paths to locations and reads them, one store per bucket or filesystem. */
export class IcebergFiles {
  private readonly stores = new Map<string, ObjectStore>();
  private readonly remaps: readonly PathRemap[];

  constructor(
    remaps: readonly PathRemap[] = [],
    private readonly storeOptions: StoreOptions = {},
  ) {
    // Longest first: the most specific prefix wins.
    this.remaps = [...remaps].map((r) => ({ from: stripDot(r.from), to: r.to })).sort((a, b) => b.from.length - a.from.length);
  }

  /** Where a path from metadata is now. */
  locate(path: string): Location {
    const bare = stripDot(path);
    for (const { from, to } of this.remaps) {
      if (bare === from || bare.startsWith(from.endsWith('/') ? from : `${from}/`)) {
        const rest = bare.slice(from.length).replace(/^\/+/, '');
        const base = parseLocation(to);
        return rest === '' ? base : parseLocation(base.scheme === 's3' ? `s3://${base.bucket}/${base.prefix === '' ? '' : `${base.prefix}/`}${rest}` : join(base.path, rest));
      }
    }
    if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(path) && !path.startsWith('/')) {
      throw new LakeError('UNRESOLVED_PATH', `the metadata names ${path}, a relative path: open the table with a path remap (--remap OLD=NEW) saying where such paths are now`);
    }
    try {
      return parseLocation(path);
    } catch (error) {
      throw new LakeError('UNSUPPORTED_LOCATION', `the metadata names ${path}, which lake cannot read (only s3:// and local files): ${(error as Error).message}`, { cause: error });
    }
  }

  /** The whole file; `what` says what it is, for errors. */
  async read(path: string, what: string): Promise<Uint8Array> {
    const location = this.locate(path);
    const { store, key } = this.storeFor(location);
    try {
      return (await store.get(key)).bytes;
    } catch (error) {
      if (error instanceof NotFoundError) {
        throw new LakeError('FILE_NOT_FOUND', `${what} ${displayLocation(location)} does not exist (named in the table metadata as ${path}): the table is incomplete, or was moved without a path remap`, { cause: error });
      }
      throw error;
    }
  }

  /** A byte range of a file. */
  async readRange(path: string, start: number, end: number, what: string): Promise<Uint8Array> {
    const location = this.locate(path);
    const { store, key } = this.storeFor(location);
    try {
      return (await store.get(key, { range: { start, end } })).bytes;
    } catch (error) {
      if (error instanceof NotFoundError) throw new LakeError('FILE_NOT_FOUND', `${what} ${displayLocation(location)} does not exist (named in the table metadata as ${path})`, { cause: error });
      throw error;
    }
  }

  /** A local path DuckDB can open: local files as they are, S3 objects copied into `scratch`. */
  async localPath(path: string, scratch: string, what: string): Promise<string> {
    const location = this.locate(path);
    if (location.scheme === 'file') return location.path;
    const staged = join(scratch, `staged-${Math.random().toString(36).slice(2)}.parquet`);
    await writeFile(staged, await this.read(path, what));
    return staged;
  }

  /** The store and key of a location (a store per bucket, one for the local filesystem). */
  storeFor(location: Location): { store: ObjectStore; key: string } {
    const root: Location = location.scheme === 'file' ? { scheme: 'file', path: '/' } : { scheme: 's3', bucket: location.bucket, prefix: '' };
    const id = location.scheme === 'file' ? 'file' : `s3:${location.bucket}`;
    let store = this.stores.get(id);
    if (store === undefined) {
      store = openStore(root, this.storeOptions);
      this.stores.set(id, store);
    }
    return { store, key: location.scheme === 'file' ? location.path.slice(1) : location.prefix };
  }
}

function stripDot(path: string): string {
  return path.startsWith('./') ? path.slice(2) : path;
}

/** Metadata JSON text, gunzipped when gzip-compressed (`*.gz.metadata.json`, `*.metadata.json.gz`). */
export function metadataText(bytes: Uint8Array, name: string): string {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes).toString('utf8');
    } catch (error) {
      throw new LakeError('CORRUPT_METADATA', `${name} is gzip-compressed but does not decompress: ${(error as Error).message}`, { cause: error });
    }
  }
  return new TextDecoder().decode(bytes);
}
