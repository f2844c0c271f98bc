// The dev tenant's control API, on the Graph server under /_dev (loopback callers only; no
// token: it is a developer tool like the portal of the simulated tenant). JSON in, JSON out;
// errors are {error:{code,message}} with 400/404.
//
//   GET    /_dev/tenants                                   tenants with object counts
//   POST   /_dev/tenants                {seed options}     seed a new tenant (or reseed one)
//   POST   /_dev/tenants/{tid}/reseed   {seed options}     reseed a tenant from scratch
//   GET    /_dev/tenants/{tid}/objects/{type}?state=active|deleted|purged&limit=&after=
//   GET    /_dev/tenants/{tid}/objects/{type}/{idOrName}   one object in any state
//   POST   /_dev/tenants/{tid}/objects/{type}/{idOrName}/set      {"properties": {...}}
//   POST   /_dev/tenants/{tid}/objects/{type}/{idOrName}/delete   soft where Graph soft-deletes
//   POST   /_dev/tenants/{tid}/objects/{type}/{idOrName}/purge    permanent
//   POST   /_dev/tenants/{tid}/objects/{type}/{idOrName}/restore  from the recycle bin
//   GET    /_dev/tenants/{tid}/objects/{type}/{idOrName}/members?kind=members|owners|registeredOwners
//   POST   /_dev/tenants/{tid}/add-member     {"group","member","kind"?,"sourceType"?}
//   POST   /_dev/tenants/{tid}/remove-member  {"group","member","kind"?,"sourceType"?}
//   POST   /_dev/tenants/{tid}/set-manager    {"user","manager": idOrName|null}  set or remove
//   POST   /_dev/tenants/{tid}/incident       {"deleteUsers": N}  → {"deleted": [ids]}
//   GET    /_dev/tenants/{tid}/faults                      current fault settings
//   PATCH  /_dev/tenants/{tid}/faults         {settings}   merge (null removes a setting)
//   PUT    /_dev/tenants/{tid}/faults         {settings}   replace
//   DELETE /_dev/tenants/{tid}/faults                      clear all faults
//   POST   /_dev/tenants/{tid}/delta/expire   {"mode":"expire"|"reset"}  invalidate delta tokens
//   POST   /_dev/tenants/{tid}/recycle-bin/age {"days": N}  move deletion times back
//   POST   /_dev/tenants/{tid}/premium        {"premium": bool}  Entra ID P1/P2 licence
//   POST   /_dev/throttle/reset                            empty every throttling bucket
//
// type: user, group, application, servicePrincipal, device, administrativeUnit, directoryRole,
// roleDefinition, roleAssignment, conditionalAccessPolicy (plural set names are accepted too).
import type { Db } from './dev-db.ts';
import { listTenantIds } from './directory.ts';
import { readFaults, validateFaults, writeFaults } from './faults.ts';
import { GraphHttpError } from './graph-errors.ts';
import type { LinkKind } from './resources.ts';
import { type SeedOptions, seedTenant } from './seed.ts';
import { type ObjectState, TenantOps } from './tenant-ops.ts';
import type { Throttler } from './throttle.ts';

export interface ControlRequest {
  db: Db;
  throttler: Throttler;
  now: () => Date;
  method: string;
  url: URL;
  body: Buffer;
}

export interface ControlResponse {
  status: number;
  body: unknown;
}

export function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function json(body: Buffer): Record<string, unknown> {
  if (!body.length) return {};
  try {
    const parsed = JSON.parse(body.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ControlError(400, 'BadRequest', 'The body must be a JSON object.');
}

function str(body: Record<string, unknown>, key: string): string {
  const v = body[key];
  if (typeof v !== 'string' || !v)
    throw new ControlError(400, 'BadRequest', `'${key}' is required (a string).`);
  return v;
}

export function tenantSummary(
  db: Db,
): { tenantId: string; domain: string; counts: Record<string, number> }[] {
  return listTenantIds(db).map((t) => {
    const rows = db
      .prepare('SELECT type, COUNT(*) AS n FROM objects WHERE tenant_id = ? AND state = 1 GROUP BY type')
      .all(t.tenantId) as { type: string; n: number }[];
    return { ...t, counts: Object.fromEntries(rows.map((r) => [r.type, r.n])) };
  });
}

export async function handleControl(req: ControlRequest): Promise<ControlResponse> {
  try {
    return { status: 200, body: route(req) };
  } catch (err) {
    if (err instanceof ControlError)
      return { status: err.status, body: { error: { code: err.code, message: err.message } } };
    if (err instanceof GraphHttpError)
      return { status: err.status, body: { error: { code: err.code, message: err.message } } };
    return {
      status: 400,
      body: { error: { code: 'BadRequest', message: err instanceof Error ? err.message : String(err) } },
    };
  }
}

function route(req: ControlRequest): unknown {
  const parts = req.url.pathname.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
  const m = req.method;
  if (parts[0] === 'throttle' && parts[1] === 'reset' && m === 'POST') {
    req.throttler.reset();
    return { ok: true };
  }
  if (parts[0] !== 'tenants')
    throw new ControlError(404, 'NotFound', `No control endpoint ${req.url.pathname}`);
  if (parts.length === 1) {
    if (m === 'GET') return { tenants: tenantSummary(req.db) };
    if (m === 'POST') return seedTenant(req.db, json(req.body) as SeedOptions);
  }
  const tid = parts[1];
  const exists = req.db.prepare('SELECT seed FROM tenants WHERE tenant_id = ?').get(tid) as
    | { seed: string }
    | undefined;
  if (!exists) throw new ControlError(404, 'NotFound', `No dev tenant '${tid}'.`);
  const ops = new TenantOps(req.db, tid, req.now);
  const rest = parts.slice(2);
  const body = () => json(req.body);
  const is = (method: string, ...path: string[]) =>
    m === method && rest.length === path.length && path.every((p, i) => p === '*' || p === rest[i]);

  if (is('POST', 'reseed'))
    return seedTenant(req.db, { seed: exists.seed, ...(body() as SeedOptions), tenantId: tid });
  if (is('GET', 'objects', '*')) {
    const state = (req.url.searchParams.get('state') ?? 'active') as ObjectState;
    if (!['active', 'deleted', 'purged'].includes(state))
      throw new ControlError(400, 'BadRequest', 'state must be active, deleted or purged');
    const limit = Number(req.url.searchParams.get('limit') ?? 100);
    return {
      value: ops.list(rest[1], { state, limit, afterId: req.url.searchParams.get('after') ?? undefined }),
    };
  }
  if (is('GET', 'objects', '*', '*')) return ops.get(rest[1], rest[2]);
  if (is('GET', 'objects', '*', '*', 'members'))
    return {
      value: ops.members(rest[1], rest[2], (req.url.searchParams.get('kind') ?? 'members') as LinkKind),
    };
  if (is('POST', 'objects', '*', '*', 'set')) {
    const props = body().properties;
    if (!props || typeof props !== 'object' || Array.isArray(props))
      throw new ControlError(400, 'BadRequest', "'properties' must be an object.");
    return ops.set(rest[1], rest[2], props as Record<string, unknown>);
  }
  if (is('POST', 'objects', '*', '*', 'delete')) return ops.delete(rest[1], rest[2]);
  if (is('POST', 'objects', '*', '*', 'purge')) return ops.purge(rest[1], rest[2]);
  if (is('POST', 'objects', '*', '*', 'restore')) return ops.restore(rest[1], rest[2]);
  if (is('POST', 'add-member') || is('POST', 'remove-member')) {
    const b = body();
    const opts = {
      kind: (b.kind as LinkKind | undefined) ?? 'members',
      sourceType: (b.sourceType as string | undefined) ?? 'group',
    };
    if (rest[0] === 'add-member') ops.addMember(str(b, 'group'), str(b, 'member'), opts);
    else ops.removeMember(str(b, 'group'), str(b, 'member'), opts);
    return { ok: true };
  }
  if (is('POST', 'set-manager')) {
    const b = body();
    if (b.manager !== null && typeof b.manager !== 'string')
      throw new ControlError(400, 'BadRequest', "'manager' must be a user (id or name) or null.");
    return ops.setManager(str(b, 'user'), b.manager);
  }
  if (is('POST', 'incident')) {
    const n = body().deleteUsers;
    if (typeof n !== 'number') throw new ControlError(400, 'BadRequest', "'deleteUsers' must be a number.");
    return { deleted: ops.incidentDeleteUsers(n) };
  }
  if (is('GET', 'faults')) return readFaults(req.db, tid);
  if (is('PATCH', 'faults')) return writeFaults(req.db, tid, validateFaults(body()));
  if (is('PUT', 'faults')) return writeFaults(req.db, tid, validateFaults(body()), true);
  if (is('DELETE', 'faults')) return writeFaults(req.db, tid, {}, true);
  if (is('POST', 'delta', 'expire')) {
    const mode = body().mode ?? 'expire';
    if (mode !== 'expire' && mode !== 'reset')
      throw new ControlError(400, 'BadRequest', "mode must be 'expire' or 'reset'.");
    ops.expireDeltaTokens(mode);
    return { ok: true, mode };
  }
  if (is('POST', 'recycle-bin', 'age')) {
    const days = body().days;
    if (typeof days !== 'number' || days < 0)
      throw new ControlError(400, 'BadRequest', "'days' must be a non-negative number.");
    return { aged: ops.ageRecycleBin(days) };
  }
  if (is('POST', 'premium')) {
    const p = body().premium;
    if (typeof p !== 'boolean') throw new ControlError(400, 'BadRequest', "'premium' must be true or false.");
    ops.setPremium(p);
    return { ok: true, premium: p };
  }
  throw new ControlError(404, 'NotFound', `No control endpoint ${m} ${req.url.pathname}`);
}
