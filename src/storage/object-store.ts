/**
 * The one object-store interface every format and operation uses.
 *
 * A store is rooted at a location (an S3 bucket and prefix, or a local directory); keys are
 * '/'-separated names relative to that root, taken literally (see location.ts). Semantics follow
 * S3, the weakest store we support, so code that works on the local store works on S3:
 * - there are no directories, only keys; `list` takes a plain string prefix;
 * - a put is atomic: readers see the old object or the new one, never a part;
 * - conditional puts (`ifNoneMatch: '*'`, `ifMatch: etag`) are the only way to coordinate writers.
 */
import { RangeNotSatisfiableError, UsageError } from '../errors.js';

export interface ObjectMeta {
  /** The key relative to the store's root. */
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
  /** Opaque version tag, without surrounding quotes; pass it to `put({ifMatch})`. */
  readonly etag: string;
}

/** A byte range: `start` inclusive, `end` exclusive. `end` omitted reads to the end. */
export interface ByteRange {
  readonly start: number;
  readonly end?: number;
}

export interface GetResult {
  readonly bytes: Uint8Array;
  /** Metadata of the object version the bytes came from (size is the whole object's). */
  readonly meta: ObjectMeta;
}

export type PutCondition =
  /** Create only: fails with PreconditionFailed if the key exists. */
  | { readonly ifNoneMatch: '*' }
  /** Compare-and-swap: fails with PreconditionFailed unless the current etag is this one. */
  | { readonly ifMatch: string };

export interface PutResult {
  readonly etag: string;
}

export interface ListOptions {
  /** Yield only keys strictly greater than this key (which need not exist). */
  readonly startAfter?: string;
}

export interface DeleteFailure {
  readonly key: string;
  readonly error: Error;
}

export interface DeleteResult {
  /** Keys that are gone, including ones that did not exist (as S3 reports them). */
  readonly deleted: string[];
  readonly failed: DeleteFailure[];
}

export interface UploadOptions {
  /** Called with the number of bytes sent so far (for progress bars). */
  readonly onProgress?: (bytesSent: number) => void;
}

export interface ObjectStore {
  /** The canonical URL of the store's root (`s3://bucket/prefix`, `file:///dir`). */
  readonly url: string;

  /** Reads an object, or a byte range of it. Throws NotFoundError if absent. */
  get(key: string, options?: { range?: ByteRange }): Promise<GetResult>;

  /** Metadata of an object. Throws NotFoundError if absent. */
  head(key: string): Promise<ObjectMeta>;

  /**
   * Writes a whole object atomically. With a condition, exactly one of several racing writers
   * wins; the others get PreconditionFailed. Returns the new object's etag.
   */
  put(key: string, bytes: Uint8Array, condition?: PutCondition): Promise<PutResult>;

  /**
   * Keys starting with `prefix` (a plain string prefix, '' for all), in ascending order of their
   * UTF-8 bytes as S3 returns them, paging transparently.
   */
  list(prefix: string, options?: ListOptions): AsyncIterable<ObjectMeta>;

  /** Deletes keys (missing keys count as deleted); per-key failures are reported, not thrown. */
  deleteMany(keys: readonly string[]): Promise<DeleteResult>;

  /**
   * Streams a large object (multipart on S3 above the store's part size). Unconditional by
   * design: multipart completion cannot be made conditional on S3-compatible servers, so commits
   * and other coordinating writes must use `put`.
   */
  upload(key: string, body: AsyncIterable<Uint8Array>, options?: UploadOptions): Promise<PutResult>;
}

/** Etags without the quotes (and weak prefix) HTTP puts around them. */
export function unquote(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

/** Checks a range's shape; both stores share these semantics. */
export function checkRange(key: string, range: ByteRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0 || (end !== undefined && (!Number.isSafeInteger(end) || end < start))) {
    throw new UsageError(`invalid byte range [${start}, ${end ?? 'end'}) for ${key}`);
  }
}

/**
 * Resolves a range against an object's size: clipped at the end, like HTTP ranges; a start at
 * or past the end of a non-empty object is an error (HTTP 416).
 */
export function clampRange(key: string, range: ByteRange | undefined, size: number): { start: number; end: number } {
  if (range === undefined) return { start: 0, end: size };
  checkRange(key, range);
  const { start, end = size } = range;
  if (start >= size && !(start === 0 && size === 0)) throw rangeNotSatisfiable(key, start, size);
  return { start, end: Math.min(end, size) };
}

export function rangeNotSatisfiable(key: string, start?: number, size?: number): RangeNotSatisfiableError {
  const where = start === undefined ? 'the requested byte range starts' : `byte range starts at ${start},`;
  return new RangeNotSatisfiableError(key, `${where} past the object's end${size === undefined ? '' : ` (${size} bytes)`}`);
}

/** Compares keys the way S3 orders them: by their UTF-8 bytes. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
