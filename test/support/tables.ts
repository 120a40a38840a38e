/** What table tests share: temporary directories removed after the file's tests, rows read back, files listed. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { DeltaTable } from '../../src/delta/table.js';
import { batchRowsAsJson, type JsonValue } from '../../src/engine/json-values.js';

/** A maker of fresh temporary directories (`<tmp>/<prefix>…`), all removed after the calling test file. */
export function tempDirs(prefix: string): () => Promise<string> {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}

/** A table version's rows (the exact JSON encoding), sorted by their `id` column. */
export async function rowsById(table: DeltaTable, version?: number): Promise<Record<string, JsonValue>[]> {
  const rows: Record<string, JsonValue>[] = [];
  const snapshot = await table.snapshot(version === undefined ? {} : { version });
  for await (const batch of snapshot.scan()) rows.push(...batchRowsAsJson(batch));
  return rows.sort((a, b) => Number(a.id) - Number(b.id));
}

/** Every file under `dir` (absolute paths). */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}
