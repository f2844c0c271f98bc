// A minimal fetch for the tab API's own calls to the token issuer (JWKS, token redemption) that
// can trust an extra CA: the dev tenant serves HTTPS with its own loopback certificate.
import http from 'node:http';
import https from 'node:https';

export type FetchLike = (
  url: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<Response>;

const MAX_RESPONSE_BYTES = 1024 * 1024;

export function createFetch(caPem?: string, timeoutMs = 10_000): FetchLike {
  if (!caPem)
    return (url, init) => fetch(url, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeoutMs) });
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      const transport = target.protocol === 'https:' ? https : http;
      const req = transport.request(
        target,
        {
          method: init?.method ?? 'GET',
          headers: init?.body
            ? { ...init.headers, 'Content-Length': String(Buffer.byteLength(init.body)) }
            : init?.headers,
          ca: target.protocol === 'https:' ? caPem : undefined,
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES)
              req.destroy(new Error(`response from ${target.host} is too large`));
            else chunks.push(chunk);
          });
          res.on('end', () => {
            const headers = new Headers();
            for (const [k, v] of Object.entries(res.headers)) {
              if (typeof v === 'string') headers.set(k, v);
              else if (Array.isArray(v)) for (const item of v) headers.append(k, item);
            }
            resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500, headers }));
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`request to ${target.host} timed out`)));
      req.on('error', reject);
      init?.signal?.addEventListener('abort', () => req.destroy(new Error('aborted')));
      if (init?.body) req.write(init.body);
      req.end();
    });
}
