// The tab API over HTTP against the real dev tenant, its token issuer and the SQLite store:
// token cases, read-only non-admins, tenant isolation, hostile input, and the admin-consent
// flow (granted, refused, forged state).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer, listen } from '../../src/server/http-server.ts';
import { resolveTabAuthSettings } from '../../src/tab-api/auth/tab-auth-settings.ts';
import { createProductPorts } from '../../src/tab-api/product-ports-impl.ts';
import { createTabRoutes } from '../../src/tab-api/tab-routes.ts';
import { createTabWorld, type TabWorld } from './tab-world.ts';

let world: TabWorld;
let adminToken: string;
let readerToken: string;
let adminBToken: string;
let mint: (claims: Record<string, unknown>, opts?: { iat?: number; exp?: number }) => Promise<string>;

beforeAll(async () => {
  world = await createTabWorld();
  [adminToken, adminBToken, readerToken] = await Promise.all([
    world.signIn(world.adminA.upn),
    world.signIn(world.adminB.upn),
    world.signIn(world.reader.upn),
  ]);
  // The issuer's own key: tokens correctly signed but wrong in exactly one way.
  mint = (claims, opts = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const iat = opts.iat ?? now;
    return world.issuer.sign(claims, { issuedAt: iat, expiresInSeconds: (opts.exp ?? now + 3600) - iat });
  };
}, 120_000);

afterAll(async () => {
  await world?.close();
});

async function call(
  method: string,
  route: string,
  token?: string,
  body?: unknown,
  extra: Record<string, string> = {},
) {
  const headers: Record<string, string> = { ...extra };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await world.fetch(`${world.baseUrl}${route}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch {
    json = { text };
  }
  return { status: res.status, json, headers: res.headers };
}

function claimsFor(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

describe('tab API: tokens', () => {
  it('answers 401 without a token', async () => {
    const res = await call('GET', '/api/tab/me');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/Bearer/);
  });

  it('knows who signed in, from the token', async () => {
    const me = await call('GET', '/api/tab/me', adminToken);
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({
      tenantId: world.tenantId,
      objectId: world.adminA.objectId,
      isAdmin: true,
    });
    const reader = await call('GET', '/api/tab/me', readerToken);
    expect(reader.json).toMatchObject({ objectId: world.reader.objectId, isAdmin: false });
  });

  it('refuses an unsigned token', async () => {
    const claims = claimsFor(adminToken);
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    expect((await call('GET', '/api/tab/me', unsigned)).status).toBe(401);
  });

  it('refuses a token whose payload was altered', async () => {
    const [h, , s] = adminToken.split('.');
    const forged = { ...claimsFor(adminToken), oid: world.adminB.objectId };
    const token = `${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${s}`;
    expect((await call('GET', '/api/tab/me', token)).status).toBe(401);
  });

  it('refuses expired, wrong-audience and wrong-issuer tokens signed by the real issuer', async () => {
    const good = claimsFor(adminToken);
    const { iat: _iat, nbf: _nbf, exp: _exp, ...claims } = good;
    const now = Math.floor(Date.now() / 1000);
    const expired = await mint(claims, { iat: now - 7200, exp: now - 3600 });
    expect((await call('GET', '/api/tab/me', expired)).json).toMatchObject({
      error: { message: expect.stringMatching(/expired/) },
    });
    const backupApp = resolveTabAuthSettings(world.ctx).backupClientId;
    for (const aud of ['https://graph.microsoft.com', `api://localhost/${backupApp}`]) {
      const res = await call('GET', '/api/tab/me', await mint({ ...claims, aud }));
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ error: { message: expect.stringMatching(/audience/) } });
    }
    const wrongIssuer = await mint({ ...claims, iss: `https://sts.windows.net/${world.tenantId}/` });
    expect((await call('GET', '/api/tab/me', wrongIssuer)).json).toMatchObject({
      error: { message: expect.stringMatching(/issuer/) },
    });
    // The sanity check: the same minting with nothing wrong is accepted.
    expect((await call('GET', '/api/tab/me', await mint(claims))).status).toBe(200);
  });

  it('refuses a token without the access_as_user scope (403)', async () => {
    const { iat: _i, nbf: _n, exp: _e, ...claims } = claimsFor(adminToken);
    expect((await call('GET', '/api/tab/me', await mint({ ...claims, scp: 'User.Read' }))).status).toBe(403);
  });

  it('gives a valid token of another tenant nothing of this one (403, not onboarded)', async () => {
    const { iat: _i, nbf: _n, exp: _e, ...claims } = claimsFor(adminToken);
    const other = '0badc0de-0000-4000-8000-000000000001';
    const base = resolveTabAuthSettings(world.ctx).authorityUrl;
    const token = await mint({ ...claims, tid: other, iss: `${base}/${other}/v2.0` });
    const res = await call('GET', '/api/tab/dashboard', token);
    expect(res.status).toBe(403);
    expect(JSON.stringify(res.json)).not.toContain(world.tenantId);
    // A token claiming another tid under this tenant's issuer fails the issuer binding.
    const mixed = await mint({ ...claims, tid: other });
    expect((await call('GET', '/api/tab/dashboard', mixed)).status).toBe(401);
  });
});

describe('tab API: authorization and input', () => {
  it('lets a non-admin read but refuses every write with 403', async () => {
    expect((await call('GET', '/api/tab/dashboard', readerToken)).status).toBe(200);
    expect((await call('GET', '/api/tab/objects?type=user', readerToken)).status).toBe(200);
    expect((await call('GET', '/api/tab/settings', readerToken)).json).toMatchObject({ canEdit: false });
    const user = world.adminA;
    const writes: [string, string, unknown][] = [
      ['POST', '/api/tab/backups', {}],
      ['PATCH', '/api/tab/settings', { retentionDays: 30 }],
      ['POST', '/api/tab/consent/start', { app: 'backup' }],
      ['POST', '/api/tab/restores', { objects: [{ objectType: 'user', objectId: user.objectId }] }],
      ['POST', '/api/tab/restores/some-id/decision', { decision: 'approve' }],
      ['POST', '/api/tab/restores/some-id/undo', {}],
      ['POST', '/api/tab/exports', { level: 'tenant' }],
    ];
    for (const [method, route, body] of writes) {
      const res = await call(method, route, readerToken, body);
      expect(res.status, `${method} ${route}`).toBe(403);
    }
    const runs = await world.ctx.store.listRuns(world.tenantId, { status: ['queued'] });
    expect(runs).toHaveLength(0);
  });

  it('ignores a forged tenant id in query and body; the token decides', async () => {
    const other = '0badc0de-0000-4000-8000-000000000002';
    const dash = await call('GET', `/api/tab/dashboard?tenantId=${other}`, adminToken);
    expect(dash.json.tenantId).toBe(world.tenantId);
    const patch = await call('PATCH', '/api/tab/settings', adminToken, {
      tenantId: other,
      retentionDays: 90,
    });
    expect(patch.status).toBe(400);
    expect(await world.ctx.store.getSettings(other)).toBeUndefined();
    const restore = await call('POST', '/api/tab/restores', adminToken, {
      tenantId: other,
      objects: [{ objectType: 'user', objectId: world.reader.objectId }],
    });
    expect(restore.status).toBe(400);
    expect(await world.ctx.store.listRestores(world.tenantId)).toHaveLength(0);
  });

  it('answers another tenant’s or an unknown object id with 404', async () => {
    const res = await call('GET', '/api/tab/objects/user/0badc0de-0000-4000-8000-000000000003', adminToken);
    expect(res.status).toBe(404);
    expect((await call('GET', '/api/tab/restores/not-a-real-restore', adminToken)).status).toBe(404);
  });

  it('refuses an oversized body and malformed input with clear errors', async () => {
    const big = JSON.stringify({ displayName: 'x'.repeat(70 * 1024) });
    const res = await call('PATCH', '/api/tab/settings', adminToken, big);
    expect(res.status).toBe(413);
    const bad = await call('GET', '/api/tab/objects?type=printer', adminToken);
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({
      error: { code: 'invalid_request', message: expect.stringMatching(/type/) },
    });
    const injected = await call(
      'GET',
      `/api/tab/objects?type=user&search=${encodeURIComponent("' OR 1=1 --")}`,
      adminToken,
    );
    expect(injected.status).toBe(200);
    expect(injected.json.items).toEqual([]);
  });

  it('searches users by part of the UPN and pages on the server', async () => {
    const part = world.reader.upn.split('@')[0].slice(1, 6);
    const res = await call(
      'GET',
      `/api/tab/objects?type=user&search=${encodeURIComponent(part)}`,
      readerToken,
    );
    expect((res.json.items as { objectId: string }[]).map((i) => i.objectId)).toContain(
      world.reader.objectId,
    );
    const page1 = await call('GET', '/api/tab/objects?type=user&limit=5', readerToken);
    expect(page1.json.items).toHaveLength(5);
    const page2 = await call(
      'GET',
      `/api/tab/objects?type=user&limit=5&continuation=${encodeURIComponent(String(page1.json.continuation))}`,
      readerToken,
    );
    const ids1 = (page1.json.items as { objectId: string }[]).map((i) => i.objectId);
    const ids2 = (page2.json.items as { objectId: string }[]).map((i) => i.objectId);
    expect(ids2.some((id) => ids1.includes(id))).toBe(false);
  });

  it('answers a search without the admin check, and still refuses writes when it fails', async () => {
    // A product whose admin check cannot answer (Graph throttled or down): tables and search
    // keep working for everyone, while anything needing the role fails closed.
    const server = await createHttpServer(world.ctx, [
      createTabRoutes({
        ports: (ctx) => ({
          ...createProductPorts(ctx),
          isAdmin: async () => {
            throw new Error('Graph is unavailable');
          },
        }),
      }),
    ]);
    try {
      const base = (await listen(server, 0, '127.0.0.1')).replace('localhost', '127.0.0.1');
      const auth = { Authorization: `Bearer ${readerToken}` };
      const part = world.reader.upn.split('@')[0].slice(1, 6);
      const search = await world.fetch(`${base}/api/tab/objects?type=user&search=${part}`, { headers: auth });
      expect(search.status).toBe(200);
      const write = await world.fetch(`${base}/api/tab/backups`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: '{}',
      });
      expect(write.status).toBe(500);
    } finally {
      server.close();
    }
  });

  it("shows a user's manager and a manager's direct reports at a version, with names", async () => {
    const edges = await world.ctx.store.listEdges(world.tenantId, { kind: 'manager' });
    expect(edges.length).toBeGreaterThan(0);
    const { sourceId: userId, targetId: managerId } = edges[0];
    const detailAt = async (id: string) => {
      const listed = await call('GET', `/api/tab/objects/user/${id}`, readerToken);
      const versionId = (listed.json.versions as { versionId: string }[])[0].versionId;
      const detail = await call('GET', `/api/tab/objects/user/${id}/versions/${versionId}`, readerToken);
      expect(detail.status).toBe(200);
      return detail.json.relations as Record<string, { id: string; kind: string; displayName: string }[]>;
    };
    const user = await detailAt(userId);
    const manager = await world.ctx.store.getObject(world.tenantId, 'user', managerId);
    expect(user.manager).toEqual([
      expect.objectContaining({ id: managerId, kind: 'manager', displayName: manager?.displayName }),
    ]);
    const reports = (await detailAt(managerId)).directReports;
    expect(reports).toContainEqual(expect.objectContaining({ id: userId, kind: 'directReport' }));
    expect(reports.map((r) => r.id).sort()).toEqual(
      edges
        .filter((e) => e.targetId === managerId)
        .map((e) => e.sourceId)
        .sort(),
    );
  });

  it('saves settings for admins and audits the change', async () => {
    const res = await call('PATCH', '/api/tab/settings', adminToken, {
      retentionDays: 120,
      approval: { expiryHours: 12 },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ retentionDays: 120, approval: { expiryHours: 12, approversNeeded: 1 } });
    const audit = await call(
      'GET',
      `/api/tab/audit?action=settings.changed&actor=${world.adminA.objectId}`,
      readerToken,
    );
    expect((audit.json.items as unknown[]).length).toBeGreaterThan(0);
    const refused = await call('PATCH', '/api/tab/settings', adminToken, {
      admins: { groupId: null, roleTemplateIds: [] },
    });
    expect(refused.status).toBe(400);
  });

  it('shows the tenant’s figures on the dashboard', async () => {
    const res = await call('GET', '/api/tab/dashboard', readerToken);
    const counts = await world.ctx.store.countObjects(world.tenantId);
    const live = Object.values(counts).reduce((n, c) => n + (c?.live ?? 0), 0);
    expect(res.json).toMatchObject({ tenantId: world.tenantId, totals: { live }, paused: false });
    const types = res.json.types as {
      objectType: string;
      live: number;
      state: string;
      lastSuccessAt?: string;
    }[];
    const users = types.find((t) => t.objectType === 'user');
    expect(users).toMatchObject({
      live: counts.user?.live,
      state: 'healthy',
      lastSuccessAt: expect.any(String),
    });
    expect((res.json.days as unknown[]).length).toBe(30);
    expect(res.json.nextRun).toMatchObject({ at: expect.any(String) });
  });

  it('queues a backup for an admin', async () => {
    const res = await call('POST', '/api/tab/backups', adminToken, { types: ['user'] });
    expect(res.status).toBe(200);
    const run = await world.ctx.store.getRun(world.tenantId, String(res.json.runId));
    expect(run?.requestedBy?.objectId).toBe(world.adminA.objectId);
  });

  it('does not let the requester approve their own restore; another admin can', async () => {
    const created = await call('POST', '/api/tab/restores', adminToken, {
      objects: [{ objectType: 'user', objectId: world.reader.objectId }],
    });
    expect(created.status).toBe(200);
    const id = String(created.json.restoreId);
    expect(created.json).toMatchObject({ status: 'pending', can: { approve: false, cancel: true } });
    const self = await call('POST', `/api/tab/restores/${id}/decision`, adminToken, { decision: 'approve' });
    expect(self.status).toBe(409);
    const other = await call('POST', `/api/tab/restores/${id}/decision`, adminBToken, { decision: 'reject' });
    expect(other.status).toBe(200);
    expect(other.json.status).toBe('rejected');
    const replay = await call('POST', `/api/tab/restores/${id}/decision`, adminBToken, {
      decision: 'approve',
    });
    expect(replay.status).toBe(409);
  });
});

describe('admin consent through the token issuer', () => {
  async function startConsent(app: 'backup' | 'restore') {
    const res = await call('POST', '/api/tab/consent/start', adminToken, { app });
    expect(res.status).toBe(200);
    return String(res.json.url);
  }

  async function decide(url: string, decision: 'accept' | 'cancel') {
    const page = await world.fetch(url);
    const html = await page.text();
    const form = new URLSearchParams();
    for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
      form.set(m[1], m[2].replaceAll('&amp;', '&'));
    form.set('decision', decision);
    const posted = await world.fetch(url.split('?')[0], {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    expect(posted.status).toBe(302);
    const callback = new URL(String(posted.headers.get('location')));
    // The issuer redirects to the callback on the product server.
    return `${world.baseUrl}${callback.pathname}${callback.search}`;
  }

  it('records a granted consent and ends on a clear page; the callback cannot be replayed', async () => {
    const url = await startConsent('backup');
    expect(url).toContain('/v2.0/adminconsent');
    const callback = await decide(url, 'accept');
    expect(callback).toContain('admin_consent=True');
    const page = await world.fetch(callback);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Admin consent granted');
    const settings = await world.ctx.store.getSettings(world.tenantId);
    expect(settings?.consent.backupApp).toMatchObject({ state: 'granted', by: world.adminA.objectId });
    const replay = await world.fetch(callback);
    expect(replay.status).toBe(400);
  });

  it('records a refused consent with the issuer’s error and ends on a clear page', async () => {
    const callback = await decide(await startConsent('restore'), 'cancel');
    expect(callback).toContain('error=access_denied');
    const page = await world.fetch(callback);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Admin consent was not granted');
    const settings = await world.ctx.store.getSettings(world.tenantId);
    expect(settings?.consent.restoreApp).toMatchObject({
      state: 'refused',
      error: expect.stringContaining('access_denied'),
    });
  });

  it('refuses a callback with a forged, missing or tampered state (CSRF) and records nothing', async () => {
    const before = (await world.ctx.store.getSettings(world.tenantId))?.consent;
    const forgedPayload = Buffer.from(
      JSON.stringify({
        t: world.tenantId,
        a: 'restore',
        o: world.adminA.objectId,
        p: 'admin-consent',
        n: 'x',
        e: Date.now() + 60_000,
      }),
    ).toString('base64url');
    const forged = `${forgedPayload}.${createHash('sha256').update('guess').digest('base64url')}`;
    for (const query of [
      `admin_consent=True&tenant=${world.tenantId}`,
      `admin_consent=True&tenant=${world.tenantId}&state=${forged}`,
    ]) {
      const res = await world.fetch(`${world.baseUrl}/auth/consent/callback?${query}`);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('Nothing was changed');
    }
    expect((await world.ctx.store.getSettings(world.tenantId))?.consent).toEqual(before);
  });

  it('refuses a sign-in callback that did not start in this browser', async () => {
    const start = await world.fetch(`${world.baseUrl}/auth/signin`);
    const state = new URL(String(start.headers.get('location'))).searchParams.get('state');
    const res = await world.fetch(
      `${world.baseUrl}/tab/auth-end?code=abc&state=${encodeURIComponent(String(state))}`,
    );
    expect(res.status).toBe(400);
  });
});

describe('tab static files', () => {
  it('serves the SPA (or the not-built page) and never a file outside tab/dist', async () => {
    const page = await world.fetch(`${world.baseUrl}/tab/objects/user`);
    expect([200, 503]).toContain(page.status);
    expect(page.headers.get('content-security-policy')).toContain('frame-ancestors');
    const outside = await world.fetch(`${world.baseUrl}/tab/..%2f..%2fpackage.json`);
    expect(await outside.text()).not.toContain('"entra-backup-for-teams"');
  });
});
