// What a Graph handler is given: the caller (from its verified token), the tenant's directory,
// the absolute base URL for links, and the parsed request.
import type { TenantDirectory } from './directory.ts';

export interface GraphRequest {
  method: string;
  /** Path under the version root, e.g. '/users/abc/members'. */
  path: string;
  query: URLSearchParams;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: unknown;
}

export interface GraphResponse {
  status: number;
  headers?: Record<string, string>;
  /** JSON body (absent for 204). */
  body?: unknown;
  /** Plain-text body (e.g. /users/$count). */
  text?: string;
  /** Objects returned (for per-object latency). */
  objects?: number;
}

export interface Caller {
  tenantId: string;
  appId: string;
  roles: string[];
}

export interface HandlerContext {
  caller: Caller;
  dir: TenantDirectory;
  /** e.g. https://127.0.0.1:3979/v1.0 */
  base: string;
  now: Date;
  req: GraphRequest;
  /** Entries of members@delta per delta page (tunable). */
  deltaMemberPageSize: number;
  /** Objects per delta page (tunable; default DEFAULT_DELTA_PAGE_SIZE). */
  deltaPageSize?: number;
  /** Fault setting: creates honour `Prefer: return=minimal` with 204 (off: Graph answers 201). */
  preferMinimalOnCreate?: boolean;
}
