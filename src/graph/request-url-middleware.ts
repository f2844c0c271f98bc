// First middleware: sends the URL the gateway decided (nextLink/deltaLink replayed verbatim;
// the graph client's own URL parser reorders and re-encodes query strings), normalizes the
// headers to a plain object, and sets a client-request-id for correlation with Graph's logs.
import { randomUUID } from 'node:crypto';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { requestStateOf } from './request-state.ts';

export class RequestUrlMiddleware implements Middleware {
  private next?: Middleware;

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const state = requestStateOf(context);
    if (!this.next || !state)
      throw new Error('RequestUrlMiddleware: missing next middleware or request state');
    context.request = state.url;
    const options = context.options ?? {};
    const headers = toRecord(options.headers);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'client-request-id'))
      headers['client-request-id'] = randomUUID();
    options.headers = headers;
    options.method = state.method;
    context.options = options;
    await this.next.execute(context);
  }
}

export function toRecord(headers: HeadersInit | undefined): Record<string, string> {
  if (!headers) return {};
  if (headers instanceof Headers) return Object.fromEntries(headers.entries());
  if (Array.isArray(headers)) return Object.fromEntries(headers.map(([k, v]) => [k, v]));
  return { ...(headers as Record<string, string>) };
}
