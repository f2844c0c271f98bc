// JSON $batch: at most 20 requests with unique ids, dependsOn (a failed dependency gives 424),
// each item evaluated separately (its own throttling and faults), answers possibly reordered.

import type { FaultSettings } from './faults.ts';
import type { Caller, GraphResponse } from './graph-context.ts';
import { type DispatchEnv, dispatchGraph, errorResponse } from './graph-dispatch.ts';
import { errors, GraphHttpError } from './graph-errors.ts';

interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

function validate(body: unknown): BatchItem[] {
  const requests = (body as { requests?: unknown } | undefined)?.requests;
  if (!Array.isArray(requests))
    throw errors.badRequest("Invalid batch payload: 'requests' must be an array.");
  if (requests.length === 0) throw errors.badRequest('Invalid batch payload: no requests.');
  if (requests.length > 20)
    throw errors.badRequest('Invalid batch payload: the number of batch requests cannot exceed 20.');
  const ids = new Set<string>();
  const items: BatchItem[] = [];
  for (const [i, raw] of requests.entries()) {
    const r = raw as Record<string, unknown>;
    if (!r || typeof r !== 'object')
      throw errors.badRequest(`Invalid batch payload: request ${i} is not an object.`);
    if (typeof r.id !== 'string' || !r.id)
      throw errors.badRequest(`Invalid batch payload: request ${i} has no 'id'.`);
    if (ids.has(r.id.toLowerCase()))
      throw errors.badRequest(`Invalid batch payload: duplicate request id '${r.id}'.`);
    ids.add(r.id.toLowerCase());
    if (
      typeof r.method !== 'string' ||
      !['GET', 'POST', 'PATCH', 'PUT', 'DELETE'].includes(r.method.toUpperCase())
    )
      throw errors.badRequest(`Invalid batch payload: request '${r.id}' has an invalid 'method'.`);
    if (typeof r.url !== 'string' || !r.url)
      throw errors.badRequest(`Invalid batch payload: request '${r.id}' has no 'url'.`);
    if (/^https?:/i.test(r.url))
      throw errors.badRequest(`Invalid batch payload: request '${r.id}' must use a relative url.`);
    const headers = (r.headers ?? undefined) as Record<string, string> | undefined;
    if (r.body !== undefined) {
      const ct = Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === 'content-type');
      if (!ct)
        throw errors.badRequest(
          `Invalid batch payload: request '${r.id}' has a body but no Content-Type header.`,
        );
    }
    if (
      r.dependsOn !== undefined &&
      (!Array.isArray(r.dependsOn) || r.dependsOn.some((d) => typeof d !== 'string'))
    )
      throw errors.badRequest(`Invalid batch payload: request '${r.id}' has an invalid 'dependsOn'.`);
    items.push({
      id: r.id,
      method: r.method.toUpperCase(),
      url: r.url,
      headers,
      body: r.body,
      dependsOn: r.dependsOn as string[] | undefined,
    });
  }
  for (const item of items)
    for (const d of item.dependsOn ?? [])
      if (!ids.has(d.toLowerCase()))
        throw errors.badRequest(`Invalid batch payload: request '${item.id}' depends on unknown id '${d}'.`);
  return items;
}

export function runBatch(
  env: DispatchEnv,
  caller: Caller,
  body: unknown,
  settings: FaultSettings,
  requestId: string,
): GraphResponse {
  const items = validate(body);
  const results = new Map<
    string,
    { id: string; status: number; headers: Record<string, string>; body?: unknown }
  >();
  const order: string[] = [];
  for (const item of items) {
    const failedDep = (item.dependsOn ?? []).find((d) => {
      const r = results.get(d.toLowerCase());
      return !r || r.status >= 400;
    });
    let res: GraphResponse;
    if (failedDep !== undefined) {
      res = errorResponse(
        new GraphHttpError(424, 'FailedDependency', `The dependent request '${failedDep}' failed.`),
        requestId,
      );
    } else {
      const url = new URL(item.url.startsWith('/') ? item.url : `/${item.url}`, 'https://batch.invalid');
      if (url.pathname === '/$batch')
        res = errorResponse(errors.badRequest('A $batch request cannot contain another $batch.'), requestId);
      else {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(item.headers ?? {})) headers[k.toLowerCase()] = String(v);
        res = dispatchGraph(
          env,
          caller,
          { method: item.method, path: url.pathname, query: url.searchParams, headers, body: item.body },
          settings,
          requestId,
          true,
        );
      }
    }
    const headers: Record<string, string> = { ...(res.headers ?? {}) };
    if (res.text !== undefined) headers['content-type'] = 'text/plain';
    else if (res.body !== undefined) headers['content-type'] = 'application/json';
    results.set(item.id.toLowerCase(), {
      id: item.id,
      status: res.status,
      headers,
      body: res.text ?? res.body,
    });
    order.push(item.id.toLowerCase());
  }
  const responses = order.map((k) => results.get(k));
  if (settings.shuffleBatch !== false) responses.reverse();
  return { status: 200, headers: {}, body: { responses }, objects: 0 };
}
