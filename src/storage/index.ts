/**
 * Opening a store for a location: the only place that picks an implementation.
 */
import { LocalStore } from './local-store.js';
import type { Location } from './location.js';
import type { ObjectStore } from './object-store.js';
import type { RetryPolicy } from './retry.js';
import { S3Store, type S3ConnectionOptions } from './s3-store.js';

export interface StoreOptions {
  /** Connection settings for s3:// locations (endpoint, region, path style, credentials). */
  readonly s3?: S3ConnectionOptions;
  readonly retry?: Partial<RetryPolicy>;
  /** Environment to read S3 defaults from (AWS_ENDPOINT_URL, AWS_REGION…); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

export function openStore(location: Location, options: StoreOptions = {}): ObjectStore {
  if (location.scheme === 'file') return new LocalStore(location.path);
  return new S3Store({
    ...options.s3,
    bucket: location.bucket,
    prefix: location.prefix,
    ...(options.retry === undefined ? {} : { retry: options.retry }),
    ...(options.env === undefined ? {} : { env: options.env }),
  });
}

export * from './object-store.js';
export * from './location.js';
export { LocalStore } from './local-store.js';
export { S3Store, type S3ConnectionOptions, type S3StoreOptions } from './s3-store.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
