/**
 * Access to the real S3 server that test/setup/s3-server.ts started (or that
 * LAKE_TEST_S3_ENDPOINT names), for test files that need one.
 */
import { randomUUID } from 'node:crypto';
import { describe, inject } from 'vitest';
import { S3Store, type S3StoreOptions } from '../../src/storage/s3-store.js';
import type { S3TestTarget } from '../setup/s3-server.js';

export type S3Server = Exclude<S3TestTarget, { unavailable: string }>;

/**
 * `describe` for S3 suites: runs them when a server is there. Without one, outside CI the suite
 * is skipped with a loud reason; under CI=true the global setup has already failed the run.
 */
export function describeWithS3(name: string, body: (server: S3Server) => void): void {
  const target = inject('s3');
  if ('unavailable' in target) {
    describe.skip(`${name} (SKIPPED: no S3 server: ${target.unavailable})`, () => {});
    return;
  }
  describe(name, () => body(target));
}

/** A store on a fresh, unique prefix of the test bucket, with fast retries. */
export function freshS3Store(server: S3Server, overrides: Partial<S3StoreOptions> = {}): S3Store {
  return new S3Store({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    bucket: server.bucket,
    prefix: `test-${randomUUID()}`,
    retry: { baseDelayMs: 5, maxDelayMs: 100 },
    partSize: 5 * 1024 * 1024,
    ...overrides,
  });
}
