// The approval card as a restore moves on (approved → running with progress → done or failed,
// with counts and the skipped or failed steps with their reasons), and Teams' 60-user limit on
// `refresh.userIds`. Labels come from the shared step-label table (src/restore/step-labels.ts).
import { describe, expect, it } from 'vitest';
import { approvalCard, MAX_REFRESH_USERS } from '../../bot/approval-card.ts';
import { emptyResult, type RestorePlan, type RestoreStep } from '../../src/restore/restore-types.ts';
import { STEP_LABELS, stepLabel } from '../../src/restore/step-labels.ts';
import type { RestoreRecord } from '../../src/store/store.ts';
import { cardText, cardVerbs } from './bot-world.ts';

const step = (stepId: string, kind: RestoreStep['kind'], displayName: string): RestoreStep => ({
  stepId,
  kind,
  target: { objectType: 'group', objectId: `id-${stepId}`, displayName },
  details: {},
  expected: {},
});

const plan = {
  steps: [
    step('s1', 'restoreFromRecycleBin', 'Adele Vance'),
    step('s2', 'addMember', 'Sales'),
    step('s3', 'addMember', 'Finance'),
    step('s4', 'addRoleAssignment', 'Helpdesk Administrator'),
  ],
  warnings: [],
  missingPermissions: [],
  notes: [],
  diff: {},
} as unknown as RestorePlan;

function record(over: Partial<RestoreRecord>): RestoreRecord {
  return {
    tenantId: 'tenant-a',
    restoreId: 'rst-1',
    status: 'approved',
    requestedBy: { tenantId: 'tenant-a', objectId: 'alice', kind: 'user', displayName: 'Alice' },
    requestedAt: '2026-11-30T00:00:00.000Z',
    expiresAt: '2026-12-01T00:00:00.000Z',
    requiredApprovals: 1,
    decisions: [
      {
        by: { tenantId: 'tenant-a', objectId: 'bob', kind: 'user', displayName: 'Bob' },
        decision: 'approve',
        at: '2026-11-30T00:05:00.000Z',
      },
    ],
    request: { objects: [{ objectType: 'user', objectId: 'u1' }], options: {} },
    plan: plan as unknown as Record<string, unknown>,
    stepResults: {},
    updatedAt: '2026-11-30T00:05:00.000Z',
    ...over,
  };
}

const view = (r: RestoreRecord, refreshUserIds?: string[]) =>
  approvalCard(r, 'base', { dashboardUrl: 'https://tab.example/', refreshUserIds });

describe('the approval card follows the restore', () => {
  it('approved: queued, who approved, no buttons and no progress yet', () => {
    const card = view(record({}));
    expect(cardText(card)).toMatch(/Approved — queued/);
    expect(cardText(card)).toMatch(/Bob approved/);
    expect(cardText(card)).not.toMatch(/Progress:/);
    expect(cardVerbs(card)).toEqual([]);
  });

  it('running: progress counts, and what was skipped or failed so far with the reason', () => {
    const card = view(
      record({
        status: 'running',
        stepResults: {
          s1: { status: 'done', at: '2026-11-30T00:06:00.000Z' },
          s2: { status: 'skipped', reason: 'already a member', at: '2026-11-30T00:06:01.000Z' },
        },
      }),
    );
    const text = cardText(card);
    expect(text).toMatch(/Running/);
    expect(text).toMatch(/Progress: 2 of 4 steps \(1 done, 1 skipped, 0 failed\)/);
    expect(text).toContain(`Skipped: ${STEP_LABELS.addMember} — Sales: already a member`);
  });

  it('done with skipped and failed steps: the result counts and every reason', () => {
    const result = {
      ...emptyResult(),
      totals: { done: 2, skipped: 1, failed: 1, pending: 0 },
      skipped: [
        {
          stepId: 's2',
          kind: 'addMember' as const,
          target: plan.steps[1].target,
          reason: 'already a member',
        },
      ],
      failed: [
        {
          stepId: 's4',
          kind: 'addRoleAssignment' as const,
          target: plan.steps[3].target,
          code: 'Authorization_RequestDenied',
          message: 'Insufficient privileges',
        },
      ],
    };
    const card = view(record({ status: 'partial', result: result as unknown as Record<string, unknown> }));
    const text = cardText(card);
    expect(text).toMatch(/Done with skipped or failed steps/);
    expect(text).toMatch(/Result: 2 done, 1 skipped, 1 failed/);
    expect(text).toContain('Skipped: Add membership — Sales: already a member');
    expect(text).toContain(
      'Failed: Add role assignment — Helpdesk Administrator: Authorization_RequestDenied Insufficient privileges',
    );
  });

  it('failed: says so, with the counts', () => {
    const result = { ...emptyResult(), totals: { done: 0, skipped: 0, failed: 4, pending: 0 } };
    const text = cardText(
      view(record({ status: 'failed', result: result as unknown as Record<string, unknown> })),
    );
    expect(text).toMatch(/Failed/);
    expect(text).toMatch(/Result: 0 done, 0 skipped, 4 failed/);
  });

  it('lists at most 60 users in refresh.userIds (Teams refreshes no more)', () => {
    const many = Array.from({ length: 75 }, (_, i) => `29:user-${i}`);
    const card = view(record({ status: 'pending', decisions: [] }), many);
    const ids = (card.refresh as { userIds: string[] }).userIds;
    expect(MAX_REFRESH_USERS).toBe(60);
    expect(ids).toEqual(many.slice(0, 60));
  });
});

describe('one table of step labels for the bot and the tab', () => {
  it('labels every step kind, and shows an unknown kind as it is', async () => {
    const { STEP_KINDS } = await import('../../src/restore/restore-types.ts');
    for (const kind of STEP_KINDS) expect(STEP_LABELS[kind], kind).toMatch(/\w/);
    expect(stepLabel('someFutureKind')).toBe('someFutureKind');
    expect(stepLabel('constructor')).toBe('constructor');
    const tab = await import('../../tab/src/format.ts');
    expect(tab.STEP_LABELS).toBe(STEP_LABELS);
  });
});
