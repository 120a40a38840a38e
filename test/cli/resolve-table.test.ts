import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTableName, resolveTable } from '../../src/cli/resolve-table.js';
import { loadConfig } from '../../src/config.js';
import { UsageError } from '../../src/errors.js';
import type { Location } from '../../src/storage/location.js';

const s3Warehouse = { warehouse: { scheme: 's3', bucket: 'lake', prefix: 'wh' } as Location };
const localWarehouse = { warehouse: { scheme: 'file', path: '/data/wh' } as Location };
const cwd = '/home/me/project';

describe('name or location', () => {
  it.each(['orders', 'db.orders', 'sales.eu.orders', 'Orders_2024', '_tmp', 'my-table', '2024', 'db.orders.delta'])(
    '%s is a table name',
    (argument) => expect(isTableName(argument)).toBe(true),
  );

  it.each([
    './orders',
    '../orders',
    '.hidden',
    'data/orders',
    '/abs/orders',
    's3://bucket/orders',
    'file:///tmp/orders',
    'db..orders',
    'db.',
    'db.-x',
    '-orders',
    'my table',
    'orders:1',
    '',
  ])('%j is not a table name', (argument) => expect(isTableName(argument)).toBe(false));
});

describe('resolveTable', () => {
  it('puts a bare name directly under the warehouse', () => {
    expect(resolveTable('orders', s3Warehouse, cwd)).toEqual({
      location: { scheme: 's3', bucket: 'lake', prefix: 'wh/orders' },
      argument: 'orders',
      name: ['orders'],
    });
  });

  it('maps namespace dots to directories', () => {
    expect(resolveTable('db.orders', s3Warehouse, cwd).location).toEqual({ scheme: 's3', bucket: 'lake', prefix: 'wh/db/orders' });
    expect(resolveTable('a.b.c', localWarehouse, cwd).location).toEqual({ scheme: 'file', path: '/data/wh/a/b/c' });
  });

  it('works with a bucket-root warehouse', () => {
    expect(resolveTable('db.t', { warehouse: { scheme: 's3', bucket: 'lake', prefix: '' } }, cwd).location).toEqual({
      scheme: 's3',
      bucket: 'lake',
      prefix: 'db/t',
    });
  });

  it('parses locations against the working directory, ignoring the warehouse', () => {
    expect(resolveTable('./orders', s3Warehouse, cwd)).toEqual({
      location: { scheme: 'file', path: '/home/me/project/orders' },
      argument: './orders',
      name: undefined,
    });
    expect(resolveTable('data/orders.delta', s3Warehouse, cwd).location).toEqual({ scheme: 'file', path: '/home/me/project/data/orders.delta' });
    expect(resolveTable('/abs/t', s3Warehouse, cwd).location).toEqual({ scheme: 'file', path: '/abs/t' });
    expect(resolveTable('s3a://other/x/y/', localWarehouse, cwd).location).toEqual({ scheme: 's3', bucket: 'other', prefix: 'x/y' });
    expect(resolveTable('file:///tmp/a%20b', localWarehouse, cwd).location).toEqual({ scheme: 'file', path: '/tmp/a b' });
    expect(resolveTable('my table', localWarehouse, cwd).location).toEqual({ scheme: 'file', path: '/home/me/project/my table' });
  });

  it('rejects bad locations with a usage error', () => {
    expect(() => resolveTable('gs://bucket/t', localWarehouse, cwd)).toThrow(UsageError);
    expect(() => resolveTable('', localWarehouse, cwd)).toThrow(UsageError);
  });
});

describe('resolution with loaded configuration (precedence)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lake-resolve-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function resolveIn(argument: string, env: Record<string, string>, configFile?: string): Promise<Location> {
    const config = await loadConfig({ cwd: dir, env, ...(configFile === undefined ? {} : { configFile }) });
    return resolveTable(argument, config, dir).location;
  }

  it('follows --config > LAKE_WAREHOUSE > lake.config.json > ./warehouse', async () => {
    expect(await resolveIn('db.t', {})).toEqual({ scheme: 'file', path: path.join(dir, 'warehouse/db/t') });

    await writeFile(path.join(dir, 'lake.config.json'), JSON.stringify({ warehouse: 's3://discovered/wh' }));
    expect(await resolveIn('db.t', {})).toEqual({ scheme: 's3', bucket: 'discovered', prefix: 'wh/db/t' });

    const env = { LAKE_WAREHOUSE: 's3://env-bucket' };
    expect(await resolveIn('db.t', env)).toEqual({ scheme: 's3', bucket: 'env-bucket', prefix: 'db/t' });

    await mkdir(path.join(dir, 'conf'));
    await writeFile(path.join(dir, 'conf', 'prod.json'), JSON.stringify({ warehouse: '../prod-wh' }));
    expect(await resolveIn('db.t', env, 'conf/prod.json')).toEqual({ scheme: 'file', path: path.join(dir, 'prod-wh/db/t') });
  });

  it('never applies the warehouse to locations', async () => {
    await writeFile(path.join(dir, 'lake.config.json'), JSON.stringify({ warehouse: 's3://discovered/wh' }));
    expect(await resolveIn('./db.t', { LAKE_WAREHOUSE: 's3://env' })).toEqual({ scheme: 'file', path: path.join(dir, 'db.t') });
  });
});
