/**
 * The object store over a local directory, with S3's semantics (see object-store.ts).
 *
 * Atomicity comes from the filesystem: every write goes to a hidden temporary file in the
 * target's directory and is then published in one step —
 * - unconditional put: rename(2) over the target (atomic replace);
 * - put-if-absent: link(2) to the target, which fails with EEXIST if it exists (atomic create,
 *   never replaces; the same primitive Hadoop and delta-rs use for local commits);
 * - if-match: a per-key lock file (created with O_EXCL), then compare the etag and rename.
 * A partly written file is therefore never visible under its final name.
 *
 * Names starting with `.lake-` are this store's temporary and lock files: never listed, and
 * refused as keys.
 *
 * One difference from S3 cannot be hidden: a key cannot be both an object and a prefix of
 * others (`a/b` and `a/b/c`), because `a/b` cannot be a file and a directory at once. Table
 * layouts never need that.
 */
import { randomUUID } from 'node:crypto';
import type { Stats, BigIntStats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  AccessDeniedError,
  NotFoundError,
  PreconditionFailed,
  StorageError,
  UnexpectedStorageError,
  UsageError,
} from '../errors.js';
import { checkKey } from './location.js';
import {
  clampRange,
  compareKeys,
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

const RESERVED_PREFIX = '.lake-';
/** A lock older than this is taken to belong to a crashed writer and is broken. */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 60_000;
const DELETE_CONCURRENCY = 16;

export class LocalStore implements ObjectStore {
  readonly url: string;

  /** @param root absolute directory; it need not exist until the first write. */
  constructor(readonly root: string) {
    if (!path.isAbsolute(root)) throw new UsageError(`local store root must be absolute: ${root}`);
    this.url = pathToFileURL(root).href;
  }

  async get(key: string, options: { range?: ByteRange } = {}): Promise<GetResult> {
    const file = this.fileFor(key);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (error) {
      throw mapFsError(error, key);
    }
    try {
      // Stat and read through one descriptor, so the etag belongs to the bytes even if the key is
      // replaced meanwhile (rename swaps the name, not our open file).
      const stat = await handle.stat({ bigint: true });
      if (!stat.isFile()) throw new NotFoundError(key);
      const meta = metaFrom(key, stat);
      const { start, end } = clampRange(key, options.range, meta.size);
      const bytes = new Uint8Array(end - start);
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesRead } = await handle.read(bytes, offset, bytes.length - offset, start + offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
      }
      return { bytes: offset === bytes.length ? bytes : bytes.subarray(0, offset), meta };
    } catch (error) {
      throw mapFsError(error, key);
    } finally {
      await handle.close();
    }
  }

  async head(key: string): Promise<ObjectMeta> {
    try {
      const stat = await fs.stat(this.fileFor(key), { bigint: true });
      if (!stat.isFile()) throw new NotFoundError(key);
      return metaFrom(key, stat);
    } catch (error) {
      throw mapFsError(error, key);
    }
  }

  async put(key: string, bytes: Uint8Array, condition?: PutCondition): Promise<PutResult> {
    const target = this.fileFor(key);
    const { tmp, etag } = await this.writeTemporary(key, target, async (handle) => {
      await handle.writeFile(bytes);
    });
    try {
      if (condition === undefined) {
        await fs.rename(tmp, target);
      } else if ('ifNoneMatch' in condition) {
        await linkIfAbsent(tmp, target, key);
      } else {
        await this.withKeyLock(target, key, async () => {
          const current = await statOrUndefined(target);
          if (current === undefined) throw new PreconditionFailed(key, 'the object does not exist');
          const currentEtag = etagOf(current);
          if (currentEtag !== unquote(condition.ifMatch)) {
            throw new PreconditionFailed(key, `its etag is ${currentEtag}, not ${condition.ifMatch}`);
          }
          await fs.rename(tmp, target);
        });
      }
      return { etag };
    } catch (error) {
      throw mapFsError(error, key);
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  async upload(key: string, body: AsyncIterable<Uint8Array>, options: UploadOptions = {}): Promise<PutResult> {
    const target = this.fileFor(key);
    const { tmp, etag } = await this.writeTemporary(key, target, async (handle) => {
      let sent = 0;
      for await (const chunk of body) {
        await handle.write(chunk);
        sent += chunk.length;
        options.onProgress?.(sent);
      }
    });
    try {
      await fs.rename(tmp, target);
      return { etag };
    } catch (error) {
      throw mapFsError(error, key);
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectMeta> {
    checkPrefix(prefix);
    const slash = prefix.lastIndexOf('/');
    const dirKey = prefix.slice(0, slash + 1); // '' or ends with '/'
    const namePrefix = prefix.slice(slash + 1);
    yield* this.walk(dirKey, namePrefix, options.startAfter);
  }

  /**
   * Yields the files below directory `dirKey` in S3 order without sorting the whole tree:
   * entries are sorted by name with '/' appended to directories, so that a directory sorts
   * exactly where its keys (`name/...`) do among its siblings.
   */
  private async *walk(dirKey: string, namePrefix: string, startAfter: string | undefined): AsyncIterable<ObjectMeta> {
    const dir = dirKey === '' ? this.root : path.join(this.root, ...dirKey.slice(0, -1).split('/'));
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw mapFsError(error, dirKey);
    }
    const candidates: { name: string; sortKey: string; isDir: boolean }[] = [];
    for (const entry of entries) {
      if (!entry.name.startsWith(namePrefix) || entry.name.startsWith(RESERVED_PREFIX)) continue;
      let isDir = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        const target = await fs.stat(path.join(dir, entry.name)).catch(() => undefined);
        if (target === undefined) continue;
        isDir = target.isDirectory();
      } else if (!isDir && !entry.isFile()) {
        continue;
      }
      candidates.push({ name: entry.name, sortKey: isDir ? `${entry.name}/` : entry.name, isDir });
    }
    candidates.sort((a, b) => compareKeys(a.sortKey, b.sortKey));
    for (const candidate of candidates) {
      const key = dirKey + candidate.sortKey;
      if (candidate.isDir) {
        // Every key below starts with `key`; skip the subtree when all of them sort before startAfter.
        if (startAfter !== undefined && compareKeys(key, startAfter) < 0 && !startAfter.startsWith(key)) continue;
        yield* this.walk(key, '', startAfter);
      } else {
        if (startAfter !== undefined && compareKeys(key, startAfter) <= 0) continue;
        const stat = await fs.stat(path.join(dir, candidate.name), { bigint: true }).catch(() => undefined);
        if (stat === undefined || !stat.isFile()) continue; // deleted while we listed
        yield metaFrom(key, stat);
      }
    }
  }

  async deleteMany(keys: readonly string[]): Promise<DeleteResult> {
    const deleted: string[] = [];
    const failed: { key: string; error: Error }[] = [];
    const parents = new Set<string>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < keys.length) {
        const key = keys[next++]!;
        try {
          const file = this.fileFor(key);
          await fs.unlink(file).catch((error: NodeJS.ErrnoException) => {
            if (error.code !== 'ENOENT' && error.code !== 'ENOTDIR') throw error;
          });
          deleted.push(key);
          parents.add(path.dirname(file));
        } catch (error) {
          failed.push({ key, error: error instanceof StorageError || error instanceof UsageError ? error : mapFsError(error, key) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, keys.length) }, worker));
    await this.pruneEmptyDirectories(parents);
    return { deleted, failed };
  }

  /**
   * S3 has no directories, so neither do we: directories emptied by a delete are removed
   * (deepest first, never the root), or vacuum would leave a tree of empty partitions behind.
   */
  private async pruneEmptyDirectories(dirs: Set<string>): Promise<void> {
    const ordered = [...dirs].sort((a, b) => b.length - a.length);
    const tried = new Set<string>();
    for (let dir of ordered) {
      while (dir.startsWith(this.root + path.sep) && !tried.has(dir)) {
        tried.add(dir);
        try {
          await fs.rmdir(dir);
        } catch {
          break; // not empty (or already gone): its parents are not empty either
        }
        dir = path.dirname(dir);
      }
    }
  }

  private fileFor(key: string): string {
    checkKey(key);
    if (key.split('/').some((segment) => segment.startsWith(RESERVED_PREFIX))) {
      throw new UsageError(`object key ${key} uses the reserved name prefix '${RESERVED_PREFIX}'`);
    }
    return path.join(this.root, ...key.split('/'));
  }

  /**
   * Writes a hidden temporary file next to `target` (same directory, so the publishing rename or
   * link stays on one filesystem) and syncs it, so a published file survives a crash.
   */
  private async writeTemporary(
    key: string,
    target: string,
    write: (handle: fs.FileHandle) => Promise<void>,
  ): Promise<{ tmp: string; etag: string }> {
    const dir = path.dirname(target);
    const tmp = path.join(dir, `${RESERVED_PREFIX}tmp-${randomUUID()}`);
    for (let attempt = 1; ; attempt++) {
      let handle: fs.FileHandle | undefined;
      try {
        await fs.mkdir(dir, { recursive: true });
        handle = await fs.open(tmp, 'wx');
        await write(handle);
        await handle.sync();
        const etag = etagOf(await handle.stat({ bigint: true }));
        return { tmp, etag };
      } catch (error) {
        await handle?.close();
        handle = undefined;
        await fs.rm(tmp, { force: true });
        // A concurrent delete may prune the directory between mkdir and open: make it again.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 5) continue;
        throw mapFsError(error, key);
      } finally {
        await handle?.close();
      }
    }
  }

  private async withKeyLock<T>(target: string, key: string, action: () => Promise<T>): Promise<T> {
    const lock = path.join(path.dirname(target), `${RESERVED_PREFIX}lock-${path.basename(target)}`);
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let wait = 2; ; wait = Math.min(wait * 2, 100)) {
      try {
        await (await fs.open(lock, 'wx')).close();
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const held = await statOrUndefined(lock);
      if (held !== undefined && Date.now() - Number(held.mtimeMs) > STALE_LOCK_MS) {
        await fs.rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new UnexpectedStorageError(
          key,
          `timed out waiting for the write lock ${lock}; if no lake process is writing, delete that file`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, wait * (0.5 + Math.random())));
    }
    try {
      return await action();
    } finally {
      await fs.rm(lock, { force: true });
    }
  }
}

async function linkIfAbsent(tmp: string, target: string, key: string): Promise<void> {
  try {
    await fs.link(tmp, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new PreconditionFailed(key, 'the object already exists');
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
      throw new UnexpectedStorageError(
        key,
        `this filesystem does not support hard links (${code}), which atomic create-if-absent needs; put the table on a local POSIX filesystem`,
        { cause: error },
      );
    }
    throw error;
  }
}

async function statOrUndefined(file: string): Promise<BigIntStats | undefined> {
  try {
    return await fs.stat(file, { bigint: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Local etags identify one written version of a file: every write publishes a new inode, and
 * the nanosecond mtime and size tell apart a later file that reuses a freed inode number.
 */
function etagOf(stat: BigIntStats | Stats): string {
  const s = stat as BigIntStats;
  return `${s.ino.toString(16)}-${s.mtimeNs.toString(16)}-${s.size.toString(16)}`;
}

function metaFrom(key: string, stat: BigIntStats): ObjectMeta {
  return { key, size: Number(stat.size), lastModified: new Date(Number(stat.mtimeMs)), etag: etagOf(stat) };
}

function checkPrefix(prefix: string): void {
  if (prefix === '') return;
  const complete = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  if (complete !== '') checkKey(complete.slice(0, -1), prefix);
  if (prefix.startsWith('/')) throw new UsageError(`list prefix ${prefix} must be relative (no leading '/')`);
}

function mapFsError(error: unknown, key: string): Error {
  if (error instanceof StorageError || error instanceof UsageError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
    case 'EISDIR':
      return new NotFoundError(key, { cause: error });
    case 'EACCES':
    case 'EPERM':
      return new AccessDeniedError(key, code, { cause: error });
    default:
      return new UnexpectedStorageError(key, `local filesystem error: ${(error as Error).message}`, { cause: error });
  }
}
