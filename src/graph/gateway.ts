// The Graph gateway contract: everything the product asks of Microsoft Graph goes through it.
// Implemented in graph-gateway.ts (msal-node tokens + @microsoft/microsoft-graph-client with
// retry, concurrency and paging middleware). Against the dev tenant only base URLs differ.

/** Graph's error, typed: status, error.code, message and request-id. */
export class GraphError extends Error {
  override readonly name = 'GraphError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** Counters the backup run reports (Graph requests, throttled responses). */
export interface GraphStats {
  requests: number;
  throttled: number;
  retries: number;
}

export interface GraphCollectionPage<T> {
  value: T[];
  nextLink?: string;
  deltaLink?: string;
  count?: number;
}

export interface BatchRequestItem {
  id: string;
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Relative to the version root, e.g. '/users/{id}'. */
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  dependsOn?: string[];
}

export interface BatchResponseItem {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface GraphRequestOptions {
  headers?: Record<string, string>;
  /** Stop retrying after this; default from config. */
  maxAttempts?: number;
}

/** A client bound to one tenant and one app registration (backup: read-only, or restore: write). */
export interface GraphClient {
  readonly tenantId: string;
  readonly stats: GraphStats;
  /** GET a relative path ('/users?$select=id') or an absolute nextLink/deltaLink. */
  get<T = unknown>(pathOrUrl: string, options?: GraphRequestOptions): Promise<T>;
  post<T = unknown>(path: string, body?: unknown, options?: GraphRequestOptions): Promise<T>;
  patch<T = unknown>(path: string, body: unknown, options?: GraphRequestOptions): Promise<T>;
  put<T = unknown>(path: string, body: unknown, options?: GraphRequestOptions): Promise<T>;
  delete(path: string, options?: GraphRequestOptions): Promise<void>;
  /** One page of a collection or delta round. */
  getPage<T = unknown>(pathOrUrl: string, options?: GraphRequestOptions): Promise<GraphCollectionPage<T>>;
  /** Every page of a collection, following nextLink (not deltaLink). */
  pages<T = unknown>(pathOrUrl: string, options?: GraphRequestOptions): AsyncIterable<GraphCollectionPage<T>>;
  /** Runs items through $batch in chunks of 20, retrying throttled items; answers in input order. */
  batch(items: BatchRequestItem[]): Promise<BatchResponseItem[]>;
  /** Application permissions (roles) in the current token: lets a restore plan name what is missing. */
  grantedRoles(): Promise<string[]>;
}

export interface GraphClientFactory {
  /** The read-only backup app's client for a tenant. */
  forBackup(tenantId: string): GraphClient;
  /** The restore app's client (falls back to the backup app when no restore app is configured). */
  forRestore(tenantId: string): GraphClient;
}
