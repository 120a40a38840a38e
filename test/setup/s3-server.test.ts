/**
 * Smoke test of the S3 server the suite runs against (see test/setup/s3-server.ts):
 * signed PutObject/GetObject, and If-None-Match: * (the conditional write that
 * Delta commits and Iceberg metadata swaps rely on) refusing to overwrite.
 */
import { randomUUID } from 'node:crypto';

import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';

import type { S3TestTarget } from './s3-server.js';

const target: S3TestTarget = inject('s3');
const ci = process.env.CI === 'true' || process.env.CI === '1';

if ('unavailable' in target) {
  if (ci) {
    it('has an S3 server (required on CI)', () => {
      expect.fail(`no S3 server for the tests: ${target.unavailable}`);
    });
  } else {
    console.warn(`[s3] skipping the S3 smoke test: no S3 server (${target.unavailable})`);
    describe.skip(`S3 server smoke test (skipped, no S3 server: ${target.unavailable})`, () => {
      it('round-trips an object', () => {});
    });
  }
} else {
  describe('S3 server smoke test', () => {
    const client = new S3Client({
      endpoint: target.endpoint,
      region: target.region,
      credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const key = `smoke/${randomUUID()}.txt`;

    afterAll(async () => {
      await client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key })).catch(() => {});
      client.destroy();
    });

    it('round-trips an object and refuses to overwrite it with If-None-Match: *', async () => {
      await client.send(
        new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: 'first', IfNoneMatch: '*' }),
      );

      const second = await client
        .send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: 'second', IfNoneMatch: '*' }))
        .then(
          () => null,
          (err: unknown) => err as { name?: string; $metadata?: { httpStatusCode?: number } },
        );
      expect(second, 'the second conditional put must fail').not.toBeNull();
      expect(second?.$metadata?.httpStatusCode).toBe(412);

      const got = await client.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }));
      expect(await got.Body?.transformToString()).toBe('first');
    });
  });
}
