// Select-scoped delta (a round started with $select reports only changes to selected properties),
// `Prefer: return=minimal` on deltaLink rounds, and the manager relationship: GET/PUT/DELETE
// /users/{id}/manager, directReports, $expand=manager, and manager@delta with $select=manager.
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { code, deltaRound, type Fixture, items, link, type Obj, startFixture } from './fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({ users: 80, groups: 6, largeGroupSize: 20 });
}, 60_000);
afterAll(async () => fx?.close());

const byId = (list: Obj[]) => new Map<string, Obj>(list.map((x) => [String(x.id), x]));
const ref = (id: string) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${id}` });

/** A fresh deltaLink of `query` (runs the initial round). */
async function startRound(query: string): Promise<{ items: Obj[]; deltaLink: string }> {
  const r = await deltaRound(fx, query);
  return { items: r.items, deltaLink: r.deltaLink };
}

describe('select-scoped users delta', () => {
  it('reports an object only when a selected property changed; without $select every change counts', async () => {
    const scoped = await startRound('/users/delta?$select=displayName,department');
    const all = await startRound('/users/delta');
    const ops = fx.dev.ops();
    const [a, b] = ops.list('user', { limit: 10 }).slice(4, 6);
    ops.set('user', a.id, { jobTitle: 'Unselected change' });
    ops.set('user', b.id, { department: 'Selected change' });

    const scopedChanges = await deltaRound(fx, scoped.deltaLink);
    expect(scopedChanges.items.map((x) => x.id)).toEqual([b.id]);
    expect(scopedChanges.items[0]).toEqual({
      id: b.id,
      displayName: b.data.displayName,
      department: 'Selected change',
    });

    const allChanges = byId((await deltaRound(fx, all.deltaLink)).items);
    expect(allChanges.get(a.id)?.jobTitle).toBe('Unselected change');
    expect(allChanges.has(b.id)).toBe(true);

    // Deletion and restore are reported to a scoped round whatever was selected.
    ops.delete('user', a.id);
    const removed = await deltaRound(fx, scopedChanges.deltaLink);
    expect(removed.items).toEqual([{ id: a.id, '@removed': { reason: 'changed' } }]);
    ops.restore('user', a.id);
    const restored = await deltaRound(fx, removed.deltaLink);
    expect(restored.items.map((x) => x.id)).toEqual([a.id]);
    expect(restored.items[0].displayName).toBe(a.data.displayName);
  });

  it('with Prefer: return=minimal answers only the properties changed since the round began (nulls included)', async () => {
    const round = await startRound('/users/delta?$select=displayName,jobTitle,mobilePhone');
    const ops = fx.dev.ops();
    const [u] = ops.list('user', { limit: 12 }).slice(10, 11);
    ops.set('user', u.id, { displayName: 'Minimal Renamed', jobTitle: null });

    const minimal = await fx.get(round.deltaLink, { prefer: 'return=minimal' });
    expect(minimal.status).toBe(200);
    expect(minimal.headers['preference-applied']).toBe('return=minimal');
    expect(items(minimal)).toEqual([{ id: u.id, displayName: 'Minimal Renamed', jobTitle: null }]);

    // The same deltaLink without the header: every selected property, changed or not.
    const full = await fx.get(round.deltaLink);
    expect(Object.keys(items(full)[0]).sort()).toEqual(['displayName', 'id', 'jobTitle', 'mobilePhone']);
    expect(full.headers['preference-applied']).toBeUndefined();

    // The initial round is the full state even with the header.
    const initial = await fx.get('/users/delta?$select=displayName,jobTitle', { prefer: 'return=minimal' });
    expect(Object.keys(items(initial)[0]).sort()).toEqual(['displayName', 'id', 'jobTitle']);
    // A newly created user is all change: every selected property.
    const next = link(full, 'deltaLink') as string;
    const created = await fx.call('POST', '/users', {
      token: fx.writeToken,
      body: {
        accountEnabled: true,
        displayName: 'Minimal Newcomer',
        mailNickname: 'minimalnewcomer',
        userPrincipalName: `minimalnewcomer@${fx.dev.tenants[0].domain}`,
        passwordProfile: { password: 'Pa55-word-long!' },
      },
    });
    expect(created.status).toBe(201);
    const afterCreate = await fx.get(next, { prefer: 'return=minimal' });
    expect(items(afterCreate)).toEqual([
      { id: created.json.id, displayName: 'Minimal Newcomer', jobTitle: null, mobilePhone: null },
    ]);
  });
});

describe('manager', () => {
  it('reads, replaces and removes a manager through /manager/$ref, with directReports and $expand', async () => {
    const ops = fx.dev.ops();
    const users = ops.list('user', { limit: 30 });
    const [x, y] = [users[20], users[21]];
    const put = await fx.call('PUT', `/users/${x.id}/manager/$ref`, {
      token: fx.writeToken,
      body: ref(y.id),
    });
    expect(put.status).toBe(204);
    const manager = await fx.get(`/users/${x.id}/manager`);
    expect(manager.status).toBe(200);
    expect(manager.json).toMatchObject({
      '@odata.type': '#microsoft.graph.user',
      id: y.id,
      displayName: y.data.displayName,
    });
    const reports = await fx.get(`/users/${y.id}/directReports`);
    expect(items(reports).map((r) => r.id)).toContain(x.id);
    const expanded = await fx.get(`/users/${x.id}?$expand=manager`);
    expect((expanded.json.manager as Obj).id).toBe(y.id);

    // A read-only app may not set managers; an unknown manager is 404.
    const denied = await fx.call('PUT', `/users/${x.id}/manager/$ref`, { body: ref(y.id) });
    expect([denied.status, code(denied)]).toEqual([403, 'Authorization_RequestDenied']);
    const missing = await fx.call('PUT', `/users/${x.id}/manager/$ref`, {
      token: fx.writeToken,
      body: ref('00000000-0000-4000-8000-000000000001'),
    });
    expect([missing.status, code(missing)]).toEqual([404, 'Request_ResourceNotFound']);

    expect((await fx.call('DELETE', `/users/${x.id}/manager/$ref`, { token: fx.writeToken })).status).toBe(
      204,
    );
    const none = await fx.get(`/users/${x.id}/manager`);
    expect([none.status, code(none)]).toEqual([404, 'Request_ResourceNotFound']);
    const again = await fx.call('DELETE', `/users/${x.id}/manager/$ref`, { token: fx.writeToken });
    expect(again.status).toBe(404);
    expect((await fx.get(`/users/${x.id}?$expand=manager`)).json.manager).toBeNull();
  });

  it('tracks the manager in users delta only with $select=manager, as manager@delta', async () => {
    const ops = fx.dev.ops();
    const withManager = await startRound('/users/delta?$select=displayName,manager');
    const seeded = withManager.items.filter((u) => Array.isArray(u['manager@delta']));
    // The seeded tenant has an org chart: most members have a manager.
    expect(seeded.length).toBeGreaterThan(20);
    const sample = seeded[0];
    expect(sample['manager@delta']).toEqual([
      { '@odata.type': '#microsoft.graph.user', id: ops.managerOf(String(sample.id)) },
    ]);
    const withoutManager = await startRound('/users/delta?$select=displayName');
    expect(withoutManager.items.some((u) => 'manager@delta' in u)).toBe(false);

    const users = ops.list('user', { limit: 40 });
    const [x, oldBoss, newBoss] = [users[30], users[31], users[32]];
    const seededBoss = ops.managerOf(x.id);
    ops.setManager(x.id, oldBoss.id);
    const mid = await deltaRound(fx, withManager.deltaLink);
    // Replacing a manager: the old one comes @removed, the new one plain.
    const midEntries = byId(mid.items).get(x.id)?.['manager@delta'] as Obj[];
    expect(midEntries).toContainEqual({ '@odata.type': '#microsoft.graph.user', id: oldBoss.id });
    expect(midEntries).toHaveLength(seededBoss ? 2 : 1);
    if (seededBoss)
      expect(midEntries).toContainEqual({
        '@odata.type': '#microsoft.graph.user',
        id: seededBoss,
        '@removed': { reason: 'deleted' },
      });
    ops.setManager(x.id, newBoss.id);
    const changed = await deltaRound(fx, mid.deltaLink);
    expect(changed.items.map((u) => u.id)).toEqual([x.id]);
    const entries = changed.items[0]['manager@delta'] as Obj[];
    expect(entries).toHaveLength(2);
    expect(entries).toContainEqual({
      '@odata.type': '#microsoft.graph.user',
      id: oldBoss.id,
      '@removed': { reason: 'deleted' },
    });
    expect(entries).toContainEqual({ '@odata.type': '#microsoft.graph.user', id: newBoss.id });

    // A stream that did not select manager does not see the change at all.
    const unselected = await deltaRound(fx, withoutManager.deltaLink);
    expect(unselected.items.map((u) => u.id)).not.toContain(x.id);

    // Deleting the manager takes them away from the report too.
    ops.delete('user', newBoss.id);
    const gone = byId((await deltaRound(fx, changed.deltaLink)).items);
    expect(gone.get(newBoss.id)?.['@removed']).toEqual({ reason: 'changed' });
    expect(gone.get(x.id)?.['manager@delta']).toEqual([
      { '@odata.type': '#microsoft.graph.user', id: newBoss.id, '@removed': { reason: 'deleted' } },
    ]);
    ops.restore('user', newBoss.id);
    expect(ops.managerOf(x.id)).toBe(newBoss.id);
  });

  it('sets and removes a manager through the control API by name', async () => {
    const control = (body: unknown) =>
      new Promise<{ status: number; json: Obj }>((resolve, reject) => {
        const req = https.request(
          `${fx.dev.controlUrl}/tenants/${fx.tenantId}/set-manager`,
          { method: 'POST', ca: fx.dev.caPem, headers: { 'content-type': 'application/json' } },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => {
              text += c.toString();
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Obj }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    const ops = fx.dev.ops();
    const set = await control({ user: 'Isaiah Langer', manager: 'Pradeep' });
    expect(set.status).toBe(200);
    expect(set.json.managerId).toBe(ops.get('user', 'Pradeep Gupta').id);
    expect(ops.managerOf('Isaiah Langer')).toBe(set.json.managerId);
    expect((await control({ user: 'Isaiah Langer', manager: null })).json.managerId).toBeNull();
    expect(ops.managerOf('Isaiah Langer')).toBeNull();
    expect((await control({ user: 'Isaiah Langer', manager: 3 })).status).toBe(400);
  });
});
