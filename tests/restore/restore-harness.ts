// Shared helpers for the restore tests: writes to the dev tenant (to build fixtures and damage
// them), real backups with the backup engine, and plan → approve → execute with the checks
// every restore test makes (plan = execution; every step audited).
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { AppContext } from '../../src/app-context.ts';
import { runBackupNow } from '../../src/backup/run-now.ts';
import type { ObjectType } from '../../src/domain.ts';
import type { GraphClient } from '../../src/graph/gateway.ts';
import { type ExecuteOptions, executeRestore } from '../../src/restore/executor.ts';
import { planRestore } from '../../src/restore/planner.ts';
import type { RestorePlan, RestoreRequestInput, RestoreResult } from '../../src/restore/restore-types.ts';
import type { RestoreRecord } from '../../src/store/store.ts';

export type Json = Record<string, unknown>;

/** The types the restore tests use (sign-ins and auth methods are paced by Graph: left out for speed). */
export const RESTORE_TEST_TYPES: ObjectType[] = [
  'user',
  'group',
  'roleDefinition',
  'roleAssignment',
  'application',
  'servicePrincipal',
  'administrativeUnit',
  'conditionalAccessPolicy',
];

export async function backup(
  ctx: AppContext,
  tenantId: string,
  kind: 'full' | 'incremental' = 'incremental',
  types: ObjectType[] = RESTORE_TEST_TYPES,
) {
  const run = await runBackupNow(ctx, tenantId, { kind, trigger: 'manual', types }, { pollMs: 50 });
  expect(['succeeded', 'partial'], `backup ${run.runId}: ${JSON.stringify(run.errors)}`).toContain(
    run.status,
  );
  return run;
}

export async function domainOf(client: GraphClient): Promise<string> {
  const org = await client.get<{ value: { verifiedDomains?: { name: string; isDefault?: boolean }[] }[] }>(
    '/organization',
  );
  const domains = org.value[0]?.verifiedDomains ?? [];
  return (domains.find((d) => d.isDefault) ?? domains[0]).name;
}

export async function createUser(
  client: GraphClient,
  domain: string,
  nick: string,
  extra: Json = {},
): Promise<Json> {
  return client.post<Json>('/users', {
    accountEnabled: true,
    displayName: `Restore Test ${nick}`,
    mailNickname: nick,
    userPrincipalName: `${nick}@${domain}`,
    passwordProfile: { password: `Pw-${randomUUID()}`, forceChangePasswordNextSignIn: true },
    ...extra,
  });
}

export async function createSecurityGroup(
  client: GraphClient,
  nick: string,
  extra: Json = {},
): Promise<Json> {
  return client.post<Json>('/groups', {
    displayName: `Restore Test ${nick}`,
    mailEnabled: false,
    mailNickname: nick,
    securityEnabled: true,
    ...extra,
  });
}

const ref = (id: string) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${id}` });

export async function addMember(
  client: GraphClient,
  groupId: string,
  memberId: string,
  path = '/groups',
): Promise<void> {
  await client.post(`${path}/${groupId}/members/$ref`, ref(memberId));
}

export async function addOwner(
  client: GraphClient,
  groupId: string,
  ownerId: string,
  path = '/groups',
): Promise<void> {
  await client.post(`${path}/${groupId}/owners/$ref`, ref(ownerId));
}

export async function memberIds(
  client: GraphClient,
  groupId: string,
  path = '/groups',
  nav = 'members',
): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of client.pages<{ id: string }>(`${path}/${groupId}/${nav}?$select=id`))
    ids.push(...page.value.map((v) => v.id));
  return ids.sort();
}

export async function roleAssignmentsOf(client: GraphClient, principalId: string): Promise<Json[]> {
  const page = await client.getPage<Json>(
    `/roleManagement/directory/roleAssignments?$filter=principalId eq '${principalId}'`,
  );
  return page.value;
}

/** Soft-deletes then purges (a hard delete of a type Entra keeps in the recycle bin). */
export async function hardDelete(client: GraphClient, path: string, id: string): Promise<void> {
  await client.delete(`${path}/${id}`);
  await client.delete(`/directory/deletedItems/${id}`);
}

export function request(
  tenantId: string,
  objects: { objectType: ObjectType; objectId: string; versionId?: string }[],
  at: string,
  options: RestoreRequestInput['options'] = {},
): RestoreRequestInput {
  return { tenantId, objects, at, options };
}

/** An approved restore record holding `plan` (what the approval flow stores). */
export async function approvedRecord(ctx: AppContext, plan: RestorePlan): Promise<RestoreRecord> {
  const now = ctx.now().toISOString();
  const requester = { tenantId: plan.request.tenantId, objectId: 'requester', kind: 'user' as const };
  return ctx.store.putRestore({
    tenantId: plan.request.tenantId,
    restoreId: randomUUID(),
    status: 'approved',
    requestedBy: requester,
    requestedAt: now,
    expiresAt: new Date(Date.parse(now) + 86_400_000).toISOString(),
    requiredApprovals: 1,
    decisions: [{ by: { ...requester, objectId: 'approver' }, decision: 'approve', at: now }],
    request: plan.request as unknown as Json,
    plan: plan as unknown as Json,
    stepResults: {},
    updatedAt: now,
  });
}

export interface Executed {
  plan: RestorePlan;
  record: RestoreRecord;
  result: RestoreResult;
  outcome: (kind: string) => { status: string; reason?: string }[];
}

/** Plans, approves and executes; asserts the executed steps are exactly the previewed ones and all audited. */
export async function planAndExecute(
  ctx: AppContext,
  input: RestoreRequestInput,
  options: ExecuteOptions = {},
): Promise<Executed> {
  const plan = await planRestore(ctx, input);
  const stored = await approvedRecord(ctx, plan);
  const record = await executeRestore(ctx, stored, options);
  if (process.env.RESTORE_TEST_DEBUG) {
    console.log(
      JSON.stringify({ steps: plan.steps, warnings: plan.warnings, results: record.stepResults }, null, 1),
    );
  }
  await expectPlanEqualsExecution(ctx, plan, record);
  const result = record.result as unknown as RestoreResult;
  return {
    plan,
    record,
    result,
    outcome: (kind) =>
      plan.steps
        .filter((s) => s.kind === kind)
        .map((s) => record.stepResults[s.stepId] as { status: string; reason?: string }),
  };
}

export async function expectPlanEqualsExecution(
  ctx: AppContext,
  plan: RestorePlan,
  record: RestoreRecord,
): Promise<void> {
  const executed = record.plan as unknown as RestorePlan;
  expect(executed.planId).toBe(plan.planId);
  expect(executed.steps).toEqual(plan.steps);
  expect(Object.keys(record.stepResults).sort()).toEqual(plan.steps.map((s) => s.stepId).sort());
  const audited = new Set<string>();
  let continuation: string | undefined;
  do {
    const page = await ctx.store.listAudit(record.tenantId, {
      action: 'restore.step',
      limit: 500,
      continuation,
    });
    for (const e of page.items)
      if (e.details?.restoreId === record.restoreId) audited.add(String(e.details.stepId));
    continuation = page.continuation;
  } while (continuation);
  expect([...audited].sort()).toEqual(plan.steps.map((s) => s.stepId).sort());
}

export function kinds(plan: RestorePlan): string[] {
  return plan.steps.map((s) => s.kind);
}
