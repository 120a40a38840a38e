/**
 * Bounded retries with exponential backoff and full jitter (the AWS architecture blog's
 * "full jitter": sleep a uniform random time in [0, min(cap, base·2^attempt)]), which spreads
 * out clients that were throttled together instead of having them retry in lock-step.
 */
import { StorageError } from '../errors.js';

export interface RetryPolicy {
  /** Total attempts including the first; 1 disables retries. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Injected so tests run without real waiting; defaults to setTimeout. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Injected so tests are deterministic; defaults to Math.random. */
  readonly random: () => number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 50,
  maxDelayMs: 5_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...overrides };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new RangeError(`retry maxAttempts must be a positive integer, got ${policy.maxAttempts}`);
  }
  return policy;
}

/** The delay before retry number `attempt` (1 for the first retry). */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(policy.random() * ceiling);
}

/**
 * Runs `operation` until it succeeds, throws a non-retryable error, or attempts run out.
 * `operation` must throw StorageError (already classified); `onRetry` sees each retried error.
 */
export async function withRetry<T>(
  policy: RetryPolicy,
  operation: (attempt: number) => Promise<T>,
  onRetry?: (error: StorageError, attempt: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!(error instanceof StorageError) || !error.retryable || attempt >= policy.maxAttempts) throw error;
      onRetry?.(error, attempt);
      await policy.sleep(backoffDelay(policy, attempt));
    }
  }
}
