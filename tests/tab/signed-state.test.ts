// Redirect states (admin consent, sign-in): forged, tampered, expired, replayed or
// cross-purpose values are refused.
import { describe, expect, it } from 'vitest';
import { createStateSigner, StateError } from '../../src/tab-api/auth/signed-state.ts';

describe('signed redirect state', () => {
  it('round-trips a payload once', () => {
    const signer = createStateSigner();
    const state = signer.sign('admin-consent', { t: 'tenant-a' });
    expect(signer.verify('admin-consent', state).t).toBe('tenant-a');
    expect(() => signer.verify('admin-consent', state)).toThrow(/already used/);
  });

  it('refuses a value signed by another server (another key)', () => {
    const state = createStateSigner({ secret: 'one' }).sign('admin-consent', { t: 'a' });
    expect(() => createStateSigner({ secret: 'two' }).verify('admin-consent', state)).toThrow(StateError);
  });

  it('refuses a tampered payload', () => {
    const signer = createStateSigner();
    const [, mac] = signer.sign('admin-consent', { t: 'tenant-a' }).split('.');
    const forged = Buffer.from(
      JSON.stringify({ t: 'tenant-b', p: 'admin-consent', n: 'x', e: Date.now() + 60_000 }),
    ).toString('base64url');
    expect(() => signer.verify('admin-consent', `${forged}.${mac}`)).toThrow(/signature/);
  });

  it('refuses an expired value and one issued for another flow', () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const signer = createStateSigner({ ttlSeconds: 60, now: () => now });
    const old = signer.sign('admin-consent', {});
    const other = signer.sign('tab-signin', {});
    now = new Date('2026-01-01T00:02:00Z');
    expect(() => signer.verify('admin-consent', old)).toThrow(/expired/);
    now = new Date('2026-01-01T00:00:30Z');
    expect(() => signer.verify('admin-consent', other)).toThrow(/another flow/);
  });

  it('refuses garbage', () => {
    const signer = createStateSigner();
    for (const bad of ['', 'abc', 'a.b.c', 'x'.repeat(5000)])
      expect(() => signer.verify('p', bad)).toThrow(StateError);
  });
});
