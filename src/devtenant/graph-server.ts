// The dev tenant's HTTPS server on loopback: /v1.0/... answered as graph.microsoft.com does
// (the bearer token's tid picks the tenant, its roles decide), /_dev/... the control API.
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.ts';
import { handleControl, isLoopback } from './control-api.ts';
import type { Db } from './dev-db.ts';
import { readFaults } from './faults.ts';
import { runBatch } from './graph-batch.ts';
import type { Caller, GraphResponse } from './graph-context.ts';
import {
  type DispatchEnv,
  dispatchGraph,
  errorResponse,
  faultResponse,
  newRequestId,
  randomFault,
} from './graph-dispatch.ts';
import { errors, GraphHttpError } from './graph-errors.ts';
import { Throttler } from './throttle.ts';

/** Verified claims of a Graph access token (helper 2's TokenIssuer.verifyGraphToken). */
export interface VerifiedToken {
  tid: string;
  roles: string[];
  appid?: string;
  azp?: string;
  oid?: string;
}

export interface GraphServerOptions {
  db: Db;
  tls: { key: string; cert: string };
  host?: string;
  port?: number;
  /** Throws when the token is invalid; the error's `reason` (if any) picks the message. */
  verifyAccessToken(token: string): Promise<VerifiedToken>;
  now?: () => Date;
  logger?: Logger;
  random?: () => number;
  /** True when the tenant's admin revoked consent for the app: Graph then answers 403. */
  consentRevoked?(tenantId: string, appId: string): boolean;
}

export interface GraphServer {
  url: string;
  port: number;
  throttler: Throttler;
  stop(): Promise<void>;
}

const MAX_BODY = 4 * 1024 * 1024;

const REASON_MESSAGES: Record<string, string> = {
  expired: 'Lifetime validation failed, the token is expired.',
  not_yet_valid: 'Lifetime validation failed, the token is not yet valid.',
  wrong_audience: 'Invalid audience.',
  wrong_issuer: 'Invalid issuer.',
  bad_signature: 'Signature validation failed.',
  malformed: 'IDX14100: JWT is not well formed.',
  missing_claims: 'The token is missing required claims.',
};

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw errors.badRequest('The request body is too large.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function headerMap(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function send(
  res: ServerResponse,
  r: GraphResponse,
  requestId: string,
  clientRequestId: string | undefined,
): void {
  const headers: Record<string, string> = {
    'request-id': requestId,
    'client-request-id': clientRequestId ?? requestId,
    'cache-control': 'no-cache',
    ...(r.headers ?? {}),
  };
  if (r.text !== undefined) {
    headers['content-type'] = headers['content-type'] ?? 'text/plain';
    res.writeHead(r.status, headers);
    res.end(r.text);
  } else if (r.body !== undefined) {
    headers['content-type'] =
      'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
    res.writeHead(r.status, headers);
    res.end(JSON.stringify(r.body));
  } else {
    res.writeHead(r.status, headers);
    res.end();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startGraphServer(options: GraphServerOptions): Promise<GraphServer> {
  const throttler = new Throttler();
  const now = options.now ?? (() => new Date());
  const env: DispatchEnv = {
    db: options.db,
    throttler,
    base: '',
    now,
    log: options.logger,
    random: options.random ?? Math.random,
    sizeCache: new Map(),
  };

  const authenticate = async (headers: Record<string, string>): Promise<Caller> => {
    const auth = headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    if (!m)
      throw errors.unauthenticated(
        auth ? 'Access token validation failure. Invalid audience.' : 'Access token is empty.',
      );
    let claims: VerifiedToken;
    try {
      claims = await options.verifyAccessToken(m[1]);
    } catch (err) {
      const reason = (err as { reason?: string }).reason;
      throw errors.unauthenticated(
        reason && REASON_MESSAGES[reason] ? REASON_MESSAGES[reason] : 'Access token validation failure.',
      );
    }
    const known = options.db.prepare('SELECT 1 FROM tenants WHERE tenant_id = ?').get(claims.tid);
    if (!known) throw errors.unauthenticated(`The tenant '${claims.tid}' is not known to the dev tenant.`);
    return {
      tenantId: claims.tid,
      appId: claims.appid ?? claims.azp ?? 'unknown',
      roles: claims.roles ?? [],
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = newRequestId();
    const headers = headerMap(req);
    const clientRequestId = headers['client-request-id'];
    const url = new URL(req.url ?? '/', env.base.replace(/\/v1\.0$/, '') || 'https://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname === '/_dev' || url.pathname.startsWith('/_dev/')) {
      if (!isLoopback(req.socket.remoteAddress)) {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: { code: 'Forbidden', message: 'The control API answers loopback callers only.' },
          }),
        );
        return;
      }
      const body = await readBody(req);
      const out = await handleControl({ db: options.db, throttler, now, method, url, body });
      res.writeHead(out.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out.body));
      return;
    }
    let response: GraphResponse;
    let objects = 0;
    let latency = 0;
    try {
      const version = url.pathname.split('/')[1];
      if (version !== 'v1.0') {
        if (version === 'beta') throw errors.badRequest('The dev tenant serves Microsoft Graph v1.0 only.');
        throw new GraphHttpError(400, 'BadRequest', `Invalid version: ${version || '(none)'}`);
      }
      const caller = await authenticate(headers);
      if (options.consentRevoked?.(caller.tenantId, caller.appId)) throw errors.denied();
      const settings = readFaults(options.db, caller.tenantId);
      latency = settings.latencyMs ?? 0;
      const f = randomFault(settings, env.random);
      if (f === 'reset') {
        req.socket.destroy();
        return;
      }
      const raw = await readBody(req);
      let body: unknown;
      if (raw.length) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw errors.badRequest(
            'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
          );
        }
      }
      const path = url.pathname.slice('/v1.0'.length) || '/';
      if (f) response = faultResponse(f, settings, requestId, clientRequestId);
      else if (path === '/$batch') {
        if (method !== 'POST') throw errors.methodNotAllowed();
        response = runBatch(env, caller, body, settings, requestId);
      } else
        response = dispatchGraph(
          env,
          caller,
          { method, path, query: url.searchParams, headers, body },
          settings,
          requestId,
        );
      objects = response.objects ?? 0;
      latency += (settings.latencyPerObjectMs ?? 0) * objects;
    } catch (err) {
      if (err instanceof GraphHttpError) response = errorResponse(err, requestId, clientRequestId);
      else {
        options.logger?.error({ err }, 'dev tenant request failed');
        response = errorResponse(
          new GraphHttpError(500, 'generalException', 'An internal error occurred in the dev tenant.'),
          requestId,
          clientRequestId,
        );
      }
      if (response.status === 401)
        response.headers = {
          ...response.headers,
          'www-authenticate':
            'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
        };
    }
    if (latency > 0) await sleep(latency);
    send(res, response, requestId, clientRequestId);
  };

  const server = https.createServer(
    { key: options.tls.key, cert: options.tls.cert, keepAlive: true },
    (req, res) => {
      handle(req, res).catch((err) => {
        options.logger?.error({ err }, 'dev tenant request crashed');
        if (!res.headersSent) {
          res.writeHead(500);
          res.end();
        } else res.destroy();
      });
    },
  );
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `https://${host}:${port}`;
  env.base = `${url}/v1.0`;
  return {
    url,
    port,
    throttler,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
