// Graph's identity throttling: a token bucket of resource units per app and tenant (size by
// tenant: S 3,500 / M 5,000 / L 8,000 per 10 s), a write quota (3,000 per 150 s), the app-wide
// quotas across tenants (150,000 RU per 20 s, 70,000 writes per 5 min), the tenant-wide write
// quota across apps (18,000 per 5 min), Graph's global 130,000 requests per 10 s per app, sign-in
// logs at 5 requests per 10 s and Conditional Access at 1 request per second per tenant (its 429
// has no Retry-After). Buckets live in the server process: they are the server's own accounting.

export interface ThrottleDecision {
  ok: boolean;
  headers: Record<string, string>;
  retryAfterSeconds?: number;
  information?: string;
}

class Bucket {
  tokens: number;
  last: number;
  constructor(
    public capacity: number,
    public refillPerMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }
  refill(now: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.refillPerMs);
    this.last = now;
  }
}

export interface RequestCost {
  ru: number;
  write: boolean;
  /** Special limit of the endpoint. */
  special?: 'signIns' | 'conditionalAccess';
}

/** Budgets per window; the app-wide and tenant-wide ones are shared across tenants or apps. */
export interface ThrottleLimits {
  /** Resource units per 10 s per app and tenant (3,500 / 5,000 / 8,000 by tenant size). */
  ruPer10s: number;
  /** Writes per 150 s per app and tenant (3,000). */
  writesPer150s: number;
  /** Resource units per 20 s per app across all tenants (150,000). */
  appRuPer20s?: number;
  /** Writes per 5 min per app across all tenants (70,000). */
  appWritesPer5min?: number;
  /** Writes per 5 min per tenant across all apps (18,000). */
  tenantWritesPer5min?: number;
  /** Requests of any kind per 10 s per app across all tenants (Graph's global limit, 130,000). */
  appRequestsPer10s?: number;
}

export const APP_RU_PER_20S = 150_000;
export const APP_WRITES_PER_5MIN = 70_000;
export const TENANT_WRITES_PER_5MIN = 18_000;
export const APP_REQUESTS_PER_10S = 130_000;

interface Charge {
  bucket: Bucket;
  amount: number;
  scope: 'Tenant_Application' | 'Tenant' | 'Application';
  limit: 'Read' | 'Write' | 'ReadWrite';
  info: string;
  /** Conditional Access answers 429 without Retry-After. */
  noRetryAfter?: boolean;
}

export class Throttler {
  private buckets = new Map<string, Bucket>();

  /** The bucket of `key`; a changed capacity (settings) keeps what was spent, capped. */
  private bucket(key: string, capacity: number, windowMs: number, now: number): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = new Bucket(capacity, capacity / windowMs, now);
      this.buckets.set(key, b);
    } else if (b.capacity !== capacity) {
      b.refill(now);
      b.capacity = capacity;
      b.refillPerMs = capacity / windowMs;
      b.tokens = Math.min(b.tokens, capacity);
    }
    b.refill(now);
    return b;
  }

  reset(): void {
    this.buckets.clear();
  }

  /**
   * Charges one request against every limit it falls under (Graph: "the first limit to be
   * reached triggers throttling"); a throttled request spends nothing.
   */
  check(
    tenantId: string,
    appId: string,
    cost: RequestCost,
    limits: ThrottleLimits,
    now = Date.now(),
  ): ThrottleDecision {
    const headers: Record<string, string> = { 'x-ms-resource-unit': String(cost.ru) };
    const pair = `${tenantId}|${appId}`;
    const rw: Charge['limit'] = cost.write ? 'Write' : 'Read';
    const charges: Charge[] = [];
    if (cost.special === 'conditionalAccess')
      charges.push({
        bucket: this.bucket(`ca|${tenantId}`, 1, 1000, now),
        amount: 1,
        scope: 'Tenant',
        limit: rw,
        info: 'ResourceUnitLimitExceeded',
        noRetryAfter: true,
      });
    if (cost.special === 'signIns')
      charges.push({
        bucket: this.bucket(`signins|${pair}`, 5, 10_000, now),
        amount: 1,
        scope: 'Tenant_Application',
        limit: rw,
        info: 'ResourceUnitLimitExceeded',
      });
    const ru = this.bucket(`ru|${pair}`, limits.ruPer10s, 10_000, now);
    charges.push({
      bucket: ru,
      amount: cost.ru,
      scope: 'Tenant_Application',
      limit: rw,
      info: 'ResourceUnitLimitExceeded',
    });
    if (cost.write)
      charges.push({
        bucket: this.bucket(`w|${pair}`, limits.writesPer150s, 150_000, now),
        amount: 1,
        scope: 'Tenant_Application',
        limit: 'Write',
        info: 'WriteLimitExceeded',
      });
    charges.push({
      bucket: this.bucket(`app-ru|${appId}`, limits.appRuPer20s ?? APP_RU_PER_20S, 20_000, now),
      amount: cost.ru,
      scope: 'Application',
      limit: rw,
      info: 'ResourceUnitLimitExceeded',
    });
    if (cost.write) {
      charges.push({
        bucket: this.bucket(`app-w|${appId}`, limits.appWritesPer5min ?? APP_WRITES_PER_5MIN, 300_000, now),
        amount: 1,
        scope: 'Application',
        limit: 'Write',
        info: 'WriteLimitExceeded',
      });
      charges.push({
        bucket: this.bucket(
          `tenant-w|${tenantId}`,
          limits.tenantWritesPer5min ?? TENANT_WRITES_PER_5MIN,
          300_000,
          now,
        ),
        amount: 1,
        scope: 'Tenant',
        limit: 'Write',
        info: 'WriteLimitExceeded',
      });
    }
    charges.push({
      bucket: this.bucket(`app-req|${appId}`, limits.appRequestsPer10s ?? APP_REQUESTS_PER_10S, 10_000, now),
      amount: 1,
      scope: 'Application',
      limit: 'ReadWrite',
      info: 'RequestLimitExceeded',
    });
    const over = charges.find((c) => c.bucket.tokens < c.amount);
    if (over) {
      const h: Record<string, string> = {
        'x-ms-resource-unit': String(cost.ru),
        'x-ms-throttle-scope': `${over.scope}/${over.limit}/${appId}/${tenantId}`,
        'x-ms-throttle-information': over.info,
      };
      let retryAfterSeconds: number | undefined;
      if (!over.noRetryAfter) {
        const waitMs = (over.amount - over.bucket.tokens) / over.bucket.refillPerMs;
        retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
        h['retry-after'] = String(retryAfterSeconds);
      }
      return { ok: false, headers: h, retryAfterSeconds, information: over.info };
    }
    for (const c of charges) c.bucket.tokens -= c.amount;
    const used = 1 - ru.tokens / ru.capacity;
    if (used > 0.8) headers['x-ms-throttle-limit-percentage'] = (used + 0.0001).toFixed(1);
    return { ok: true, headers };
  }
}

/** Graph's base RU cost plus query modifiers ($select −1, $expand +1, $top < 20 −1, min 1). */
/** Cost of a read (GET, or a read action such as POST getByIds); writes always cost 1. */
export function resourceUnits(base: number, method: string, query: URLSearchParams): number {
  if (method === 'PATCH' || method === 'PUT' || method === 'DELETE') return 1;
  let cost = base;
  const keys = [...query.keys()].map((k) => k.toLowerCase());
  if (keys.includes('$select')) cost -= 1;
  if (keys.includes('$expand')) cost += 1;
  const top = query.get('$top');
  if (top && Number(top) < 20) cost -= 1;
  return Math.max(1, cost);
}

export function ruLimitForUsers(users: number): number {
  if (users < 50) return 3500;
  if (users <= 500) return 5000;
  return 8000;
}
