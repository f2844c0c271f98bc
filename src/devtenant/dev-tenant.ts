// Starts the dev tenant: its SQLite state under dataDir (DATA_DIR/devtenant), seeded on first
// start, the token issuer (login) and the Graph simulator, both HTTPS on loopback with the
// product's loopback certificate. Returns handles for the runtime, tests and demos.
import type { JWTPayload } from 'jose';
import type { Logger } from '../log.ts';
import { openAppRegistry } from './app-registry.ts';
import { type Db, openDevTenantDb } from './dev-db.ts';
import { ACTIVE, listTenantIds, TenantDirectory } from './directory.ts';
import { type FaultController, type FaultSettings, faultController } from './faults.ts';
import { type GraphServer, startGraphServer } from './graph-server.ts';
import { type DevCredentials, devCredentialsPath, ensureProductApps } from './issuer-dev-credentials.ts';
import { type SeedOptions, seedTenant, tenantIdForSeed } from './seed.ts';
import { TenantOps } from './tenant-ops.ts';
import { loadOrCreateLoopbackCert } from './tls.ts';
import { type DirectoryUser, GRAPH_RESOURCE, startTokenIssuer, type TokenIssuer } from './token-issuer.ts';

export interface DevTenantSeedOptions extends SeedOptions {
  /** How many tenants to seed (the first uses `seed`, the others `seed-2`, `seed-3`, …). Default 1. */
  tenants?: number;
}

export interface DevTenantOptions {
  /** The dev tenant's directory, usually DATA_DIR/devtenant. */
  dataDir: string;
  host?: string;
  /** Graph simulator port (0 = any free port). */
  graphPort?: number;
  /** Token issuer port (0 = any free port). */
  loginPort?: number;
  /** Used when a tenant does not exist yet (first start). */
  seed?: DevTenantSeedOptions | SeedOptions[];
  logger?: Logger;
  /** Clock of the Graph simulator (tests move time). */
  now?: () => Date;
}

export interface DevTenant {
  /** e.g. https://127.0.0.1:3979 (Graph base is `${graphUrl}/v1.0`). */
  graphUrl: string;
  /** The token issuer, e.g. https://127.0.0.1:3980 (authority: `${authorityUrl}/${tenantId}`). */
  authorityUrl: string;
  /** `${graphUrl}/_dev`: the control API. */
  controlUrl: string;
  /** PEM of the loopback certificate both servers use (trust it to call them). */
  caPem: string;
  tenants: { tenantId: string; domain: string }[];
  /** The product's dev app registrations with plain secrets (backup, restore, bot, tab). */
  apps: DevCredentials;
  issuer: TokenIssuer;
  faults: FaultController;
  db: Db;
  /** Typed reads and mutations of one tenant (default: the first). */
  tenant(tenantId?: string): TenantOps;
  /** Same as tenant(tenantId). */
  ops(tenantId?: string): TenantOps;
  /** Merges fault settings of a tenant. */
  setFaults(tenantId: string, patch: FaultSettings): FaultSettings;
  /** A Graph access token for a tenant with exactly these application permissions (tests). */
  graphToken(
    tenantId: string,
    roles: string[],
    options?: { appId?: string; expiresInSeconds?: number; audience?: string },
  ): Promise<string>;
  /** Admin consent of a product app ('backup', 'restore') or any client id; revoked = Graph 403s its calls. */
  revokeConsent(tenantId: string, app: 'backup' | 'restore' | string): void;
  grantConsent(tenantId: string, app: 'backup' | 'restore' | string): void;
  /** Empties the throttling buckets. */
  resetThrottling(): void;
  stop(): Promise<void>;
}

const EXTRA_DOMAINS = [
  'fabrikam',
  'northwind',
  'adatum',
  'tailspin',
  'wingtip',
  'litware',
  'proseware',
  'woodgrove',
];

function clientIdOf(apps: DevCredentials, app: string): string {
  if (app === 'backup' || app === 'restore' || app === 'bot' || app === 'tab') return apps[app].clientId;
  return app;
}

export function seedPlan(seed: DevTenantSeedOptions | SeedOptions[] | undefined): SeedOptions[] {
  if (Array.isArray(seed)) return seed;
  const { tenants = 1, ...first } = seed ?? {};
  const base = first.seed ?? 'contoso';
  const plan: SeedOptions[] = [{ ...first, seed: base }];
  for (let i = 1; i < tenants; i++) {
    const name = EXTRA_DOMAINS[(i - 1) % EXTRA_DOMAINS.length] + (i > EXTRA_DOMAINS.length ? String(i) : '');
    plan.push({
      ...first,
      seed: `${base}-${i + 1}`,
      domain: `${name}.onmicrosoft.com`,
      displayName: undefined,
      tenantId: undefined,
    });
  }
  return plan;
}

export async function startDevTenant(options: DevTenantOptions): Promise<DevTenant> {
  const log = options.logger;
  const db = openDevTenantDb(options.dataDir);
  const host = options.host ?? '127.0.0.1';
  const planned: string[] = [];
  for (const s of seedPlan(options.seed)) {
    const tenantId = s.tenantId ?? tenantIdForSeed(s.seed ?? 'contoso');
    planned.push(tenantId);
    const exists = db.prepare('SELECT 1 FROM tenants WHERE tenant_id = ?').get(tenantId);
    if (!exists) {
      const result = seedTenant(db, { ...s, tenantId });
      log?.info(
        { tenantId, domain: result.domain, counts: result.counts, ms: result.ms },
        'dev tenant seeded',
      );
    }
  }
  // The seeded tenants in plan order first (tenants[0] is the primary), then any others.
  const rank = (id: string) => (planned.includes(id) ? planned.indexOf(id) : planned.length);
  const tenants = listTenantIds(db).sort((a, b) => rank(a.tenantId) - rank(b.tenantId));
  const tls = await loadOrCreateLoopbackCert(options.dataDir);
  const registry = openAppRegistry(options.dataDir);
  const apps = ensureProductApps(registry, {
    credentialsFile: devCredentialsPath(options.dataDir),
    consentTenantIds: tenants.map((t) => t.tenantId),
  });
  const toUser = (data: Record<string, unknown>): DirectoryUser => ({
    id: String(data.id),
    displayName: String(data.displayName),
    userPrincipalName: String(data.userPrincipalName),
  });
  const issuer = await startTokenIssuer({
    host,
    port: options.loginPort ?? 0,
    tls,
    registry,
    dataDir: options.dataDir,
    logger: log,
    directory: {
      tenants: () => listTenantIds(db),
      findUser: (tenantId, login) => {
        const dir = new TenantDirectory(db, tenantId);
        const obj = dir.findActiveByKey('user', login.toLowerCase()) ?? dir.get('user', login);
        return obj && obj.state === ACTIVE && obj.data.accountEnabled !== false
          ? toUser(obj.data)
          : undefined;
      },
      listUsers: (tenantId, limit) =>
        (
          db
            .prepare(
              "SELECT data FROM objects WHERE tenant_id = ? AND type = 'user' AND state = 1 ORDER BY seq LIMIT ?",
            )
            .all(tenantId, limit) as { data: string }[]
        ).map((r) => toUser(JSON.parse(r.data) as Record<string, unknown>)),
    },
  });
  let graph: GraphServer;
  try {
    graph = await startGraphServer({
      db,
      tls,
      host,
      port: options.graphPort ?? 0,
      logger: log,
      now: options.now,
      verifyAccessToken: (token) => issuer.verifyGraphToken(token),
      consentRevoked: (tenantId, appId) => registry.consentState(tenantId, appId) === 'revoked',
    });
  } catch (err) {
    await issuer.stop();
    db.close();
    throw err;
  }
  const faults = faultController(db);
  const handles = new Map<string, TenantOps>();
  const ops = (tenantId?: string) => {
    const id = tenantId ?? tenants[0]?.tenantId;
    if (!id) throw new Error('the dev tenant has no tenants');
    let h = handles.get(id);
    if (!h) {
      h = new TenantOps(db, id, options.now);
      handles.set(id, h);
    }
    return h;
  };
  log?.info(
    { graphUrl: graph.url, authorityUrl: issuer.url, tenants: tenants.map((t) => t.domain) },
    'dev tenant serving',
  );
  let stopped = false;
  return {
    graphUrl: graph.url,
    authorityUrl: issuer.url,
    controlUrl: `${graph.url}/_dev`,
    caPem: tls.caPem,
    tenants,
    apps,
    issuer,
    faults,
    db,
    tenant: ops,
    ops,
    setFaults: (tenantId, patch) => faults.set(tenantId, patch),
    graphToken: (tenantId, roles, o = {}) => {
      const claims: JWTPayload = {
        aud: o.audience ?? GRAPH_RESOURCE,
        iss: `https://sts.windows.net/${tenantId}/`,
        tid: tenantId,
        appid: o.appId ?? apps.backup.clientId,
        appidacr: '1',
        idtyp: 'app',
        oid: '00000000-0000-0000-0000-000000000001',
        sub: '00000000-0000-0000-0000-000000000001',
        roles,
        ver: '1.0',
      };
      return issuer.sign(claims, { expiresInSeconds: o.expiresInSeconds ?? 3600 });
    },
    revokeConsent: (tenantId, app) => registry.revokeConsent(tenantId, clientIdOf(apps, app)),
    grantConsent: (tenantId, app) => registry.grantConsent(tenantId, clientIdOf(apps, app)),
    resetThrottling: () => graph.throttler.reset(),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await graph.stop();
      await issuer.stop();
      db.close();
    },
  };
}
