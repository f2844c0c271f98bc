// Delta conformance (graph-behaviour.md §2): rounds, @removed changed vs deleted, members@delta
// split across pages for large groups, $deltatoken=latest, expired tokens, query restrictions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { code, deltaRound, type Fixture, items, link, type Obj, startFixture } from './fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({ users: 120, groups: 12, largeGroupSize: 120 });
}, 60_000);
afterAll(async () => fx?.close());

describe('users delta', () => {
  it('returns current state, then only changes, with @removed changed (recycle bin) vs deleted (purged)', async () => {
    fx.dev.setFaults(fx.tenantId, { deltaPageSize: 50 });
    const initial = await deltaRound(fx, '/users/delta?$select=displayName,department');
    expect(initial.pages.length).toBeGreaterThan(2);
    expect(new Set(initial.items.map((u) => u.id)).size).toBe(120);
    expect(initial.items.every((u) => !('@removed' in u))).toBe(true);
    expect(Object.keys(initial.items[0]).sort()).toEqual(['department', 'displayName', 'id']);

    const nothing = await fx.get(initial.deltaLink);
    expect(items(nothing)).toEqual([]);
    expect(link(nothing, 'deltaLink')).toBeTruthy();

    const ops = fx.dev.ops();
    const [a, b, c] = ops.list('user', { limit: 10 }).slice(3, 6);
    ops.set('user', a.id, { department: 'Delta Test' });
    ops.delete('user', b.id);
    ops.purge('user', c.id);
    const changes = await deltaRound(fx, link(nothing, 'deltaLink') as string);
    const byId = new Map<string, Obj>(changes.items.map((x) => [String(x.id), x]));
    expect(byId.get(a.id)?.department).toBe('Delta Test');
    expect(byId.get(b.id)?.['@removed']).toEqual({ reason: 'changed' });
    expect(byId.get(c.id)?.['@removed']).toEqual({ reason: 'deleted' });
    expect(changes.items).toHaveLength(3);

    ops.restore('user', b.id);
    const after = await deltaRound(fx, changes.deltaLink);
    expect(after.items.map((x) => x.id)).toEqual([b.id]);
    expect(after.items[0]['@removed']).toBeUndefined();
    fx.dev.faults.reset(fx.tenantId);
    fx.dev.setFaults(fx.tenantId, { throttling: false });
  });

  it('reports a change made while a round is being paged (the object comes again), losing nothing', async () => {
    fx.dev.setFaults(fx.tenantId, { deltaPageSize: 30 });
    const first = await fx.get('/users/delta?$select=jobTitle');
    const early = items(first)[0];
    fx.dev.ops().set('user', String(early.id), { jobTitle: 'Changed mid-round' });
    const rest = await deltaRound(fx, link(first, 'nextLink') as string);
    const again = rest.items.find((x) => x.id === early.id);
    expect(again?.jobTitle).toBe('Changed mid-round');
    fx.dev.setFaults(fx.tenantId, { deltaPageSize: 200 });
  });

  it('accepts /microsoft.graph.delta, $deltatoken=latest (no data) and rejects $top/$expand/$orderby', async () => {
    const latest = await fx.get('/users/microsoft.graph.delta?$deltatoken=latest');
    expect(latest.status).toBe(200);
    expect(items(latest)).toEqual([]);
    const ops = fx.dev.ops();
    const u = ops.list('user', { limit: 20 })[10];
    ops.set('user', u.id, { jobTitle: 'After latest' });
    const changes = await deltaRound(fx, link(latest, 'deltaLink') as string);
    expect(changes.items.map((x) => x.id)).toEqual([u.id]);
    for (const q of ['$top=5', '$expand=manager', '$orderby=displayName']) {
      const r = await fx.get(`/users/delta?${q}`);
      expect(r.status).toBe(400);
    }
    const ids = Array.from(
      { length: 51 },
      (_, i) => `id eq '00000000-0000-4000-8000-${String(i).padStart(12, '0')}'`,
    ).join(' or ');
    expect((await fx.get(`/users/delta?$filter=${encodeURIComponent(ids)}`)).status).toBe(400);
    const one = await deltaRound(fx, `/users/delta?$filter=${encodeURIComponent(`id eq '${u.id}'`)}`);
    expect(one.items.map((x) => x.id)).toEqual([u.id]);
  });

  it('answers an expired token with 400 syncStateNotFound, and a reset with 410 Gone + Location', async () => {
    const round = await deltaRound(fx, '/users/delta?$select=id');
    fx.dev.ops().expireDeltaTokens('expire');
    const expired = await fx.get(round.deltaLink);
    expect(expired.status).toBe(400);
    expect(code(expired)).toBe('syncStateNotFound');
    const fresh = await deltaRound(fx, '/users/delta?$select=id');
    expect(fresh.items.length).toBeGreaterThan(100);
    fx.dev.ops().expireDeltaTokens('reset');
    const gone = await fx.get(fresh.deltaLink);
    expect(gone.status).toBe(410);
    expect(code(gone)).toBe('resyncRequired');
    expect(String(gone.headers.location)).toContain('/users/delta');
  });

  it('rejects a delta token of another resource or tenant', async () => {
    const round = await deltaRound(fx, '/groups/delta?$select=displayName');
    const token = new URL(round.deltaLink).searchParams.get('$deltatoken');
    expect((await fx.get(`/users/delta?$deltatoken=${token}`)).status).toBe(400);
  });
});

describe('groups delta with members@delta', () => {
  it('splits a large group’s members across pages (the group repeats) and reports member changes', async () => {
    fx.dev.setFaults(fx.tenantId, { deltaMemberPageSize: 25 });
    const round = await deltaRound(fx, '/groups/delta');
    const all = fx.dev.ops().get('group', 'All Company');
    const slices = round.items.filter((g) => g.id === all.id);
    expect(slices.length).toBeGreaterThanOrEqual(5);
    const members = new Set(
      slices.flatMap((g) => (g['members@delta'] as Obj[] | undefined) ?? []).map((m) => m.id),
    );
    const current = fx.dev.ops().members('group', all.id);
    expect(current.length).toBeGreaterThan(100);
    expect([...members].sort()).toEqual([...current].sort());
    expect(slices[0].displayName).toBe('All Company');

    const ops = fx.dev.ops();
    const [u1, u2] = ops.members('group', all.id).slice(0, 2);
    ops.removeMember(all.id, u1);
    ops.delete('user', u2);
    const changes = await deltaRound(fx, round.deltaLink);
    const g = changes.items.filter((x) => x.id === all.id);
    const delta = g.flatMap((x) => (x['members@delta'] as Obj[] | undefined) ?? []);
    expect(delta.find((m) => m.id === u1)?.['@removed']).toEqual({ reason: 'deleted' });
    expect(delta.find((m) => m.id === u2)?.['@removed']).toEqual({ reason: 'deleted' });
    expect(delta.find((m) => m.id === u1)?.['@odata.type']).toBe('#microsoft.graph.user');

    ops.restore('user', u2);
    const back = await deltaRound(fx, changes.deltaLink);
    const re = back.items
      .filter((x) => x.id === all.id)
      .flatMap((x) => (x['members@delta'] as Obj[] | undefined) ?? []);
    expect(re.find((m) => m.id === u2)).toEqual({ '@odata.type': '#microsoft.graph.user', id: u2 });
    fx.dev.faults.reset(fx.tenantId);
    fx.dev.setFaults(fx.tenantId, { throttling: false });
  });

  it('omits members@delta with a $select that does not name members, and tracks owners when selected', async () => {
    const plain = await deltaRound(fx, '/groups/delta?$select=displayName');
    expect(plain.items.some((g) => 'members@delta' in g)).toBe(false);
    const owned = await deltaRound(fx, '/groups/delta?$select=displayName,owners');
    expect(owned.items.some((g) => 'owners@delta' in g)).toBe(true);
  });

  it('tracks directory roles, applications, service principals, devices and administrative units', async () => {
    for (const p of [
      '/directoryRoles/delta',
      '/applications/delta',
      '/servicePrincipals/delta',
      '/devices/delta',
      '/administrativeUnits/delta',
      '/directory/administrativeUnits/delta',
    ]) {
      const r = await deltaRound(fx, p);
      expect(r.items.length, p).toBeGreaterThan(0);
    }
    const roles = await deltaRound(fx, '/directoryRoles/delta');
    expect(roles.items.some((r) => Array.isArray(r['members@delta']))).toBe(true);
    expect((await fx.get('/roleManagement/directory/roleAssignments/delta')).status).toBe(400);
  });
});
