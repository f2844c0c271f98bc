// Last middleware: sends the request over node:https with the gateway's agent (which can trust
// the dev tenant's CA), records the raw response for error building, and hands the graph
// client a standard Response.
import type https from 'node:https';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { httpsRequest } from './https-fetch.ts';
import { requestStateOf } from './request-state.ts';

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

export class HttpsTransportMiddleware implements Middleware {
  constructor(
    private readonly agent: https.Agent,
    private readonly timeoutMs: number,
  ) {}

  async execute(context: Context): Promise<void> {
    const state = requestStateOf(context);
    if (!state) throw new Error('HttpsTransportMiddleware: missing request state');
    const options = context.options ?? {};
    const body = options.body;
    if (body !== undefined && body !== null && typeof body !== 'string' && !Buffer.isBuffer(body)) {
      throw new Error('HttpsTransportMiddleware: only string or Buffer request bodies are supported');
    }
    state.connectionError = undefined;
    const raw = await httpsRequest(
      state.url,
      {
        method: state.method,
        headers: options.headers as Record<string, string>,
        body: body ?? undefined,
        timeoutMs: this.timeoutMs,
      },
      this.agent,
    ).catch((err: unknown) => {
      if (err instanceof Error) state.connectionError = err;
      throw err;
    });
    state.lastResponse = raw;
    const headers = new Headers();
    for (const [name, value] of Object.entries(raw.headers)) headers.set(name, value);
    context.response = new Response(NULL_BODY_STATUSES.has(raw.status) ? null : new Uint8Array(raw.body), {
      status: raw.status,
      headers,
    });
  }
}
