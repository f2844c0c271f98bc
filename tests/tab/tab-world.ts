// The world the tab's tests run in: the real product runtime (dev tenant over HTTPS with its
// token issuer, SQLite store under a temp dir), the product server with the tab routes on a
// loopback port, one backup taken, and helpers to sign people in through the issuer's real
// authorization-code + PKCE flow.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AppContext } from '../../src/app-context.ts';
import { isTenantAdmin } from '../../src/auth/tenant-admin.ts';
import { runBackupNow } from '../../src/backup/run-now.ts';
import type { DevTenant } from '../../src/devtenant/dev-tenant.ts';
import { GLOBAL_ADMIN_TEMPLATE } from '../../src/devtenant/seed-data.ts';
import type { TokenIssuer } from '../../src/devtenant/token-issuer.ts';
import { createHttpServer, listen, type RestifyServer } from '../../src/server/http-server.ts';
import { ensureTenant } from '../../src/settings/tenant-settings.ts';
import type { ObjectRecord, RunRecord } from '../../src/store/store.ts';
import { createFetch, type FetchLike } from '../../src/tab-api/auth/https-fetch.ts';
import { defaultDevTenantDir } from '../../src/tab-api/auth/tab-auth-settings.ts';
import { tabRoutes } from '../../src/tab-api/tab-routes.ts';
import { createTestWorld } from '../helpers/test-world.ts';

export interface Person {
  upn: string;
  objectId: string;
  displayName: string;
}

export interface TabWorld {
  ctx: AppContext;
  tenantId: string;
  baseUrl: string;
  /** The issuer's CA (the dev tenant serves HTTPS with its own loopback certificate). */
  caPem: string;
  /** Fetch that trusts the dev CA and never follows redirects. */
  fetch: FetchLike;
  /** The dev tenant's token issuer (tests mint tokens that are wrong in exactly one way). */
  issuer: TokenIssuer;
  adminA: Person;
  adminB: Person;
  reader: Person;
  /**
   * With `tenants: 2`: the second managed tenant (an MSP customer). adminA is a Global
   * Administrator there too (a user with the same object id, as a partner admin appears);
   * adminB and the reader are not.
   */
  otherTenant?: { tenantId: string; domain: string };
  backup(): Promise<RunRecord>;
  /** Signs `upn` in through /auth/signin → the issuer's sign-in page → /tab/auth-end; returns the tab token. */
  signIn(upn: string): Promise<string>;
  close(): Promise<void>;
}

export async function createTabWorld(options: { users?: number; tenants?: number } = {}): Promise<TabWorld> {
  const world = await createTestWorld({ users: options.users ?? 30, tenants: options.tenants ?? 1 });
  let server: RestifyServer | undefined;
  try {
    const { ctx, tenantId } = world;
    server = await createHttpServer(ctx, [tabRoutes]);
    const baseUrl = (await listen(server, 0, '127.0.0.1')).replace('localhost', '127.0.0.1');
    const caPem = readFileSync(path.join(defaultDevTenantDir(ctx), 'loopback-tls.crt'), 'utf8');
    const fetch = createFetch(caPem);
    const backup = () => runBackupNow(ctx, tenantId, { kind: 'full', trigger: 'manual' });
    await backup();

    // Two admins and one non-admin, as the product's own admin check sees them.
    const users: ObjectRecord[] = (
      await ctx.store.listObjects(tenantId, { type: 'user', deleted: 'live', limit: 50 })
    ).items;
    const admins: Person[] = [];
    let reader: Person | undefined;
    for (const u of users) {
      const person = {
        upn: String(u.summary.userPrincipalName),
        objectId: u.objectId,
        displayName: u.displayName,
      };
      if (!person.upn.includes('@')) continue;
      if (await isTenantAdmin(ctx, tenantId, u.objectId)) admins.push(person);
      else reader ??= person;
      if (admins.length >= 2 && reader) break;
    }
    if (admins.length < 2 || !reader) throw new Error('the seeded tenant lacks two admins and a non-admin');

    const other = world.devTenant.tenants.find((t) => t.tenantId !== tenantId);
    if (other) await makePartnerAdmin(world.devTenant, ctx, other.tenantId, admins[0]);

    const srv = server;
    return {
      ctx,
      tenantId,
      baseUrl,
      caPem,
      fetch,
      issuer: world.devTenant.issuer,
      adminA: admins[0],
      adminB: admins[1],
      reader,
      otherTenant: other,
      backup,
      signIn: (upn) => signInThroughIssuer(fetch, baseUrl, upn),
      async close() {
        srv.close();
        await world.close();
      },
    };
  } catch (error) {
    server?.close();
    await world.close();
    throw error;
  }
}

function hiddenFields(html: string): URLSearchParams {
  const form = new URLSearchParams();
  const first = html.slice(html.indexOf('<form'), html.indexOf('</form>'));
  for (const m of first.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.set(
      m[1],
      m[2]
        .replaceAll('&amp;', '&')
        .replaceAll('&quot;', '"')
        .replaceAll('&#39;', "'")
        .replaceAll('&lt;', '<')
        .replaceAll('&gt;', '>'),
    );
  }
  return form;
}

/** Signs `upn` in through the product's /auth/signin and the dev issuer's sign-in page; the tab token. */
export async function signInThroughIssuer(fetch: FetchLike, baseUrl: string, upn: string): Promise<string> {
  const start = await fetch(`${baseUrl}/auth/signin?returnTo=/tab/`);
  if (start.status !== 302) throw new Error(`/auth/signin answered ${start.status}`);
  const cookie = (start.headers.get('set-cookie') ?? '').split(';')[0];
  const authorize = start.headers.get('location') ?? '';
  const page = await fetch(authorize);
  const form = hiddenFields(await page.text());
  form.set('login', upn);
  const posted = await fetch(authorize.split('?')[0], {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  const callback = posted.headers.get('location');
  if (posted.status !== 302 || !callback)
    throw new Error(`the issuer did not sign ${upn} in (${posted.status})`);
  const end = await fetch(callback, { headers: { Cookie: cookie } });
  const location = end.headers.get('location') ?? '';
  const token = /#access_token=([^&]+)/.exec(location)?.[1];
  if (!token)
    throw new Error(`sign-in ended without a token (${end.status}): ${(await end.text()).slice(0, 300)}`);
  return decodeURIComponent(token);
}

/** Makes `person` a Global Administrator of another managed tenant (the MSP admin's case). */
async function makePartnerAdmin(dev: DevTenant, ctx: AppContext, tenantId: string, person: Person) {
  const domain = dev.tenants.find((t) => t.tenantId === tenantId)?.domain ?? 'partner.example';
  dev.tenant(tenantId).dir.insert('user', {
    id: person.objectId,
    displayName: `${person.displayName} (partner)`,
    userPrincipalName: `${person.upn.replace('@', '_')}#EXT#@${domain}`,
    userType: 'Guest',
    accountEnabled: true,
  });
  await ctx.graph.forRestore(tenantId).post('/roleManagement/directory/roleAssignments', {
    principalId: person.objectId,
    roleDefinitionId: GLOBAL_ADMIN_TEMPLATE,
    directoryScopeId: '/',
  });
  await ensureTenant(ctx.store, tenantId, ctx.now());
}
