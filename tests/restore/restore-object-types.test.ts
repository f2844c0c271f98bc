// Restores of the object types restore-e2e does not cover, against the dev tenant (real Graph
// simulator, real SQLite store, real backups): administrative units and AU membership, devices
// (what Graph can and cannot write), service principals and app role assignments, and "restore
// as new" of groups, applications and AUs. Every check reads the tenant back; every restore
// asserts plan = execution (restore-harness).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.ts';
import type { ObjectType } from '../../src/domain.ts';
import type { GraphClient } from '../../src/graph/gateway.ts';
import { planRestore } from '../../src/restore/planner.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import {
  addMember,
  addOwner,
  backup,
  createSecurityGroup,
  createUser,
  domainOf,
  hardDelete,
  type Json,
  kinds,
  memberIds,
  planAndExecute,
  RESTORE_TEST_TYPES,
  request,
} from './restore-harness.ts';

const TYPES: ObjectType[] = [...RESTORE_TEST_TYPES, 'device'];
const AU = '/directory/administrativeUnits';

let world: TestWorld;
let ctx: AppContext;
let A: string;
let w: GraphClient;
let T: string;
const f: Record<string, Json> = {};
const id = (name: string) => String(f[name].id);
const appRoleId = randomUUID();

async function assignedTo(spId: string): Promise<Json[]> {
  const out: Json[] = [];
  for await (const page of w.pages<Json>(`/servicePrincipals/${spId}/appRoleAssignedTo`))
    out.push(...page.value);
  return out;
}

beforeAll(async () => {
  world = await createTestWorld({ users: 8 });
  ctx = world.ctx;
  A = world.tenantId;
  w = ctx.graph.forRestore(A);
  const domain = await domainOf(w);

  for (const n of ['u1', 'u2', 'u3', 'u4', 'u5', 'u6']) f[n] = await createUser(w, domain, `rot-${n}`);
  // Administrative units: au1 (u1, u4) keeps living; au2 (u3) goes to the recycle bin.
  f.au1 = await w.post<Json>(AU, { displayName: 'ROT AU1', description: 'first' });
  f.au2 = await w.post<Json>(AU, { displayName: 'ROT AU2' });
  await addMember(w, id('au1'), id('u1'), AU);
  await addMember(w, id('au1'), id('u4'), AU);
  await addMember(w, id('au2'), id('u3'), AU);
  // Devices (seeded): d1 is a member of gDev and gets changed, d2 gets deleted.
  const devices = (await w.getPage<Json>('/devices?$select=id,displayName,accountEnabled')).value;
  f.d1 = devices[0];
  f.d2 = devices[1];
  f.gDev = await createSecurityGroup(w, 'rot-gdev');
  await addMember(w, id('gDev'), id('d1'));
  // An application with an app role, its service principal and two users assigned to the role;
  // a second app/SP pair whose SP goes to the recycle bin with its assignment.
  const appRoles = [
    {
      id: appRoleId,
      allowedMemberTypes: ['User'],
      displayName: 'Reader',
      description: 'Reads',
      value: 'Reader',
      isEnabled: true,
    },
  ];
  f.app = await w.post<Json>('/applications', {
    displayName: 'ROT App',
    signInAudience: 'AzureADMyOrg',
    identifierUris: [`api://rot-${randomUUID()}`],
    appRoles,
  });
  await addOwner(w, id('app'), id('u1'), '/applications');
  f.secret = await w.post<Json>(`/applications/${id('app')}/addPassword`, {
    passwordCredential: { displayName: 'rot secret' },
  });
  f.sp = await w.post<Json>('/servicePrincipals', { appId: f.app.appId });
  f.app2 = await w.post<Json>('/applications', {
    displayName: 'ROT App2',
    signInAudience: 'AzureADMyOrg',
    appRoles: appRoles.map((r) => ({ ...r, id: randomUUID() })),
  });
  f.sp2 = await w.post<Json>('/servicePrincipals', { appId: f.app2.appId });
  const app2Role = String((f.app2.appRoles as Json[])[0].id);
  for (const u of ['u5', 'u6']) {
    f[`assign-${u}`] = await w.post<Json>(`/servicePrincipals/${id('sp')}/appRoleAssignedTo`, {
      principalId: id(u),
      resourceId: id('sp'),
      appRoleId,
    });
  }
  await w.post(`/servicePrincipals/${id('sp2')}/appRoleAssignedTo`, {
    principalId: id('u2'),
    resourceId: id('sp2'),
    appRoleId: app2Role,
  });
  // A third pair whose SP is deleted for good (recycle bin purged): re-created for the same app.
  f.app3 = await w.post<Json>('/applications', {
    displayName: 'ROT App3',
    signInAudience: 'AzureADMyOrg',
    appRoles: appRoles.map((r) => ({ ...r, id: randomUUID() })),
  });
  f.sp3 = await w.post<Json>('/servicePrincipals', { appId: f.app3.appId, tags: ['rot-sp3'] });
  await w.post(`/servicePrincipals/${id('sp3')}/appRoleAssignedTo`, {
    principalId: id('u3'),
    resourceId: id('sp3'),
    appRoleId: String((f.app3.appRoles as Json[])[0].id),
  });
  // A group to copy as new: members u1, u2, owner u3.
  f.gSrc = await createSecurityGroup(w, 'rot-gsrc', { description: 'source group' });
  await addMember(w, id('gSrc'), id('u1'));
  await addMember(w, id('gSrc'), id('u2'));
  await addOwner(w, id('gSrc'), id('u3'));

  // Three users in a group, deleted together (into the recycle bin).
  f.gB = await createSecurityGroup(w, 'rot-gb');
  for (const n of ['b1', 'b2', 'b3']) {
    f[n] = await createUser(w, domain, `rot-${n}`);
    await addMember(w, id('gB'), id(n));
  }

  await backup(ctx, A, 'full', TYPES);
  T = ctx.now().toISOString();
  await new Promise((r) => setTimeout(r, 20));

  // Damage.
  await w.delete(`${AU}/${id('au1')}/members/${id('u4')}/$ref`);
  await w.delete(`${AU}/${id('au2')}`);
  await w.delete(`/groups/${id('gDev')}/members/${id('d1')}/$ref`);
  await w.patch(`/devices/${id('d1')}`, { displayName: 'ROT renamed device', accountEnabled: false });
  await w.delete(`/devices/${id('d2')}`);
  for (const u of ['u5', 'u6'])
    await w.delete(`/servicePrincipals/${id('sp')}/appRoleAssignedTo/${String(f[`assign-${u}`].id)}`);
  await w.delete(`/servicePrincipals/${id('sp2')}`);
  for (const n of ['b1', 'b2', 'b3']) await w.delete(`/users/${id(n)}`);
  await hardDelete(w, '/servicePrincipals', id('sp3'));
  await backup(ctx, A, 'incremental', TYPES);
}, 120_000);

afterAll(async () => {
  await world?.close();
});

/** The context with every Graph request the restore makes counted (planner and executor alike). */
function counted(): { ctx: AppContext; requests: () => number } {
  const clients: GraphClient[] = [];
  const graph = {
    forBackup: (t: string) => {
      const c = ctx.graph.forBackup(t);
      clients.push(c);
      return c;
    },
    forRestore: (t: string) => {
      const c = ctx.graph.forRestore(t);
      clients.push(c);
      return c;
    },
  };
  const start = new Map<GraphClient, number>();
  const requests = () =>
    [...new Set(clients)].reduce((n, c) => n + c.stats.requests - (start.get(c) ?? 0), 0);
  for (const c of [ctx.graph.forRestore(A), ctx.graph.forBackup(A)]) start.set(c, c.stats.requests);
  return { ctx: { ...ctx, graph }, requests };
}

describe('several users from the recycle bin', () => {
  it('reads, restores and reads back through $batch: one request each, memberships not re-added', async () => {
    const c = counted();
    const { plan, record, outcome } = await planAndExecute(
      c.ctx,
      request(
        A,
        ['b1', 'b2', 'b3'].map((n) => ({ objectType: 'user' as const, objectId: id(n) })),
        T,
      ),
    );
    expect(kinds(plan)).toEqual([
      'restoreFromRecycleBin',
      'restoreFromRecycleBin',
      'restoreFromRecycleBin',
      'verifyReturned',
      'verifyReturned',
      'verifyReturned',
    ]);
    expect(record.status).toBe('succeeded');
    expect(outcome('verifyReturned').map((o) => o.reason)).toEqual(
      Array(3).fill('all 1 returned with the object'),
    );
    // Plan: one $batch of recycle-bin reads; execution: one $batch of restores, one of read-backs.
    expect(c.requests()).toBe(3);
    expect(await memberIds(w, id('gB'))).toEqual([id('b1'), id('b2'), id('b3')].sort());
  });
});

describe('administrative units', () => {
  it('restores a soft-deleted AU from the recycle bin with its id; its members return with it', async () => {
    const { plan, record, outcome } = await planAndExecute(
      ctx,
      request(A, [{ objectType: 'administrativeUnit', objectId: id('au2') }], T),
    );
    expect(kinds(plan)).toEqual(['restoreFromRecycleBin', 'verifyReturned']);
    expect(plan.steps[0].details.returnsWithObject).toEqual([
      expect.objectContaining({ perspective: 'members', objectId: id('u3') }),
    ]);
    expect(outcome('verifyReturned')).toEqual([
      expect.objectContaining({ status: 'done', reason: 'all 1 returned with the object' }),
    ]);
    expect(record.status).toBe('succeeded');
    expect((await w.get<Json>(`${AU}/${id('au2')}`)).displayName).toBe('ROT AU2');
    expect(await memberIds(w, id('au2'), AU)).toEqual([id('u3')]);
  });

  it("re-adds a user's lost AU membership when the user is restored with memberships", async () => {
    const { plan, record } = await planAndExecute(
      ctx,
      request(A, [{ objectType: 'user', objectId: id('u4') }], T),
    );
    expect(kinds(plan)).toEqual(['addAuMember']);
    expect(plan.steps[0].target).toMatchObject({ objectType: 'administrativeUnit', objectId: id('au1') });
    expect(record.status).toBe('succeeded');
    expect(await memberIds(w, id('au1'), AU)).toEqual([id('u1'), id('u4')].sort());
  });

  it('restores an AU as new: a second AU with the members it had at T', async () => {
    const { plan, result, record } = await planAndExecute(
      ctx,
      request(A, [{ objectType: 'administrativeUnit', objectId: id('au1') }], T, {
        asNew: { displayName: 'ROT AU1 Copy' },
      }),
    );
    expect(kinds(plan)).toEqual(['create', 'addAuMember', 'addAuMember']);
    expect(record.status).toBe('succeeded');
    const copy = result.createdIds[id('au1')];
    expect(copy).not.toBe(id('au1'));
    expect(await w.get<Json>(`${AU}/${copy}`)).toMatchObject({
      displayName: 'ROT AU1 Copy',
      description: 'first',
    });
    expect(await memberIds(w, copy, AU)).toEqual([id('u1'), id('u4')].sort());
    expect((await w.get<Json>(`${AU}/${id('au1')}`)).displayName).toBe('ROT AU1');
  });
});

describe('devices', () => {
  it('rolls back a live device: its writable properties and its group membership', async () => {
    const { plan, record } = await planAndExecute(
      ctx,
      request(A, [{ objectType: 'device', objectId: id('d1') }], T),
    );
    expect(kinds(plan)).toEqual(['patch', 'addMember']);
    expect(plan.steps[0].details.changes).toEqual({
      accountEnabled: f.d1.accountEnabled,
      displayName: f.d1.displayName,
    });
    expect(record.status).toBe('succeeded');
    expect(await w.get<Json>(`/devices/${id('d1')}?$select=displayName,accountEnabled`)).toMatchObject({
      displayName: f.d1.displayName,
      accountEnabled: f.d1.accountEnabled,
    });
    expect(await memberIds(w, id('gDev'))).toEqual([id('d1')]);
  });

  it('plans a deleted device as skipped with the reason (Graph cannot bring a registration back) and writes nothing', async () => {
    const before = (await w.getPage<Json>('/devices?$select=id&$top=999')).value.length;
    const { plan, record, outcome } = await planAndExecute(
      ctx,
      request(A, [{ objectType: 'device', objectId: id('d2') }], T),
    );
    expect(kinds(plan)).toEqual(['skip']);
    expect(plan.steps[0].skipReason).toMatch(
      /cannot be brought back through Graph.*no recycle bin.*re-register the device/,
    );
    expect(outcome('skip')[0]).toMatchObject({ status: 'skipped', reason: plan.steps[0].skipReason });
    expect(record.status).toBe('succeeded');
    expect((await w.getPage<Json>('/devices?$select=id&$top=999')).value.length).toBe(before);
  });
});

describe('service principals and app role assignments', () => {
  it('re-adds the app role assignments of a service principal restored with role assignments', async () => {
    const { plan, record } = await planAndExecute(
      ctx,
      request(A, [{ objectType: 'servicePrincipal', objectId: id('sp') }], T),
    );
    expect(kinds(plan)).toEqual(['addAppRoleAssignment', 'addAppRoleAssignment']);
    expect(plan.steps.map((s) => s.details.principalId).sort()).toEqual([id('u5'), id('u6')].sort());
    expect(record.status).toBe('succeeded');
    const live = await assignedTo(id('sp'));
    expect(live.map((a) => a.principalId).sort()).toEqual([id('u5'), id('u6')].sort());
    expect(live.every((a) => a.appRoleId === appRoleId)).toBe(true);
  });

  it('a second restore finds the assignment in place and plans nothing for it', async () => {
    const plan = await planRestore(ctx, request(A, [{ objectType: 'user', objectId: id('u6') }], T));
    expect(kinds(plan)).toEqual([]);
  });

  it('restores a soft-deleted service principal from the recycle bin; its assignments return with it', async () => {
    const { plan, record, outcome } = await planAndExecute(
      ctx,
      request(A, [{ objectType: 'servicePrincipal', objectId: id('sp2') }], T),
    );
    expect(kinds(plan)).toEqual(['restoreFromRecycleBin', 'verifyReturned']);
    expect(plan.steps[0].details.returnsWithObject).toEqual([
      expect.objectContaining({ perspective: 'appRoleAssignedTo', objectId: id('u2') }),
    ]);
    expect(outcome('verifyReturned')).toEqual([
      expect.objectContaining({ status: 'done', reason: 'all 1 returned with the object' }),
    ]);
    expect(record.status).toBe('succeeded');
    expect((await w.get<Json>(`/servicePrincipals/${id('sp2')}`)).appId).toBe(f.app2.appId);
    expect((await assignedTo(id('sp2'))).map((a) => a.principalId)).toEqual([id('u2')]);
  });
});

describe('service principals deleted for good', () => {
  it('re-creates a purged service principal for its application, with its app role assignments on the new id', async () => {
    const { plan, result, record } = await planAndExecute(
      ctx,
      request(A, [{ objectType: 'servicePrincipal', objectId: id('sp3') }], T),
    );
    expect(kinds(plan)).toEqual(['create', 'addAppRoleAssignment']);
    expect(plan.steps[0].details.body).toMatchObject({ appId: f.app3.appId, tags: ['rot-sp3'] });
    expect(record.status).toBe('succeeded');
    const sp = result.createdIds[id('sp3')];
    expect(sp).not.toBe(id('sp3'));
    expect((await w.get<Json>(`/servicePrincipals/${sp}`)).appId).toBe(f.app3.appId);
    const assigned = await assignedTo(sp);
    expect(assigned.map((a) => [a.principalId, a.appRoleId])).toEqual([
      [id('u3'), String((f.app3.appRoles as Json[])[0].id)],
    ]);
  });
});

describe('restore as new', () => {
  it('copies a group as new: a second group with the members and owners it had at T', async () => {
    const { plan, result, record } = await planAndExecute(
      ctx,
      request(A, [{ objectType: 'group', objectId: id('gSrc') }], T, {
        asNew: { displayName: 'ROT Group Copy' },
      }),
    );
    expect(kinds(plan)).toEqual(['create', 'addOwner', 'addMember', 'addMember']);
    expect(record.status).toBe('succeeded');
    const copy = result.createdIds[id('gSrc')];
    expect(copy).not.toBe(id('gSrc'));
    expect(await w.get<Json>(`/groups/${copy}?$select=displayName,description,mailNickname`)).toMatchObject({
      displayName: 'ROT Group Copy',
      description: 'source group',
    });
    expect(await memberIds(w, copy)).toEqual([id('u1'), id('u2')].sort());
    expect(await memberIds(w, copy, '/groups', 'owners')).toEqual([id('u3')]);
    // The source group is untouched.
    expect(await memberIds(w, id('gSrc'))).toEqual([id('u1'), id('u2')].sort());
    expect((await w.get<Json>(`/groups/${id('gSrc')}?$select=displayName`)).displayName).toBe(
      'Restore Test rot-gsrc',
    );
  });

  it('copies an application as new: new appId, no identifier URIs, owners kept, secrets reported', async () => {
    const { plan, result, record } = await planAndExecute(
      ctx,
      request(A, [{ objectType: 'application', objectId: id('app') }], T, {
        asNew: { displayName: 'ROT App Copy' },
      }),
    );
    expect(kinds(plan)).toEqual(['create', 'addOwner', 'reportOnly']);
    expect(record.status).toBe('succeeded');
    const copy = result.createdIds[id('app')];
    const app = await w.get<Json>(`/applications/${copy}`);
    expect(app).toMatchObject({ displayName: 'ROT App Copy', passwordCredentials: [] });
    expect(app.appId).not.toBe(f.app.appId);
    expect(app.identifierUris ?? []).toEqual([]);
    expect((app.appRoles as Json[]).map((r) => r.value)).toEqual(['Reader']);
    expect(await memberIds(w, copy, '/applications', 'owners')).toEqual([id('u1')]);
    expect(result.credentialsToReissue).toEqual([
      expect.objectContaining({ objectId: copy, credentialName: 'rot secret', keyId: f.secret.keyId }),
    ]);
    // The source application keeps its name, appId and identifier URI.
    const source = await w.get<Json>(`/applications/${id('app')}`);
    expect(source).toMatchObject({ displayName: 'ROT App', appId: f.app.appId });
    expect(source.identifierUris).toEqual(f.app.identifierUris);
  });
});
