/**
 * `lake create/append/overwrite/delete/update/merge/checkpoint` from a terminal's point of view: CSV and JSON-lines inputs,
 * table creation on first write, results as JSON, and one-line errors that commit nothing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

class Output {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lake-cli-write-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function lake(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Output();
  const stderr = new Output();
  const code = await main(argv, { stdout, stderr, env: { LAKE_WAREHOUSE: join(dir, 'warehouse') }, cwd: dir });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

async function rows(table: string): Promise<Record<string, unknown>[]> {
  const { stdout } = await lake('scan', table);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .sort((a, b) => Number(a.id) - Number(b.id));
}

describe('lake create, append, overwrite, delete, update, merge, checkpoint', () => {
  it('creates a partitioned table from CSV, appends JSON lines, then deletes, updates and merges', async () => {
    await writeFile(join(dir, 'orders.csv'), 'id,day,amount\n1,2024-01-01,10.5\n2,2024-01-02,20\n3,2024-01-01,30\n');
    const created = await lake('append', 'shop.orders', join(dir, 'orders.csv'), '--partition-by', 'day', '--json');
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ version: 1, metrics: { numOutputRows: 3, numFiles: 2 } });
    expect(created.stderr).toMatch(/created Delta table shop\.orders\n(.*\n)*wrote 2 files, 3 rows/); // progress on stderr

    // JSON lines with an integer amount: cast to the table's type by name.
    await writeFile(join(dir, 'more.jsonl'), '{"id": 4, "day": "2024-01-03", "amount": 40}\n');
    expect((await lake('append', 'shop.orders', join(dir, 'more.jsonl'))).code).toBe(0);
    expect((await rows('shop.orders')).map((r) => r.id)).toEqual([1, 2, 3, 4]);

    const deleted = await lake('delete', 'shop.orders', '--where', "day = '2024-01-02'", '--json');
    expect(JSON.parse(deleted.stdout)).toMatchObject({ metrics: { numDeletedRows: 1 } });

    const updated = await lake('update', 'shop.orders', '--set', 'amount=amount * 2', '--where', 'id = 1', '--json');
    expect(JSON.parse(updated.stdout)).toMatchObject({ metrics: { numUpdatedRows: 1 } });

    await writeFile(join(dir, 'changes.csv'), 'id,day,amount\n3,2024-01-01,33\n5,2024-01-05,50\n');
    const merged = await lake('merge', 'shop.orders', join(dir, 'changes.csv'), '--on', 't.id = s.id', '--when-matched', 'update-all', '--when-not-matched', 'insert-all', '--json');
    expect(merged.code, merged.stderr).toBe(0);
    expect(JSON.parse(merged.stdout)).toMatchObject({ metrics: { numTargetRowsInserted: 1, numTargetRowsUpdated: 1 } });

    await writeFile(join(dir, 'bump.csv'), 'id\n4\n');
    const bumped = await lake('merge', 'shop.orders', join(dir, 'bump.csv'), '--on', 't.id = s.id', '--when-matched', "update:amount = t.amount + 1, day = DATE '2024-02-01'");
    expect(bumped.code, bumped.stderr).toBe(0);

    const final = await rows('shop.orders');
    expect(final.map((r) => [r.id, r.day, r.amount])).toEqual([
      [1, '2024-01-01', 21],
      [3, '2024-01-01', 33],
      [4, '2024-02-01', 41],
      [5, '2024-01-05', 50],
    ]);
    const history = JSON.parse((await lake('history', 'shop.orders', '--json')).stdout) as { operation: string }[];
    expect(history.map((h) => h.operation)).toEqual(['MERGE', 'MERGE', 'UPDATE', 'DELETE', 'WRITE', 'WRITE', 'CREATE TABLE']);

    await writeFile(join(dir, 'late.csv'), 'id,day,amount\n6,2024-01-06,60\n');
    const overwritten = await lake('overwrite', 'shop.orders', join(dir, 'late.csv'), '--where', "day >= '2024-01-05'", '--json');
    expect(overwritten.code, overwritten.stderr).toBe(0);
    expect((await rows('shop.orders')).map((r) => r.id)).toEqual([1, 3, 6]); // 4 (moved to February) and 5 were in the range
    const outside = await lake('overwrite', 'shop.orders', join(dir, 'changes.csv'), '--where', "day >= '2024-01-05'");
    expect(outside.stderr).toMatch(/does not satisfy replaceWhere/);
    const checkpoint = await lake('checkpoint', 'shop.orders', '--json');
    expect(JSON.parse(checkpoint.stdout)).toMatchObject({ version: 7, files: 2 });
  });

  it('create takes column definitions or the Delta schema JSON, and properties', async () => {
    const made = await lake('create', 'shop.items', '--schema', 'id bigint not null, name string, price decimal(10,2), at timestamp', '--partition-by', 'name', '--property', 'delta.enableDeletionVectors=true', '--json');
    expect(made.code, made.stderr).toBe(0);
    const info = JSON.parse((await lake('info', 'shop.items', '--json')).stdout) as { schema: { fields: { name: string; type: string; nullable: boolean }[] }; protocol: { readerFeatures?: string[] }; metadata: { partitionColumns: string[] } };
    expect(info.schema.fields.map((f) => [f.name, f.type, f.nullable])).toEqual([
      ['id', 'long', false],
      ['name', 'string', true],
      ['price', 'decimal(10,2)', true],
      ['at', 'timestamp', true],
    ]);
    expect(info.metadata.partitionColumns).toEqual(['name']);
    expect(info.protocol.readerFeatures).toEqual(['deletionVectors']);
    const again = await lake('create', 'shop.items', '--schema', 'id long');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
    const bad = await lake('create', 'shop.other', '--schema', 'id lnog');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/column id has type lnog, which is not a Delta type/);
  });

  it('bad input: one line, exit code, nothing committed', async () => {
    await writeFile(join(dir, 'a.csv'), 'id,name\n1,x\n');
    expect((await lake('append', 'bad', join(dir, 'a.csv'))).code).toBe(0);
    await writeFile(join(dir, 'b.csv'), 'id,name\nnot-a-number,y\n');
    const cast = await lake('append', 'bad', join(dir, 'b.csv'));
    expect(cast.code).toBe(1);
    expect(cast.stderr.trim().split('\n')).toHaveLength(1);
    const usage = await lake('delete', 'bad');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--where SQL, or --all/);
    const history = JSON.parse((await lake('history', 'bad', '--json')).stdout) as unknown[];
    expect(history).toHaveLength(2);
  });
});
