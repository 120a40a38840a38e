import { describe, expect, it } from 'vitest';
import { createContext } from '../../src/cli/context.js';
import type { LakeConfig } from '../../src/config.js';

const config: LakeConfig = { warehouse: { scheme: 'file', path: '/wh' }, warehouseSource: 'default', s3: {}, file: undefined };

function sinks() {
  const out = { stdout: '', stderr: '' };
  const io = {
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
    env: { AWS_SECRET_ACCESS_KEY: 'super-secret-value' },
    cwd: '/',
  };
  return { out, io };
}

describe('CliContext', () => {
  it('prints progress on stderr unless --quiet, diagnostics only with --verbose', () => {
    const normal = sinks();
    const ctx = createContext(normal.io, {}, config);
    ctx.progress('copying 3 files');
    ctx.debug('hidden');
    expect(normal.out).toEqual({ stdout: '', stderr: 'copying 3 files\n' });

    const quiet = sinks();
    const quietCtx = createContext(quiet.io, { quiet: true }, config);
    quietCtx.progress('copying 3 files');
    quietCtx.result({ a: 1 }, () => 'a = 1');
    expect(quiet.out).toEqual({ stdout: 'a = 1\n', stderr: '' });

    const verbose = sinks();
    createContext(verbose.io, { verbose: true }, config).debug('endpoint with super-secret-value');
    expect(verbose.out.stderr).toBe('lake: endpoint with [REDACTED]\n');
  });

  it('prints results as text, or as one JSON line with --json', () => {
    const text = sinks();
    createContext(text.io, {}, config).result({ format: 'delta' }, () => 'format: delta');
    expect(text.out.stdout).toBe('format: delta\n');
    const json = sinks();
    createContext(json.io, { json: true }, config).result({ format: 'delta' }, () => 'format: delta');
    expect(json.out.stdout).toBe('{"format":"delta"}\n');
  });
});
