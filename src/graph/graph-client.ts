// A GraphClient bound to one tenant and one app: requests go through
// @microsoft/microsoft-graph-client with the gateway's middleware chain (exact URL, retry,
// bearer token, per-tenant concurrency, HTTPS transport). Each instance has its own stats.
import type { Client, GraphRequest } from '@microsoft/microsoft-graph-client';
import { decodeJwt } from 'jose';
import { runBatch } from './batch.ts';
import {
  type BatchRequestItem,
  type BatchResponseItem,
  type GraphClient,
  type GraphCollectionPage,
  GraphError,
  type GraphRequestOptions,
  type GraphStats,
} from './gateway.ts';
import { describeUrl, graphErrorFromResponse } from './graph-errors.ts';
import { followPages, toCollectionPage } from './paging.ts';
import { GraphRequestState } from './request-state.ts';
import type { RetryPolicy } from './retry-middleware.ts';
import type { AccessTokenProvider } from './token-provider.ts';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface GraphClientDeps {
  tenantId: string;
  /** e.g. https://graph.microsoft.com/v1.0 (no trailing slash). */
  graphBaseUrl: string;
  sdk: Client;
  tokens: AccessTokenProvider;
  maxAttempts: number;
  retry: RetryPolicy;
}

export class GatewayGraphClient implements GraphClient {
  readonly stats: GraphStats = { requests: 0, throttled: 0, retries: 0 };
  readonly tenantId: string;
  private readonly origin: string;

  constructor(private readonly deps: GraphClientDeps) {
    this.tenantId = deps.tenantId;
    this.origin = new URL(deps.graphBaseUrl).origin;
  }

  get<T = unknown>(pathOrUrl: string, options?: GraphRequestOptions): Promise<T> {
    return this.send<T>('GET', pathOrUrl, undefined, options);
  }

  post<T = unknown>(path: string, body?: unknown, options?: GraphRequestOptions): Promise<T> {
    return this.send<T>('POST', path, body, options);
  }

  patch<T = unknown>(path: string, body: unknown, options?: GraphRequestOptions): Promise<T> {
    return this.send<T>('PATCH', path, body, options);
  }

  put<T = unknown>(path: string, body: unknown, options?: GraphRequestOptions): Promise<T> {
    return this.send<T>('PUT', path, body, options);
  }

  async delete(path: string, options?: GraphRequestOptions): Promise<void> {
    await this.send<unknown>('DELETE', path, undefined, options);
  }

  async getPage<T = unknown>(
    pathOrUrl: string,
    options?: GraphRequestOptions,
  ): Promise<GraphCollectionPage<T>> {
    const url = this.resolve(pathOrUrl);
    return toCollectionPage<T>(await this.send<unknown>('GET', url, undefined, options), url);
  }

  pages<T = unknown>(
    pathOrUrl: string,
    options?: GraphRequestOptions,
  ): AsyncIterable<GraphCollectionPage<T>> {
    return followPages<T>(this.resolve(pathOrUrl), (url) => this.getPage<T>(url, options));
  }

  batch(items: BatchRequestItem[]): Promise<BatchResponseItem[]> {
    return runBatch(items, {
      ...this.deps.retry,
      maxAttempts: this.deps.maxAttempts,
      stats: this.stats,
      send: async (requests, idempotent) => {
        const body = await this.send<{ responses?: BatchResponseItem[] }>(
          'POST',
          '/$batch',
          { requests },
          undefined,
          idempotent,
        );
        if (!Array.isArray(body?.responses)) {
          throw new GraphError(502, 'UnexpectedResponse', "Graph's $batch answer has no responses array");
        }
        return body.responses;
      },
    });
  }

  async grantedRoles(): Promise<string[]> {
    const token = await this.deps.tokens.getAccessToken();
    const roles = decodeJwt(token).roles;
    return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [];
  }

  /** Relative paths join the base URL; absolute links must stay on the Graph origin. */
  private resolve(pathOrUrl: string): string {
    if (/^[a-z][a-z0-9+.-]*:/i.test(pathOrUrl)) {
      const url = new URL(pathOrUrl);
      if (url.origin !== this.origin) {
        throw new GraphError(
          0,
          'ForeignLink',
          `Refusing to send the tenant's token to ${url.origin}: not the Graph origin ${this.origin}`,
        );
      }
      return pathOrUrl;
    }
    return `${this.deps.graphBaseUrl}${pathOrUrl.startsWith('/') ? '' : '/'}${pathOrUrl}`;
  }

  private async send<T>(
    method: Method,
    pathOrUrl: string,
    body: unknown,
    options?: GraphRequestOptions,
    idempotentPost = false,
  ): Promise<T> {
    const url = this.resolve(pathOrUrl);
    const maxAttempts = Math.max(1, options?.maxAttempts ?? this.deps.maxAttempts);
    const state = new GraphRequestState(
      url,
      method,
      maxAttempts,
      method !== 'POST' || idempotentPost,
      this.stats,
    );
    const request: GraphRequest = this.deps.sdk
      .api(url)
      .middlewareOptions([state])
      .headers(options?.headers ?? {});
    try {
      switch (method) {
        case 'GET':
          return (await request.get()) as T;
        case 'POST':
          return (await request.post(body)) as T;
        case 'PATCH':
          return (await request.patch(body)) as T;
        case 'PUT':
          return (await request.put(body)) as T;
        case 'DELETE':
          return (await request.delete()) as T;
      }
    } catch (err) {
      throw toGraphError(err, state);
    }
  }
}

function toGraphError(err: unknown, state: GraphRequestState): GraphError {
  if (state.failure) return state.failure;
  if (err instanceof GraphError) return err;
  const response = state.lastResponse;
  if (response && response.status >= 400) {
    return graphErrorFromResponse(response.status, response.headers, response.body.toString('utf8'), state);
  }
  const cause = state.connectionError ?? err;
  const detail = cause instanceof Error ? cause.message : String(cause);
  const code = (cause as { code?: unknown } | null)?.code;
  const why =
    state.method === 'POST' && !state.idempotent ? ' (POST is not retried after a connection error)' : '';
  return new GraphError(
    0,
    'ConnectionFailed',
    `${state.method} ${describeUrl(state.url)} failed${typeof code === 'string' ? ` (${code})` : ''}: ${detail}${why}`,
  );
}
