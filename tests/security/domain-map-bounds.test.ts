// A domain map is a handful of a tenant's domains. A client is not bound by the card's input
// length or the tab's form: a huge map is refused with the reason before anything is planned
// (each mapping is applied to every restored body, and the map is stored and shown on cards).
import { describe, expect, it } from 'vitest';
import { requestFromCardData } from '../../bot/commands/restore-command.ts';
import { MAX_MAPPED_DOMAINS, restoreOptionsSchema } from '../../src/restore/restore-types.ts';

const TARGET = '11111111-2222-4333-8444-555555555555';
const pairs = (n: number) => Array.from({ length: n }, (_, i) => `src${i}.example.com=dst${i}.example.com`);

describe('domain map bounds', () => {
  it('the bot refuses a domain map longer than its card allows, naming why', () => {
    const built = requestFromCardData(
      { targetTenantId: TARGET, domainMap: pairs(5000).join(',') },
      'user',
      '2c5f8a3e-0000-4000-8000-000000000001',
      new Date().toISOString(),
    );
    expect(built).toMatchObject({ ok: false, message: expect.stringMatching(/Domain map: at most 1000/) });
  });

  it('the bot still takes a map that fits its card', () => {
    const built = requestFromCardData(
      { targetTenantId: TARGET, domainMap: pairs(3).join(', ') },
      'user',
      '2c5f8a3e-0000-4000-8000-000000000001',
      new Date().toISOString(),
    );
    expect(built.ok && built.request.options?.domainMap).toEqual({
      'src0.example.com': 'dst0.example.com',
      'src1.example.com': 'dst1.example.com',
      'src2.example.com': 'dst2.example.com',
    });
  });

  it('a restore request (tab, CLI, bot) maps at most MAX_MAPPED_DOMAINS domains', () => {
    const map = (n: number) => Object.fromEntries(pairs(n).map((p) => p.split('=')));
    expect(restoreOptionsSchema.safeParse({ domainMap: map(MAX_MAPPED_DOMAINS) }).success).toBe(true);
    const refused = restoreOptionsSchema.safeParse({ domainMap: map(MAX_MAPPED_DOMAINS + 1) });
    expect(refused.success).toBe(false);
    expect(JSON.stringify(refused.error?.issues)).toMatch(/at most 100 domains/);
    const long = restoreOptionsSchema.safeParse({ domainMap: { [`${'a'.repeat(300)}.com`]: 'b.com' } });
    expect(long.success).toBe(false);
  });
});
