// A fetch for the tab API's own calls to the token issuer (JWKS, token redemption) that can trust
// an extra CA (the dev tenant's loopback certificate): the Graph client's keep-alive HTTPS
// transport (src/graph/https-fetch.ts) behind a fetch-shaped function. Never follows redirects.
import { createHttpsAgent, httpsRequest } from '../../graph/https-fetch.ts';

export type FetchLike = (
  url: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<Response>;

const MAX_RESPONSE_BYTES = 1024 * 1024;
/** Statuses whose Response may carry no body. */
const NO_BODY = new Set([101, 204, 205, 304]);

export function createFetch(caPem?: string, timeoutMs = 10_000): FetchLike {
  const plain: FetchLike = (url, init) =>
    fetch(url, { ...init, redirect: 'manual', signal: init?.signal ?? AbortSignal.timeout(timeoutMs) });
  if (!caPem) return plain;
  const agent = createHttpsAgent(caPem, 8);
  return async (url, init) => {
    // Plain HTTP only reaches loopback servers in tests; every issuer call is HTTPS.
    if (new URL(url).protocol === 'http:') return plain(url, init);
    init?.signal?.throwIfAborted();
    const raw = await httpsRequest(
      url,
      { method: init?.method ?? 'GET', headers: init?.headers, body: init?.body, timeoutMs },
      agent,
    );
    if (raw.body.length > MAX_RESPONSE_BYTES)
      throw new Error(`response from ${new URL(url).host} is too large (${raw.body.length} bytes)`);
    return new Response(NO_BODY.has(raw.status) ? null : new Uint8Array(raw.body), {
      status: raw.status,
      headers: raw.headers,
    });
  };
}
