// Writes with Graph's validation (graph-behaviour.md §3–§4), permission enforcement and the
// recycle bin: soft vs hard delete, restore keeping id and memberships, permanent delete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { code, type Fixture, items, startFixture } from './fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({ users: 40, groups: 10 });
}, 60_000);
afterAll(async () => fx?.close());

const w = (method: string, path: string, body?: unknown) =>
  fx.call(method, path, { token: fx.writeToken, body });
const msg = (r: { json: Record<string, unknown> }) => (r.json.error as { message: string }).message;
const newUser = (nick: string) => ({
  accountEnabled: true,
  displayName: `Test ${nick}`,
  mailNickname: nick,
  userPrincipalName: `${nick}@contoso.onmicrosoft.com`,
  passwordProfile: { password: 'S3cret-Passw0rd!', forceChangePasswordNextSignIn: true },
});

describe('permissions', () => {
  it('answers 403 Authorization_RequestDenied when a read-only app writes, and 401 without a valid token', async () => {
    const denied = await fx.call('POST', '/users', { body: newUser('readonly') });
    expect(denied.status).toBe(403);
    expect(code(denied)).toBe('Authorization_RequestDenied');
    expect(msg(denied)).toBe('Insufficient privileges to complete the operation.');
    const noRoles = await fx.dev.graphToken(fx.tenantId, []);
    expect((await fx.call('GET', '/users', { token: noRoles })).status).toBe(403);
    const signInsOnlyAudit = await fx.dev.graphToken(fx.tenantId, ['AuditLog.Read.All']);
    expect((await fx.call('GET', '/auditLogs/signIns', { token: signInsOnlyAudit })).status).toBe(403);
  });
});

describe('users', () => {
  it('creates a user (201, default properties, password never returned) and rejects a duplicate UPN', async () => {
    const created = await w('POST', '/users', newUser('ada.l'));
    expect(created.status).toBe(201);
    expect(created.json.userPrincipalName).toBe('ada.l@contoso.onmicrosoft.com');
    expect(created.json.passwordProfile).toBeUndefined();
    const dup = await w('POST', '/users', newUser('ada.l'));
    expect(dup.status).toBe(400);
    expect(msg(dup)).toBe(
      'Another object with the same value for property userPrincipalName already exists.',
    );
  });

  it('requires the documented properties and rejects read-only and unknown ones', async () => {
    const { passwordProfile: _omit, ...noPassword } = newUser('nopass');
    expect((await w('POST', '/users', noPassword)).status).toBe(400);
    const ro = await w('POST', '/users', { ...newUser('ro'), createdDateTime: '2020-01-01T00:00:00Z' });
    expect(ro.status).toBe(400);
    expect(msg(ro)).toContain('createdDateTime');
    expect((await w('POST', '/users', { ...newUser('unk'), shoeSize: 42 })).status).toBe(400);
    const domain = await w('POST', '/users', { ...newUser('x'), userPrincipalName: 'x@evil.example' });
    expect(domain.status).toBe(400);
    expect(msg(domain)).toContain('verified domain');
  });

  it('patches with 204, refuses to clear displayName and to set read-only properties', async () => {
    const id = fx.dev.ops().get('user', 'ada.l@contoso.onmicrosoft.com').id;
    expect((await w('PATCH', `/users/${id}`, { department: 'Research' })).status).toBe(204);
    expect(fx.dev.ops().get('user', id).data.department).toBe('Research');
    expect((await w('PATCH', `/users/${id}`, { displayName: '' })).status).toBe(400);
    expect((await w('PATCH', `/users/${id}`, { id: 'x' })).status).toBe(400);
  });
});

describe('groups and membership', () => {
  it('enforces the creatable group types and creates with up to 20 member binds', async () => {
    const users = items(await fx.get('/users?$select=id&$top=21')).map((u) => String(u.id));
    const bind = (ids: string[]) =>
      ids.map((id) => `https://graph.microsoft.com/v1.0/directoryObjects/${id}`);
    const mailSecurity = await w('POST', '/groups', {
      displayName: 'MES',
      mailEnabled: true,
      mailNickname: 'mes',
      securityEnabled: true,
    });
    expect(mailSecurity.status).toBe(400);
    const tooMany = await w('POST', '/groups', {
      displayName: 'Big',
      mailEnabled: false,
      mailNickname: 'big',
      securityEnabled: true,
      'members@odata.bind': bind(users),
    });
    expect(tooMany.status).toBe(400);
    const ok = await w('POST', '/groups', {
      displayName: 'Restore Team',
      mailEnabled: true,
      mailNickname: 'restoreteam',
      securityEnabled: false,
      groupTypes: ['Unified'],
      'members@odata.bind': bind(users.slice(0, 5)),
    });
    expect(ok.status).toBe(201);
    expect(fx.dev.ops().members('group', String(ok.json.id))).toHaveLength(5);
    const dupNick = await w('POST', '/groups', {
      displayName: 'Other',
      mailEnabled: false,
      mailNickname: 'RestoreTeam',
      securityEnabled: true,
    });
    expect(dupNick.status).toBe(400);
    expect(
      (await w('POST', '/groups', { displayName: 'No nick', mailEnabled: false, securityEnabled: true }))
        .status,
    ).toBe(400);
  });

  it('adds members by $ref (204), answers a duplicate with Graph’s 400 message and a missing object with 404', async () => {
    const group = fx.dev.ops().get('group', 'restoreteam');
    const outsider = fx.dev
      .ops()
      .list('user')
      .find((u) => !fx.dev.ops().members('group', group.id).includes(u.id));
    const ref = { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${outsider?.id}` };
    expect((await w('POST', `/groups/${group.id}/members/$ref`, ref)).status).toBe(204);
    const dup = await w('POST', `/groups/${group.id}/members/$ref`, ref);
    expect(dup.status).toBe(400);
    expect(code(dup)).toBe('Request_BadRequest');
    expect(msg(dup)).toBe(
      "One or more added object references already exist for the following modified properties: 'members'.",
    );
    const missing = await w('POST', `/groups/${group.id}/members/$ref`, {
      '@odata.id': 'https://graph.microsoft.com/v1.0/directoryObjects/00000000-0000-4000-8000-000000000000',
    });
    expect(missing.status).toBe(404);
    expect(code(missing)).toBe('Request_ResourceNotFound');
    expect((await w('DELETE', `/groups/${group.id}/members/${outsider?.id}/$ref`)).status).toBe(204);
    expect((await w('DELETE', `/groups/${group.id}/members/${outsider?.id}/$ref`)).status).toBe(404);
    const readOnly = await fx.call('POST', `/groups/${group.id}/members/$ref`, { body: ref });
    expect(readOnly.status).toBe(403);
  });
});

describe('recycle bin', () => {
  it('soft-deletes users and Microsoft 365 groups, hard-deletes security groups; restore keeps id and memberships', async () => {
    const ops = fx.dev.ops();
    const team = ops.get('group', 'restoreteam');
    const member = ops.members('group', team.id)[0];
    expect((await w('DELETE', `/users/${member}`)).status).toBe(204);
    expect((await fx.get(`/users/${member}`)).status).toBe(404);
    expect(ops.members('group', team.id)).not.toContain(member);
    const bin = await fx.get('/directory/deletedItems/microsoft.graph.user');
    const entry = items(bin).find((u) => u.id === member);
    expect(entry?.['@odata.type']).toBe('#microsoft.graph.user');
    expect(entry?.deletedDateTime).toBeTruthy();
    const restored = await w('POST', `/directory/deletedItems/${member}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.json.id).toBe(member);
    expect(ops.members('group', team.id)).toContain(member);

    const security = ops
      .list('group')
      .find((g) => (g.data.groupTypes as string[]).length === 0 && g.data.mailEnabled === false);
    expect((await w('DELETE', `/groups/${security?.id}`)).status).toBe(204);
    expect(ops.get('group', String(security?.id)).state).toBe('purged');
    expect((await w('DELETE', `/groups/${team.id}`)).status).toBe(204);
    expect(ops.get('group', team.id).state).toBe('deleted');
  });

  it('refuses a restore whose UPN is taken again, purges with 204, and purges after 30 days', async () => {
    const created = await w('POST', '/users', newUser('clash'));
    const id = String(created.json.id);
    expect((await w('DELETE', `/users/${id}`)).status).toBe(204);
    const again = await w('POST', '/users', newUser('clash'));
    expect(again.status).toBe(201);
    const conflict = await w('POST', `/directory/deletedItems/${id}/restore`);
    expect(conflict.status).toBe(400);
    expect((await w('DELETE', `/directory/deletedItems/${id}`)).status).toBe(204);
    expect((await fx.get(`/directory/deletedItems/${id}`)).status).toBe(404);

    const old = String((await w('POST', '/users', newUser('old'))).json.id);
    await w('DELETE', `/users/${old}`);
    fx.dev.ops().ageRecycleBin(31);
    expect((await fx.get(`/directory/deletedItems/${old}`)).status).toBe(404);
    expect(fx.dev.ops().get('user', old).state).toBe('purged');
  });
});

describe('roles, apps, devices, policies', () => {
  it('creates role assignments with non-GUID ids, keeps directory role membership in step, rejects duplicates', async () => {
    const user = fx.dev.ops().list('user')[7];
    const body = {
      '@odata.type': '#microsoft.graph.unifiedRoleAssignment',
      roleDefinitionId: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
      principalId: user.id,
      directoryScopeId: '/',
    };
    const r = await w('POST', '/roleManagement/directory/roleAssignments', body);
    expect(r.status).toBe(201);
    expect(String(r.json.id)).not.toMatch(/^[0-9a-f]{8}-/);
    const role = items(await fx.get('/directoryRoles')).find(
      (x) => x.roleTemplateId === 'fe930be7-5e62-47db-91af-98c3a49a38b1',
    );
    expect(fx.dev.ops().members('directoryRole', String(role?.id))).toContain(user.id);
    expect((await w('POST', '/roleManagement/directory/roleAssignments', body)).status).toBe(400);
    expect((await w('DELETE', `/roleManagement/directory/roleAssignments/${String(r.json.id)}`)).status).toBe(
      204,
    );
    expect(fx.dev.ops().members('directoryRole', String(role?.id))).not.toContain(user.id);
    const missingScope = await w('POST', '/roleManagement/directory/roleAssignments', {
      roleDefinitionId: body.roleDefinitionId,
      principalId: user.id,
    });
    expect(missingScope.status).toBe(400);
  });

  it('shows a new secret once, then only its hint; creates app role assignments', async () => {
    const app = await w('POST', '/applications', { displayName: 'Restored App' });
    expect(app.status).toBe(201);
    const pwd = await w('POST', `/applications/${String(app.json.id)}/addPassword`, {
      passwordCredential: { displayName: 'ci' },
    });
    expect(pwd.status).toBe(200);
    expect(String(pwd.json.secretText).length).toBeGreaterThan(20);
    const read = await fx.get(`/applications/${String(app.json.id)}?$select=passwordCredentials`);
    const creds = read.json.passwordCredentials as { secretText: unknown; hint: string }[];
    expect(creds[0].secretText).toBeNull();
    expect(creds[0].hint).toBe(String(pwd.json.secretText).slice(0, 3));
    const sp = await w('POST', '/servicePrincipals', { appId: app.json.appId });
    expect(sp.status).toBe(201);
    expect((await w('POST', '/servicePrincipals', { appId: app.json.appId })).status).toBe(400);
    const graphSp = items(
      await fx.get("/servicePrincipals?$filter=appId eq '00000003-0000-0000-c000-000000000000'"),
    )[0];
    const assign = await w('POST', `/servicePrincipals/${String(graphSp.id)}/appRoleAssignedTo`, {
      principalId: sp.json.id,
      resourceId: graphSp.id,
      appRoleId: 'df021288-bdef-4463-88db-98f22de89214',
    });
    expect(assign.status).toBe(201);
    expect(String(assign.json.id)).toHaveLength(43);
    const wrongRole = await w('POST', `/servicePrincipals/${String(graphSp.id)}/appRoleAssignedTo`, {
      principalId: sp.json.id,
      resourceId: graphSp.id,
      appRoleId: '11111111-1111-4111-8111-111111111111',
    });
    expect(wrongRole.status).toBe(400);
  });

  it('audits app role grants and removals with Entra’s activity names and target resources', async () => {
    const ops = fx.dev.ops();
    const existing = ops.list('appRoleAssignment').find((a) => a.data.principalType === 'User');
    const spId = String(existing?.data.resourceId);
    const user = ops.list('user').find((u) => u.id !== existing?.data.principalId) as { id: string };
    const since = new Date(Date.now() - 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const grant = await w('POST', `/servicePrincipals/${spId}/appRoleAssignedTo`, {
      principalId: user.id,
      resourceId: spId,
      appRoleId: existing?.data.appRoleId,
    });
    expect(grant.status).toBe(201);
    expect(
      (await w('DELETE', `/servicePrincipals/${spId}/appRoleAssignedTo/${String(grant.json.id)}`)).status,
    ).toBe(204);
    const audits = items(
      await fx.get(
        `/auditLogs/directoryAudits?$filter=activityDateTime ge ${since} and startswith(activityDisplayName,'${encodeURIComponent('Add app role assignment')}')`,
      ),
    );
    const added = audits.find((a) =>
      (a.targetResources as { id: string }[]).some((t) => t.id === user.id),
    ) as Record<string, unknown>;
    expect(added).toMatchObject({
      activityDisplayName: 'Add app role assignment grant to user',
      category: 'UserManagement',
      targetResources: [
        { id: user.id, type: 'User' },
        { id: spId, type: 'ServicePrincipal' },
      ],
    });
    const props = (
      added.targetResources as { modifiedProperties: { displayName: string; newValue: string }[] }[]
    )[0].modifiedProperties;
    expect(props).toContainEqual(
      expect.objectContaining({ displayName: 'ServicePrincipal.ObjectID', newValue: JSON.stringify(spId) }),
    );
    const removed = items(
      await fx.get(
        `/auditLogs/directoryAudits?$filter=activityDateTime ge ${since} and startswith(activityDisplayName,'Remove app role assignment')`,
      ),
    );
    expect(removed.map((a) => a.activityDisplayName)).toContain('Remove app role assignment from user');
  });

  it('hard-deletes devices and conditional access policies, validates CA state', async () => {
    const device = fx.dev.ops().list('device')[0];
    expect((await w('DELETE', `/devices/${device.id}`)).status).toBe(204);
    expect(fx.dev.ops().get('device', device.id).state).toBe('purged');
    const bad = await w('POST', '/identity/conditionalAccess/policies', {
      displayName: 'x',
      state: 'on',
      conditions: {},
    });
    expect(bad.status).toBe(400);
    const ok = await w('POST', '/identity/conditionalAccess/policies', {
      displayName: 'Restored CA',
      state: 'disabled',
      conditions: { users: { includeUsers: ['All'] } },
    });
    expect(ok.status).toBe(201);
  });
});
