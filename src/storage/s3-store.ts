/**
 * The object store over S3 and S3-compatible servers (AWS S3, MinIO, Ceph RGW, R2).
 *
 * Retries are ours, not the SDK's (its maxAttempts is 1): a conditional write whose outcome is
 * unknown (a 5xx or a dropped connection after the request was sent) needs more than a blind
 * resend. Every put carries a random write id in its user metadata; when a resend loses its
 * condition, we read the object's write id back and know whether the object is ours — the
 * first attempt landed and only its answer was lost — or another writer's.
 *
 * Quirks handled here (measured on Ceph RGW, see shared/notes/s3-test-server.md; R2 and others
 * have their own versions of them):
 * - If-Match is sent with the bare etag: RGW compares the header with the unquoted etag, and
 *   AWS S3 and MinIO accept either form.
 * - A losing concurrent If-Match writer may get HTTP 500 instead of 412: it is retried like any
 *   ambiguous failure and resolves to PreconditionFailed through the write id.
 * - Checksums are computed only when an operation requires them ('WHEN_REQUIRED'); otherwise
 *   the SDK's default flexible checksums break streamed bodies on servers that need a length.
 * - Multipart completion ignores If-None-Match on RGW, so `upload` is unconditional by contract.
 */
import { randomUUID } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import {
  AccessDeniedError,
  NetworkError,
  NotFoundError,
  PreconditionFailed,
  ServerError,
  StorageError,
  ThrottledError,
  UnexpectedStorageError,
  UsageError,
} from '../errors.js';
import { checkKey, formatLocation } from './location.js';
import {
  checkRange,
  clampRange,
  rangeNotSatisfiable,
  unquote,
  type ByteRange,
  type DeleteResult,
  type GetResult,
  type ListOptions,
  type ObjectMeta,
  type ObjectStore,
  type PutCondition,
  type PutResult,
  type UploadOptions,
} from './object-store.js';
import { retryPolicy, withRetry, type RetryPolicy } from './retry.js';

/** User-metadata key (sent as x-amz-meta-lake-write-id) that identifies who wrote an object. */
const WRITE_ID = 'lake-write-id';
const DELETE_BATCH = 1000; // DeleteObjects' limit per request
const MIN_PART_SIZE = 5 * 1024 * 1024; // S3's minimum for all parts but the last

export interface S3ConnectionOptions {
  /** Custom endpoint (MinIO, Ceph, R2…). Default: AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL. */
  readonly endpoint?: string;
  /** Default: AWS_REGION, AWS_DEFAULT_REGION, else the SDK's config files; us-east-1 with a custom endpoint. */
  readonly region?: string;
  /** Path-style addressing. Default: true with a custom endpoint, false on AWS. */
  readonly forcePathStyle?: boolean;
  /** Explicit credentials; default is the SDK's provider chain (env, profiles, SSO, IMDS…). */
  readonly credentials?: S3ClientConfig['credentials'];
  /** Per-request timeouts in milliseconds. */
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
}

export interface S3StoreOptions extends S3ConnectionOptions {
  readonly bucket: string;
  /** Key prefix of the store's root, without leading or trailing '/'; '' for the bucket root. */
  readonly prefix: string;
  readonly retry?: Partial<RetryPolicy>;
  /** Multipart part size for `upload`; objects smaller than one part go up in a single PUT. */
  readonly partSize?: number;
  /** Parts uploaded at once by `upload`; memory use is about partSize × this. */
  readonly uploadConcurrency?: number;
  /** Environment to read defaults from (injected for tests). */
  readonly env?: NodeJS.ProcessEnv;
}

export class S3Store implements ObjectStore {
  readonly url: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly rootPrefix: string; // '' or ends with '/'
  private readonly retry: RetryPolicy;
  private readonly partSize: number;
  private readonly uploadConcurrency: number;

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    if (options.prefix !== '') checkKey(options.prefix);
    this.rootPrefix = options.prefix === '' ? '' : `${options.prefix}/`;
    this.url = formatLocation({ scheme: 's3', bucket: options.bucket, prefix: options.prefix });
    this.retry = retryPolicy(options.retry);
    this.partSize = options.partSize ?? 8 * 1024 * 1024;
    if (this.partSize < MIN_PART_SIZE) throw new UsageError(`S3 part size must be at least ${MIN_PART_SIZE} bytes`);
    this.uploadConcurrency = options.uploadConcurrency ?? 4;
    this.client = new S3Client(s3ClientConfig(options, options.env ?? process.env));
  }

  async get(key: string, options: { range?: ByteRange } = {}): Promise<GetResult> {
    const objectKey = this.objectKey(key);
    return this.attempt(key, async () => {
      const range = options.range;
      if (range !== undefined) checkRange(key, range);
      if (range !== undefined && range.end !== undefined && range.end === range.start) {
        // HTTP cannot express an empty range; answer it from the object's metadata.
        const meta = await this.headOnce(key);
        clampRange(key, range, meta.size);
        return { bytes: new Uint8Array(0), meta };
      }
      const response = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          ...(range === undefined ? {} : { Range: `bytes=${range.start}-${range.end === undefined ? '' : range.end - 1}` }),
        }),
      );
      const bytes = response.Body === undefined ? new Uint8Array(0) : await response.Body.transformToByteArray();
      const size = totalSize(response.ContentRange) ?? response.ContentLength ?? bytes.length;
      return {
        bytes,
        meta: { key, size, lastModified: response.LastModified ?? new Date(0), etag: unquote(response.ETag ?? '') },
      };
    });
  }

  async head(key: string): Promise<ObjectMeta> {
    this.objectKey(key);
    return this.attempt(key, () => this.headOnce(key));
  }

  async put(key: string, bytes: Uint8Array, condition?: PutCondition): Promise<PutResult> {
    const objectKey = this.objectKey(key);
    const writeId = randomUUID();
    // Set once an attempt may have reached the server: from then on, losing the condition may
    // mean that our own earlier attempt won.
    let mayHaveLanded = false;
    const resolveAmbiguity = async (): Promise<PutResult | undefined> => {
      if (!mayHaveLanded) return undefined;
      const current = await this.attempt(key, () => this.headRaw(objectKey)).catch((error: unknown) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      });
      return current?.Metadata?.[WRITE_ID] === writeId ? { etag: unquote(current.ETag ?? '') } : undefined;
    };
    try {
      return await withRetry(this.retry, async () => {
        try {
          const response = await this.client.send(
            new PutObjectCommand({
              Bucket: this.bucket,
              Key: objectKey,
              Body: bytes,
              ContentLength: bytes.length,
              Metadata: { [WRITE_ID]: writeId },
              ...(condition === undefined
                ? {}
                : 'ifNoneMatch' in condition
                  ? { IfNoneMatch: '*' }
                  : { IfMatch: unquote(condition.ifMatch) }),
            }),
          );
          return { etag: unquote(response.ETag ?? '') };
        } catch (error) {
          const classified = classifyS3Error(error, key);
          if (classified instanceof PreconditionFailed) {
            const ours = await resolveAmbiguity();
            if (ours !== undefined) return ours;
          }
          if (classified instanceof ServerError || classified instanceof NetworkError) mayHaveLanded = true;
          throw classified;
        }
      });
    } catch (error) {
      // Out of retries while the outcome is unknown: the object itself says whether we won.
      if (error instanceof StorageError && error.retryable && condition !== undefined) {
        const ours = await resolveAmbiguity().catch(() => undefined);
        if (ours !== undefined) return ours;
      }
      throw error;
    }
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectMeta> {
    if (prefix.startsWith('/')) throw new UsageError(`list prefix ${prefix} must be relative (no leading '/')`);
    let continuationToken: string | undefined;
    do {
      const token = continuationToken;
      const page = await this.attempt(prefix, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.rootPrefix + prefix,
            ...(token === undefined ? {} : { ContinuationToken: token }),
            ...(options.startAfter === undefined ? {} : { StartAfter: this.rootPrefix + options.startAfter }),
          }),
        ),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield {
          key: object.Key.slice(this.rootPrefix.length),
          size: object.Size ?? 0,
          lastModified: object.LastModified ?? new Date(0),
          etag: unquote(object.ETag ?? ''),
        };
      }
      continuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  async deleteMany(keys: readonly string[]): Promise<DeleteResult> {
    const deleted: string[] = [];
    const failed: { key: string; error: Error }[] = [];
    const valid: string[] = [];
    for (const key of keys) {
      try {
        this.objectKey(key);
        valid.push(key);
      } catch (error) {
        failed.push({ key, error: error as Error });
      }
    }
    for (let start = 0; start < valid.length; start += DELETE_BATCH) {
      const batch = valid.slice(start, start + DELETE_BATCH);
      try {
        // Deleting is idempotent, so a whole batch can be resent after any retryable failure.
        const response = await this.attempt(batch[0]!, () =>
          this.client.send(
            new DeleteObjectsCommand({
              Bucket: this.bucket,
              Delete: { Objects: batch.map((key) => ({ Key: this.rootPrefix + key })), Quiet: true },
            }),
          ),
        );
        const errors = new Map<string, Error>();
        for (const entry of response.Errors ?? []) {
          const key = (entry.Key ?? '').slice(this.rootPrefix.length);
          const detail = `${entry.Code ?? 'error'}: ${entry.Message ?? 'delete failed'}`;
          errors.set(
            key,
            entry.Code === 'AccessDenied' ? new AccessDeniedError(key, detail) : new UnexpectedStorageError(key, detail),
          );
        }
        for (const key of batch) {
          const error = errors.get(key);
          if (error === undefined) deleted.push(key);
          else failed.push({ key, error });
        }
      } catch (error) {
        for (const key of batch) failed.push({ key, error: error as Error });
      }
    }
    return { deleted, failed };
  }

  async upload(key: string, body: AsyncIterable<Uint8Array>, options: UploadOptions = {}): Promise<PutResult> {
    const objectKey = this.objectKey(key);
    const parts = partsOf(body, this.partSize);
    const first = await parts.next();
    const firstPart = first.done === true ? new Uint8Array(0) : first.value;
    const second = first.done === true ? first : await parts.next();
    if (second.done === true) {
      // Smaller than one part: a single PUT (unconditional, as `upload` promises).
      const result = await this.put(key, firstPart);
      options.onProgress?.(firstPart.length);
      return result;
    }
    const writeId = randomUUID();
    const { UploadId: uploadId } = await this.attempt(key, () =>
      this.client.send(
        new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey, Metadata: { [WRITE_ID]: writeId } }),
      ),
    );
    if (uploadId === undefined) throw new UnexpectedStorageError(key, 'the server returned no multipart upload id');
    try {
      const completed: { PartNumber: number; ETag: string }[] = [];
      let sent = 0;
      const inFlight = new Set<Promise<void>>();
      const send = (partNumber: number, bytes: Uint8Array): Promise<void> => {
        const task = this.attempt(key, () =>
          this.client.send(
            new UploadPartCommand({
              Bucket: this.bucket,
              Key: objectKey,
              UploadId: uploadId,
              PartNumber: partNumber,
              Body: bytes,
              ContentLength: bytes.length,
            }),
          ),
        ).then((response) => {
          completed.push({ PartNumber: partNumber, ETag: response.ETag ?? '' });
          sent += bytes.length;
          options.onProgress?.(sent);
        });
        const tracked = task.finally(() => inFlight.delete(tracked));
        inFlight.add(tracked);
        return tracked;
      };
      let partNumber = 0;
      const pending: Promise<void>[] = [];
      for (const bytes of [firstPart, second.value]) pending.push(send(++partNumber, bytes));
      for await (const bytes of { [Symbol.asyncIterator]: () => parts }) {
        // Bounded memory: wait for a slot before reading the next part into memory.
        while (inFlight.size >= this.uploadConcurrency) await Promise.race(inFlight);
        pending.push(send(++partNumber, bytes));
      }
      await Promise.all(pending);
      completed.sort((a, b) => a.PartNumber - b.PartNumber);
      await this.attempt(key, async () => {
        try {
          await this.client.send(
            new CompleteMultipartUploadCommand({
              Bucket: this.bucket,
              Key: objectKey,
              UploadId: uploadId,
              MultipartUpload: { Parts: completed },
            }),
          );
        } catch (error) {
          // A resent completion of an upload that did complete answers NoSuchUpload.
          const current = await this.headRaw(objectKey).catch(() => undefined);
          if (current?.Metadata?.[WRITE_ID] === writeId) return;
          throw classifyS3Error(error, key);
        }
      });
    } catch (error) {
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey, UploadId: uploadId }))
        .catch(() => undefined);
      throw error;
    }
    // Some servers (RGW) answer the completion with an empty etag: read the real one.
    return { etag: (await this.head(key)).etag };
  }

  /** Releases the HTTP connections. */
  destroy(): void {
    this.client.destroy();
  }

  private objectKey(key: string): string {
    checkKey(key);
    return this.rootPrefix + key;
  }

  private async headOnce(key: string): Promise<ObjectMeta> {
    const response = await this.headRaw(this.rootPrefix + key);
    return {
      key,
      size: response.ContentLength ?? 0,
      lastModified: response.LastModified ?? new Date(0),
      etag: unquote(response.ETag ?? ''),
    };
  }

  private async headRaw(objectKey: string) {
    try {
      return await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    } catch (error) {
      throw classifyS3Error(error, objectKey.slice(this.rootPrefix.length));
    }
  }

  /** One logical request with classified errors and bounded retries. */
  private attempt<T>(key: string, operation: () => Promise<T>): Promise<T> {
    return withRetry(this.retry, async () => {
      try {
        return await operation();
      } catch (error) {
        throw classifyS3Error(error, key);
      }
    });
  }
}

export function s3ClientConfig(options: S3ConnectionOptions, env: NodeJS.ProcessEnv): S3ClientConfig {
  const endpoint = options.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (endpoint === undefined ? undefined : 'us-east-1');
  return {
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(region === undefined ? {} : { region }),
    forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    maxAttempts: 1, // retries are ours: see the top of this file
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 5_000,
      requestTimeout: options.requestTimeoutMs ?? 60_000,
    },
  };
}

/** Maps an SDK or network error to our typed errors (retryable ones marked so). */
export function classifyS3Error(error: unknown, key: string): StorageError | UsageError {
  if (error instanceof StorageError || error instanceof UsageError) return error;
  const e = error as { name?: string; Code?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const name = e.Code ?? e.name ?? 'Error';
  const detail = status === undefined ? `${name}: ${e.message ?? ''}` : `HTTP ${status} ${name}`;
  const options = { cause: error };
  if (status === 416 || name === 'InvalidRange') return rangeNotSatisfiable(key);
  if (status === 412 || name === 'PreconditionFailed') return new PreconditionFailed(key, 'the condition did not hold', options);
  if (name === 'NoSuchBucket') {
    return new UnexpectedStorageError(key, `the bucket does not exist (${detail}): check the location and endpoint`, options);
  }
  if (status === 404 || name === 'NoSuchKey' || name === 'NotFound') return new NotFoundError(key, options);
  if (status === 403 || name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') {
    return new AccessDeniedError(key, detail, options);
  }
  if (status === 503 || status === 429 || name === 'SlowDown' || name === 'Throttling' || name === 'ThrottlingException') {
    return new ThrottledError(key, detail, options);
  }
  // 409 ConditionalRequestConflict: AWS S3's answer to a conditional write racing another one
  // on the same key; AWS documents retrying it.
  if (status === 409 && name === 'ConditionalRequestConflict') return new ServerError(key, detail, options);
  if (status !== undefined && status >= 500) return new ServerError(key, detail, options);
  if (status === undefined && isNetworkFailure(e)) return new NetworkError(key, detail, options);
  if (status === undefined && /region is missing/i.test(e.message ?? '')) {
    return new UsageError('no AWS region configured: set AWS_REGION or the s3.region setting', options);
  }
  if (status === undefined && (name === 'CredentialsProviderError' || /credential/i.test(e.message ?? ''))) {
    return new AccessDeniedError(key, `no usable AWS credentials: ${e.message ?? name}`, options);
  }
  return new UnexpectedStorageError(key, `S3 request failed (${detail})`, options);
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

function isNetworkFailure(e: { name?: string; code?: string; message?: string }): boolean {
  return (
    (e.code !== undefined && NETWORK_CODES.has(e.code)) ||
    e.name === 'TimeoutError' ||
    e.name === 'RequestTimeout' ||
    e.name === 'AbortError' ||
    /socket hang up|ECONNRESET|EPIPE|timed? ?out|premature close|aborted/i.test(e.message ?? '')
  );
}

function totalSize(contentRange: string | undefined): number | undefined {
  const match = contentRange === undefined ? null : /\/(\d+)$/.exec(contentRange);
  return match === null ? undefined : Number(match[1]);
}

/** Re-chunks a byte stream into parts of exactly `partSize` bytes (the last may be smaller). */
async function* partsOf(body: AsyncIterable<Uint8Array>, partSize: number): AsyncGenerator<Uint8Array> {
  let buffer = new Uint8Array(partSize);
  let filled = 0;
  for await (const chunk of body) {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(partSize - filled, chunk.length - offset);
      buffer.set(chunk.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === partSize) {
        yield buffer;
        buffer = new Uint8Array(partSize);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield buffer.subarray(0, filled);
}

