// A small HTTPS client on node:https with an agent that can trust an extra CA (the dev tenant's
// loopback certificate). Node's global fetch takes no CA option, so both the Graph transport
// and msal's network client use this instead.
import type http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface RawRequest {
  method: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
}

/** Keep-alive agent trusting the public roots plus `caPem` when given. */
export function createHttpsAgent(caPem?: string, maxSockets = 64): https.Agent {
  return new https.Agent({
    keepAlive: true,
    maxSockets,
    ...(caPem ? { ca: [...rootCertificates, caPem] } : {}),
  });
}

/** Resends after a stale keep-alive socket was reset this many times at most. */
const STALE_SOCKET_RETRIES = 2;

/**
 * Sends one request; rejects on connection errors (ECONNRESET etc.) and timeouts. A request
 * written to a reused keep-alive socket that the server had already closed (ECONNRESET before
 * any response) never reached the server, so it is sent again on a fresh socket, whatever its
 * method: the pattern Node documents for `request.reusedSocket`. Without it, a POST such as a
 * `$batch` of restores failed whenever a connection sat idle past the server's keep-alive timeout.
 */
export async function httpsRequest(
  url: string,
  request: RawRequest,
  agent: https.Agent,
): Promise<RawResponse> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await sendOnce(url, request, agent);
    } catch (error) {
      if (!(error instanceof StaleSocketError) || attempt >= STALE_SOCKET_RETRIES) {
        throw error instanceof StaleSocketError ? error.cause : error;
      }
    }
  }
}

/** A reused keep-alive socket was reset before any response: the request was not processed. */
class StaleSocketError extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

function sendOnce(url: string, request: RawRequest, agent: https.Agent): Promise<RawResponse> {
  const target = new URL(url);
  if (target.protocol !== 'https:') {
    return Promise.reject(
      new Error(`Refusing to send a request over ${target.protocol} to ${target.host}: HTTPS only`),
    );
  }
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = https.request(target, { method: request.method, headers: request.headers, agent }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('aborted', () => reject(Object.assign(new Error('Response aborted'), { code: 'ECONNRESET' })));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: flattenHeaders(res.headers),
          body: Buffer.concat(chunks),
        }),
      );
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      const stale = req.reusedSocket && !answered && error.code === 'ECONNRESET';
      reject(stale ? new StaleSocketError(error) : error);
    });
    if (request.timeoutMs) {
      req.setTimeout(request.timeoutMs, () =>
        req.destroy(Object.assign(new Error('Request timed out'), { code: 'ETIMEDOUT' })),
      );
    }
    req.end(request.body);
  });
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
