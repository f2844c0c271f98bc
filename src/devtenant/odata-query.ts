// Parses a request's OData system query options and validates them the way Graph does for
// directory resources: unknown options, bad $top, $skip where unsupported, $search/$count and
// advanced operators without `ConsistencyLevel: eventual`.
import { errors, GraphHttpError } from './graph-errors.ts';
import { type FilterNode, parseFilter, usesAdvancedOperators } from './odata-filter.ts';

export interface QueryOptions {
  select?: string[];
  filter?: FilterNode;
  top?: number;
  skiptoken?: string;
  deltatoken?: string;
  count: boolean;
  search?: string;
  expand?: string[];
  orderby?: { prop: string; desc: boolean };
  skip?: number;
  /** Header ConsistencyLevel: eventual was sent. */
  eventual: boolean;
}

const KNOWN = new Set([
  '$select',
  '$filter',
  '$top',
  '$skiptoken',
  '$deltatoken',
  '$count',
  '$search',
  '$expand',
  '$orderby',
  '$skip',
  '$format',
]);

export function parseQuery(query: URLSearchParams, headers: Record<string, string>): QueryOptions {
  const seen = new Map<string, string>();
  for (const [rawKey, value] of query) {
    const key = rawKey.toLowerCase();
    if (!key.startsWith('$')) continue;
    if (!KNOWN.has(key))
      throw errors.badRequest(
        `Query option '${rawKey}' is not allowed. Make sure that the query option is supported.`,
      );
    if (seen.has(key))
      throw errors.badRequest(
        `Query option '${rawKey}' was specified more than once, but it must be specified at most once.`,
      );
    seen.set(key, value);
  }
  const eventual = (headers.consistencylevel ?? '').toLowerCase() === 'eventual';
  const out: QueryOptions = { count: false, eventual };
  const select = seen.get('$select');
  if (select !== undefined) {
    const props = select.split(',').map((s) => s.trim());
    if (props.some((p) => !p)) throw errors.badRequest(`Invalid $select value '${select}'.`);
    out.select = props;
  }
  const top = seen.get('$top');
  if (top !== undefined) {
    if (!/^\d+$/.test(top.trim()))
      throw errors.badRequest(`Invalid value '${top}' for $top query option found.`);
    out.top = Number(top);
  }
  const skip = seen.get('$skip');
  if (skip !== undefined) {
    if (!/^\d+$/.test(skip.trim()))
      throw errors.badRequest(`Invalid value '${skip}' for $skip query option found.`);
    out.skip = Number(skip);
  }
  const filter = seen.get('$filter');
  if (filter !== undefined) {
    out.filter = parseFilter(filter);
    if (usesAdvancedOperators(out.filter) && !(eventual && seen.get('$count') === 'true'))
      throw errors.unsupportedQuery(
        'Unsupported or invalid query filter clause specified: ne, not and endsWith need ConsistencyLevel: eventual and $count=true.',
      );
  }
  const count = seen.get('$count');
  if (count !== undefined) {
    if (count !== 'true' && count !== 'false')
      throw errors.badRequest(`Invalid value '${count}' for $count query option found.`);
    out.count = count === 'true';
    if (out.count && !eventual)
      throw errors.badRequest(
        '$count is not currently supported without the ConsistencyLevel: eventual header.',
      );
  }
  const search = seen.get('$search');
  if (search !== undefined) {
    if (!eventual)
      throw errors.badRequest(
        "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
      );
    out.search = search;
  }
  const expand = seen.get('$expand');
  if (expand !== undefined) out.expand = expand.split(',').map((s) => s.trim().split('(')[0]);
  const orderby = seen.get('$orderby');
  if (orderby !== undefined) {
    const m = /^\s*([A-Za-z]+)(\s+(asc|desc))?\s*$/i.exec(orderby);
    if (!m) throw errors.badRequest(`Invalid $orderby value '${orderby}'.`);
    out.orderby = { prop: m[1], desc: (m[3] ?? '').toLowerCase() === 'desc' };
  }
  out.skiptoken = seen.get('$skiptoken');
  out.deltatoken = seen.get('$deltatoken');
  return out;
}

/** `"displayName:foo" OR "mail:bar"` → SQL over the object's JSON. */
export function searchToSql(
  search: string,
  params: unknown[],
  allowed: readonly string[],
  typeName: string,
): string {
  const trimmed = search.trim();
  const clauses: string[] = [];
  const re = /"([^"]*)"|\b(AND|OR)\b/g;
  let m: RegExpExecArray | null = re.exec(trimmed);
  let expectTerm = true;
  while (m) {
    if (m[1] !== undefined) {
      if (!expectTerm) clauses.push('AND');
      const idx = m[1].indexOf(':');
      if (idx <= 0) throw errors.badRequest(`Invalid $search value '${search}': use "property:value".`);
      const prop = m[1].slice(0, idx);
      const term = m[1].slice(idx + 1).replace(/[\\%_]/g, (c) => `\\${c}`);
      if (!allowed.includes(prop)) throw errors.unknownProperty(prop, typeName);
      params.push(`${term}%`, `% ${term}%`, `%.${term}%`);
      clauses.push(
        `(json_extract(o.data, '$.${prop}') LIKE ? ESCAPE '\\' OR json_extract(o.data, '$.${prop}') LIKE ? ESCAPE '\\' OR json_extract(o.data, '$.${prop}') LIKE ? ESCAPE '\\')`,
      );
      expectTerm = false;
    } else {
      clauses.push(m[2]);
      expectTerm = true;
    }
    m = re.exec(trimmed);
  }
  if (!clauses.length || expectTerm) throw errors.badRequest(`Invalid $search value '${search}'.`);
  return `(${clauses.join(' ')})`;
}

export function assertNoQuery(q: QueryOptions, what: string): void {
  if (
    q.select ||
    q.filter ||
    q.top !== undefined ||
    q.search ||
    q.expand ||
    q.orderby ||
    q.count ||
    q.skip !== undefined
  )
    throw new GraphHttpError(400, 'Request_BadRequest', `Query options are not supported on ${what}.`);
}

/** Opaque page tokens: base64url JSON, bound to a tenant and a kind of listing. */
export function encodeToken(payload: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

export function decodeToken(token: string, tenantId: string, kind: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (parsed && typeof parsed === 'object' && parsed.t === tenantId && parsed.k === kind) return parsed;
  } catch {
    // fall through
  }
  throw errors.badRequest(`Invalid ${kind === 'delta' ? 'delta' : 'skip'} token '${token.slice(0, 40)}'.`);
}
