/**
 * A fault-injecting HTTP/1.1 proxy for S3 tests.
 *
 * Client → proxy (http://127.0.0.1:PORT) → upstream server. The client signs its requests (SigV4)
 * for the proxy's host:port, so each request is forwarded byte-for-byte as far as the signature is
 * concerned: same method, same request-target (path and query exactly as received, no
 * re-encoding), the same raw headers in the same order (Host included, still naming the proxy),
 * the body streamed through. Only the TCP destination differs.
 *
 * On the way back the upstream's status, status message and raw headers are relayed, except the
 * hop-by-hop `Connection` and `Keep-Alive` headers: each side of the proxy manages its own
 * keep-alive connection (the proxy→upstream side through a keep-alive agent).
 *
 * Faults (chosen per request by `failNext` first, then by the random plan):
 * - 'slowdown':      503 + S3 XML error `SlowDown`, request never forwarded;
 * - 'internal':      500 + S3 XML error `InternalError`, request never forwarded;
 * - 'drop-request':  the client socket is destroyed, request never forwarded;
 * - 'drop-response': the request is forwarded, the upstream's whole response is read, and then the
 *                    client socket is destroyed without any answer (the write happened, the client
 *                    cannot know).
 *
 * Uses node:http only.
 */
import { randomBytes } from 'node:crypto';
import {
  Agent,
  createServer,
  request as httpRequest,
  type ClientRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  /** 503 with an S3 XML error body (Code SlowDown), without forwarding. */
  | 'slowdown'
  /** 500 with an S3 XML error body (Code InternalError), without forwarding. */
  | 'internal'
  /** Destroy the client socket without forwarding (the request never reached the server). */
  | 'drop-request'
  /** Forward, read the upstream's whole response, then destroy the client socket without answering. */
  | 'drop-response';

export const ALL_FAULTS: readonly Fault[] = ['slowdown', 'internal', 'drop-request', 'drop-response'];

export interface FaultRequestInfo {
  method: string;
  /** The request-target exactly as received, e.g. `/bucket/key?partNumber=1&uploadId=...`. */
  url: string;
  headers: IncomingHttpHeaders;
}

export interface FaultPlan {
  /** Probability in [0,1] that a request gets a fault. */
  rate: number;
  /** Which faults to draw from (uniformly). */
  faults: Fault[];
  /** Only requests matching this get faults (e.g. only PUTs). Default: all. */
  match?: (req: FaultRequestInfo) => boolean;
  /** Seed for a deterministic PRNG (mulberry32), so failures are reproducible. Default: Math.random. */
  seed?: number;
}

export interface FaultProxyStats {
  /** Requests received from clients (every one, faulted or not). */
  requests: number;
  /** Faults injected, by kind. */
  faults: Record<Fault, number>;
  /** Requests sent on to the upstream (pass-through and 'drop-response'). */
  forwarded: number;
}

export interface FaultProxy {
  /** `http://127.0.0.1:PORT`: give this to the client as its endpoint. */
  readonly endpoint: string;
  /** Random fault plan; null = pass everything through. Re-seeds the PRNG. */
  setPlan(plan: FaultPlan | null): void;
  /**
   * Force the next `count` (default 1) requests matching `match` (default: all) to get this fault.
   * Deterministic and takes precedence over the plan; queued calls are consulted in call order.
   */
  failNext(fault: Fault, count?: number, match?: FaultPlan['match']): void;
  /** Live counters (the same object until resetStats replaces its contents). */
  readonly stats: FaultProxyStats;
  resetStats(): void;
  /** Closes the server and destroys every socket (client side and upstream side). */
  close(): Promise<void>;
}

/** mulberry32: a tiny, good-enough seeded PRNG returning floats in [0,1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOP_BY_HOP_RESPONSE_HEADERS = new Set(['connection', 'keep-alive']);

const ERROR_RESPONSES = {
  slowdown: { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' },
  internal: { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' },
  'bad-gateway': { status: 502, code: 'BadGateway', message: 'The fault proxy could not reach the upstream server.' },
} as const;

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function emptyStats(): FaultProxyStats {
  return { requests: 0, faults: { slowdown: 0, internal: 0, 'drop-request': 0, 'drop-response': 0 }, forwarded: 0 };
}

interface PendingFault {
  fault: Fault;
  remaining: number;
  match: FaultPlan['match'];
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  if (target.protocol !== 'http:') throw new Error(`fault proxy: upstream must be http://host:port, got ${upstream}`);
  const upstreamHost = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const upstreamPort = target.port === '' ? 80 : Number(target.port);

  // Free upstream sockets expire after 4 s idle (or 1 s before the upstream's Keep-Alive hint), so
  // the proxy never reuses a socket the upstream is about to close (which would surface as a 502).
  const agent = new Agent({ keepAlive: true, timeout: 4_000 });
  const clientSockets = new Set<Socket>();
  const upstreamRequests = new Set<ClientRequest>();

  const stats = emptyStats();
  let plan: FaultPlan | null = null;
  let random: () => number = Math.random;
  const pending: PendingFault[] = [];
  let closed = false;

  function chooseFault(info: FaultRequestInfo): Fault | null {
    for (let i = 0; i < pending.length; i++) {
      const entry = pending[i]!;
      if (entry.match && !entry.match(info)) continue;
      entry.remaining--;
      if (entry.remaining <= 0) pending.splice(i, 1);
      return entry.fault;
    }
    if (!plan || plan.faults.length === 0 || plan.rate <= 0) return null;
    if (plan.match && !plan.match(info)) return null;
    if (random() >= plan.rate) return null;
    const index = Math.min(plan.faults.length - 1, Math.floor(random() * plan.faults.length));
    return plan.faults[index]!;
  }

  function sendError(req: IncomingMessage, res: ServerResponse, kind: keyof typeof ERROR_RESPONSES): void {
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    const { status, code, message } = ERROR_RESPONSES[kind];
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    const resource = (req.url ?? '/').split('?')[0]!;
    const body = Buffer.from(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>` +
        `<Resource>${escapeXml(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`,
      'utf8',
    );
    res.writeHead(status, {
      'Content-Type': 'application/xml',
      'Content-Length': String(body.length),
      'x-amz-request-id': requestId,
      'x-amz-id-2': randomBytes(24).toString('base64'),
    });
    res.end(body); // ignored by node:http for HEAD, as it must be
  }

  /** Answers with an error once the request body is fully read (so the connection stays usable). */
  function answerAfterBody(req: IncomingMessage, res: ServerResponse, kind: keyof typeof ERROR_RESPONSES): void {
    if (req.complete) {
      sendError(req, res, kind);
      return;
    }
    req.on('end', () => sendError(req, res, kind));
    req.resume();
  }

  function forward(req: IncomingMessage, res: ServerResponse, dropResponse: boolean): void {
    stats.forwarded++;
    const upstreamReq = httpRequest({
      host: upstreamHost,
      port: upstreamPort,
      method: req.method,
      path: req.url,
      // The raw [name, value, name, value, ...] list: original order, case and duplicates, Host
      // included. Node then neither adds a Host nor changes framing (it honours the forwarded
      // Content-Length / Transfer-Encoding: chunked).
      headers: req.rawHeaders as unknown as Record<string, string>,
      agent,
    });
    upstreamRequests.add(upstreamReq);
    upstreamReq.on('close', () => upstreamRequests.delete(upstreamReq));

    let failed = false;
    upstreamReq.on('error', () => {
      if (failed) return;
      failed = true;
      req.unpipe(upstreamReq);
      if (dropResponse || res.headersSent) {
        res.destroy();
        return;
      }
      // Upstream unreachable / reset before answering: 502, after draining the client's body.
      answerAfterBody(req, res, 'bad-gateway');
    });

    upstreamReq.on('response', (upstreamRes) => {
      upstreamRes.on('error', () => res.destroy());
      if (dropResponse) {
        // Let the upstream finish completely, then vanish without a word.
        upstreamRes.on('end', () => res.destroy());
        upstreamRes.resume();
        return;
      }
      const headers: string[] = [];
      const raw = upstreamRes.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) {
        if (HOP_BY_HOP_RESPONSE_HEADERS.has(raw[i]!.toLowerCase())) continue;
        headers.push(raw[i]!, raw[i + 1]!);
      }
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, headers);
      upstreamRes.pipe(res);
      upstreamRes.on('close', () => {
        // Upstream died mid-body: the client must see a broken response, not a short one.
        if (!upstreamRes.complete) res.destroy();
      });
    });

    // Client went away before we finished answering: abandon the upstream exchange too.
    res.on('close', () => {
      if (!res.writableFinished && !dropResponse) upstreamReq.destroy();
    });

    req.pipe(upstreamReq);
  }

  function handle(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void {
    stats.requests++;
    const info: FaultRequestInfo = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
    let fault: Fault | null;
    try {
      fault = chooseFault(info);
    } catch {
      fault = null; // a throwing match function means "no fault"
    }
    if (fault) stats.faults[fault]++;

    if (fault === 'drop-request') {
      req.socket.destroy();
      return;
    }
    // Expect: 100-continue: tell the client to send its body now, then proceed as usual. The
    // Expect header is still forwarded; the upstream's own 100 Continue is absorbed by node:http.
    if (expectsContinue) res.writeContinue();

    switch (fault) {
      case 'slowdown':
      case 'internal':
        answerAfterBody(req, res, fault);
        return;
      case 'drop-response':
        forward(req, res, true);
        return;
      default:
        forward(req, res, false);
    }
  }

  const server = createServer();
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 60_000;
  server.requestTimeout = 0;
  server.on('request', (req, res) => handle(req, res, false));
  server.on('checkContinue', (req, res) => handle(req, res, true));
  server.on('connection', (socket: Socket) => {
    clientSockets.add(socket);
    socket.on('close', () => clientSockets.delete(socket));
  });
  server.on('clientError', (_error, socket: Socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    setPlan(next) {
      if (next && !(next.rate >= 0 && next.rate <= 1)) throw new RangeError(`fault rate must be in [0,1], got ${next.rate}`);
      plan = next ? { ...next, faults: [...next.faults] } : null;
      random = next?.seed === undefined ? Math.random : mulberry32(next.seed);
    },
    failNext(fault, count = 1, match) {
      if (count > 0) pending.push({ fault, remaining: count, match });
    },
    get stats() {
      return stats;
    },
    resetStats() {
      const fresh = emptyStats();
      stats.requests = fresh.requests;
      stats.forwarded = fresh.forwarded;
      stats.faults = fresh.faults;
    },
    async close() {
      if (closed) return;
      closed = true;
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const socket of clientSockets) socket.destroy();
      for (const upstreamReq of upstreamRequests) upstreamReq.destroy();
      agent.destroy();
      await done;
    },
  };
}
