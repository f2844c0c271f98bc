// Conformance of the reverse relationships: memberOf and transitiveMemberOf (users, groups,
// devices, service principals), appRoleAssignments of a principal, checkMemberGroups /
// checkMemberObjects and directoryObjects/getByIds — paging, $select, casts, advanced-query rules,
// limited information without read permission, resource-unit costs and bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredType } from '../../src/devtenant/resources.ts';
import { code, type Fixture, items, link, type Obj, pageAll, startFixture } from './fixture.ts';

let fx: Fixture;
const EVENTUAL = { ConsistencyLevel: 'eventual' };
const CONTAINERS: StoredType[] = ['group', 'directoryRole', 'administrativeUnit'];

/** The containers that list `memberId` as a direct member, from the dev tenant's own state. */
function directContainers(memberId: string): Map<string, StoredType> {
  const out = new Map<string, StoredType>();
  const ops = fx.dev.ops();
  for (const type of CONTAINERS)
    for (const c of ops.list(type, { limit: 5000 }))
      if (ops.members(type, c.id).includes(memberId)) out.set(c.id, type);
  return out;
}

function transitiveContainers(memberId: string): Map<string, StoredType> {
  const out = new Map<string, StoredType>();
  const queue = [memberId];
  while (queue.length) {
    const id = queue.shift() as string;
    for (const [c, type] of directContainers(id)) {
      if (out.has(c)) continue;
      out.set(c, type);
      if (type === 'group') queue.push(c);
    }
  }
  return out;
}

/** A security group nested in another, and a user in the inner group only. */
function nested(): { outer: string; inner: string; user: string } {
  const ops = fx.dev.ops();
  for (const outer of ops.list('group')) {
    const inner = ops.members('group', outer.id).find((m) => ops.list('group').some((g) => g.id === m));
    if (!inner) continue;
    const outerMembers = ops.members('group', outer.id);
    const user = ops.members('group', inner).find((u) => !outerMembers.includes(u));
    if (user) return { outer: outer.id, inner, user };
  }
  throw new Error('the seeded tenant has no nested group with a user of its own');
}

beforeAll(async () => {
  fx = await startFixture({ users: 60, groups: 24 });
}, 60_000);
afterAll(async () => fx?.close());

describe('memberOf and transitiveMemberOf', () => {
  it('lists a user’s direct groups, directory roles and administrative units with @odata.type', async () => {
    const ga = fx.dev.ops().list('user')[0];
    const admin = fx.dev.ops().get('user', 'meganbowen@contoso.onmicrosoft.com');
    for (const user of [admin, ga]) {
      const expected = directContainers(user.id);
      const all = await pageAll(fx, `/users/${user.id}/memberOf`);
      expect(new Map(all.items.map((o) => [String(o.id), String(o['@odata.type'])]))).toEqual(
        new Map([...expected].map(([id, t]) => [id, `#microsoft.graph.${t}`])),
      );
    }
    const roles = await pageAll(fx, `/users/${admin.id}/memberOf/microsoft.graph.directoryRole`);
    expect(roles.items.map((r) => r.roleTemplateId)).toContain('62e90394-69f5-4237-9190-012177145e10');
    expect(roles.items.every((r) => r['@odata.type'] === '#microsoft.graph.directoryRole')).toBe(true);
    const byUpn = await pageAll(fx, '/users/MeganBowen@contoso.onmicrosoft.com/memberOf?$select=id');
    expect(byUpn.items.length).toBe(directContainers(admin.id).size);
  });

  it('walks nested groups for transitiveMemberOf, not for memberOf; groups have memberOf too', async () => {
    const { outer, inner, user } = nested();
    const direct = (await pageAll(fx, `/users/${user}/memberOf?$select=id`)).items.map((o) => o.id);
    expect(direct).toContain(inner);
    expect(direct).not.toContain(outer);
    const transitive = await pageAll(fx, `/users/${user}/transitiveMemberOf?$select=id`);
    expect(new Set(transitive.items.map((o) => String(o.id)))).toEqual(
      new Set(transitiveContainers(user).keys()),
    );
    expect(transitive.items.map((o) => o.id)).toContain(outer);
    const groupOf = await pageAll(fx, `/groups/${inner}/memberOf?$select=id`);
    expect(groupOf.items.map((o) => o.id)).toContain(outer);
    const device = fx.dev.ops().list('device')[0];
    const deviceOf = await fx.get(`/devices/${device.id}/memberOf`);
    expect(deviceOf.status).toBe(200);
    expect(items(deviceOf)).toEqual([]);
  });

  it('pages with $top and nextLinks, honours $select and casts, costs 1 resource unit', async () => {
    const admin = fx.dev.ops().get('user', 'meganbowen@contoso.onmicrosoft.com');
    const expected = directContainers(admin.id);
    expect(expected.size).toBeGreaterThan(2);
    const paged = await pageAll(fx, `/users/${admin.id}/memberOf?$top=2&$select=id,displayName`);
    expect(paged.pages.length).toBe(Math.ceil(expected.size / 2));
    expect(link(paged.pages[0], 'nextLink')).toContain('$top=2');
    expect(new Set(paged.items.map((o) => String(o.id)))).toEqual(new Set(expected.keys()));
    for (const o of paged.items) expect(Object.keys(o).sort()).toEqual(['@odata.type', 'displayName', 'id']);
    expect(String(paged.pages[0].json['@odata.context'])).toMatch(/#directoryObjects\(id,displayName\)$/);
    expect(paged.pages[0].headers['x-ms-resource-unit']).toBe('1');
    const groups = await pageAll(fx, `/users/${admin.id}/memberOf/microsoft.graph.group?$select=id`);
    expect(groups.items.length).toBe([...expected.values()].filter((t) => t === 'group').length);
    expect((await fx.get(`/users/${admin.id}/memberOf?$select=shoeSize`)).status).toBe(400);
    expect((await fx.get(`/users/${admin.id}/memberOf?$top=1000`)).status).toBe(400);
    const bad = await fx.get(`/users/${admin.id}/memberOf/microsoft.graph.user`);
    expect(bad.status).toBe(400);
    const unknownSegment = await fx.get(`/users/${admin.id}/memberOf/whatever`);
    expect(unknownSegment.status).toBe(400);
    expect(code(unknownSegment)).toBe('BadRequest');
  });

  it('needs ConsistencyLevel: eventual and $count=true to filter, count or search', async () => {
    const admin = fx.dev.ops().get('user', 'meganbowen@contoso.onmicrosoft.com');
    const filter = "$filter=displayName eq 'Global Administrator'";
    const bare = await fx.get(`/users/${admin.id}/memberOf?${filter}`);
    expect(bare.status).toBe(400);
    expect(code(bare)).toBe('Request_UnsupportedQuery');
    const ok = await fx.get(`/users/${admin.id}/memberOf?${filter}&$count=true`, EVENTUAL);
    expect(ok.status).toBe(200);
    expect(items(ok).map((o) => o.displayName)).toEqual(['Global Administrator']);
    expect(ok.json['@odata.count']).toBe(1);
    const count = await fx.get(`/users/${admin.id}/memberOf/$count`, EVENTUAL);
    expect(String(count.headers['content-type'])).toMatch(/^text\/plain/);
    expect(count.text).toBe(String(directContainers(admin.id).size));
    expect((await fx.get(`/users/${admin.id}/memberOf/$count`)).status).toBe(400);
    expect((await fx.get(`/users/${admin.id}/memberOf?$search="displayName:Global"`)).status).toBe(400);
  });

  it('gives limited information (type and id) for containers the app may not read', async () => {
    const admin = fx.dev.ops().get('user', 'meganbowen@contoso.onmicrosoft.com');
    const token = await fx.dev.graphToken(fx.tenantId, ['User.Read.All']);
    const r = await fx.call('GET', `/users/${admin.id}/memberOf`, { token });
    expect(r.status).toBe(200);
    expect(items(r).length).toBe(directContainers(admin.id).size);
    for (const o of items(r)) expect(Object.keys(o).sort()).toEqual(['@odata.type', 'id']);
    const none = await fx.dev.graphToken(fx.tenantId, ['Policy.Read.All']);
    const denied = await fx.call('GET', `/users/${admin.id}/memberOf`, { token: none });
    expect(denied.status).toBe(403);
    expect(code(denied)).toBe('Authorization_RequestDenied');
  });
});

describe('appRoleAssignments of a principal', () => {
  it('lists what a user, a group and a service principal were granted (SP costs 2 RU)', async () => {
    const ops = fx.dev.ops();
    const assignments = ops.list('appRoleAssignment');
    for (const principalType of ['User', 'Group', 'ServicePrincipal']) {
      const sample = assignments.find((a) => a.data.principalType === principalType) as { data: Obj };
      const principalId = String(sample.data.principalId);
      const set =
        principalType === 'User' ? 'users' : principalType === 'Group' ? 'groups' : 'servicePrincipals';
      const all = await pageAll(fx, `/${set}/${principalId}/appRoleAssignments?$top=1`);
      const expected = assignments.filter((a) => a.data.principalId === principalId).map((a) => a.id);
      expect(all.items.map((a) => String(a.id)).sort()).toEqual(expected.sort());
      expect(all.items.every((a) => a.principalId === principalId && typeof a.appRoleId === 'string')).toBe(
        true,
      );
      const plain = await fx.get(`/${set}/${principalId}/appRoleAssignments`);
      expect(plain.headers['x-ms-resource-unit']).toBe(set === 'servicePrincipals' ? '2' : '1');
    }
    const user = assignments.find((a) => a.data.principalType === 'User') as { data: Obj };
    const selected = await fx.get(
      `/users/${String(user.data.principalId)}/appRoleAssignments?$select=id,resourceId`,
    );
    expect(Object.keys(items(selected)[0]).sort()).toEqual(['id', 'resourceId']);
    const graphSp = ops.get('servicePrincipal', '00000003-0000-0000-c000-000000000000');
    expect(items(await fx.get(`/servicePrincipals/${graphSp.id}/appRoleAssignments`))).toEqual([]);
    expect((await fx.get(`/devices/${ops.list('device')[0].id}/appRoleAssignments`)).status).toBe(400);
  });
});

describe('checkMemberGroups, checkMemberObjects and getByIds', () => {
  it('checks transitive membership; objects include roles, groups only groups', async () => {
    const { outer, inner, user } = nested();
    const admin = fx.dev.ops().get('user', 'meganbowen@contoso.onmicrosoft.com');
    const gaRole = [...directContainers(admin.id)].find(([, t]) => t === 'directoryRole')?.[0] as string;
    const stranger = '00000000-0000-4000-8000-000000000000';
    const groups = await fx.call('POST', `/users/${user}/checkMemberGroups`, {
      body: { groupIds: [outer, inner, stranger] },
    });
    expect(groups.status).toBe(200);
    expect(items(groups)).toEqual([outer, inner]);
    expect(groups.headers['x-ms-resource-unit']).toBe('1');
    const objects = await fx.call('POST', `/users/${admin.id}/checkMemberObjects`, {
      body: { ids: [gaRole, stranger] },
    });
    expect(items(objects)).toEqual([gaRole]);
    const onlyGroups = await fx.call('POST', `/users/${admin.id}/checkMemberGroups`, {
      body: { groupIds: [gaRole] },
    });
    expect(items(onlyGroups)).toEqual([]);
    const tooMany = await fx.call('POST', `/users/${user}/checkMemberGroups`, {
      body: { groupIds: Array.from({ length: 21 }, () => stranger) },
    });
    expect(tooMany.status).toBe(400);
    expect((await fx.call('POST', `/users/${user}/checkMemberGroups`, { body: {} })).status).toBe(400);
  });

  it('resolves ids of any directory type (3 RU, a read), filtered by types, unknown ids left out', async () => {
    const ops = fx.dev.ops();
    const user = ops.list('user')[3];
    const group = ops.list('group')[2];
    const sp = ops.list('servicePrincipal')[1];
    const unknown = '00000000-0000-4000-8000-000000000001';
    const r = await fx.call('POST', '/directoryObjects/getByIds', {
      body: { ids: [user.id, unknown, group.id, sp.id] },
    });
    expect(r.status).toBe(200);
    expect(r.headers['x-ms-resource-unit']).toBe('3');
    expect(items(r).map((o) => [o.id, o['@odata.type']])).toEqual([
      [user.id, '#microsoft.graph.user'],
      [group.id, '#microsoft.graph.group'],
      [sp.id, '#microsoft.graph.servicePrincipal'],
    ]);
    // Users carry only the default property set.
    expect(items(r)[0].userPrincipalName).toBe(user.data.userPrincipalName);
    expect(items(r)[0].accountEnabled).toBeUndefined();
    const typed = await fx.call('POST', '/directoryObjects/getByIds', {
      body: { ids: [user.id, group.id], types: ['group'] },
    });
    expect(items(typed).map((o) => o.id)).toEqual([group.id]);
    const badType = await fx.call('POST', '/directoryObjects/getByIds', {
      body: { ids: [user.id], types: ['shoe'] },
    });
    expect(badType.status).toBe(400);
    const tooMany = await fx.call('POST', '/directoryObjects/getByIds', {
      body: { ids: Array.from({ length: 1001 }, () => unknown) },
    });
    expect(tooMany.status).toBe(400);
    expect((await fx.call('POST', '/directoryObjects/getByIds', { body: { ids: 'x' } })).status).toBe(400);
    expect((await fx.get('/directoryObjects/getByIds')).status).toBe(405);
    const token = await fx.dev.graphToken(fx.tenantId, ['User.Read.All']);
    const denied = await fx.call('POST', '/directoryObjects/getByIds', { token, body: { ids: [user.id] } });
    expect(denied.status).toBe(403);
  });
});
