// End-to-end restores against the dev tenant (real Graph simulator over HTTPS, real SQLite store,
// real backups): fixtures are written through Graph, backed up, damaged, backed up again, then
// restored; every check reads the tenant back. Every restore asserts plan = execution.
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.ts';
import type { CliDeps } from '../../src/cli/cli-deps.ts';
import type { GraphClient } from '../../src/graph/gateway.ts';
import { registerRestoreCommands } from '../../src/restore/cli.ts';
import { executeRestore } from '../../src/restore/executor.ts';
import { planRestore } from '../../src/restore/planner.ts';
import type { RestoreResult } from '../../src/restore/restore-types.ts';
import { buildUndoRequest } from '../../src/restore/undo.ts';
import { ensureTenant } from '../../src/settings/tenant-settings.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import {
  addMember,
  addOwner,
  approvedRecord,
  backup,
  createSecurityGroup,
  createUser,
  domainOf,
  hardDelete,
  type Json,
  kinds,
  memberIds,
  planAndExecute,
  request,
  roleAssignmentsOf,
} from './restore-harness.ts';

let world: TestWorld;
let ctx: AppContext;
let A: string;
let B: string;
let w: GraphClient;
let domA: string;
let domB: string;
let T: string;
const f: Record<string, Json> = {};
let builtInRoleId: string;

const id = (name: string) => String(f[name].id);
const user = (
  uid: string,
  select = 'id,displayName,jobTitle,city,department,accountEnabled,userPrincipalName',
) => w.get<Json>(`/users/${uid}?$select=${select}`);

beforeAll(async () => {
  world = await createTestWorld({ tenants: 2, users: 12 });
  ctx = world.ctx;
  A = world.tenantId;
  B = world.devTenant.tenants[1].tenantId;
  w = ctx.graph.forRestore(A);
  domA = await domainOf(w);
  domB = await domainOf(ctx.graph.forRestore(B));
  await ensureTenant(ctx.store, B, ctx.now());

  // Fixtures.
  f.sg1 = await createSecurityGroup(w, 'rt-sg1');
  f.sg3 = await createSecurityGroup(w, 'rt-sg3');
  f.m365 = await w.post<Json>('/groups', {
    displayName: 'Restore Test M365',
    mailEnabled: true,
    mailNickname: 'rt-m365',
    securityEnabled: false,
    groupTypes: ['Unified'],
  });
  f.soft = await createUser(w, domA, 'rt-soft');
  f.hard = await createUser(w, domA, 'rt-hard', { jobTitle: 'Analyst' });
  f.attr = await createUser(w, domA, 'rt-attr', { jobTitle: 'Engineer', city: 'Oslo', department: 'R&D' });
  f.undo = await createUser(w, domA, 'rt-undo', { jobTitle: 'Before' });
  f.m1 = await createUser(w, domA, 'rt-m1');
  f.m2 = await createUser(w, domA, 'rt-m2');
  f.m3 = await createUser(w, domA, 'rt-m3');
  f.sg2 = await createSecurityGroup(w, 'rt-sg2', { description: 'to be deleted' });
  for (const g of ['sg1', 'm365']) await addMember(w, id(g), id('soft'));
  await addMember(w, id('sg1'), id('hard'));
  await addMember(w, id('sg1'), id('undo'));
  for (const m of ['m1', 'm2', 'm3']) await addMember(w, id('sg2'), id(m));
  await addOwner(w, id('sg2'), id('m1'));
  const defs = await w.getPage<Json>('/roleManagement/directory/roleDefinitions?$filter=isBuiltIn eq true');
  builtInRoleId = String(
    defs.value.find((d) => d.displayName === 'User Administrator')?.id ??
      defs.value.find(
        (d) => !['Global Administrator', 'Privileged Role Administrator'].includes(String(d.displayName)),
      )?.id,
  );
  await w.post('/roleManagement/directory/roleAssignments', {
    roleDefinitionId: builtInRoleId,
    principalId: id('hard'),
    directoryScopeId: '/',
  });
  f.role = await w.post<Json>('/roleManagement/directory/roleDefinitions', {
    displayName: 'RT Custom Role',
    description: 'restore test',
    isEnabled: true,
    rolePermissions: [{ allowedResourceActions: ['microsoft.directory/users/basic/update'] }],
  });
  f.roleAssignment = await w.post<Json>('/roleManagement/directory/roleAssignments', {
    roleDefinitionId: id('role'),
    principalId: id('m2'),
    directoryScopeId: '/',
  });
  f.app = await w.post<Json>('/applications', {
    displayName: 'RT App',
    signInAudience: 'AzureADMyOrg',
    tags: ['restore-test'],
  });
  f.secret = await w.post<Json>(`/applications/${id('app')}/addPassword`, {
    passwordCredential: { displayName: 'rt secret' },
  });
  f.ca = await w.post<Json>('/identity/conditionalAccess/policies', {
    displayName: 'RT CA',
    state: 'enabled',
    conditions: {
      users: { includeUsers: ['All'], excludeUsers: [id('m3')] },
      applications: { includeApplications: ['All'] },
      clientAppTypes: ['all'],
    },
    grantControls: { operator: 'OR', builtInControls: ['mfa'] },
  });

  await backup(ctx, A, 'full');
  T = ctx.now().toISOString();
  await new Promise((r) => setTimeout(r, 20));

  // Membership changes a backup sees before the user is deleted: at deletion rt-soft is in sg1
  // and sg3 (those return with it from the recycle bin), no longer in m365 (it did at T).
  await w.delete(`/groups/${id('m365')}/members/${id('soft')}/$ref`);
  await addMember(w, id('sg3'), id('soft'));
  await backup(ctx, A, 'incremental');

  // Damage.
  await w.delete(`/users/${id('soft')}`);
  await hardDelete(w, '/users', id('hard'));
  await w.patch(`/users/${id('attr')}`, { jobTitle: 'Intern', city: 'Bergen' });
  await w.delete(`/groups/${id('sg2')}`);
  await w.delete(`/roleManagement/directory/roleAssignments/${id('roleAssignment')}`);
  await w.delete(`/roleManagement/directory/roleDefinitions/${id('role')}`);
  await hardDelete(w, '/applications', id('app'));
  await w.patch(`/identity/conditionalAccess/policies/${id('ca')}`, {
    state: 'disabled',
    conditions: {
      users: { includeUsers: ['All'], excludeUsers: [] },
      applications: { includeApplications: ['All'] },
      clientAppTypes: ['all'],
    },
  });
  await w.patch(`/users/${id('undo')}`, { jobTitle: 'After' });
  await w.delete(`/groups/${id('sg1')}/members/${id('undo')}/$ref`);
  await addMember(w, id('sg3'), id('undo'));

  await backup(ctx, A, 'incremental');
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe('restore against the dev tenant', () => {
  it('restores a soft-deleted user from the recycle bin with its id, writing only the memberships that do not return with it', async () => {
    const { plan, record, outcome } = await planAndExecute(
      ctx,
      request(A, [{ objectType: 'user', objectId: id('soft') }], T),
    );
    // Graph brings back what the user had when deleted (sg1, sg3): the plan adds none of it (sg1
    // is read back once after the restore), adds m365 (left before the deletion) and removes sg3
    // (joined after T).
    expect(kinds(plan)).toEqual(['restoreFromRecycleBin', 'verifyReturned', 'addMember', 'removeMember']);
    const recycle = plan.steps[0];
    expect(recycle.details.returnsWithObject).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          perspective: 'memberOf',
          objectId: id('sg1'),
          displayName: 'Restore Test rt-sg1',
        }),
        expect.objectContaining({
          perspective: 'memberOf',
          objectId: id('sg3'),
          displayName: 'Restore Test rt-sg3',
        }),
      ]),
    );
    expect(recycle.details.returnsWithObject).toHaveLength(2);
    expect(plan.steps[1].details.relationships).toEqual([
      expect.objectContaining({ kind: 'member', sourceId: id('sg1'), targetId: id('soft') }),
    ]);
    expect(plan.steps[2].target.objectId).toBe(id('m365'));
    expect(plan.steps[3].target.objectId).toBe(id('sg3'));
    expect(plan.notes?.join(' ')).toContain('member of Restore Test rt-sg1');
    expect(outcome('verifyReturned')).toEqual([
      expect.objectContaining({ status: 'done', reason: 'all 1 returned with the object' }),
    ]);
    expect(outcome('addMember')).toEqual([{ status: 'done', at: expect.any(String) }]);
    expect(outcome('removeMember')).toEqual([{ status: 'done', at: expect.any(String) }]);
    expect(record.status).toBe('succeeded');
    const live = await user(id('soft'));
    expect(live.id).toBe(id('soft'));
    expect(await memberIds(w, id('sg1'))).toContain(id('soft'));
    expect(await memberIds(w, id('m365'))).toContain(id('soft'));
    expect(await memberIds(w, id('sg3'))).not.toContain(id('soft'));
  });

  it('re-creates a hard-deleted user with memberships and role assignments remapped to the new id', async () => {
    await ctx.store.putSettings({
      ...(await ensureTenant(ctx.store, A, ctx.now())),
      restore: { revealTemporaryPasswords: true },
    });
    const passwords: string[] = [];
    const { plan, record, result } = await planAndExecute(
      ctx,
      request(A, [{ objectType: 'user', objectId: id('hard') }], T),
      {
        onTemporaryPassword: (p) => passwords.push(p.password),
      },
    );
    expect(kinds(plan)).toEqual(['create', 'addMember', 'addRoleAssignment']);
    expect(record.status).toBe('succeeded');
    const newId = result.createdIds[id('hard')];
    expect(newId).toBeTruthy();
    expect(newId).not.toBe(id('hard'));
    const live = await user(newId);
    expect(live.userPrincipalName).toBe(`rt-hard@${domA}`);
    expect(live.jobTitle).toBe('Analyst');
    expect(await memberIds(w, id('sg1'))).toContain(newId);
    expect((await roleAssignmentsOf(w, newId)).map((a) => a.roleDefinitionId)).toEqual([builtInRoleId]);
    // The first password was handed over once, is strong, and is stored nowhere.
    expect(passwords).toHaveLength(1);
    expect(passwords[0]).toMatch(/^(?=.*[A-Z])(?=.*[a-z])(?=.*\d)(?=.*[^A-Za-z0-9]).{16,}$/);
    const stored = JSON.stringify(await ctx.store.getRestore(A, record.restoreId));
    expect(stored).not.toContain(passwords[0]);
    const audit = await ctx.store.listAudit(A, { limit: 1000 });
    expect(JSON.stringify(audit.items)).not.toContain(passwords[0]);
  });

  it('rolls back attributes by patching only the properties that differ', async () => {
    const { plan, record } = await planAndExecute(
      ctx,
      request(A, [{ objectType: 'user', objectId: id('attr') }], T),
    );
    expect(kinds(plan)).toEqual(['patch']);
    expect(plan.steps[0].details.changes).toEqual({ city: 'Oslo', jobTitle: 'Engineer' });
    expect(
      plan.diff[id('attr')].changes.filter((c) => c.writable).map((c) => [c.property, c.before, c.after]),
    ).toEqual([
      ['city', 'Bergen', 'Oslo'],
      ['jobTitle', 'Intern', 'Engineer'],
    ]);
    expect(record.status).toBe('succeeded');
    expect(await user(id('attr'))).toMatchObject({ jobTitle: 'Engineer', city: 'Oslo', department: 'R&D' });
  });

  it('skips a step whose object changed since the preview (conflict) and leaves the new value', async () => {
    await w.patch(`/users/${id('attr')}`, { jobTitle: 'Intern' });
    const plan = await planRestore(ctx, request(A, [{ objectType: 'user', objectId: id('attr') }], T));
    expect(plan.steps[0].details.changes).toEqual({ jobTitle: 'Engineer' });
    await w.patch(`/users/${id('attr')}`, { jobTitle: 'Manager' });
    const record = await executeRestore(ctx, await approvedRecord(ctx, plan));
    expect(record.status).toBe('partial');
    expect(record.stepResults[plan.steps[0].stepId]).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/conflict.*jobTitle/),
    });
    expect((await user(id('attr'))).jobTitle).toBe('Manager');
    await w.patch(`/users/${id('attr')}`, { jobTitle: 'Engineer' });
  });

  it('re-creates a deleted security group with its members and owners', async () => {
    const { plan, result, record } = await planAndExecute(
      ctx,
      request(A, [{ objectType: 'group', objectId: id('sg2') }], T),
    );
    expect(kinds(plan)).toEqual(['create', 'addOwner', 'addMember', 'addMember', 'addMember']);
    expect(record.status).toBe('succeeded');
    const newId = result.createdIds[id('sg2')];
    const group = await w.get<Json>(
      `/groups/${newId}?$select=displayName,description,securityEnabled,mailEnabled`,
    );
    expect(group).toMatchObject({
      displayName: 'Restore Test rt-sg2',
      description: 'to be deleted',
      securityEnabled: true,
      mailEnabled: false,
    });
    expect(await memberIds(w, newId)).toEqual([id('m1'), id('m2'), id('m3')].sort());
    expect(await memberIds(w, newId, '/groups', 'owners')).toEqual([id('m1')]);
  });

  it('re-creates a custom role and its assignments', async () => {
    const { plan, result, record } = await planAndExecute(
      ctx,
      request(A, [{ objectType: 'roleDefinition', objectId: id('role') }], T),
    );
    expect(kinds(plan)).toEqual(['create', 'addRoleAssignment']);
    expect(record.status).toBe('succeeded');
    const newRole = result.createdIds[id('role')];
    const role = await w.get<Json>(`/roleManagement/directory/roleDefinitions/${newRole}`);
    expect(role).toMatchObject({ displayName: 'RT Custom Role', isBuiltIn: false, isEnabled: true });
    expect((await roleAssignmentsOf(w, id('m2'))).map((a) => a.roleDefinitionId)).toContain(newRole);
  });

  it('re-creates an application without its secret and reports the credential to re-issue', async () => {
    const { plan, result, record } = await planAndExecute(
      ctx,
      request(A, [{ objectType: 'application', objectId: id('app') }], T),
    );
    expect(kinds(plan)).toEqual(['create', 'reportOnly']);
    expect(record.status).toBe('succeeded');
    const newId = result.createdIds[id('app')];
    const app = await w.get<Json>(`/applications/${newId}`);
    expect(app).toMatchObject({ displayName: 'RT App', tags: ['restore-test'], passwordCredentials: [] });
    expect(result.credentialsToReissue).toEqual([
      expect.objectContaining({
        objectId: newId,
        sourceId: id('app'),
        credentialType: 'password',
        credentialName: 'rt secret',
        keyId: f.secret.keyId,
      }),
    ]);
    expect(result.skipped.map((s) => s.kind)).toEqual(['reportOnly']);
    expect(JSON.stringify(record)).not.toContain(String(f.secret.secretText));
  });

  it('rolls back a conditional access policy', async () => {
    const { plan, record } = await planAndExecute(
      ctx,
      request(A, [{ objectType: 'conditionalAccessPolicy', objectId: id('ca') }], T),
    );
    expect(kinds(plan)).toEqual(['patch']);
    expect(Object.keys(plan.steps[0].details.changes as Json).sort()).toEqual(['conditions', 'state']);
    expect(record.status).toBe('succeeded');
    const policy = await w.get<Json>(`/identity/conditionalAccess/policies/${id('ca')}`);
    expect(policy.state).toBe('enabled');
    expect((policy.conditions as { users: Json }).users.excludeUsers).toEqual([id('m3')]);
  });

  it('restores a user into another tenant with the domain mapped', async () => {
    const wb = ctx.graph.forRestore(B);
    const { plan, record, result } = await planAndExecute(
      ctx,
      request(A, [{ objectType: 'user', objectId: id('undo') }], T, {
        targetTenantId: B,
        domainMap: { [domA]: domB },
      }),
    );
    expect(plan.writeTenantId).toBe(B);
    expect(kinds(plan)).toEqual(['create', 'skip']);
    expect(plan.steps[1].skipReason).toMatch(/not in the target tenant/);
    expect(record.status).toBe('succeeded');
    const created = await wb.get<Json>(`/users/rt-undo@${domB}?$select=id,jobTitle,userPrincipalName`);
    expect(created).toMatchObject({
      id: result.createdIds[id('undo')],
      jobTitle: 'Before',
      userPrincipalName: `rt-undo@${domB}`,
    });
    // The source tenant is untouched.
    expect((await user(id('undo'))).jobTitle).toBe('After');
  });

  it('restores as new: a second user with a new name and UPN', async () => {
    const { plan, result } = await planAndExecute(
      ctx,
      request(A, [{ objectType: 'user', objectId: id('attr') }], T, {
        asNew: { displayName: 'RT Attr Copy', userPrincipalName: `rt-attr-copy@${domA}` },
        blockSignIn: true,
      }),
    );
    expect(kinds(plan)).toEqual(['create']);
    const copy = await user(result.createdIds[id('attr')]);
    expect(copy).toMatchObject({
      displayName: 'RT Attr Copy',
      userPrincipalName: `rt-attr-copy@${domA}`,
      jobTitle: 'Engineer',
      accountEnabled: false,
    });
    expect((await user(id('attr'))).userPrincipalName).toBe(`rt-attr@${domA}`);
  });

  it('undoes a restore: the tenant returns to its state before the restore', async () => {
    const state = async () => ({
      jobTitle: (await user(id('undo'))).jobTitle,
      inSg1: (await memberIds(w, id('sg1'))).includes(id('undo')),
      inSg3: (await memberIds(w, id('sg3'))).includes(id('undo')),
    });
    const before = await state();
    expect(before).toEqual({ jobTitle: 'After', inSg1: false, inSg3: true });
    const restored = await planAndExecute(ctx, request(A, [{ objectType: 'user', objectId: id('undo') }], T));
    expect(kinds(restored.plan)).toEqual(['patch', 'addMember', 'removeMember']);
    expect(await state()).toEqual({ jobTitle: 'Before', inSg1: true, inSg3: false });
    const undo = buildUndoRequest(restored.record, ctx.now());
    const undone = await planAndExecute(ctx, undo);
    expect(undone.record.status).toBe('succeeded');
    expect(await state()).toEqual(before);
  });

  it('with a read-only app: the plan names the missing permission and nothing is written', async () => {
    await w.patch(`/users/${id('attr')}`, { jobTitle: 'Damaged' });
    const readOnly: AppContext = {
      ...ctx,
      graph: { forBackup: (t) => ctx.graph.forBackup(t), forRestore: (t) => ctx.graph.forBackup(t) },
    };
    const plan = await planRestore(readOnly, request(A, [{ objectType: 'user', objectId: id('attr') }], T));
    expect(plan.missingPermissions).toEqual(['User.ReadWrite.All']);
    expect(plan.steps.map((s) => s.kind)).toEqual(['patch']);
    const record = await executeRestore(readOnly, await approvedRecord(ctx, plan));
    expect(record.stepResults[plan.steps[0].stepId]).toMatchObject({
      status: 'skipped',
      reason: 'missing permission: User.ReadWrite.All',
    });
    expect((record.result as unknown as RestoreResult).totals.done).toBe(0);
    expect((await user(id('attr'))).jobTitle).toBe('Damaged');
  });

  it('CLI: --dry-run prints {steps, diff} and writes nothing; --execute runs at once, audited as break-glass', async () => {
    await w.patch(`/users/${id('attr')}`, { jobTitle: 'Cli damaged' });
    const printed: unknown[] = [];
    const failures: string[] = [];
    const deps: CliDeps = {
      openRuntime: async () => ({ ...world.runtime, close: async () => {} }),
      output: (_json, data) => printed.push(data),
      fail: (_json, code, message) => failures.push(`${code}: ${message}`),
    };
    const cli = () => {
      const program = new Command().exitOverride();
      registerRestoreCommands(program, deps);
      return program;
    };
    const restoresBefore = (await ctx.store.listRestores(A)).length;
    await cli().parseAsync(['restore', 'user', 'rt-attr@', '--at', T, '--tenant', A, '--dry-run', '--json'], {
      from: 'user',
    });
    expect(failures).toEqual([]);
    const dry = printed[0] as { steps: { kind: string; details: Json }[]; diff: Record<string, unknown> };
    expect(dry.steps.map((s) => s.kind)).toEqual(['patch']);
    expect(dry.steps[0].details.changes).toEqual({ jobTitle: 'Engineer' });
    expect(Object.keys(dry.diff)).toEqual([id('attr')]);
    expect((await user(id('attr'))).jobTitle).toBe('Cli damaged');
    expect(await ctx.store.listRestores(A)).toHaveLength(restoresBefore);

    await cli().parseAsync(['restore', 'user', id('attr'), '--at', T, '--tenant', A, '--execute', '--json'], {
      from: 'user',
    });
    expect(failures).toEqual([]);
    const run = printed[1] as { restoreId: string; status: string; breakGlass: boolean };
    expect(run).toMatchObject({ status: 'succeeded', breakGlass: true });
    expect((await user(id('attr'))).jobTitle).toBe('Engineer');
    const audit = await ctx.store.listAudit(A, { action: 'restore.break-glass', limit: 10 });
    expect(audit.items.map((e) => e.details?.restoreId)).toContain(run.restoreId);

    await cli().parseAsync(
      ['restore', 'user', id('attr'), '--tenant', A, '--dry-run', '--option', 'withBogus'],
      { from: 'user' },
    );
    expect(failures.at(-1)).toMatch(/unknown restore option "withBogus"/);
  });
});
