// A real dev tenant (HTTPS Graph simulator + token issuer) in a temporary directory, and a small
// HTTPS client that trusts its loopback certificate.

import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BACKUP_APP_ROLES, RESTORE_APP_ROLES } from '../../src/devtenant/app-registry.ts';
import { type DevTenant, type DevTenantSeedOptions, startDevTenant } from '../../src/devtenant/dev-tenant.ts';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Obj;
}

export type Obj = Record<string, unknown>;

/** The `value` array of a collection answer. */
export function items(r: Reply): Obj[] {
  return (r.json.value ?? []) as Obj[];
}

/** error.code of an error answer. */
export function code(r: Reply): string | undefined {
  return (r.json.error as { code?: string } | undefined)?.code;
}

export function link(r: Reply, name: 'nextLink' | 'deltaLink'): string | undefined {
  return r.json[`@odata.${name}`] as string | undefined;
}

export interface Fixture {
  dev: DevTenant;
  dir: string;
  tenantId: string;
  readToken: string;
  writeToken: string;
  call(
    method: string,
    pathOrUrl: string,
    options?: { token?: string | null; headers?: Record<string, string>; body?: unknown },
  ): Promise<Reply>;
  get(pathOrUrl: string, headers?: Record<string, string>): Promise<Reply>;
  close(): Promise<void>;
}

export async function startFixture(seed: DevTenantSeedOptions = { users: 60 }): Promise<Fixture> {
  const dir = await mkdtemp(path.join(tmpdir(), 'devtenant-test-'));
  const dev = await startDevTenant({ dataDir: path.join(dir, 'devtenant'), seed });
  const tenantId = dev.tenants[0].tenantId;
  for (const t of dev.tenants) dev.setFaults(t.tenantId, { throttling: false });
  const readToken = await dev.graphToken(tenantId, [...BACKUP_APP_ROLES]);
  const writeToken = await dev.graphToken(tenantId, [...RESTORE_APP_ROLES], {
    appId: dev.apps.restore.clientId,
  });
  const agent = new https.Agent({ ca: dev.caPem, keepAlive: true });
  const call: Fixture['call'] = (method, pathOrUrl, options = {}) =>
    new Promise((resolve, reject) => {
      const url = pathOrUrl.startsWith('https://') ? pathOrUrl : `${dev.graphUrl}/v1.0${pathOrUrl}`;
      const token = options.token === undefined ? readToken : options.token;
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (token) headers.authorization = `Bearer ${token}`;
      let payload: string | undefined;
      if (options.body !== undefined) {
        payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
        headers['content-type'] = 'application/json';
      }
      const req = https.request(url, { method, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Obj = {};
          try {
            const parsed: unknown = text ? JSON.parse(text) : {};
            if (parsed && typeof parsed === 'object') json = parsed as Obj;
          } catch {
            json = {};
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      });
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  return {
    dev,
    dir,
    tenantId,
    readToken,
    writeToken,
    call,
    get: (p, headers) => call('GET', p, { headers }),
    close: async () => {
      agent.destroy();
      await dev.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Follows nextLinks to the end; returns every item and the number of pages. */
export async function pageAll(
  fx: Fixture,
  first: string,
  headers?: Record<string, string>,
): Promise<{ items: Obj[]; pages: Reply[] }> {
  const all: Obj[] = [];
  const pages: Reply[] = [];
  let next: string | undefined = first;
  while (next) {
    const r = await fx.get(next, headers);
    if (r.status !== 200) throw new Error(`${next} → ${r.status} ${r.text}`);
    pages.push(r);
    all.push(...items(r));
    next = link(r, 'nextLink');
  }
  return { items: all, pages };
}

/** Runs a delta round to its deltaLink. */
export async function deltaRound(
  fx: Fixture,
  first: string,
): Promise<{ items: Obj[]; pages: Reply[]; deltaLink: string }> {
  const all: Obj[] = [];
  const pages: Reply[] = [];
  let next: string | undefined = first;
  for (;;) {
    const r = await fx.get(next as string);
    if (r.status !== 200) throw new Error(`${next} → ${r.status} ${r.text}`);
    pages.push(r);
    all.push(...items(r));
    const delta = link(r, 'deltaLink');
    if (delta) return { items: all, pages, deltaLink: delta };
    next = link(r, 'nextLink');
    if (!next) throw new Error('delta page without nextLink or deltaLink');
  }
}
