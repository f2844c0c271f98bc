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

// The SDK reports a failed transactional batch as a plain Error with the cause only in its
// message ("Batch request error: socket hang up"): no code, no cause.
const BATCH_NETWORK = /^Batch request error: .*?\b(socket hang up|ECONNRESET|EPIPE|ECONNREFUSED|ETIMEDOUT)\b/;
// A batch the service failed (503 "Service is unavailable", 500, a timeout): its status is lost too.
const BATCH_SERVER =
  /^Batch request error: .*\b(unavailable|ServiceUnavailable|Internal Server Error|Request timed out|Gone)\b/i;

function networkCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  const batch = err instanceof Error ? BATCH_NETWORK.exec(err.message) : null;
  if (batch) return batch[1] === 'socket hang up' ? 'ECONNRESET' : batch[1];
  return undefined;
}

/**
 * The connection was reset or closed under the request (e.g. a keep-alive connection the server
 * had just closed). The SDK retries reads and queries after this, never writes: callers whose
 * writes are idempotent may repeat them.
 */
export function isConnectionReset(err: unknown): boolean {
  const code = networkCode(err);
  return code === 'ECONNRESET' || code === 'EPIPE';
}

// A batch the client stopped waiting for (the connection policy's requestTimeout), wrapped the
// same way: "Batch request error: Timeout Error! Request took more than 10000 ms".
const BATCH_TIMEOUT = /^Batch request error: Timeout Error\b/;

/**
 * The client gave up waiting for an answer (requestTimeout). The server may still apply the
 * request: callers whose writes are idempotent may repeat them.
 */
export function isRequestTimeout(err: unknown): boolean {
  if ((err as { name?: unknown } | null)?.name === 'TimeoutError') return true;
  return err instanceof Error && BATCH_TIMEOUT.test(err.message);
}

export function cosmosUnavailable(err: unknown, endpoint: string): StoreUnavailableError | undefined {
  const status = cosmosStatus(err);
  const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
  const net = networkCode(err);
  let message: string | undefined;
  if (net) {
    message = `Cosmos DB at ${endpoint} is unreachable (${net}): ${detail}`;
  } else if (isRequestTimeout(err) || status === 408) {
    message = `Cosmos DB at ${endpoint} did not answer in time: ${detail}`;
  } else if (status === 401 || status === 403) {
    message = `Cosmos DB at ${endpoint} refused the credentials (HTTP ${status}); check COSMOS_KEY or the managed identity's role`;
  } else if (status === 429) {
    message = `Cosmos DB at ${endpoint} kept throttling (HTTP 429) after retries; raise its throughput or retry later`;
  } else if (status !== undefined && status >= 500) {
    message = `Cosmos DB at ${endpoint} failed (HTTP ${status}): ${detail}`;
  } else if (BATCH_SERVER.test(detail)) {
    message = `Cosmos DB at ${endpoint} failed a batch write: ${detail}`;
  }
  if (!message) return undefined;
  const out = new StoreUnavailableError(message);
  out.cause = err;
  return out;
}
