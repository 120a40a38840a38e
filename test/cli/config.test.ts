import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findConfigFile, loadConfig, parseConfig, readConfigFile, storeOptions } from '../../src/config.js';
import { UsageError } from '../../src/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lake-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(where: string, content: unknown): Promise<string> {
  await mkdir(where, { recursive: true });
  const file = path.join(where, 'lake.config.json');
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('config discovery', () => {
  it('finds lake.config.json in the working directory or the nearest parent', async () => {
    const top = await writeConfig(dir, { warehouse: './top' });
    const deep = path.join(dir, 'a', 'b', 'c');
    await mkdir(deep, { recursive: true });
    expect(await findConfigFile(deep)).toBe(top);
    const middle = await writeConfig(path.join(dir, 'a'), { warehouse: './middle' });
    expect(await findConfigFile(deep)).toBe(middle);
    expect(await findConfigFile(path.join(dir, 'a'))).toBe(middle);
  });

  it('finds nothing when no directory up to the root has one', async () => {
    // tmpdir() and its parents are assumed not to hold a lake.config.json.
    expect(await findConfigFile(dir)).toBeUndefined();
  });

  it('resolves a relative warehouse against the config file, not the working directory', async () => {
    await writeConfig(dir, { warehouse: './wh' });
    const cwd = path.join(dir, 'sub', 'dir');
    await mkdir(cwd, { recursive: true });
    const config = await loadConfig({ cwd, env: {} });
    expect(config.warehouse).toEqual({ scheme: 'file', path: path.join(dir, 'wh') });
    expect(config.file).toBe(path.join(dir, 'lake.config.json'));
    expect(config.warehouseSource).toBe(path.join(dir, 'lake.config.json'));
  });

  it('reads S3 warehouses and settings', async () => {
    await writeConfig(dir, {
      warehouse: 's3://bucket/some/prefix/',
      s3: { endpoint: 'http://localhost:9000', region: 'us-east-1', forcePathStyle: true },
    });
    const config = await loadConfig({ cwd: dir, env: {} });
    expect(config.warehouse).toEqual({ scheme: 's3', bucket: 'bucket', prefix: 'some/prefix' });
    expect(config.s3).toEqual({ endpoint: 'http://localhost:9000', region: 'us-east-1', forcePathStyle: true });
    const env = { AWS_REGION: 'eu-west-1' };
    expect(storeOptions(config, env)).toEqual({ s3: config.s3, env });
  });
});

describe('warehouse precedence: --config > LAKE_WAREHOUSE > discovered file > ./warehouse', () => {
  it('defaults to ./warehouse in the working directory', async () => {
    const config = await loadConfig({ cwd: dir, env: {} });
    expect(config.warehouse).toEqual({ scheme: 'file', path: path.join(dir, 'warehouse') });
    expect(config.warehouseSource).toBe('default');
    expect(config.file).toBeUndefined();
  });

  it('uses a discovered file over the default', async () => {
    await writeConfig(dir, { warehouse: 's3://discovered' });
    expect((await loadConfig({ cwd: dir, env: {} })).warehouse).toEqual({ scheme: 's3', bucket: 'discovered', prefix: '' });
  });

  it('lets LAKE_WAREHOUSE override a discovered file’s warehouse but keeps its S3 settings', async () => {
    await writeConfig(dir, { warehouse: 's3://discovered', s3: { region: 'eu-central-1' } });
    const config = await loadConfig({ cwd: dir, env: { LAKE_WAREHOUSE: 's3://from-env/wh' } });
    expect(config.warehouse).toEqual({ scheme: 's3', bucket: 'from-env', prefix: 'wh' });
    expect(config.warehouseSource).toBe('LAKE_WAREHOUSE');
    expect(config.s3).toEqual({ region: 'eu-central-1' });
  });

  it('resolves a relative LAKE_WAREHOUSE against the working directory; empty counts as unset', async () => {
    expect((await loadConfig({ cwd: dir, env: { LAKE_WAREHOUSE: 'data' } })).warehouse).toEqual({
      scheme: 'file',
      path: path.join(dir, 'data'),
    });
    expect((await loadConfig({ cwd: dir, env: { LAKE_WAREHOUSE: '' } })).warehouseSource).toBe('default');
  });

  it('lets an explicit config file win over LAKE_WAREHOUSE and discovery', async () => {
    await writeConfig(dir, { warehouse: 's3://discovered' });
    const explicit = await writeConfig(path.join(dir, 'other'), { warehouse: './explicit-wh' });
    const config = await loadConfig({ cwd: dir, env: { LAKE_WAREHOUSE: 's3://from-env' }, configFile: 'other/lake.config.json' });
    expect(config.warehouse).toEqual({ scheme: 'file', path: path.join(dir, 'other', 'explicit-wh') });
    expect(config.file).toBe(explicit);
  });

  it('reports a bad LAKE_WAREHOUSE naming the variable', async () => {
    await expect(loadConfig({ cwd: dir, env: { LAKE_WAREHOUSE: 'ftp://x/y' } })).rejects.toThrow(/^LAKE_WAREHOUSE: unsupported location scheme 'ftp:'/);
  });

  it('reports a missing explicit config file as a usage error', async () => {
    const error = await loadConfig({ cwd: dir, env: {}, configFile: 'nope.json' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(`config file ${path.join(dir, 'nope.json')} does not exist: check the --config path`);
  });

  it('reports an invalid discovered file even when LAKE_WAREHOUSE is set (its S3 settings would apply)', async () => {
    await writeConfig(dir, '{ nope');
    await expect(loadConfig({ cwd: dir, env: { LAKE_WAREHOUSE: 's3://b' } })).rejects.toThrow(/lake\.config\.json: not valid JSON/);
  });
});

describe('config validation', () => {
  const file = '/etc/lake/lake.config.json';
  const invalid: [string, unknown, string][] = [
    ['bad JSON', '{"warehouse": ', 'not valid JSON'],
    ['not an object', '[]', 'expected a JSON object such as {"warehouse": "s3://bucket/prefix"}, got an array'],
    ['missing warehouse', {}, 'missing field "warehouse"'],
    ['non-string warehouse', { warehouse: 3 }, 'field "warehouse" must be a non-empty string (an S3 URL or a path), got number 3'],
    ['empty warehouse', { warehouse: ' ' }, 'field "warehouse" must be a non-empty string'],
    ['bad warehouse URL', { warehouse: 'gs://bucket' }, `field "warehouse": unsupported location scheme 'gs:'`],
    ['unknown field', { warehouse: 'x', warehose: 'y' }, 'unknown field "warehose": the fields are "warehouse" and "s3"'],
    ['s3 not an object', { warehouse: 'x', s3: 'http://x' }, 'field "s3" must be an object, got "http://x"'],
    ['bad endpoint', { warehouse: 'x', s3: { endpoint: 'localhost:9000' } }, 'field "s3.endpoint" must be an http:// or https:// URL'],
    ['non-string endpoint', { warehouse: 'x', s3: { endpoint: 9000 } }, 'field "s3.endpoint" must be a string URL, got number 9000'],
    ['empty region', { warehouse: 'x', s3: { region: '' } }, 'field "s3.region" must be a non-empty string'],
    ['string forcePathStyle', { warehouse: 'x', s3: { forcePathStyle: 'true' } }, 'field "s3.forcePathStyle" must be true or false, got "true"'],
    ['unknown s3 field', { warehouse: 'x', s3: { bucket: 'b' } }, 'unknown field "s3.bucket"'],
    ['credentials', { warehouse: 'x', s3: { secretAccessKey: 'shh' } }, 'credentials do not go in the config file'],
  ];
  for (const [name, content, message] of invalid) {
    it(`rejects ${name}, naming the file and field`, () => {
      const text = typeof content === 'string' ? content : JSON.stringify(content);
      let error: unknown;
      try {
        parseConfig(text, file);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message.startsWith(`${file}: `)).toBe(true);
      expect((error as Error).message).toContain(message);
      expect((error as Error).message).not.toContain('\n');
    });
  }

  it('never echoes a secret value it rejects', () => {
    expect(() => parseConfig(JSON.stringify({ warehouse: 'x', s3: { secretAccessKey: 'shh-very-secret' } }), file)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('shh-very-secret') }),
    );
  });

  it('accepts a minimal file', () => {
    expect(parseConfig('{"warehouse": "/data/wh"}', file)).toEqual({
      file,
      warehouse: { scheme: 'file', path: '/data/wh' },
      s3: {},
    });
  });

  it('names an unreadable file', async () => {
    await expect(readConfigFile(dir)).rejects.toThrow(`config file ${dir} is a directory`);
  });
});
