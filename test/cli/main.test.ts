import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { describeChain, reportError } from '../../src/cli/report.js';
import { LakeError, UsageError } from '../../src/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lake-main-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

class Buffer {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  get lines(): string[] {
    return this.text.split('\n').filter((line) => line !== '');
  }
}

async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: Buffer; stderr: Buffer }> {
  const stdout = new Buffer();
  const stderr = new Buffer();
  const code = await main(argv, { stdout, stderr, env, cwd: dir });
  return { code, stdout, stderr };
}

async function touch(key: string): Promise<void> {
  const file = path.join(dir, key);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, '{}');
}

/** A valid Iceberg v2 table without snapshots at `table` (one metadata file). */
async function icebergTable(table: string): Promise<void> {
  const file = path.join(dir, table, 'metadata', 'v1.metadata.json');
  await mkdir(path.dirname(file), { recursive: true });
  const metadata = {
    'format-version': 2,
    'table-uuid': '9c12d441-03fe-4693-9a96-a0705ddf69c1',
    location: path.join(dir, table),
    'last-sequence-number': 0,
    'last-updated-ms': 0,
    'last-column-id': 1,
    'current-schema-id': 0,
    schemas: [{ type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: false, type: 'long' }] }],
    'default-spec-id': 0,
    'partition-specs': [{ 'spec-id': 0, fields: [] }],
    'last-partition-id': 999,
    'default-sort-order-id': 0,
    'sort-orders': [{ 'order-id': 0, fields: [] }],
  };
  await writeFile(file, JSON.stringify(metadata));
}

async function writeCommit(table: string, version: number, actions: object[]): Promise<void> {
  const file = path.join(dir, table, '_delta_log', `${String(version).padStart(20, '0')}.json`);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, actions.map((a) => JSON.stringify(a)).join('\n'));
}

describe('lake --version / --help', () => {
  it('prints the version from package.json', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const { code, stdout, stderr } = await run(['--version']);
    expect(code).toBe(0);
    expect(stdout.text).toBe(`${pkg.version}\n`);
    expect(stderr.text).toBe('');
  });

  it('lists the global options and commands', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    for (const option of ['--config <file>', '--json', '--quiet', '--verbose', '--version', '--help']) expect(stdout.text).toContain(option);
    expect(stdout.text).toContain('info [options] <table>');
    expect(stdout.text).toContain('LAKE_WAREHOUSE');
  });

  it('shows global options in command help', async () => {
    const { code, stdout } = await run(['info', '--help']);
    expect(code).toBe(0);
    expect(stdout.text).toContain('--format <format>');
    expect(stdout.text).toContain('Global Options:');
    expect(stdout.text).toContain('--json');
  });

  it('shows help on stderr and exits 2 without a command', async () => {
    const { code, stdout, stderr } = await run([]);
    expect(code).toBe(2);
    expect(stdout.text).toBe('');
    expect(stderr.text).toContain('Usage: lake');
  });
});

describe('usage errors exit 2 with one line', () => {
  it.each([
    [['--bogus'], "lake: unknown option '--bogus' (see lake --help)"],
    [['info', 'x', '--bogus'], "lake: unknown option '--bogus' (see lake info --help)"],
    [['info'], "lake: missing required argument 'table' (see lake info --help)"],
    [['frobnicate'], "lake: unknown command 'frobnicate' (see lake --help)"],
    [['info', 'x', '--format', 'parquet'], "lake: option '--format <format>' argument 'parquet' is invalid. Allowed choices are delta, iceberg. (see lake info --help)"],
    [['--quiet', '--verbose', 'info', 'x'], "lake: option '-q, --quiet' cannot be used with option '-v, --verbose' (see lake info --help)"],
  ])('%j', async (argv, line) => {
    const { code, stdout, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stdout.text).toBe('');
    expect(stderr.lines).toEqual([line]);
  });

  it('suggests near-miss commands on the same line', async () => {
    const { code, stderr } = await run(['inf']);
    expect(code).toBe(2);
    expect(stderr.lines).toEqual(["lake: unknown command 'inf' (Did you mean info?) (see lake --help)"]);
  });

  it('exits 2 for a bad location and for config errors', async () => {
    expect((await run(['info', 'ftp://host/t'])).code).toBe(2);
    const missing = await run(['--config', 'missing.json', 'info', 't']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.lines).toEqual([`lake: config file ${path.join(dir, 'missing.json')} does not exist: check the --config path`]);
    await writeFile(path.join(dir, 'lake.config.json'), '{"warehouse": 1}');
    const invalid = await run(['info', 't']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr.lines).toEqual([
      `lake: ${path.join(dir, 'lake.config.json')}: field "warehouse" must be a non-empty string (an S3 URL or a path), got number 1`,
    ]);
  });
});

describe('lake info', () => {
  it('prints what a Delta table is: format, location, version, protocol, files', async () => {
    await writeCommit('tables/orders', 0, [
      { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
      { metaData: { id: 'x', format: { provider: 'parquet', options: {} }, schemaString: '{"type":"struct","fields":[]}', partitionColumns: [], configuration: {} } },
      { add: { path: 'a.parquet', partitionValues: {}, size: 10, modificationTime: 0, dataChange: true, stats: '{"numRecords":3}' } },
    ]);
    const { code, stdout, stderr } = await run(['info', './tables/orders']);
    expect(code).toBe(0);
    expect(stdout.text).toContain('format:     delta\n');
    expect(stdout.text).toContain(`location:   ${path.join(dir, 'tables/orders')}\n`);
    expect(stdout.text).toMatch(/version: +0 \(/);
    expect(stdout.text).toContain('files:      1 (10 bytes)');
    expect(stdout.text).toContain('rows:       3');
    expect(stderr.text).toBe('');
  });

  it('says in one line when a Delta log is corrupt', async () => {
    await touch('tables/broken/_delta_log/00000000000000000000.json'); // '{}': no protocol
    const { code, stdout, stderr } = await run(['info', './tables/broken']);
    expect(code).toBe(1);
    expect(stdout.text).toBe('');
    expect(stderr.lines).toHaveLength(1);
    expect(stderr.text).toMatch(/^lake: Delta table .* at version 0 has no protocol action/);
  });

  it('prints JSON with --json, before or after the command', async () => {
    await icebergTable('warehouse/db/events');
    for (const argv of [['--json', 'info', 'db.events'], ['info', 'db.events', '--json']]) {
      const { code, stdout } = await run(argv);
      expect(code).toBe(0);
      expect(JSON.parse(stdout.text)).toMatchObject({ format: 'iceberg', location: path.join(dir, 'warehouse/db/events'), formatVersion: 2, snapshotId: null, numFiles: 0 });
    }
  });

  it('resolves names against LAKE_WAREHOUSE and honours --format', async () => {
    await touch('wh/t/_delta_log/00000000000000000000.json');
    await icebergTable('wh/t');
    const ambiguous = await run(['info', 't'], { LAKE_WAREHOUSE: path.join(dir, 'wh') });
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr.lines).toHaveLength(1);
    expect(ambiguous.stderr.text).toContain('pass --format delta or --format iceberg');
    const forced = await run(['info', 't', '--format', 'iceberg'], { LAKE_WAREHOUSE: path.join(dir, 'wh') });
    expect(forced.code).toBe(0);
    expect(forced.stdout.text).toContain('format:     iceberg (format version 2)');
  });

  it('exits 1 with one line naming the location when there is no table', async () => {
    const { code, stdout, stderr } = await run(['info', './nothing']);
    expect(code).toBe(1);
    expect(stdout.text).toBe('');
    expect(stderr.lines).toEqual([
      `lake: no Delta or Iceberg table at ${path.join(dir, 'nothing')}: found neither _delta_log/ nor metadata/*.metadata.json; check the location`,
    ]);
  });

  it('explains how a name was resolved when it finds nothing', async () => {
    const { code, stderr } = await run(['info', 'orders.delta']);
    expect(code).toBe(1);
    expect(stderr.lines).toHaveLength(1);
    expect(stderr.text).toContain(`no Delta or Iceberg table at ${path.join(dir, 'warehouse/orders/delta')}`);
    expect(stderr.text).toContain(`'orders.delta' is read as a table name in the warehouse ${path.join(dir, 'warehouse')} (the default, ./warehouse)`);
    expect(stderr.text).toContain('for a local path write ./orders.delta');
  });

  it('prints errors as one JSON line with --json', async () => {
    const { code, stderr } = await run(['--json', 'info', './nothing']);
    expect(code).toBe(1);
    expect(stderr.lines).toHaveLength(1);
    expect(JSON.parse(stderr.text)).toEqual({
      error: { code: 'TABLE_NOT_FOUND', message: expect.stringContaining(path.join(dir, 'nothing')) as unknown },
    });
  });

  it('adds diagnostics and the stack with --verbose', async () => {
    const { code, stderr } = await run(['info', 'nothing', '--verbose']);
    expect(code).toBe(1);
    expect(stderr.lines[0]).toBe(`lake: warehouse: ${path.join(dir, 'warehouse')} (the default, ./warehouse)`);
    expect(stderr.lines[1]).toBe(`lake: table nothing: ${path.join(dir, 'warehouse/nothing')}`);
    expect(stderr.lines[2]).toMatch(/^lake: no Delta or Iceberg table at /);
    expect(stderr.text).toContain('    at ');
    expect(stderr.text).toContain('caused by: LakeError: no Delta or Iceberg table');
  });

  it('never prints the configured secret', async () => {
    const secret = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCY-secret';
    const { code, stderr } = await run(['info', `ftp://host/${secret}`], { AWS_SECRET_ACCESS_KEY: secret });
    expect(code).toBe(2);
    expect(stderr.text).not.toContain(secret);
    expect(stderr.text).toContain('[REDACTED]');
  });
});

describe('reportError', () => {
  function report(error: unknown, verbose = false, secrets: string[] = []): { code: number; text: string } {
    const stderr = new Buffer();
    const code = reportError(error, { stderr, verbose, json: false, secrets });
    return { code, text: stderr.text };
  }

  it('maps UsageError to 2 and other LakeErrors to 1', () => {
    expect(report(new UsageError('bad flag'))).toEqual({ code: 2, text: 'lake: bad flag\n' });
    expect(report(new LakeError('X', 'it broke: do this'))).toEqual({ code: 1, text: 'lake: it broke: do this\n' });
  });

  it('reports other exceptions as internal errors in one line, with a hint', () => {
    expect(report(new TypeError('x is not a function\nsecond line'))).toEqual({
      code: 1,
      text: 'lake: internal error: TypeError: x is not a function second line (rerun with --verbose for details)\n',
    });
    expect(report('a string')).toEqual({ code: 1, text: 'lake: internal error: a string (rerun with --verbose for details)\n' });
  });

  it('prints the stack and cause chain with --verbose, redacted', () => {
    const root = new Error('socket closed, Signature=deadbeef');
    const error = new LakeError('STORAGE', 'failed with hunter2-password', { cause: root });
    const { code, text } = report(error, true, ['hunter2-password']);
    expect(code).toBe(1);
    expect(text.split('\n')[0]).toBe('lake: failed with [REDACTED]');
    expect(text).toContain('caused by: Error: socket closed, Signature=[REDACTED]');
    expect(text).not.toContain('hunter2-password');
    expect(text).not.toContain('deadbeef');
  });

  it('survives cause cycles', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(describeChain(a).match(/caused by/g)).toHaveLength(1);
  });
});
