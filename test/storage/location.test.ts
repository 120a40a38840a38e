import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { checkKey, childLocation, displayLocation, formatLocation, parseLocation } from '../../src/storage/location.js';

describe('parseLocation', () => {
  it('reads s3 URLs literally, with s3a/s3n as aliases', () => {
    expect(parseLocation('s3://bucket/wh/orders')).toEqual({ scheme: 's3', bucket: 'bucket', prefix: 'wh/orders' });
    expect(parseLocation('s3a://bucket/wh/orders/')).toEqual({ scheme: 's3', bucket: 'bucket', prefix: 'wh/orders' });
    expect(parseLocation('S3N://bucket')).toEqual({ scheme: 's3', bucket: 'bucket', prefix: '' });
    // No percent-decoding in s3 URLs: '%20' stays three characters, as with the AWS CLI.
    expect(parseLocation('s3://b1/a%20b/c d')).toEqual({ scheme: 's3', bucket: 'b1', prefix: 'a%20b/c d' });
  });

  it('percent-decodes file URLs (RFC 8089) in all three spellings', () => {
    expect(parseLocation('file:///tmp/a%20b/x%3D1')).toEqual({ scheme: 'file', path: '/tmp/a b/x=1' });
    expect(parseLocation('file:/tmp/hadoop/style')).toEqual({ scheme: 'file', path: '/tmp/hadoop/style' });
    expect(parseLocation('file://localhost/tmp/x/')).toEqual({ scheme: 'file', path: '/tmp/x' });
    expect(parseLocation('file:///tmp/%E2%82%AC')).toEqual({ scheme: 'file', path: '/tmp/€' });
  });

  it('takes plain paths literally, relative to the working directory', () => {
    expect(parseLocation('warehouse/orders', '/home/me')).toEqual({ scheme: 'file', path: '/home/me/warehouse/orders' });
    expect(parseLocation('/data/a b/100%/', '/ignored')).toEqual({ scheme: 'file', path: '/data/a b/100%' });
    expect(parseLocation('../x', '/home/me')).toEqual({ scheme: 'file', path: '/home/x' });
    expect(parseLocation('/', '/x')).toEqual({ scheme: 'file', path: '/' });
  });

  it('refuses what it cannot interpret, saying what is accepted', () => {
    expect(() => parseLocation('gs://bucket/x')).toThrow(/unsupported location scheme 'gs:'.*s3:\/\/bucket/);
    expect(() => parseLocation('s3:/bucket/x')).toThrow(UsageError);
    expect(() => parseLocation('s3://bad bucket/x')).toThrow(/not a bucket name/);
    expect(() => parseLocation('s3://bucket/a/../b')).toThrow(UsageError);
    expect(() => parseLocation('file:///tmp/100%')).toThrow(/'%' must start an escape/);
    expect(() => parseLocation('file://otherhost/x')).toThrow(/only local files/);
    expect(() => parseLocation('  ')).toThrow(UsageError);
  });
});

describe('formatLocation', () => {
  it('writes canonical URLs that parse back to the same location', () => {
    for (const input of ['s3://bucket/wh/a b%/c', 's3://bucket', 'file:///tmp/a%20b/100%25/%E2%82%AC', '/tmp/x=1/y z']) {
      const location = parseLocation(input);
      expect(parseLocation(formatLocation(location))).toEqual(location);
    }
    expect(formatLocation(parseLocation('/tmp/a b'))).toBe('file:///tmp/a%20b');
    expect(displayLocation(parseLocation('file:///tmp/a%20b'))).toBe('/tmp/a b');
    expect(displayLocation(parseLocation('s3://b/k'))).toBe('s3://b/k');
  });
});

describe('childLocation', () => {
  it('joins a relative key literally', () => {
    expect(childLocation(parseLocation('s3://b'), 'db/orders')).toEqual({ scheme: 's3', bucket: 'b', prefix: 'db/orders' });
    expect(childLocation(parseLocation('s3://b/wh'), 'a%20b/')).toEqual({ scheme: 's3', bucket: 'b', prefix: 'wh/a%20b' });
    expect(childLocation(parseLocation('/wh'), 'orders')).toEqual({ scheme: 'file', path: '/wh/orders' });
    expect(() => childLocation(parseLocation('/wh'), '../etc')).toThrow(UsageError);
  });
});

describe('checkKey', () => {
  it('accepts relative keys and refuses ones that could escape the root', () => {
    expect(() => checkKey('a/b c/=%/€')).not.toThrow();
    for (const bad of ['', '/a', 'a//b', 'a/./b', 'a/../b', '..', 'a/', 'a\0b']) expect(() => checkKey(bad)).toThrow(UsageError);
  });
});
