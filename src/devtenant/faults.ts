// Fault injection and tuning per tenant, persisted in the tenant row so the server, the CLI and
// the control API see the same settings: latency, random 429/503/504/connection resets, forced
// status codes for path patterns (e.g. 403 everywhere = consent revoked), the throttling budget.
import type { Db } from './dev-db.ts';

export interface ForcedFault {
  /** Glob over the path under /v1.0 ('*' matches anything), e.g. '/users*' or '*'. */
  pattern: string;
  status: number;
  code?: string;
  message?: string;
  /** Only this method (GET, POST, …); all when absent. */
  method?: string;
}

export interface FaultSettings {
  /** Fixed delay added to every request. */
  latencyMs?: number;
  /** Delay per object returned. */
  latencyPerObjectMs?: number;
  /** Probabilities (0..1) of a random fault per request. */
  rate429?: number;
  rate503?: number;
  rate504?: number;
  rateReset?: number;
  /** Retry-After (seconds) sent with random 429/503. */
  retryAfterSeconds?: number;
  forced?: ForcedFault[];
  /** Resource-unit throttling; on by default with Graph's limits. */
  throttling?: boolean;
  /** Override of the RU budget per 10 s (default by tenant size: 3,500 / 5,000 / 8,000). */
  ruPer10s?: number;
  /** Write quota per 150 s (default 3,000). */
  writesPer150s?: number;
  /**
   * App-wide and tenant-wide quotas (defaults 150,000 RU / 20 s and 70,000 writes / 5 min per app
   * across tenants, 18,000 writes / 5 min per tenant across apps, 130,000 requests / 10 s per
   * app). Their buckets are shared, so the calling tenant's setting sizes them: set the same
   * value on every tenant of a test.
   */
  appRuPer20s?: number;
  appWritesPer5min?: number;
  tenantWritesPer5min?: number;
  appRequestsPer10s?: number;
  /**
   * Answer a create (POST) carrying `Prefer: return=minimal` with 204 and no body, as OData
   * allows. Graph's directory documents no such answer (a create is 201 with the object), so
   * this is off by default.
   */
  preferMinimalOnCreate?: boolean;
  /** error.code of 429s: Graph uses both. */
  throttleCode?: 'TooManyRequests' | 'Request_ThrottledTemporarily';
  /** Entries of members@delta per delta page (default 1000). */
  deltaMemberPageSize?: number;
  /** Objects per delta page (default 200). */
  deltaPageSize?: number;
  /** Answer $batch items in reverse order (Graph may reorder); default true. */
  shuffleBatch?: boolean;
}

const NUMERIC: (keyof FaultSettings)[] = [
  'latencyMs',
  'latencyPerObjectMs',
  'rate429',
  'rate503',
  'rate504',
  'rateReset',
  'retryAfterSeconds',
  'ruPer10s',
  'writesPer150s',
  'appRuPer20s',
  'appWritesPer5min',
  'tenantWritesPer5min',
  'appRequestsPer10s',
  'deltaMemberPageSize',
  'deltaPageSize',
];

/** Validates a partial settings object; throws naming the rejected field. */
export function validateFaults(input: unknown): FaultSettings {
  if (!input || typeof input !== 'object' || Array.isArray(input))
    throw new Error('fault settings must be a JSON object');
  const src = input as Record<string, unknown>;
  const out: FaultSettings = {};
  for (const [key, value] of Object.entries(src)) {
    const known =
      (NUMERIC as string[]).includes(key) ||
      ['throttling', 'shuffleBatch', 'preferMinimalOnCreate', 'throttleCode', 'forced'].includes(key);
    if (!known) throw new Error(`unknown fault setting '${key}'`);
    if (value === undefined || value === null) {
      // null/undefined removes the setting when merged.
      (out as Record<string, unknown>)[key] = undefined;
      continue;
    }
    if ((NUMERIC as string[]).includes(key)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
        throw new Error(`fault setting '${key}' must be a non-negative number`);
      if (key.startsWith('rate') && value > 1)
        throw new Error(`fault setting '${key}' is a probability between 0 and 1`);
      (out as Record<string, unknown>)[key] = value;
    } else if (key === 'throttling' || key === 'shuffleBatch' || key === 'preferMinimalOnCreate') {
      if (typeof value !== 'boolean') throw new Error(`fault setting '${key}' must be true or false`);
      out[key] = value;
    } else if (key === 'throttleCode') {
      if (value !== 'TooManyRequests' && value !== 'Request_ThrottledTemporarily')
        throw new Error(
          "fault setting 'throttleCode' must be TooManyRequests or Request_ThrottledTemporarily",
        );
      out.throttleCode = value;
    } else if (key === 'forced') {
      if (!Array.isArray(value)) throw new Error("fault setting 'forced' must be an array");
      out.forced = value.map((f, i) => {
        const r = f as Record<string, unknown>;
        if (
          typeof r?.pattern !== 'string' ||
          typeof r.status !== 'number' ||
          r.status < 100 ||
          r.status > 599
        )
          throw new Error(`forced[${i}] needs a string 'pattern' and an HTTP 'status'`);
        return {
          pattern: r.pattern,
          status: r.status,
          ...(typeof r.code === 'string' ? { code: r.code } : {}),
          ...(typeof r.message === 'string' ? { message: r.message } : {}),
          ...(typeof r.method === 'string' ? { method: r.method.toUpperCase() } : {}),
        };
      });
    } else {
      throw new Error(`unknown fault setting '${key}'`);
    }
  }
  return out;
}

export function readFaults(db: Db, tenantId: string): FaultSettings {
  const row = db.prepare('SELECT faults FROM tenants WHERE tenant_id = ?').get(tenantId) as
    | { faults: string }
    | undefined;
  return row ? (JSON.parse(row.faults) as FaultSettings) : {};
}

/** Merges `patch` into the tenant's settings (null/undefined values remove a setting). */
export function writeFaults(db: Db, tenantId: string, patch: FaultSettings, replace = false): FaultSettings {
  const current = replace ? {} : readFaults(db, tenantId);
  const next: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === undefined || v === null) delete next[k];
    else next[k] = v;
  }
  db.prepare('UPDATE tenants SET faults = ? WHERE tenant_id = ?').run(JSON.stringify(next), tenantId);
  return next as FaultSettings;
}

function globToRegex(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}

export function forcedFault(settings: FaultSettings, method: string, path: string): ForcedFault | undefined {
  return settings.forced?.find(
    (f) => (!f.method || f.method === method) && globToRegex(f.pattern).test(path),
  );
}

/** The faults controller handed to tests: settings per tenant, read and written through SQLite. */
export interface FaultController {
  get(tenantId: string): FaultSettings;
  set(tenantId: string, patch: FaultSettings): FaultSettings;
  reset(tenantId: string): void;
}

export function faultController(db: Db): FaultController {
  return {
    get: (tenantId) => readFaults(db, tenantId),
    set: (tenantId, patch) => writeFaults(db, tenantId, validateFaults(patch)),
    reset: (tenantId) => {
      writeFaults(db, tenantId, {}, true);
    },
  };
}
