// One Graph request through the pipeline: forced and random faults, route, query, permission,
// resource-unit throttling, handler; errors become Graph's error body. Used for top-level
// requests and for each $batch item alike.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.ts';
import type { Db } from './dev-db.ts';
import { TenantDirectory } from './directory.ts';
import { type FaultSettings, forcedFault } from './faults.ts';
import type { Caller, GraphRequest, GraphResponse, HandlerContext } from './graph-context.ts';
import { errors, GraphHttpError, graphErrorBody } from './graph-errors.ts';
import { routeGraph } from './graph-router.ts';
import { parseQuery } from './odata-query.ts';
import { hasPermission } from './resources.ts';
import { resourceUnits, ruLimitForUsers, type Throttler } from './throttle.ts';

export interface DispatchEnv {
  db: Db;
  throttler: Throttler;
  /** https://127.0.0.1:<port>/v1.0 */
  base: string;
  now: () => Date;
  log?: Logger;
  random: () => number;
  /** Tenant user counts (RU size class), refreshed at most once a minute. */
  sizeCache: Map<string, { users: number; at: number }>;
}

export function errorResponse(
  err: GraphHttpError,
  requestId: string,
  clientRequestId?: string,
): GraphResponse {
  return {
    status: err.status,
    headers: { 'content-type': 'application/json', ...err.headers },
    body: graphErrorBody(err.code, err.message, requestId, clientRequestId),
  };
}

function tenantUsers(env: DispatchEnv, tenantId: string): number {
  const cached = env.sizeCache.get(tenantId);
  const nowMs = Date.now();
  if (cached && nowMs - cached.at < 60_000) return cached.users;
  const users = new TenantDirectory(env.db, tenantId).countActive('user');
  env.sizeCache.set(tenantId, { users, at: nowMs });
  return users;
}

/** Random fault for this request, if the dice say so ('reset' only applies outside $batch). */
export function randomFault(
  settings: FaultSettings,
  random: () => number,
): 429 | 503 | 504 | 'reset' | undefined {
  if (settings.rateReset && random() < settings.rateReset) return 'reset';
  if (settings.rate429 && random() < settings.rate429) return 429;
  if (settings.rate503 && random() < settings.rate503) return 503;
  if (settings.rate504 && random() < settings.rate504) return 504;
  return undefined;
}

export function faultResponse(
  status: 429 | 503 | 504,
  settings: FaultSettings,
  requestId: string,
  clientRequestId?: string,
): GraphResponse {
  const retry = String(settings.retryAfterSeconds ?? 1);
  if (status === 429)
    return errorResponse(
      new GraphHttpError(
        429,
        settings.throttleCode ?? 'TooManyRequests',
        `Your request is throttled temporarily. Please try after ${retry} seconds.`,
        { 'retry-after': retry },
      ),
      requestId,
      clientRequestId,
    );
  if (status === 503)
    return errorResponse(
      new GraphHttpError(
        503,
        'serviceNotAvailable',
        'The service is temporarily unavailable. Please retry later.',
        { 'retry-after': retry },
      ),
      requestId,
      clientRequestId,
    );
  return errorResponse(
    new GraphHttpError(504, 'UnknownError', 'The gateway timed out waiting for the backend service.'),
    requestId,
    clientRequestId,
  );
}

export function dispatchGraph(
  env: DispatchEnv,
  caller: Caller,
  req: GraphRequest,
  settings: FaultSettings,
  requestId: string,
  inBatch = false,
): GraphResponse {
  const clientRequestId = req.headers['client-request-id'];
  try {
    const forced = forcedFault(settings, req.method, req.path);
    if (forced)
      throw new GraphHttpError(
        forced.status,
        forced.code ?? (forced.status === 403 ? 'Authorization_RequestDenied' : 'ForcedFault'),
        forced.message ??
          (forced.status === 403
            ? 'Insufficient privileges to complete the operation.'
            : 'Fault injected by the dev tenant.'),
        forced.status === 429 || forced.status === 503
          ? { 'retry-after': String(settings.retryAfterSeconds ?? 1) }
          : {},
      );
    if (inBatch) {
      const f = randomFault(settings, env.random);
      if (f && f !== 'reset') return faultResponse(f, settings, requestId, clientRequestId);
    }
    const route = routeGraph(req.method, req.path);
    const q = parseQuery(req.query, req.headers);
    if (route.perm && !hasPermission(caller.roles, route.perm)) throw errors.denied();
    const cost = {
      ...route.cost,
      ru: route.cost.write ? 1 : resourceUnits(route.cost.ru, req.method, req.query),
    };
    let throttleHeaders: Record<string, string> = { 'x-ms-resource-unit': String(cost.ru) };
    if (settings.throttling !== false) {
      const decision = env.throttler.check(caller.tenantId, caller.appId, cost, {
        ruPer10s: settings.ruPer10s ?? ruLimitForUsers(tenantUsers(env, caller.tenantId)),
        writesPer150s: settings.writesPer150s ?? 3000,
        appRuPer20s: settings.appRuPer20s,
        appWritesPer5min: settings.appWritesPer5min,
        tenantWritesPer5min: settings.tenantWritesPer5min,
        appRequestsPer10s: settings.appRequestsPer10s,
      });
      throttleHeaders = decision.headers;
      if (!decision.ok) {
        const wait = decision.retryAfterSeconds ?? 1;
        const err = new GraphHttpError(
          429,
          settings.throttleCode ?? 'TooManyRequests',
          `Your request is throttled temporarily. Please try after ${wait} seconds.`,
          decision.headers,
        );
        return errorResponse(err, requestId, clientRequestId);
      }
    }
    const now = env.now();
    const ctx: HandlerContext = {
      caller,
      dir: new TenantDirectory(env.db, caller.tenantId),
      base: env.base,
      now,
      req,
      deltaMemberPageSize: settings.deltaMemberPageSize ?? 1000,
      deltaPageSize: settings.deltaPageSize,
      preferMinimalOnCreate: settings.preferMinimalOnCreate === true,
    };
    const res = route.run(ctx, q);
    return { ...res, headers: { ...throttleHeaders, ...(res.headers ?? {}) } };
  } catch (err) {
    if (err instanceof GraphHttpError) return errorResponse(err, requestId, clientRequestId);
    env.log?.error({ err, path: req.path, method: req.method }, 'dev tenant handler failed');
    return errorResponse(
      new GraphHttpError(500, 'generalException', 'An internal error occurred in the dev tenant.'),
      requestId,
      clientRequestId,
    );
  }
}

export function newRequestId(): string {
  return randomUUID();
}
