// Graph's error bodies ({error: {code, message, innerError: {request-id, date}}}) as typed
// GraphErrors, plus which statuses are worth retrying. Clients branch on status + code.
import { GraphError } from './gateway.ts';

/** Statuses Graph asks clients to retry: throttling and transient gateway failures. */
export const RETRYABLE_STATUSES = new Set([429, 503, 504]);

/** Socket-level failures worth retrying (the request may not have reached Graph). */
const RETRYABLE_CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

export function isRetryableConnectionError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && RETRYABLE_CONNECTION_CODES.has(code);
}

interface GraphErrorBody {
  error?: {
    code?: unknown;
    message?: unknown;
    innerError?: { 'request-id'?: unknown };
    innererror?: { 'request-id'?: unknown };
  };
}

/** Retry-After as seconds (delta-seconds or an HTTP date); undefined when absent or invalid. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, (date - now) / 1000);
}

/** Builds the typed error from an HTTP status, headers and raw body of a failed Graph call. */
export function graphErrorFromResponse(
  status: number,
  headers: Record<string, string>,
  body: string,
  context: { method: string; url: string; prefix?: string },
): GraphError {
  let parsed: GraphErrorBody | undefined;
  try {
    parsed = JSON.parse(body) as GraphErrorBody;
  } catch {
    parsed = undefined;
  }
  const inner = parsed?.error?.innerError ?? parsed?.error?.innererror;
  const code = typeof parsed?.error?.code === 'string' ? parsed.error.code : `Http${status}`;
  const graphMessage =
    typeof parsed?.error?.message === 'string' && parsed.error.message
      ? parsed.error.message
      : body.trim().slice(0, 200) || `HTTP ${status}`;
  const requestId =
    (typeof inner?.['request-id'] === 'string' ? inner['request-id'] : undefined) ??
    headers['request-id'] ??
    undefined;
  const retryAfter = parseRetryAfter(headers['retry-after']);
  const where = `${context.method} ${describeUrl(context.url)}`;
  const message = `${context.prefix ?? ''}Graph answered ${status} ${code} to ${where}: ${graphMessage}`;
  return new GraphError(status, code, message, requestId, retryAfter);
}

/** Path and query names only: ids are fine to log, but skip tokens and filters can be long. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const names = [...parsed.searchParams.keys()];
    return names.length ? `${parsed.pathname}?${names.join('&')}` : parsed.pathname;
  } catch {
    return url;
  }
}
