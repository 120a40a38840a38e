/**
 * A property of maintenance under a controlled clock: random sequences of appends, merges,
 * updates, deletes, optimizes (bin-pack and Z-order), restores, vacuums (full and lite) and log
 * cleanups, hours to days apart. After every step, every version inside the retention windows
 * reads exactly the rows it had when it was written, and nothing outside the table directory
 * changes.
 *
 * "Inside the window": the latest version, and every version that was still current at some time
 * after the cutoff (the next version's commit time is after `now - retention`), for the deleted
 * file retention (vacuum) and the log retention (log cleanup) alike. Commit times are in-commit
 * timestamps from the controlled clock. Data files carry real modification times, earlier than
 * the controlled clock, so only what the log references protects them: the strictest setting for
 * vacuum.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanUpExpiredLogs } from '../../src/delta/log-cleanup.js';
import { MergeBuilder } from '../../src/delta/operations/merge.js';
import { optimize } from '../../src/delta/operations/optimize.js';
import { restore } from '../../src/delta/operations/restore.js';
import { updateRows } from '../../src/delta/operations/update.js';
import { vacuum } from '../../src/delta/operations/vacuum.js';
import { DeltaTable } from '../../src/delta/table.js';
import { batchRowsAsJson } from '../../src/engine/json-values.js';
import { mulberry32 } from '../support/fault-proxy.js';

const HOUR = 3_600_000;
const FILE_RETENTION = 48 * HOUR;
const LOG_RETENTION = 72 * HOUR;
const STEPS = 30;

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function rowsOf(table: DeltaTable, version: number): Promise<string> {
  const rows: string[] = [];
  for await (const batch of (await table.snapshot({ version })).scan()) for (const row of batchRowsAsJson(batch)) rows.push(JSON.stringify(row));
  return rows.sort().join('\n');
}

async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.map((e) => join(e.parentPath, e.name).slice(dir.length)).sort();
}

describe('maintenance keeps every version inside retention readable', () => {
  for (const seed of [1, 2, 3]) {
    it(`random sequence, seed ${seed}`, async () => {
      const rand = mulberry32(seed); // seeded: a failing sequence replays from its seed
      const pick = <T,>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
      const parent = await mkdtemp(join(tmpdir(), 'lake-property-'));
      dirs.push(parent);
      // Neighbours of the table: they must come out untouched.
      await writeFile(join(parent, 'outside.parquet'), 'not the table');
      await mkdir(join(parent, 't-sibling', 'p=a'), { recursive: true });
      await writeFile(join(parent, 't-sibling', 'p=a', 'part-0.parquet'), 'another table');
      const neighbours = await tree(parent);

      let now = Date.now();
      const clock = () => now;
      const table = await DeltaTable.create(join(parent, 't'), {
        schema: {
          type: 'struct',
          fields: [
            { name: 'id', type: 'long', nullable: false, metadata: {} },
            { name: 'p', type: 'string', nullable: true, metadata: {} },
            { name: 'x', type: 'double', nullable: true, metadata: {} },
          ],
        },
        partitionColumns: ['p'],
        configuration: {
          'delta.enableInCommitTimestamps': 'true',
          'delta.checkpointInterval': '4',
          'delta.deletedFileRetentionDuration': `interval ${FILE_RETENTION / HOUR} hours`,
          'delta.logRetentionDuration': `interval ${LOG_RETENTION / HOUR} hours`,
          ...(seed % 2 === 0 ? { 'delta.enableDeletionVectors': 'true' } : {}),
        },
        clock,
      });
      const written = new Map<number, { time: number; rows: string }>();
      let nextId = 0;
      const batch = (count: number, ids?: number[]) => {
        const chosen = ids ?? Array.from({ length: count }, () => nextId++);
        return tableFromArrays({
          id: BigInt64Array.from(chosen.map(BigInt)),
          p: chosen.map(() => pick(['a', 'b', 'c'])),
          x: Float64Array.from(chosen.map(() => Math.round(rand() * 1000) / 10)),
        });
      };
      const record = async (): Promise<void> => {
        const latest = await table.snapshot({ stats: false });
        for (let v = Math.max(0, ...[...written.keys()].map((k) => k + 1)); v <= latest.version; v++) {
          const snapshot = await table.snapshot({ version: v, stats: false });
          written.set(v, { time: snapshot.timestamp, rows: await rowsOf(table, v) });
        }
      };
      await record();
      const someIds = (count: number) => Array.from({ length: count }, () => Math.floor(rand() * nextId));

      let vacuumed = 0;
      let expired = 0;
      const operations: Record<string, () => Promise<unknown>> = {
        append: () => table.write(batch(1 + Math.floor(rand() * 20)), { clock }),
        merge: () => {
          const ids = [...someIds(4), nextId++];
          return new MergeBuilder(table, batch(0, [...new Set(ids)]), { predicate: 'target.id = source.id', clock }).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute();
        },
        // Conditions pruning can judge, and ones only DuckDB can (arithmetic).
        update: () => updateRows(table, { set: { x: 'x + 1' }, where: rand() < 0.5 ? `x < ${Math.floor(rand() * 30)}` : `id % 5 = ${Math.floor(rand() * 5)}`, clock }),
        delete: () => table.delete(rand() < 0.5 ? `id IN (${someIds(6).join(', ')})` : `id % 7 = ${Math.floor(rand() * 7)}`, { clock }),
        optimize: () => optimize(table, { targetFileSize: 1024 * 1024, clock, ...(rand() < 0.3 ? { zorderBy: ['id', 'x'] } : {}) }),
        restore: async () => {
          const latest = (await table.snapshot({ stats: false })).version;
          const candidates = [...written.keys()].filter((v) => v < latest && insideWindow(v));
          return candidates.length === 0 ? undefined : restore(table, { version: pick(candidates), clock });
        },
        vacuum: async () => {
          vacuumed += (await vacuum(table, { mode: pick(['full', 'lite'] as const), clock })).numFilesDeleted;
        },
        expire: async () => {
          expired += (await cleanUpExpiredLogs(table.store, (await table.snapshot({ stats: false })).metadata, { clock })).files.length;
        },
      };
      const insideWindow = (v: number, retention = FILE_RETENTION): boolean => {
        const next = written.get(v + 1);
        return next === undefined || next.time > now - retention;
      };

      const steps: string[] = [];
      const runStep = async (name: string, advance: number): Promise<void> => {
        now += advance;
        steps.push(name);
        await operations[name]!();
        await record();
        const latest = Math.max(...written.keys());
        for (const [version, { rows }] of written) {
          if (version !== latest && !(insideWindow(version, FILE_RETENTION) && insideWindow(version, LOG_RETENTION))) continue;
          const context = `seed ${seed}, after steps ${steps.join(' ')}: version ${version}`;
          expect(await rowsOf(table, version).catch((error: Error) => `unreadable: ${error.message}`), context).toBe(rows);
        }
      };
      for (let step = 0; step < STEPS; step++) await runStep(step < 3 ? 'append' : pick(Object.keys(operations)), Math.floor(rand() * 30 * HOUR));
      // Whatever the random steps were, end with maintenance past both windows, so that every
      // sequence exercises deleting files and log entries.
      for (const name of ['delete', 'optimize', 'vacuum', 'append', 'expire', 'vacuum']) await runStep(name, 40 * HOUR);
      // The sequence did exercise the maintenance it is about.
      console.log(`seed ${seed}: ${steps.join(' ')}; vacuum deleted ${vacuumed} files, log cleanup ${expired}`);
      expect(vacuumed).toBeGreaterThan(0);
      expect(expired).toBeGreaterThan(0);
      expect(await tree(parent).then((t) => t.filter((p) => !p.startsWith('/t/') && p !== '/t'))).toEqual(neighbours);
      expect(await readFile(join(parent, 'outside.parquet'), 'utf8')).toBe('not the table');
    }, 240_000);
  }
});
