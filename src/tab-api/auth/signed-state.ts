// Short-lived, HMAC-signed state values for redirects (admin consent, dev sign-in). The value
// carries who started the flow and for which tenant, so the callback never trusts the redirect's
// own `tenant` parameter. Each value is single-use: a replayed callback is refused.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export class StateError extends Error {
  override readonly name = 'StateError';
}

export interface SignedStateOptions {
  /** HMAC key; a random per-process key when absent (then every web instance must be the same process). */
  secret?: string;
  /** Lifetime of a value, default 10 minutes. */
  ttlSeconds?: number;
  now?: () => Date;
}

export interface StateSigner {
  sign(purpose: string, payload: Record<string, unknown>): string;
  /** Returns the payload; throws StateError when forged, expired, for another purpose or already used. */
  verify(purpose: string, value: string): Record<string, unknown>;
}

export function createStateSigner(options: SignedStateOptions = {}): StateSigner {
  const key = options.secret ? Buffer.from(options.secret, 'utf8') : randomBytes(32);
  const ttlMs = (options.ttlSeconds ?? 600) * 1000;
  const now = options.now ?? (() => new Date());
  // Nonces already redeemed, with their expiry (pruned as they lapse).
  const used = new Map<string, number>();

  const mac = (body: string) => createHmac('sha256', key).update(body).digest('base64url');

  return {
    sign(purpose, payload) {
      const body = Buffer.from(
        JSON.stringify({
          ...payload,
          p: purpose,
          n: randomBytes(12).toString('base64url'),
          e: now().getTime() + ttlMs,
        }),
      ).toString('base64url');
      return `${body}.${mac(body)}`;
    },
    verify(purpose, value) {
      if (typeof value !== 'string' || value.length > 4096)
        throw new StateError('state is missing or too long');
      const [body, signature, extra] = value.split('.');
      if (!body || !signature || extra !== undefined) throw new StateError('state is malformed');
      const expected = Buffer.from(mac(body));
      const given = Buffer.from(signature);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
        throw new StateError('state signature does not match (forged or from another server)');
      }
      let payload: Record<string, unknown>;
      try {
        payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      } catch {
        throw new StateError('state is malformed');
      }
      const t = now().getTime();
      for (const [nonce, expiry] of used) if (expiry < t) used.delete(nonce);
      if (payload.p !== purpose) throw new StateError('state was issued for another flow');
      if (typeof payload.e !== 'number' || payload.e < t)
        throw new StateError('state has expired; start again');
      if (typeof payload.n !== 'string' || used.has(payload.n))
        throw new StateError('state was already used');
      used.set(payload.n, payload.e);
      return payload;
    },
  };
}
