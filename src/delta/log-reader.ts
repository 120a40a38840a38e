/**
 * Reading actions out of log files: JSON commits (one action per line), checkpoints in Parquet
 * (one action per row, each action a struct column) or JSON (v2), and v2 checkpoint sidecars.
 */
import { Vector, type Table } from 'apache-arrow';
import { LakeError } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';
import { readParquet } from '../engine/parquet.js';
import type { Action } from './actions.js';
import { SIDECAR_DIR, type CheckpointFile } from './log-files.js';

/** The action columns of a checkpoint that state reconstruction reads. */
const CHECKPOINT_ACTIONS = ['protocol', 'metaData', 'txn', 'domainMetadata', 'add', 'remove', 'checkpointMetadata', 'sidecar'] as const;

/** Parses a commit (or JSON checkpoint) file; errors name the file and line. */
export function parseJsonActions(bytes: Uint8Array, key: string, errorCode = 'CORRUPT_LOG'): Action[] {
  const text = new TextDecoder().decode(bytes);
  const actions: Action[] = [];
  let lineNumber = 0;
  for (const line of text.split('\n')) {
    lineNumber++;
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new LakeError(errorCode, `${key} line ${lineNumber} is not valid JSON (${(error as Error).message}): the Delta log is corrupt`, {
        path: key,
        cause: error,
      });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new LakeError(errorCode, `${key} line ${lineNumber} is not a JSON object: the Delta log is corrupt`, { path: key });
    }
    actions.push(parsed as Action);
  }
  return actions;
}

export async function readCommitActions(store: ObjectStore, key: string): Promise<Action[]> {
  return parseJsonActions((await store.get(key)).bytes, key);
}

/**
 * All actions of a checkpoint: every part of a multi-part one, and the sidecars a v2 checkpoint
 * references. Errors are CORRUPT_CHECKPOINT naming the file.
 */
export async function readCheckpointActions(store: ObjectStore, files: readonly CheckpointFile[]): Promise<Action[]> {
  const actions: Action[] = [];
  for (const file of files) {
    const bytes = (await store.get(file.key)).bytes;
    const partActions =
      file.naming === 'uuid' && file.format === 'json'
        ? parseJsonActions(bytes, file.key, 'CORRUPT_CHECKPOINT')
        : parquetActions(bytes, file.key);
    for (const action of partActions) {
      if (action.sidecar !== undefined) {
        const sidecar = action.sidecar as { path: string };
        const key = sidecarKey(sidecar.path);
        actions.push(...parquetActions((await store.get(key)).bytes, key));
      } else {
        actions.push(action);
      }
    }
  }
  return actions;
}

/** Sidecars live in `_delta_log/_sidecars/`; the action holds a URI-encoded name or full path. */
function sidecarKey(path: string): string {
  const name = decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
  return `${SIDECAR_DIR}${name}`;
}

function parquetActions(bytes: Uint8Array, key: string): Action[] {
  let table: Table;
  try {
    table = readParquet(bytes);
  } catch (error) {
    throw new LakeError(
      'CORRUPT_CHECKPOINT',
      `checkpoint file ${key} cannot be read as Parquet (${(error as Error).message ?? String(error)}): it is truncated or corrupt`,
      { path: key, cause: error },
    );
  }
  const columns = CHECKPOINT_ACTIONS.flatMap((name) => {
    const vector = table.getChild(name);
    return vector === null ? [] : [{ name, vector }];
  });
  const actions: Action[] = [];
  for (let row = 0; row < table.numRows; row++) {
    for (const { name, vector } of columns) {
      if (!vector.isValid(row)) continue;
      actions.push({ [name]: withoutNullFields(plain(vector.get(row))) } as Action);
    }
  }
  return actions;
}

/**
 * Arrow values as plain JavaScript, the shape JSON commits parse to: structs and maps become
 * objects, lists arrays, 64-bit integers numbers (sizes, times and versions are far below 2^53).
 */
function plain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Uint8Array) return value;
  if (value instanceof Vector) return Array.from(value as Iterable<unknown>, plain);
  if (typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    const json = (value as { toJSON(): unknown }).toJSON();
    if (Array.isArray(json)) return json.map(plain);
    if (json !== null && typeof json === 'object') {
      return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, plain(v)]));
    }
    return json;
  }
  return value;
}

/** A Parquet struct has every field, null where a JSON action would omit it. */
function withoutNullFields(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null));
}
