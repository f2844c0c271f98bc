// Graph's identity throttling: a token bucket of resource units per app and tenant (size by
// tenant: S 3,500 / M 5,000 / L 8,000 per 10 s), a write quota (3,000 per 150 s), sign-in logs
// at 5 requests per 10 s and Conditional Access at 1 request per second per tenant (its 429 has
// no Retry-After). Buckets live in the server process: they are the server's own accounting.

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

export class Throttler {
  private buckets = new Map<string, Bucket>();

  private bucket(key: string, capacity: number, windowMs: number, now: number): Bucket {
    let b = this.buckets.get(key);
    if (!b || b.capacity !== capacity) {
      b = new Bucket(capacity, capacity / windowMs, now);
      this.buckets.set(key, b);
    }
    b.refill(now);
    return b;
  }

  reset(): void {
    this.buckets.clear();
  }

  check(
    tenantId: string,
    appId: string,
    cost: RequestCost,
    limits: { ruPer10s: number; writesPer150s: number },
    now = Date.now(),
  ): ThrottleDecision {
    const headers: Record<string, string> = { 'x-ms-resource-unit': String(cost.ru) };
    const scope = `${tenantId}|${appId}`;
    const deny = (scopeName: string, info: string, waitMs: number | undefined): ThrottleDecision => {
      const h: Record<string, string> = {
        'x-ms-resource-unit': String(cost.ru),
        'x-ms-throttle-scope': `${scopeName}/${cost.write ? 'Write' : 'Read'}/${appId}/${tenantId}`,
        'x-ms-throttle-information': info,
      };
      const retryAfterSeconds = waitMs === undefined ? undefined : Math.max(1, Math.ceil(waitMs / 1000));
      if (retryAfterSeconds !== undefined) h['retry-after'] = String(retryAfterSeconds);
      return { ok: false, headers: h, retryAfterSeconds, information: info };
    };
    if (cost.special === 'conditionalAccess') {
      const b = this.bucket(`ca|${tenantId}`, 1, 1000, now);
      if (b.tokens < 1) return deny('Tenant', 'ResourceUnitLimitExceeded', undefined);
      b.tokens -= 1;
    }
    if (cost.special === 'signIns') {
      const b = this.bucket(`signins|${scope}`, 5, 10_000, now);
      if (b.tokens < 1)
        return deny('Tenant_Application', 'ResourceUnitLimitExceeded', (1 - b.tokens) / b.refillPerMs);
      b.tokens -= 1;
    }
    const ru = this.bucket(`ru|${scope}`, limits.ruPer10s, 10_000, now);
    if (ru.tokens < cost.ru)
      return deny('Tenant_Application', 'ResourceUnitLimitExceeded', (cost.ru - ru.tokens) / ru.refillPerMs);
    if (cost.write) {
      const w = this.bucket(`w|${scope}`, limits.writesPer150s, 150_000, now);
      if (w.tokens < 1)
        return deny('Tenant_Application', 'WriteLimitExceeded', (1 - w.tokens) / w.refillPerMs);
      w.tokens -= 1;
    }
    ru.tokens -= cost.ru;
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
