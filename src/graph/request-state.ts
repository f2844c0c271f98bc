// Per-request state shared by the gateway's middlewares through the graph client's
// MiddlewareControl: the exact URL to send (nextLinks replayed verbatim), the attempt cap, and
// what happened (last raw response, attempts, why it gave up) so the caller can build a
// precise GraphError.
import type { Context, MiddlewareOptions } from '@microsoft/microsoft-graph-client';
import type { GraphError, GraphStats } from './gateway.ts';

export interface RawGraphResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export class GraphRequestState implements MiddlewareOptions {
  attempts = 0;
  lastResponse?: RawGraphResponse;
  /** Set when a middleware fails the request with a complete error (e.g. attempts exhausted). */
  failure?: GraphError;
  /** The socket-level error of the last attempt, if any (e.g. ECONNRESET). */
  connectionError?: Error;

  constructor(
    /** Sent as is: the gateway's own URL building (or Graph's nextLink) is the source of truth. */
    readonly url: string,
    readonly method: string,
    readonly maxAttempts: number,
    /** Safe to resend after a connection reset (not for non-idempotent POSTs). */
    readonly idempotent: boolean,
    /** The counters of the GraphClient that sent the request. */
    readonly stats: GraphStats,
  ) {}
}

export function requestStateOf(context: Context): GraphRequestState | undefined {
  // Duck-typed: the SDK's MiddlewareControl keys options by their constructor.
  const option = context.middlewareControl?.getMiddlewareOptions(GraphRequestState);
  return option instanceof GraphRequestState ? option : undefined;
}
