/**
 * Writing commits: a version's actions as newline-delimited JSON in `_delta_log/<version>.json`,
 * created only if absent (S3 conditional PUT, an atomic create locally). That put is the commit:
 * the first writer of a version wins, and a loser learns so from the store, never by a read that
 * may race.
 */
import { PreconditionFailed } from '../errors.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { Action } from './actions.js';
import { commitKey } from './log-files.js';

/** The JSON lines of a commit; actions keep their order (commitInfo first, as ICT requires). */
export function serializeActions(actions: readonly Action[]): Uint8Array {
  return new TextEncoder().encode(actions.map((action) => JSON.stringify(action)).join('\n') + '\n');
}

/** Writes version `version`; false when another writer already committed it. */
export async function tryCommit(store: ObjectStore, version: number, actions: readonly Action[]): Promise<boolean> {
  try {
    await store.put(commitKey(version), serializeActions(actions), { ifNoneMatch: '*' });
    return true;
  } catch (error) {
    if (error instanceof PreconditionFailed) return false;
    throw error;
  }
}
