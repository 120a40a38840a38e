/**
 * Vitest globalSetup: gives the test suite a real S3 server.
 *
 * - With LAKE_TEST_S3_ENDPOINT set, that server is used as is (credentials from
 *   LAKE_TEST_S3_ACCESS_KEY_ID / LAKE_TEST_S3_SECRET_ACCESS_KEY, bucket from
 *   LAKE_TEST_S3_BUCKET, default `lake-test`, region from LAKE_TEST_S3_REGION,
 *   default `us-east-1`); the bucket is created when missing.
 * - Otherwise a throwaway Ceph RADOS Gateway is started with
 *   scripts/s3-test-server.sh in a fresh temporary directory, the bucket
 *   `lake-test` is created, and the server is stopped after the run.
 * - When no server can be had: with CI=true the run fails; elsewhere a warning
 *   is printed and the tests that need S3 skip themselves.
 *
 * Tests read the target with `inject('s3')`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { TestProject } from 'vitest/node';

export type S3TestTarget =
  | {
      endpoint: string;
      accessKeyId: string;
      secretAccessKey: string;
      region: string;
      bucket: string;
      /** Seconds the local server took to start; null for an external server. */
      startSeconds: number | null;
    }
  | { unavailable: string };

declare module 'vitest' {
  export interface ProvidedContext {
    s3: S3TestTarget;
  }
}

const SCRIPT = fileURLToPath(new URL('../../scripts/s3-test-server.sh', import.meta.url));
const DEFAULT_BUCKET = 'lake-test';
const DEFAULT_REGION = 'us-east-1';
/** The script gives up after LAKE_S3_START_TIMEOUT (60 s); this is the backstop. */
const START_KILL_AFTER_MS = 90_000;
const STOP_KILL_AFTER_MS = 30_000;

export function isCI(): boolean {
  const ci = process.env.CI;
  return ci === 'true' || ci === '1';
}

interface ServerJson {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  pids: number[];
  startSeconds: number;
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  spawnError?: Error;
}

function runScript(args: string[], env: NodeJS.ProcessEnv, killAfterMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const child = spawn('bash', [SCRIPT, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      // SIGTERM lets the script stop what it started; SIGKILL if it does not end.
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, killAfterMs);
    const finish = (r: RunResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    child.on('error', (err) => finish({ code: null, signal: null, stdout, stderr, timedOut, spawnError: err }));
    child.on('close', (code, signal) => finish({ code, signal, stdout, stderr, timedOut }));
  });
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The most telling line of the script's stderr (its `error:` line, else the last line). */
function reasonFrom(stderr: string): string {
  const lines = stderr.trim().split('\n').filter(Boolean);
  const err = lines.find((l) => /\berror:/.test(l));
  return (err ?? lines.at(-1) ?? 'no output').replace(/^\[s3-test-server\]\s*/, '');
}

function parseServerJson(stdout: string): ServerJson {
  const line = stdout.trim().split('\n').filter(Boolean).at(-1);
  if (!line) throw new Error('the script printed nothing on stdout');
  const v = JSON.parse(line) as Partial<ServerJson>;
  if (
    typeof v.endpoint !== 'string' ||
    typeof v.accessKeyId !== 'string' ||
    typeof v.secretAccessKey !== 'string' ||
    typeof v.region !== 'string' ||
    typeof v.startSeconds !== 'number'
  ) {
    throw new Error(`unexpected output: ${line}`);
  }
  return v as ServerJson;
}

function s3Client(t: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string }): S3Client {
  return new S3Client({
    endpoint: t.endpoint,
    region: t.region,
    credentials: { accessKeyId: t.accessKeyId, secretAccessKey: t.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  });
}

async function ensureBucket(
  t: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string },
  bucket: string,
): Promise<void> {
  const client = s3Client(t);
  try {
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
      return;
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== 404) throw err;
    }
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
    }
  } finally {
    client.destroy();
  }
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 403) return 'access denied (HTTP 403): check the access key and secret';
    return `${err.name}: ${err.message}${status ? ` (HTTP ${status})` : ''}`;
  }
  return String(err);
}

/** CI: fail the run. Elsewhere: warn loudly and let S3 tests skip. */
function unavailable(project: TestProject, reason: string, details?: string): void {
  if (isCI()) {
    throw new Error(
      `No S3 server for the tests: ${reason}\n` +
        (details ? `${details}\n` : '') +
        'CI=true, so this fails the run. Run scripts/install-test-deps.sh first, or set LAKE_TEST_S3_ENDPOINT.',
    );
  }
  const bar = '!'.repeat(78);
  process.stderr.write(
    [
      '',
      bar,
      '!! [s3] NO S3 SERVER: tests that need S3 will be SKIPPED.',
      `!! Why: ${reason}`,
      ...(details ? details.split('\n').map((l) => `!!   ${l}`) : []),
      '!! Fix, either:',
      '!!   - install Ceph RGW (Debian/Ubuntu):  scripts/install-test-deps.sh',
      '!!     (= apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd)',
      '!!   - or use an S3 server you run yourself, e.g. MinIO with Docker:',
      '!!       docker compose -f docker-compose.test.yml up -d',
      '!!       LAKE_TEST_S3_ENDPOINT=http://127.0.0.1:9000 LAKE_TEST_S3_ACCESS_KEY_ID=lake-test-access \\',
      '!!       LAKE_TEST_S3_SECRET_ACCESS_KEY=lake-test-secret npm test',
      bar,
      '',
      '',
    ].join('\n'),
  );
  project.provide('s3', { unavailable: reason });
}

async function useExternal(project: TestProject, endpoint: string): Promise<void> {
  const accessKeyId = process.env.LAKE_TEST_S3_ACCESS_KEY_ID;
  const secretAccessKey = process.env.LAKE_TEST_S3_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error(
      'LAKE_TEST_S3_ENDPOINT is set, so LAKE_TEST_S3_ACCESS_KEY_ID and LAKE_TEST_S3_SECRET_ACCESS_KEY must be set too',
    );
  }
  const target = {
    endpoint,
    accessKeyId,
    secretAccessKey,
    region: process.env.LAKE_TEST_S3_REGION || DEFAULT_REGION,
    bucket: process.env.LAKE_TEST_S3_BUCKET || DEFAULT_BUCKET,
    startSeconds: null,
  };
  try {
    await ensureBucket(target, target.bucket);
  } catch (err) {
    unavailable(project, `the S3 server at ${endpoint} (LAKE_TEST_S3_ENDPOINT) does not work: ${describeError(err)}`);
    return;
  }
  process.stderr.write(`[s3] using the S3 server at ${endpoint} (bucket ${target.bucket})\n`);
  project.provide('s3', target);
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const external = process.env.LAKE_TEST_S3_ENDPOINT;
  if (external) {
    await useExternal(project, external);
    return;
  }

  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'lake-s3-'));
  const env = { ...process.env, LAKE_S3_OWNER_PID: String(process.pid) };
  const started = Date.now();
  const res = await runScript(['start', stateDir], env, START_KILL_AFTER_MS);

  const stop = async (): Promise<void> => {
    const r = await runScript(['stop', stateDir], process.env, STOP_KILL_AFTER_MS);
    if (r.code !== 0) {
      process.stderr.write(
        `[s3] warning: stopping the S3 test server failed (exit ${r.code ?? r.signal}):\n${tail(r.stderr, 20)}\n`,
      );
    }
    await rm(stateDir, { recursive: true, force: true }).catch(() => {});
  };

  if (res.code !== 0) {
    // The script stops what it started on failure; this is for a start that had to be killed.
    if (process.env.LAKE_S3_KEEP_STATE !== '1') await stop();
    const reason = res.spawnError
      ? `could not run bash ${SCRIPT}: ${res.spawnError.message}`
      : res.timedOut
        ? `scripts/s3-test-server.sh did not finish within ${START_KILL_AFTER_MS / 1000} s`
        : `scripts/s3-test-server.sh start failed: ${reasonFrom(res.stderr)}`;
    // the details repeat the script's output, minus the line already quoted in the reason
    const details = tail(res.stderr, 40)
      .split('\n')
      .filter((l) => !reason.endsWith(l.replace(/^\[s3-test-server\]\s*/, '')))
      .join('\n');
    unavailable(project, reason, details || undefined);
    return;
  }

  let server: ServerJson;
  try {
    server = parseServerJson(res.stdout);
  } catch (err) {
    await stop();
    unavailable(project, `scripts/s3-test-server.sh start: ${describeError(err)}`, tail(res.stderr, 20));
    return;
  }

  const target = {
    endpoint: server.endpoint,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    region: server.region,
    bucket: DEFAULT_BUCKET,
    startSeconds: server.startSeconds,
  };
  try {
    await ensureBucket(target, target.bucket);
  } catch (err) {
    await stop();
    unavailable(project, `creating bucket ${target.bucket} on the Ceph RGW failed: ${describeError(err)}`);
    return;
  }

  const total = ((Date.now() - started) / 1000).toFixed(1);
  process.stderr.write(
    `[s3] Ceph RGW started on ${server.endpoint} in ${server.startSeconds.toFixed(1)} s ` +
      `(${total} s with bucket ${target.bucket}; state in ${stateDir})\n`,
  );
  project.provide('s3', target);
  return stop;
}
