// A fault-injecting HTTPS proxy for tests: sits in front of an HTTPS server (the Cosmos-protocol
// test server, or the dev tenant's Graph) on 127.0.0.1 and, per request, either answers 429
// (with Cosmos' x-ms-retry-after-ms and Graph's Retry-After), 503, drops the connection, or
// forwards it unchanged. It records what passed (method, path, bearer claims) so tests can count
// the faults they caused and check who called what. Randomness is seeded: a failing schedule
// replays with the same seed.
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';

export interface ProxyFaults {
  /** Probabilities (0..1) per request. */
  rate429?: number;
  rate503?: number;
  /** Drop the connection without an answer (before the request reaches the server). */
  rateDrop?: number;
  /** Hold the request this long before forwarding it (a slow server; client timeouts fire). */
  rateSlow?: number;
  slowMs?: number;
  /** x-ms-retry-after-ms of 429s (default 20). */
  retryAfterMs?: number;
  /** 503s, drops and slow answers only hit requests for which this returns true (default: all);
   * 429s hit every request (a throttled write is safe to retry, as the server applied nothing). */
  match?: (request: {
    method: string;
    path: string;
    headers: Record<string, string | string[] | undefined>;
  }) => boolean;
}

export interface ProxiedRequest {
  method: string;
  path: string;
  status: number | 'dropped';
  /** Decoded (not verified) claims of the bearer token, when the request carried one. */
  claims?: Record<string, unknown>;
  /** The request body as text (first 256 KB), when there was one. */
  body?: string;
}

export interface FaultProxy {
  /** e.g. https://127.0.0.1:54321 */
  readonly url: string;
  /** The proxy's own certificate: trust it in the client under test. */
  readonly caPem: string;
  /** Replace the fault settings (empty object = pass everything). */
  setFaults(faults: ProxyFaults): void;
  /** Faults injected so far, by kind. */
  readonly injected: { throttled: number; unavailable: number; dropped: number; slowed: number };
  readonly requests: ProxiedRequest[];
  /** Rewrites a JSON response body before it is sent (tests: a page with an unexpected shape). */
  setResponseRewrite(rewrite?: (request: { method: string; path: string }, body: unknown) => unknown): void;
  stop(): Promise<void>;
}

export interface FaultProxyOptions {
  /** Upstream base, e.g. https://127.0.0.1:8081 */
  target: string;
  /** CA to trust for the upstream (its self-signed certificate). */
  targetCaPem: string;
  seed?: number;
  /** Serve with this certificate instead of a fresh self-signed one (e.g. the dev tenant's, so
   * one CA covers both Graph through the proxy and the token issuer). */
  tls?: { key: string; cert: string };
}

/** mulberry32: small, fast, seedable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bearerClaims(header: string | undefined): Record<string, unknown> | undefined {
  const m = /^Bearer\s+([\w-]+)\.([\w-]+)\.([\w-]*)$/i.exec(header ?? '');
  if (!m) return undefined;
  try {
    return JSON.parse(Buffer.from(m[2], 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const pems = options.tls
    ? { private: options.tls.key, cert: options.tls.cert }
    : await generate([{ name: 'commonName', value: '127.0.0.1' }], {
        keyType: 'ec',
        curve: 'P-256',
        notAfterDate: new Date(Date.now() + 24 * 3600_000),
        extensions: [
          { name: 'basicConstraints', cA: false },
          { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
        ],
      });
  const target = new URL(options.target);
  const upstreamOrigin = `${target.protocol}//${target.host}`;
  const upstream = new https.Agent({ ca: options.targetCaPem, keepAlive: true });
  const random = seededRandom(options.seed ?? 1);
  let faults: ProxyFaults = {};
  let rewrite: ((request: { method: string; path: string }, body: unknown) => unknown) | undefined;
  const injected = { throttled: 0, unavailable: 0, dropped: 0, slowed: 0 };
  const requests: ProxiedRequest[] = [];
  let proxyOrigin = '';

  const answer = (
    res: ServerResponse,
    status: number,
    code: string,
    message: string,
    extra: Record<string, string>,
  ) => {
    res.writeHead(status, { 'content-type': 'application/json', ...extra });
    res.end(JSON.stringify({ code, message, error: { code, message } }));
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const claims = bearerClaims(req.headers.authorization);
    const record = (status: ProxiedRequest['status']) =>
      requests.push({
        method,
        path,
        status,
        ...(claims ? { claims } : {}),
        ...(body.length ? { body: body.subarray(0, 256 * 1024).toString('utf8') } : {}),
      });
    const forward = () => forwardTo(req, res, body, record);
    const roll = random();
    const r429 = faults.rate429 ?? 0;
    if (roll < r429) {
      injected.throttled++;
      record(429);
      const ms = faults.retryAfterMs ?? 20;
      return answer(res, 429, 'TooManyRequests', 'Request rate is large (fault proxy)', {
        'x-ms-retry-after-ms': String(ms),
        'x-ms-substatus': '3200',
        'retry-after': String(Math.max(1, Math.ceil(ms / 1000))),
      });
    }
    if (!faults.match || faults.match({ method, path, headers: req.headers })) {
      const r503 = faults.rate503 ?? 0;
      const rDrop = faults.rateDrop ?? 0;
      if (roll < r429 + r503) {
        injected.unavailable++;
        record(503);
        return answer(res, 503, 'ServiceUnavailable', 'Service is unavailable (fault proxy)', {});
      }
      if (roll < r429 + r503 + rDrop) {
        injected.dropped++;
        record('dropped');
        req.socket.destroy();
        return;
      }
      if (roll < r429 + r503 + rDrop + (faults.rateSlow ?? 0)) {
        injected.slowed++;
        setTimeout(() => forward(), faults.slowMs ?? 1000);
        return;
      }
    }
    forward();
  };

  const forwardTo = (
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    record: (s: ProxiedRequest['status']) => void,
  ) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    if (res.destroyed || req.socket.destroyed) return;
    const headers = { ...req.headers, host: target.host };
    delete headers.connection;
    const forward = https.request(
      { host: target.hostname, port: target.port, method, path, headers, agent: upstream },
      (up) => {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          let out = Buffer.concat(chunks);
          const type = String(up.headers['content-type'] ?? '');
          if (type.includes('json') && out.length) {
            // The Cosmos account document names the server's own endpoint: point it at the proxy
            // so the client keeps talking through us.
            let text = out.toString('utf8').split(`${upstreamOrigin}/`).join(`${proxyOrigin}/`);
            if (rewrite) {
              try {
                text = JSON.stringify(rewrite({ method, path }, JSON.parse(text)));
              } catch {
                // not JSON after all: pass it through
              }
            }
            out = Buffer.from(text, 'utf8');
          }
          const outHeaders = { ...up.headers };
          delete outHeaders['content-length'];
          delete outHeaders['transfer-encoding'];
          outHeaders['content-length'] = String(out.length);
          record(up.statusCode ?? 502);
          res.writeHead(up.statusCode ?? 502, outHeaders);
          res.end(out);
        });
        up.on('error', () => req.socket.destroy());
      },
    );
    // An upstream reset is passed on as a reset (not turned into a 502 the server never sent).
    forward.on('error', () => {
      record('dropped');
      req.socket.destroy();
    });
    forward.end(body);
  };

  const server = https.createServer({ key: pems.private, cert: pems.cert, keepAlive: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
    req.on('error', () => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  proxyOrigin = `https://127.0.0.1:${port}`;

  return {
    url: proxyOrigin,
    caPem: pems.cert,
    injected,
    requests,
    setFaults(next) {
      faults = next;
    },
    setResponseRewrite(next) {
      rewrite = next;
    },
    async stop() {
      upstream.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
