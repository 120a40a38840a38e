import { describe, expect, it } from 'vitest';
import { REDACTED, redact, secretsFromEnv } from '../../src/cli/redact.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('redact', () => {
  it('replaces configured secrets, also URL-encoded', () => {
    const secret = 'my-very-secret+value/1';
    const text = `failed with ${secret} and ${encodeURIComponent(secret)}`;
    expect(redact(text, [secret])).toBe(`failed with ${REDACTED} and ${REDACTED}`);
  });

  it('ignores very short or missing secrets instead of mangling text', () => {
    expect(redact('a table at /data', ['a', undefined, ''])).toBe('a table at /data');
  });

  it('scrubs presigned-URL query values', () => {
    const url =
      'https://bucket.s3.amazonaws.com/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr&X-Amz-Signature=abcdef0123456789';
    const out = redact(`GET ${url} failed`);
    expect(out).toContain('X-Amz-Algorithm=AWS4-HMAC-SHA256');
    expect(out).toContain(`X-Amz-Credential=${REDACTED}&`);
    expect(out).toContain(`X-Amz-Security-Token=${REDACTED}&`);
    expect(out).toContain(`X-Amz-Signature=${REDACTED} failed`);
    expect(out).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(out).not.toContain('abcdef0123456789');
  });

  it('scrubs Authorization header fields and legacy Signature= parameters', () => {
    const header =
      'Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024';
    const out = redact(header);
    expect(out).toBe(
      `Authorization: AWS4-HMAC-SHA256 Credential=${REDACTED}, SignedHeaders=host;x-amz-date, Signature=${REDACTED}`,
    );
    expect(redact('?AWSAccessKeyId=AKIA1&Signature=abc%2Bdef&Expires=1')).toBe(
      `?AWSAccessKeyId=${REDACTED}&Signature=${REDACTED}&Expires=1`,
    );
  });

  it('scrubs secret-named fields in JSON, INI and JS-object form', () => {
    expect(redact(`{"secretAccessKey":"abc123","region":"eu"}`)).toBe(`{"secretAccessKey":"${REDACTED}","region":"eu"}`);
    expect(redact('aws_secret_access_key = abc123')).toBe(`aws_secret_access_key = ${REDACTED}`);
    expect(redact("{ sessionToken: 'tok' }")).toBe(`{ sessionToken: '${REDACTED}' }`);
  });

  it('scrubs free-standing strings shaped like AWS secret keys', () => {
    expect(redact(`key ${SECRET} leaked`)).toBe(`key ${REDACTED} leaked`);
  });

  it('leaves ordinary text alone: paths, hex digests, etags, URLs without credentials', () => {
    const text =
      'no Delta or Iceberg table at s3://bucket/warehouse/db/orders: sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709, etag "9b2cf535f27731c974343645a3985328", file:///tmp/a%20b';
    expect(redact(text)).toBe(text);
  });

  it('collects secrets from the environment', () => {
    expect(secretsFromEnv({ AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: 'tok-123456', AWS_REGION: 'eu-west-1' })).toEqual([
      SECRET,
      'tok-123456',
    ]);
  });
});
