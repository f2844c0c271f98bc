// The web role (`entra-backup serve --role web`, its own process) is killed with -9 while an
// approval is in flight and started again: the request survives, the approval counts once
// whether or not the killed process recorded it, the two-person rule still holds after the
// restart, and the audit chain is intact. Activities come to the bot in its loopback-only
// anonymous mode (no BOT_APP_ID), as the local Playground sends them.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/domain.ts';
import { verifyAuditChain } from '../../src/store/audit-chain.ts';
import { type LocalConnector, startLocalConnector } from '../helpers/local-connector.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import { findPeople, type RacePeople } from './lib/approval-race-scenario.ts';
import { recordTally } from './lib/tally.ts';
import { type ProductProcess, sleep, startProductProcess, worldEnv } from './lib/worker-process.ts';

let world: TestWorld;
let people: RacePeople;
let connector: LocalConnector;
let web: ProductProcess | undefined;
let base = '';

async function startWeb(): Promise<void> {
  web = startProductProcess('web', worldEnv(world, { PORT: '0', HOST: '127.0.0.1' }));
  const ready = await web.ready;
  base = String(ready.urls.bot).replace(/\/api\/messages$/, '');
}

function invoke(who: Principal, verb: string, data: Record<string, unknown>) {
  return {
    type: 'invoke',
    name: 'adaptiveCard/action',
    id: randomUUID(),
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl: connector.serviceUrl,
    from: { id: `29:${who.objectId}`, aadObjectId: who.objectId, name: who.displayName },
    recipient: { id: '28:entra-backup', name: 'Entra Backup' },
    conversation: {
      id: `a:personal-${who.objectId}`,
      conversationType: 'personal',
      tenantId: world.tenantId,
    },
    channelData: { tenant: { id: world.tenantId } },
    value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
  };
}

async function post(
  activity: Record<string, unknown>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(activity),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

beforeAll(async () => {
  world = await createTestWorld({ users: 12, seed: 'sec-web-restart' });
  people = await findPeople(world);
  connector = await startLocalConnector();
  await startWeb();
}, 180_000);

afterAll(async () => {
  web?.kill('SIGKILL');
  await web?.exited;
  await connector?.stop();
  await world?.close();
});

describe('restart of the web role during an approval', () => {
  it('the request survives, the approval counts once, self-approval stays refused', async () => {
    const requested = await post(
      invoke(people.requester, 'restore.request', { objectType: 'user', objectId: people.targetUserId }),
    );
    expect(requested.status).toBe(200);
    const [pending] = await world.ctx.store.listRestores(world.tenantId, { status: ['pending'] });
    expect(pending).toBeDefined();

    // Kill the web role while the second admin's approval is in flight.
    const inFlight = post(
      invoke(people.approverB, 'approval.approve', { restoreId: pending.restoreId }),
    ).catch((e: unknown) => e);
    await sleep(Math.floor(Math.random() * 150));
    web?.kill('SIGKILL');
    await web?.exited;
    await inFlight;
    const afterKill = await world.ctx.store.getRestore(world.tenantId, pending.restoreId);
    expect(['pending', 'approved']).toContain(afterKill?.status);

    await startWeb();
    // The requester tries to approve their own request on the new process: refused.
    const self = await post(invoke(people.requester, 'approval.approve', { restoreId: pending.restoreId }));
    expect(self.status).toBe(200);
    expect(JSON.stringify(self.body)).toMatch(/cannot approve your own|already approved|already/i);
    // The approver clicks again (the card said nothing): applied now, or "already" if the
    // killed process had recorded it. Either way: approved once.
    const again = await post(invoke(people.approverB, 'approval.approve', { restoreId: pending.restoreId }));
    expect(again.status).toBe(200);
    const final = await world.ctx.store.getRestore(world.tenantId, pending.restoreId);
    expect(final?.status).toBe('approved');
    const approvals = final?.decisions.filter((d) => d.decision === 'approve') ?? [];
    expect(approvals.map((d) => d.by.objectId)).toEqual([people.approverB.objectId]);
    const audited = (
      await world.ctx.store.listAudit(world.tenantId, { action: 'restore.approved', limit: 50 })
    ).items.filter((e) => e.target === pending.restoreId);
    expect(audited.length).toBe(1);
    const chain = await verifyAuditChain(world.ctx.store, world.tenantId);
    expect(chain.ok, JSON.stringify(chain.firstProblem)).toBe(true);
    recordTally('security/web-restart', {
      faults: 1,
      runs: 1,
      lost: afterKill ? 0 : 1,
      duplicated: Math.max(0, approvals.length - 1),
      repeated: Math.max(0, audited.length - 1),
    });
  }, 180_000);
});
