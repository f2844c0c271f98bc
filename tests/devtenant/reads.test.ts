// Conformance of collection reads with graph-behaviour.md §0–§1: paging, default property
// sets, $select, 501s, advanced queries, error bodies and bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { code, type Fixture, items, link, pageAll, startFixture } from './fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({ users: 250, groups: 30, largeGroupSize: 250 });
}, 60_000);
afterAll(async () => fx?.close());

const EVENTUAL = { ConsistencyLevel: 'eventual' };

describe('paging', () => {
  it('pages 100 by default with absolute nextLinks that keep every query parameter', async () => {
    const first = await fx.get("/users?$select=id,displayName&$filter=userType eq 'Member'");
    expect(first.status).toBe(200);
    expect(items(first)).toHaveLength(100);
    const next = link(first, 'nextLink') as string;
    expect(next.startsWith(`${fx.dev.graphUrl}/v1.0/users?`)).toBe(true);
    expect(next).toContain('$select=id,displayName');
    expect(next).toContain('$filter=');
    expect(next).toContain('$skiptoken=');
    const all = await pageAll(fx, '/users?$select=id');
    expect(all.items).toHaveLength(250);
    expect(new Set(all.items.map((u) => u.id)).size).toBe(250);
  });

  it('accepts $top up to 999 and rejects more with a 400', async () => {
    const r = await fx.get('/users?$top=999&$select=id');
    expect(items(r)).toHaveLength(250);
    expect(link(r, 'nextLink')).toBeUndefined();
    const bad = await fx.get('/users?$top=1000');
    expect(bad.status).toBe(400);
    expect(code(bad)).toBe('Request_BadRequest');
    const signIns = await fx.get('/auditLogs/signIns?$top=1000');
    expect(signIns.status).toBe(200);
  });

  it('answers sign-ins newest first, 1,000 per page by default', async () => {
    const r = await fx.get('/auditLogs/signIns');
    const times = items(r).map((s) => String(s.createdDateTime));
    expect(times.length).toBeGreaterThan(10);
    expect([...times].sort().reverse()).toEqual(times);
    const paged = await pageAll(fx, '/auditLogs/signIns?$top=50');
    const all = paged.items.map((s) => String(s.createdDateTime));
    expect([...all].sort().reverse()).toEqual(all);
    expect(paged.items.length).toBe(times.length);
  });

  it('pages group members with nextLinks (3 RU), never through $expand', async () => {
    const group = fx.dev.ops().get('group', 'All Company');
    const all = await pageAll(fx, `/groups/${group.id}/members?$select=id`);
    expect(all.items).toHaveLength(250);
    expect(all.pages).toHaveLength(3);
    expect(all.pages[0].headers['x-ms-resource-unit']).toBe('2');
    expect(all.items[0]['@odata.type']).toBe('#microsoft.graph.user');
    const expanded = await fx.get(`/groups/${group.id}?$expand=members`);
    expect((expanded.json.members as unknown[]).length).toBe(20);
  });

  it('rejects $skip on users and an unparsable skip token', async () => {
    expect((await fx.get('/users?$skip=10')).status).toBe(400);
    const bad = await fx.get('/users?$skiptoken=not-a-token');
    expect(bad.status).toBe(400);
    expect(code(bad)).toBe('Request_BadRequest');
  });
});

describe('$select and default property sets', () => {
  it('returns only the documented default user properties without $select', async () => {
    const r = await fx.get('/users?$top=1');
    expect(Object.keys(items(r)[0]).sort()).toEqual(
      [
        'businessPhones',
        'displayName',
        'givenName',
        'id',
        'jobTitle',
        'mail',
        'mobilePhone',
        'officeLocation',
        'preferredLanguage',
        'surname',
        'userPrincipalName',
      ].sort(),
    );
    expect(r.json['@odata.context']).toBe(`${fx.dev.graphUrl}/v1.0/$metadata#users`);
  });

  it('returns selected properties, always with id, and says so in @odata.context', async () => {
    const r = await fx.get('/users?$select=accountEnabled,department&$top=2');
    expect(Object.keys(items(r)[0]).sort()).toEqual(['accountEnabled', 'department', 'id']);
    expect(r.json['@odata.context']).toBe(
      `${fx.dev.graphUrl}/v1.0/$metadata#users(id,accountEnabled,department)`,
    );
  });

  it('answers 501 for single-object-only properties on the collection, and returns them on a single GET', async () => {
    const r = await fx.get('/users?$select=skills');
    expect(r.status).toBe(501);
    expect(code(r)).toBe('NotImplemented');
    const id = String(items(await fx.get('/users?$top=1&$select=id'))[0].id);
    const one = await fx.get(`/users/${id}?$select=skills,displayName`);
    expect(one.status).toBe(200);
    expect(one.json['@odata.context']).toContain('/$entity');
  });

  it('never returns passwords and returns signInActivity only when selected', async () => {
    const r = await fx.get('/users?$select=passwordProfile,signInActivity&$top=1');
    const u = items(r)[0];
    expect(u.passwordProfile).toBeNull();
    expect(u.signInActivity).toBeTruthy();
  });

  it('rejects an unknown property with Graph’s message', async () => {
    const r = await fx.get('/users?$select=favouriteColour');
    expect(r.status).toBe(400);
    expect(code(r)).toBe('Request_BadRequest');
    expect((r.json.error as { message: string }).message).toBe(
      "Could not find a property named 'favouriteColour' on type 'microsoft.graph.user'.",
    );
  });

  it('gates signInActivity and sign-in logs on a premium licence', async () => {
    fx.dev.ops().setPremium(false);
    try {
      const a = await fx.get('/users?$select=signInActivity');
      expect(a.status).toBe(403);
      expect(code(a)).toBe('Authentication_RequestFromNonPremiumTenantOrB2CTenant');
      const b = await fx.get('/auditLogs/signIns');
      expect(code(b)).toBe('Authentication_RequestFromNonPremiumTenantOrB2CTenant');
    } finally {
      fx.dev.ops().setPremium(true);
    }
  });
});

describe('$filter, $count, $search and ConsistencyLevel', () => {
  it('supports basic filters without the header', async () => {
    const disabled = await pageAll(fx, '/users?$filter=accountEnabled eq false&$select=id,accountEnabled');
    expect(disabled.items.length).toBeGreaterThan(0);
    expect(disabled.items.every((u) => u.accountEnabled === false)).toBe(true);
    const m = await fx.get("/users?$filter=startsWith(displayName,'Megan')&$select=displayName");
    expect(items(m).map((u) => u.displayName)).toContain('Megan Bowen');
    const unified = await pageAll(
      fx,
      "/groups?$filter=groupTypes/any(c:c eq 'Unified')&$select=id,groupTypes",
    );
    expect(unified.items.length).toBeGreaterThan(0);
    expect(unified.items.every((g) => (g.groupTypes as string[]).includes('Unified'))).toBe(true);
    const upn = await fx.get(
      "/users?$filter=userPrincipalName in ('meganbowen@contoso.onmicrosoft.com','nobody@contoso.onmicrosoft.com')&$select=id",
    );
    expect(items(upn)).toHaveLength(1);
  });

  it('filters on unquoted DateTimeOffset literals: a sign-in window and users created since a date', async () => {
    const all = (await pageAll(fx, '/auditLogs/signIns')).items.map((s) => String(s.createdDateTime));
    expect(all.length).toBeGreaterThan(20);
    // A window strictly inside the range, bounds taken from real records (inclusive both ends).
    const hi = all[5];
    const lo = all[all.length - 6];
    const window = await pageAll(
      fx,
      `/auditLogs/signIns?$filter=createdDateTime ge ${lo} and createdDateTime le ${hi}&$top=7`,
    );
    const got = window.items.map((s) => String(s.createdDateTime));
    const expected = all.filter((t) => t >= lo && t <= hi);
    expect(got).toEqual(expected);
    expect(got).toContain(lo);
    expect(got).toContain(hi);
    expect(window.pages.length).toBeGreaterThan(1);
    // Offsets and fractional seconds are DateTimeOffset literals too (the same instant as `hi`).
    const local = new Date(Date.parse(hi) + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    const sameInstant = await pageAll(fx, `/auditLogs/signIns?$filter=createdDateTime ge ${local}`);
    expect(sameInstant.items.map((s) => String(s.createdDateTime))).toEqual(all.filter((t) => t >= hi));
    const users = await pageAll(
      fx,
      '/users?$filter=createdDateTime ge 2023-06-01T00:00:00Z&$select=id,createdDateTime',
    );
    expect(users.items.length).toBeGreaterThan(0);
    expect(users.items.every((u) => String(u.createdDateTime) >= '2023-06-01T00:00:00Z')).toBe(true);
    const broken = await fx.get('/auditLogs/signIns?$filter=createdDateTime ge 2025-01-01T00:00:00Zjunk');
    expect(broken.status).toBe(400);
    expect(code(broken)).toBe('Request_BadRequest');
  });

  it('needs ConsistencyLevel: eventual and $count=true for ne / not / endsWith', async () => {
    const bare = await fx.get('/users?$filter=accountEnabled ne true');
    expect(bare.status).toBe(400);
    expect(code(bare)).toBe('Request_UnsupportedQuery');
    const ok = await fx.get(
      '/users?$filter=accountEnabled ne true&$count=true&$select=id,accountEnabled',
      EVENTUAL,
    );
    expect(ok.status).toBe(200);
    expect(items(ok).every((u) => u.accountEnabled === false)).toBe(true);
  });

  it('gives @odata.count on the first page only, and /$count as text/plain', async () => {
    const first = await fx.get('/users?$count=true&$top=100&$select=id', EVENTUAL);
    expect(first.json['@odata.count']).toBe(250);
    const second = await fx.get(link(first, 'nextLink') as string, EVENTUAL);
    expect(second.json['@odata.count']).toBeUndefined();
    const noHeader = await fx.get('/users?$count=true');
    expect(noHeader.status).toBe(400);
    const count = await fx.get('/users/$count', EVENTUAL);
    expect(count.status).toBe(200);
    expect(String(count.headers['content-type'])).toMatch(/^text\/plain/);
    expect(count.text).toBe('250');
  });

  it('requires the header for $search', async () => {
    expect((await fx.get('/users?$search="displayName:Megan"')).status).toBe(400);
    const r = await fx.get('/users?$search="displayName:Megan"&$select=displayName', EVENTUAL);
    expect(r.status).toBe(200);
    expect(items(r).some((u) => u.displayName === 'Megan Bowen')).toBe(true);
  });

  it('rejects malformed filters and unknown properties in filters', async () => {
    const broken = await fx.get('/users?$filter=displayName eq');
    expect(broken.status).toBe(400);
    expect(code(broken)).toBe('Request_BadRequest');
    const unknown = await fx.get("/users?$filter=shoeSize eq '42'");
    expect(unknown.status).toBe(400);
    const option = await fx.get('/users?$foo=1');
    expect(option.status).toBe(400);
  });
});

describe('other collections', () => {
  it('lists only activated directory roles, without paging or query options', async () => {
    const r = await fx.get('/directoryRoles');
    const names = items(r).map((x) => x.displayName);
    expect(names).toContain('Global Administrator');
    expect(names).toContain('Privileged Role Administrator');
    expect(link(r, 'nextLink')).toBeUndefined();
    expect((await fx.get("/directoryRoles?$filter=displayName eq 'x'")).status).toBe(400);
    const ga = items(r).find((x) => x.roleTemplateId === '62e90394-69f5-4237-9190-012177145e10');
    const members = await fx.get(`/directoryRoles/${String(ga?.id)}/members`);
    expect(items(members).length).toBeGreaterThan(0);
  });

  it('gives built-in role definitions with id == templateId and non-GUID role assignment ids', async () => {
    const defs = await fx.get('/roleManagement/directory/roleDefinitions?$filter=isBuiltIn eq true');
    const ga = items(defs).find((d) => d.displayName === 'Global Administrator');
    expect(ga?.id).toBe('62e90394-69f5-4237-9190-012177145e10');
    expect(ga?.templateId).toBe(ga?.id);
    expect(ga?.version).toBe('1');
    const custom = await fx.get('/roleManagement/directory/roleDefinitions?$filter=isBuiltIn eq false');
    expect(items(custom).length).toBeGreaterThan(0);
    const assignments = await fx.get(
      "/roleManagement/directory/roleAssignments?$filter=roleDefinitionId eq '62e90394-69f5-4237-9190-012177145e10'&$expand=principal",
    );
    const first = items(assignments)[0];
    expect(String(first.id)).not.toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/i);
    expect((first.principal as { id: string }).id).toBe(first.principalId);
  });

  it('answers apps with secretText null, app role assignments, devices, AUs, CA policies and auth methods', async () => {
    const apps = await fx.get('/applications?$select=id,displayName,passwordCredentials');
    const creds = items(apps).flatMap(
      (a) => a.passwordCredentials as { secretText: unknown; hint: string }[],
    );
    expect(creds.length).toBeGreaterThan(0);
    expect(creds.every((c) => c.secretText === null && c.hint.length === 3)).toBe(true);
    expect(apps.headers['x-ms-resource-unit']).toBe('1');
    const graphSp = items(
      await fx.get("/servicePrincipals?$filter=appId eq '00000003-0000-0000-c000-000000000000'"),
    )[0];
    const assigned = await fx.get(`/servicePrincipals/${String(graphSp.id)}/appRoleAssignedTo`);
    expect(items(assigned).length).toBeGreaterThan(0);
    const device = items(await fx.get('/devices?$top=1'))[0];
    expect(items(await fx.get(`/devices/${String(device.id)}/registeredOwners`))).toHaveLength(1);
    const aus = await fx.get('/directory/administrativeUnits');
    expect(items(aus).length).toBe(3);
    expect(
      items(await fx.get(`/administrativeUnits/${String(items(aus)[0].id)}/members`)).length,
    ).toBeGreaterThan(0);
    const ca = await fx.get('/identity/conditionalAccess/policies');
    expect(items(ca).map((p) => p.state)).toContain('enabledForReportingButNotEnforced');
    const methods = await fx.get('/users/MeganBowen@contoso.onmicrosoft.com/authentication/methods');
    expect(items(methods)[0]['@odata.type']).toBe('#microsoft.graph.passwordAuthenticationMethod');
    expect(
      (await fx.get('/users/MeganBowen@contoso.onmicrosoft.com/authentication/methods?$top=1')).status,
    ).toBe(400);
  });
});

describe('errors and bad ids', () => {
  it('answers Graph’s error shape with request ids', async () => {
    const r = await fx.call('GET', '/users/00000000-0000-4000-8000-000000000000', {
      headers: { 'client-request-id': 'abc-123' },
    });
    expect(r.status).toBe(404);
    const error = r.json.error as { code: string; message: string; innerError: Record<string, string> };
    expect(error.code).toBe('Request_ResourceNotFound');
    expect(error.message).toBe(
      "Resource '00000000-0000-4000-8000-000000000000' does not exist or one of its queried reference-property objects are not present.",
    );
    expect(error.innerError['client-request-id']).toBe('abc-123');
    expect(error.innerError['request-id']).toBe(r.headers['request-id']);
    expect(error.innerError.date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
  });

  it('rejects a malformed group id with 400 and an unknown UPN with 404', async () => {
    const bad = await fx.get('/groups/not-a-guid');
    expect(bad.status).toBe(400);
    expect((bad.json.error as { message: string }).message).toBe("Invalid object identifier 'not-a-guid'.");
    expect((await fx.get('/users/nobody@contoso.onmicrosoft.com')).status).toBe(404);
    expect((await fx.get('/nothingHere')).status).toBe(400);
  });

  it('lists the recycle bin per type only', async () => {
    expect((await fx.get('/directory/deletedItems')).status).toBe(400);
    expect((await fx.get('/directory/deletedItems/microsoft.graph.device')).status).toBe(400);
    expect((await fx.get('/directory/deletedItems/microsoft.graph.user')).status).toBe(200);
  });
});
