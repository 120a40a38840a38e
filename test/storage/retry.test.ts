import { describe, expect, it } from 'vitest';
import { NotFoundError, ThrottledError } from '../../src/errors.js';
import { backoffDelay, retryPolicy, withRetry } from '../../src/storage/retry.js';

function recordingPolicy(maxAttempts: number) {
  const sleeps: number[] = [];
  const policy = retryPolicy({ maxAttempts, baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.5, sleep: async (ms) => void sleeps.push(ms) });
  return { policy, sleeps };
}

describe('withRetry', () => {
  it('retries retryable errors with exponential, capped, jittered backoff until success', async () => {
    const { policy, sleeps } = recordingPolicy(8);
    let calls = 0;
    const result = await withRetry(policy, async () => {
      if (++calls < 6) throw new ThrottledError('k', 'SlowDown');
      return 'done';
    });
    expect(result).toBe('done');
    expect(sleeps).toEqual([50, 100, 200, 400, 500]); // half (random 0.5) of 100·2^n, capped at 1000
  });

  it('gives up after maxAttempts with the last error', async () => {
    const { policy } = recordingPolicy(3);
    let calls = 0;
    await expect(withRetry(policy, async () => {
      calls++;
      throw new ThrottledError('k', 'SlowDown');
    })).rejects.toThrow(ThrottledError);
    expect(calls).toBe(3);
  });

  it('does not retry errors that are not retryable', async () => {
    const { policy, sleeps } = recordingPolicy(5);
    await expect(withRetry(policy, async () => {
      throw new NotFoundError('k');
    })).rejects.toThrow(NotFoundError);
    expect(sleeps).toEqual([]);
  });

  it('draws the full-jitter delay from [0, ceiling)', () => {
    const low = retryPolicy({ baseDelayMs: 100, maxDelayMs: 250, random: () => 0 });
    const high = retryPolicy({ baseDelayMs: 100, maxDelayMs: 250, random: () => 0.999 });
    expect(backoffDelay(low, 3)).toBe(0);
    expect(backoffDelay(high, 3)).toBe(249);
    expect(() => retryPolicy({ maxAttempts: 0 })).toThrow(RangeError);
  });
});
