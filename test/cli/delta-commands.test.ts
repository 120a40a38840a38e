/**
 * `lake info/files/history/scan` on real Delta tables (the DAT cases of the conformance corpus):
 * the JSON shapes are a contract, and what they print must agree with the library.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { filesMatching } from '../../src/delta/file-pruning.js';
import { DeltaTable } from '../../src/delta/table.js';
import { batchRowsAsJson } from '../../src/engine/json-values.js';
import { readParquet } from '../../src/engine/parquet.js';
import { findConformanceDir } from '../conformance/delta-cases.js';

class Output {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

async function lake(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Output();
  const stderr = new Output();
  const code = await main(argv, { stdout, stderr, env: {}, cwd: process.cwd() });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const found = await findConformanceDir();
if (!found.found && process.env.CI === 'true') throw new Error(`conformance data not found (looked in ${found.looked.join(', ')})`);
const dat = found.found ? join(found.dir, 'delta', 'dat') : '';
const describeWithData = found.found ? describe : describe.skip;

describeWithData('lake commands on Delta tables', () => {
  const partitioned = join(dat, 'basic_partitioned', 'delta');
  const appended = join(dat, 'basic_append', 'delta');

  it('info --json has the documented shape and the library figures', async () => {
    const { code, stdout } = await lake('info', partitioned, '--json');
    expect(code).toBe(0);
    const info = JSON.parse(stdout) as Record<string, unknown>;
    expect(Object.keys(info).sort()).toEqual(
      ['format', 'location', 'version', 'timestamp', 'protocol', 'metadata', 'schema', 'numFiles', 'sizeBytes', 'numRecords'].sort(),
    );
    const snapshot = await (await DeltaTable.open(partitioned)).snapshot();
    expect(info).toMatchObject({ format: 'delta', version: snapshot.version, numFiles: snapshot.files.length });
    expect(Object.keys(info.metadata as object).sort()).toEqual(['configuration', 'createdTime', 'description', 'id', 'name', 'partitionColumns']);
    expect((info.metadata as { partitionColumns: string[] }).partitionColumns).toEqual(snapshot.metadata.partitionColumns);
  });

  it('files --json lists every live file with decoded relative paths', async () => {
    const { code, stdout } = await lake('files', partitioned, '--json');
    expect(code).toBe(0);
    const files = JSON.parse(stdout) as { path: string; partitionValues: Record<string, string | null> }[];
    const snapshot = await (await DeltaTable.open(partitioned)).snapshot();
    expect(files).toHaveLength(snapshot.files.length);
    for (const file of files) {
      expect(Object.keys(file).sort()).toEqual(['deletionVector', 'modificationTime', 'numRecords', 'partitionValues', 'path', 'size']);
      expect(file.path).not.toMatch(/^(file:|\/)/);
      expect(file.path).not.toMatch(/%[0-9A-F]{2}/);
    }
    expect(files.map((f) => f.path)).toEqual([...files.map((f) => f.path)].sort());
  });

  it('files --where (partitions pruned while the log is read) lists what pruning the full snapshot gives', async () => {
    const snapshot = await (await DeltaTable.open(partitioned)).snapshot();
    const letters = [...new Set(snapshot.files.map((f) => f.partitionValues.letter))].filter((l) => typeof l === 'string');
    expect(letters.length).toBeGreaterThan(1);
    const where = `letter = '${letters[0]}'`;
    const { code, stdout } = await lake('files', partitioned, '--where', where, '--json');
    expect(code).toBe(0);
    const listed = (JSON.parse(stdout) as { path: string }[]).map((f) => f.path);
    const expected = (await filesMatching(snapshot, where)).map((f) => decodeURIComponent(f.path)).sort();
    expect(listed).toEqual(expected);
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.length).toBeLessThan(snapshot.files.length);
  });

  it('scan --format parquet writes the rows scan prints as JSON lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lake-scan-'));
    try {
      const output = join(dir, 'rows.parquet');
      const written = await lake('scan', partitioned, '--format', 'parquet', '--output', output);
      expect(written.code).toBe(0);
      const fromParquet = readParquet(new Uint8Array(await readFile(output)));
      const rows = fromParquet.batches.flatMap((batch) => [...batchRowsAsJson(batch)]).map((row) => JSON.stringify(row));
      const jsonl = (await lake('scan', partitioned)).stdout.split('\n').filter(Boolean);
      expect(rows.sort()).toEqual(jsonl.sort());
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('history --json is newest first and honours --limit', async () => {
    const all = JSON.parse((await lake('history', appended, '--json')).stdout) as { version: number; timestamp: number; operation?: string }[];
    expect(all.map((e) => e.version)).toEqual([...all.map((e) => e.version)].sort((a, b) => b - a));
    expect(all.every((e) => typeof e.timestamp === 'number')).toBe(true);
    const one = JSON.parse((await lake('history', appended, '--json', '--limit', '1')).stdout) as unknown[];
    expect(one).toEqual(all.slice(0, 1));
  });

  it('scan prints JSON lines, time-travels with --as-of, and writes CSV with chosen columns', async () => {
    const table = await DeltaTable.open(appended);
    const count = async (version?: number) => {
      let rows = 0;
      for await (const batch of (await table.snapshot(version === undefined ? {} : { version })).scan()) rows += batch.numRows;
      return rows;
    };
    const latest = await lake('scan', appended);
    expect(latest.code).toBe(0);
    const lines = latest.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(await count());
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    const first = await lake('scan', appended, '--as-of', '0');
    expect(first.stdout.split('\n').filter(Boolean)).toHaveLength(await count(0));
    const columns = (await table.snapshot()).schema.fields.map((f) => f.name).slice(0, 2);
    const csv = await lake('scan', appended, '--format', 'csv', '--columns', columns.join(','), '--limit', '2');
    expect(csv.stdout.split('\n')[0]).toBe(columns.join(','));
    expect(csv.stdout.split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('refuses a version that does not exist with one line and exit 1', async () => {
    const { code, stderr } = await lake('info', appended, '--as-of', '999');
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/version 999 does not exist; the latest version is \d+/);
  });
});
