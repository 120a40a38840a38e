import { createHash, randomBytes } from 'node:crypto';
import { Agent, createServer, request, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

interface Reply {
  status: number;
  statusMessage: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  reusedSocket: boolean;
}

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A small upstream whose behaviour is chosen by the path; it records every complete request. */
async function startUpstream(): Promise<{ server: Server; url: string; received: Received[]; hang: Set<() => void> }> {
  const received: Received[] = [];
  const hang = new Set<() => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body });
      const path = req.url!.split('?')[0]!;
      if (path === '/hang') {
        hang.add(() => res.end());
        return;
      }
      if (path === '/range') {
        const data = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
        const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
        if (!m) {
          res.writeHead(200, { 'Content-Length': data.length });
          res.end(data);
          return;
        }
        const start = Number(m[1]);
        const end = Number(m[2]);
        const part = data.subarray(start, end + 1);
        res.writeHead(206, {
          'Content-Range': `bytes ${start}-${end}/${data.length}`,
          'Content-Length': part.length,
          ETag: '"abc"',
        });
        res.end(part);
        return;
      }
      if (path === '/chunked') {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' }); // no length: chunked
        const parts = [Buffer.from('first-'), Buffer.from('second-'), Buffer.from('third')];
        let i = 0;
        const next = () => {
          if (i < parts.length) {
            res.write(parts[i++]);
            setTimeout(next, 5);
          } else res.end();
        };
        next();
        return;
      }
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'Content-Length': 1234, ETag: '"head"', 'Content-Type': 'text/plain' });
        res.end();
        return;
      }
      // Default: echo the body back with some metadata.
      res.writeHead(201, 'Made It', [
        'Content-Type',
        'application/octet-stream',
        'Content-Length',
        String(body.length),
        'X-Upstream-Method',
        req.method!,
        'X-Multi',
        'one',
        'X-Multi',
        'two',
      ]);
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, received, hang };
}

function send(
  endpoint: string,
  agent: Agent,
  options: { method?: string; path: string; headers?: OutgoingHttpHeaders; body?: Buffer | Buffer[]; expectContinue?: boolean },
): Promise<Reply> {
  const url = new URL(endpoint);
  return new Promise<Reply>((resolve, reject) => {
    const req = request({
      host: url.hostname,
      port: url.port,
      method: options.method ?? 'GET',
      path: options.path,
      headers: options.headers,
      agent,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          statusMessage: res.statusMessage!,
          headers: res.headers,
          body: Buffer.concat(chunks),
          reusedSocket: req.reusedSocket,
        }),
      );
    });
    const writeBody = () => {
      const body = options.body;
      if (Array.isArray(body)) {
        for (const part of body) req.write(part);
        req.end();
      } else req.end(body);
    };
    if (options.expectContinue) {
      req.flushHeaders();
      req.on('continue', writeBody);
    } else writeBody();
  });
}

describe('fault proxy', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let proxy: FaultProxy;
  let agent: Agent;

  beforeAll(async () => {
    upstream = await startUpstream();
  });
  afterAll(async () => {
    for (const release of upstream.hang) release();
    upstream.server.closeAllConnections();
    await new Promise<void>((resolve) => upstream.server.close(() => resolve()));
  });
  beforeEach(async () => {
    upstream.received.length = 0;
    proxy = await startFaultProxy(upstream.url);
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
  });
  afterEach(async () => {
    agent.destroy();
    await proxy.close();
  });

  describe('pass-through', () => {
    it('preserves method, odd path and query, headers (Host stays the proxy) and bodies', async () => {
      const body = randomBytes(1000);
      const reply = await send(proxy.endpoint, agent, {
        method: 'PUT',
        path: '/b/a%20b=c?x=1&y=%2F%7E&empty=&flag',
        headers: { 'X-Amz-Meta-Thing': 'Mixed Case Value', 'x-dup': ['a', 'b'], 'Content-Length': body.length },
        body,
      });
      expect(upstream.received).toHaveLength(1);
      const got = upstream.received[0]!;
      expect(got.method).toBe('PUT');
      expect(got.url).toBe('/b/a%20b=c?x=1&y=%2F%7E&empty=&flag');
      expect(got.headers.host).toBe(new URL(proxy.endpoint).host);
      expect(got.headers['x-amz-meta-thing']).toBe('Mixed Case Value');
      expect(got.rawHeaders).toContain('X-Amz-Meta-Thing'); // case preserved
      expect(got.rawHeaders.filter((h) => h.toLowerCase() === 'x-dup')).toHaveLength(2);
      expect(got.headers['content-length']).toBe('1000');
      expect(sha(got.body)).toBe(sha(body));

      expect(reply.status).toBe(201);
      expect(reply.statusMessage).toBe('Made It');
      expect(reply.headers['x-upstream-method']).toBe('PUT');
      expect(reply.headers['x-multi']).toBe('one, two');
      expect(sha(reply.body)).toBe(sha(body));
      expect(proxy.stats).toMatchObject({ requests: 1, forwarded: 1 });
    });

    it('streams a ~5 MB body byte-exact in both directions', async () => {
      const body = randomBytes(5 * 1024 * 1024 + 17);
      const reply = await send(proxy.endpoint, agent, {
        method: 'PUT',
        path: '/big',
        headers: { 'Content-Length': body.length },
        body,
      });
      expect(reply.status).toBe(201);
      expect(reply.body.length).toBe(body.length);
      expect(sha(reply.body)).toBe(sha(body));
      expect(sha(upstream.received[0]!.body)).toBe(sha(body));
    });

    it('forwards chunked request bodies and chunked responses', async () => {
      const parts = [randomBytes(100), randomBytes(70_000), randomBytes(3)];
      const reply = await send(proxy.endpoint, agent, { method: 'POST', path: '/up', body: parts });
      expect(upstream.received[0]!.headers['transfer-encoding']).toBe('chunked');
      expect(sha(upstream.received[0]!.body)).toBe(sha(Buffer.concat(parts)));
      expect(sha(reply.body)).toBe(sha(Buffer.concat(parts)));

      const chunked = await send(proxy.endpoint, agent, { path: '/chunked' });
      expect(chunked.headers['transfer-encoding']).toBe('chunked');
      expect(chunked.body.toString()).toBe('first-second-third');
    });

    it('handles HEAD (no body) and 206 range responses, reusing the keep-alive socket', async () => {
      const head = await send(proxy.endpoint, agent, { method: 'HEAD', path: '/obj' });
      expect(head.status).toBe(200);
      expect(head.headers['content-length']).toBe('1234');
      expect(head.headers.etag).toBe('"head"');
      expect(head.body.length).toBe(0);

      const range = await send(proxy.endpoint, agent, { path: '/range', headers: { Range: 'bytes=10-19' } });
      expect(range.status).toBe(206);
      expect(range.headers['content-range']).toBe('bytes 10-19/36');
      expect(range.body.toString()).toBe('abcdefghij');
      expect(range.reusedSocket).toBe(true);
      expect(upstream.received[1]!.headers.range).toBe('bytes=10-19');
    });

    it('supports Expect: 100-continue', async () => {
      const body = randomBytes(200_000);
      const reply = await send(proxy.endpoint, agent, {
        method: 'PUT',
        path: '/continue',
        headers: { Expect: '100-continue', 'Content-Length': body.length },
        body,
        expectContinue: true,
      });
      expect(reply.status).toBe(201);
      expect(sha(reply.body)).toBe(sha(body));
      expect(sha(upstream.received[0]!.body)).toBe(sha(body));
    });

    it('answers 502 when the upstream is unreachable', async () => {
      const dead = createServer();
      await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
      const { port } = dead.address() as AddressInfo;
      await new Promise<void>((resolve) => dead.close(() => resolve()));
      const orphan = await startFaultProxy(`http://127.0.0.1:${port}`);
      try {
        const reply = await send(orphan.endpoint, agent, { method: 'PUT', path: '/x', body: randomBytes(10_000) });
        expect(reply.status).toBe(502);
        expect(reply.headers['content-type']).toBe('application/xml');
      } finally {
        await orphan.close();
      }
    });
  });

  describe('faults', () => {
    it("'slowdown' answers 503 SlowDown without forwarding, and the connection stays usable", async () => {
      proxy.failNext('slowdown');
      const reply = await send(proxy.endpoint, agent, {
        method: 'PUT',
        path: '/b/k',
        headers: { 'Content-Length': 50_000 },
        body: randomBytes(50_000),
      });
      expect(reply.status).toBe(503);
      expect(reply.headers['content-type']).toBe('application/xml');
      expect(Number(reply.headers['content-length'])).toBe(reply.body.length);
      expect(reply.headers['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
      expect(reply.body.toString()).toContain('<Code>SlowDown</Code>');
      expect(reply.body.toString()).toContain('<Message>Please reduce your request rate.</Message>');
      expect(upstream.received).toHaveLength(0);

      const next = await send(proxy.endpoint, agent, { path: '/after' });
      expect(next.status).toBe(201);
      expect(next.reusedSocket).toBe(true);
      expect(proxy.stats).toEqual({
        requests: 2,
        forwarded: 1,
        faults: { slowdown: 1, internal: 0, 'drop-request': 0, 'drop-response': 0 },
      });
    });

    it("'internal' answers 500 InternalError (headers only for HEAD)", async () => {
      proxy.failNext('internal', 2);
      const reply = await send(proxy.endpoint, agent, { path: '/b/k' });
      expect(reply.status).toBe(500);
      expect(reply.body.toString()).toContain('<Code>InternalError</Code>');
      const head = await send(proxy.endpoint, agent, { method: 'HEAD', path: '/b/k' });
      expect(head.status).toBe(500);
      expect(head.body.length).toBe(0);
      expect(upstream.received).toHaveLength(0);
    });

    it("'drop-request' kills the connection and the upstream never sees the request", async () => {
      proxy.failNext('drop-request');
      await expect(
        send(proxy.endpoint, agent, { method: 'PUT', path: '/b/k', headers: { 'Content-Length': 10 }, body: Buffer.alloc(10) }),
      ).rejects.toThrow(/socket hang up|ECONNRESET|EPIPE/);
      expect(upstream.received).toHaveLength(0);
      expect(proxy.stats.faults['drop-request']).toBe(1);
      expect(proxy.stats.forwarded).toBe(0);
      // A fresh connection works.
      expect((await send(proxy.endpoint, agent, { path: '/ok' })).status).toBe(201);
    });

    it("'drop-response' lets the upstream process the request but the client gets a socket error", async () => {
      proxy.failNext('drop-response');
      const body = randomBytes(300_000);
      await expect(
        send(proxy.endpoint, agent, { method: 'PUT', path: '/b/written', headers: { 'Content-Length': body.length }, body }),
      ).rejects.toThrow(/socket hang up|ECONNRESET/);
      expect(upstream.received).toHaveLength(1);
      expect(upstream.received[0]!.url).toBe('/b/written');
      expect(sha(upstream.received[0]!.body)).toBe(sha(body));
      expect(proxy.stats).toMatchObject({ requests: 1, forwarded: 1 });
      expect(proxy.stats.faults['drop-response']).toBe(1);
    });

    it('failNext is deterministic, honours its match, and takes precedence over the plan', async () => {
      proxy.setPlan({ rate: 0, faults: ['internal'] });
      proxy.failNext('slowdown', 2, (r) => r.method === 'PUT');
      const statuses: number[] = [];
      for (const method of ['GET', 'PUT', 'GET', 'PUT', 'PUT']) {
        const body = method === 'PUT' ? Buffer.from('hi') : undefined;
        const headers = body ? { 'Content-Length': body.length } : {};
        statuses.push((await send(proxy.endpoint, agent, { method, path: '/x', headers, body })).status);
      }
      expect(statuses).toEqual([201, 503, 201, 503, 201]);
      expect(proxy.stats.faults.slowdown).toBe(2);
    });

    it('a seeded plan gives a reproducible fault sequence; match limits which requests can fail', async () => {
      const run = async (seed: number) => {
        proxy.resetStats();
        proxy.setPlan({ rate: 0.3, faults: ['slowdown', 'internal'], seed, match: (r) => r.url.startsWith('/data/') });
        const statuses: number[] = [];
        for (let i = 0; i < 120; i++) {
          const path = i % 4 === 0 ? `/meta/${i}` : `/data/${i}`;
          statuses.push((await send(proxy.endpoint, agent, { path })).status);
        }
        // Requests outside the match never fail.
        expect(statuses.filter((_, i) => i % 4 === 0).every((s) => s === 201)).toBe(true);
        return { statuses, stats: structuredClone(proxy.stats) };
      };
      const first = await run(1234);
      const second = await run(1234);
      const other = await run(99);
      expect(second.statuses).toEqual(first.statuses);
      expect(second.stats).toEqual(first.stats);
      const faults = first.stats.faults.slowdown + first.stats.faults.internal;
      expect(faults).toBeGreaterThan(10); // ~27 expected out of 90 matching
      expect(faults).toBeLessThan(50);
      expect(first.stats.faults.slowdown).toBeGreaterThan(0);
      expect(first.stats.faults.internal).toBeGreaterThan(0);
      expect(other.statuses).not.toEqual(first.statuses);

      proxy.setPlan(null);
      expect((await send(proxy.endpoint, agent, { path: '/data/x' })).status).toBe(201);
    });
  });

  describe('close()', () => {
    it('returns promptly with idle keep-alive connections and requests in flight', async () => {
      const wide = new Agent({ keepAlive: true, maxSockets: 5 });
      try {
        await Promise.all([1, 2, 3].map((i) => send(proxy.endpoint, wide, { path: `/idle/${i}` })));
        expect(wide.freeSockets[Object.keys(wide.freeSockets)[0]!]!.length).toBeGreaterThan(0);
        const inFlight = send(proxy.endpoint, wide, { path: '/hang' }).then(
          () => 'answered',
          () => 'failed',
        );
        while (upstream.received.filter((r) => r.url === '/hang').length === 0) await new Promise((r) => setTimeout(r, 5));
        const started = Date.now();
        await proxy.close();
        expect(Date.now() - started).toBeLessThan(1000);
        expect(await inFlight).toBe('failed');
        await proxy.close(); // idempotent
      } finally {
        wide.destroy();
      }
    });
  });
});
