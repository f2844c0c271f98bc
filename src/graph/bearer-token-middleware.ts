// Adds the app's bearer token, and only for the configured Graph origin: a link pointing
// anywhere else never receives the tenant's token.
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { GraphError } from './gateway.ts';
import { requestStateOf } from './request-state.ts';
import type { AccessTokenProvider } from './token-provider.ts';

export class BearerTokenMiddleware implements Middleware {
  private next?: Middleware;

  constructor(
    private readonly tokens: AccessTokenProvider,
    private readonly graphOrigin: string,
  ) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const state = requestStateOf(context);
    if (!this.next || !state)
      throw new Error('BearerTokenMiddleware: missing next middleware or request state');
    const headers = (context.options?.headers ?? {}) as Record<string, string>;
    for (const name of Object.keys(headers)) if (name.toLowerCase() === 'authorization') delete headers[name];
    if (new URL(state.url).origin === this.graphOrigin) {
      // Asked on every attempt: msal serves it from cache and renews it before expiry.
      try {
        headers.Authorization = `Bearer ${await this.tokens.getAccessToken()}`;
      } catch (err) {
        // Kept whole (status 401, Entra's code): the graph client would flatten it.
        if (err instanceof GraphError) state.failure = err;
        throw err;
      }
    }
    if (context.options) context.options.headers = headers;
    await this.next.execute(context);
  }
}
