/**
 * The S3 store through a proxy that injects the failures real servers produce (503 SlowDown,
 * 500, dropped connections before and after the server acted): reads and writes succeed through
 * retries, fail cleanly when retries run out, and conditional writes whose answer was lost are
 * resolved to the truth.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { PreconditionFailed, ThrottledError } from '../../src/errors.js';
import type { S3Store } from '../../src/storage/s3-store.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { describeWithS3, freshS3Store } from '../support/s3.js';
import { collect, inParallel } from './store-contract.js';

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);
const isPut = (req: { method: string; url: string }) => req.method === 'PUT' && !req.url.includes('uploadId');

describeWithS3('S3 store under injected faults', (server) => {
  let proxy: FaultProxy;
  const stores: S3Store[] = [];
  const fresh = (maxAttempts = 10) => {
    const store = freshS3Store({ ...server, endpoint: proxy.endpoint }, { retry: { maxAttempts, baseDelayMs: 2, maxDelayMs: 50 } });
    stores.push(store);
    return store;
  };
  beforeAll(async () => {
    proxy = await startFaultProxy(server.endpoint);
  });
  beforeEach(() => {
    proxy.setPlan(null);
    proxy.resetStats();
  });
  afterAll(async () => {
    stores.forEach((store) => store.destroy());
    await proxy?.close();
  });

  it('reads, writes, lists and deletes through a 30% fault rate', async () => {
    const store = fresh();
    proxy.setPlan({ rate: 0.3, faults: ['slowdown', 'internal', 'drop-request', 'drop-response'], seed: 42 });
    const keys = Array.from({ length: 40 }, (_, i) => `faulty/${String(i).padStart(3, '0')}`);
    await inParallel(keys, 8, (key) => store.put(key, text(`value ${key}`)));
    for (const key of keys.slice(0, 10)) expect(str((await store.get(key)).bytes)).toBe(`value ${key}`);
    expect((await store.head(keys[0]!)).size).toBe(`value ${keys[0]}`.length);
    expect(await collect(store.list('faulty/'))).toEqual(keys);
    const { failed } = await store.deleteMany(keys);
    expect(failed).toEqual([]);
    proxy.setPlan(null);
    expect(await collect(store.list('faulty/'))).toEqual([]);
    expect(proxy.stats.faults.slowdown + proxy.stats.faults.internal).toBeGreaterThan(0);
    expect(proxy.stats.faults['drop-request'] + proxy.stats.faults['drop-response']).toBeGreaterThan(0);
  });

  it('streams a multipart upload through faults', async () => {
    const store = fresh();
    proxy.setPlan({ rate: 0.25, faults: ['slowdown', 'internal', 'drop-request', 'drop-response'], seed: 7 });
    const data = new Uint8Array(11 * 1024 * 1024).map((_, i) => i % 251);
    async function* body() {
      for (let offset = 0; offset < data.length; offset += 1024 * 1024) yield data.subarray(offset, offset + 1024 * 1024);
    }
    await store.upload('big.bin', body());
    proxy.setPlan(null);
    expect(Buffer.from((await store.get('big.bin')).bytes).equals(Buffer.from(data))).toBe(true);
  });

  it('reports a create-if-absent whose answer was lost as the success it was', async () => {
    const store = fresh();
    proxy.failNext('drop-response', 1, isPut);
    const { etag } = await store.put('_delta_log/00000000000000000001.json', text('mine'), { ifNoneMatch: '*' });
    expect(proxy.stats.faults['drop-response']).toBe(1);
    const got = await store.get('_delta_log/00000000000000000001.json');
    expect(str(got.bytes)).toBe('mine');
    expect(got.meta.etag).toBe(etag);
    await expect(store.put('_delta_log/00000000000000000001.json', text('late'), { ifNoneMatch: '*' })).rejects.toThrow(PreconditionFailed);
  });

  it('reports a compare-and-swap whose answer was lost as the success it was', async () => {
    const store = fresh();
    const v1 = await store.put('metadata/pointer', text('v1'));
    proxy.failNext('drop-response', 1, isPut);
    await store.put('metadata/pointer', text('v2'), { ifMatch: v1.etag });
    expect(str((await store.get('metadata/pointer')).bytes)).toBe('v2');
    await expect(store.put('metadata/pointer', text('v3'), { ifMatch: v1.etag })).rejects.toThrow(PreconditionFailed);
  });

  it('lets exactly one of racing creators win while their answers get lost', async () => {
    const store = fresh(20);
    const writers = 10;
    // Every writer's first attempt reaches the server but its answer is lost, so one write has
    // landed and all writers see 412 on their resend: only the write id tells the winner.
    proxy.failNext('drop-response', writers, isPut);
    proxy.setPlan({ rate: 0.3, faults: ['internal', 'drop-request', 'drop-response'], match: isPut, seed: 3 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: writers }, (_, i) => store.put('race/00000000000000000002.json', text(`writer ${i}`), { ifNoneMatch: '*' })),
    );
    proxy.setPlan(null);
    const winners = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(PreconditionFailed);
    expect(str((await store.get('race/00000000000000000002.json')).bytes)).toBe(`writer ${winners[0]}`);
    expect(proxy.stats.faults['drop-response']).toBeGreaterThanOrEqual(writers);
  });

  it('fails cleanly with a typed error naming the key when retries run out', async () => {
    const store = fresh(3);
    await store.put('k', text('v'));
    proxy.setPlan({ rate: 1, faults: ['slowdown'] });
    await expect(store.get('k')).rejects.toThrow(ThrottledError);
    await expect(store.put('new', text('v'), { ifNoneMatch: '*' })).rejects.toThrow(/new: the server is throttling/);
    expect(proxy.stats.faults.slowdown).toBe(6); // 3 attempts each, then no more
    proxy.setPlan(null);
    await expect(store.head('new')).rejects.toThrow(/does not exist/); // nothing half-written
  });
});
