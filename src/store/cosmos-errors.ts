// Maps Cosmos SDK failures to the store's errors: an endpoint that cannot be reached, refuses
// the credentials or keeps throttling becomes StoreUnavailableError naming the endpoint.
import { StoreUnavailableError } from './store.ts';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** HTTP status of a Cosmos error response, if it is one. */
export function cosmosStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown; statusCode?: unknown } | null)?.code;
  if (typeof code === 'number') return code;
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function networkCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function cosmosUnavailable(err: unknown, endpoint: string): StoreUnavailableError | undefined {
  const status = cosmosStatus(err);
  const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
  const net = networkCode(err);
  let message: string | undefined;
  if (net) {
    message = `Cosmos DB at ${endpoint} is unreachable (${net}): ${detail}`;
  } else if ((err as { name?: unknown } | null)?.name === 'TimeoutError' || status === 408) {
    message = `Cosmos DB at ${endpoint} did not answer in time: ${detail}`;
  } else if (status === 401 || status === 403) {
    message = `Cosmos DB at ${endpoint} refused the credentials (HTTP ${status}); check COSMOS_KEY or the managed identity's role`;
  } else if (status === 429) {
    message = `Cosmos DB at ${endpoint} kept throttling (HTTP 429) after retries; raise its throughput or retry later`;
  } else if (status !== undefined && status >= 500) {
    message = `Cosmos DB at ${endpoint} failed (HTTP ${status}): ${detail}`;
  }
  if (!message) return undefined;
  const out = new StoreUnavailableError(message);
  out.cause = err;
  return out;
}
