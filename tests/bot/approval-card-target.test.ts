// The approval card tells approvers where a cross-tenant restore writes, with its domain map.
import { describe, expect, it } from 'vitest';
import { approvalCard } from '../../bot/approval-card.ts';
import type { RestoreRecord } from '../../src/store/store.ts';

const record = (options: Record<string, unknown>): RestoreRecord => ({
  tenantId: 'tenant-a',
  restoreId: 'rst-1',
  status: 'pending',
  requestedBy: { tenantId: 'tenant-a', objectId: 'alice', kind: 'user', displayName: 'Alice' },
  requestedAt: '2026-11-30T00:00:00.000Z',
  expiresAt: '2026-12-01T00:00:00.000Z',
  requiredApprovals: 1,
  decisions: [],
  request: { objects: [{ objectType: 'user', objectId: 'u1' }], options },
  plan: {},
  stepResults: {},
  updatedAt: '2026-11-30T00:00:00.000Z',
});

const cardText = (r: RestoreRecord) =>
  JSON.stringify(approvalCard(r, 'approver', { dashboardUrl: 'https://tab.example/' }));

describe('approval card of a restore into another tenant', () => {
  it('names the target tenant and each domain mapping', () => {
    const text = cardText(
      record({ targetTenantId: 'tenant-b', domainMap: { 'contoso.com': 'fabrikam.com' } }),
    );
    expect(text).toContain('into tenant tenant-b (contoso.com → fabrikam.com)');
  });

  it('says nothing of another tenant for a restore in place', () => {
    expect(cardText(record({}))).not.toContain('into tenant');
  });
});
