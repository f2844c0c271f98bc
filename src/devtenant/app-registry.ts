// The dev tenant's registry of the product's own Entra app registrations (backup, restore, bot,
// tab SSO) and of admin consent per tenant. It plays the part of Entra's app registrations and
// enterprise apps for the local token issuer. Persisted as JSON so the server and CLI processes
// see the same apps; secrets are kept only as salted hashes (the plain value is returned once).
import { createHash, randomBytes, randomUUID, timingSafeEqual, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type ProductAppKind = 'backup' | 'restore' | 'bot' | 'tab' | 'custom';
export type ConsentState = 'granted' | 'revoked';

/** Read-only application permissions of the backup app. */
export const BACKUP_APP_ROLES = [
  'User.Read.All',
  'Group.Read.All',
  'GroupMember.Read.All',
  'RoleManagement.Read.Directory',
  'Application.Read.All',
  'Device.Read.All',
  'AdministrativeUnit.Read.All',
  'AuditLog.Read.All',
  'Directory.Read.All',
  'Policy.Read.All',
  'UserAuthenticationMethod.Read.All',
] as const;

/** Write permissions of the restore app: the ReadWrite equivalents plus what restores need. */
export const RESTORE_APP_ROLES = [
  'User.ReadWrite.All',
  'Group.ReadWrite.All',
  'GroupMember.ReadWrite.All',
  'RoleManagement.ReadWrite.Directory',
  'Application.ReadWrite.All',
  'Device.ReadWrite.All',
  'AdministrativeUnit.ReadWrite.All',
  'AuditLog.Read.All',
  'Directory.ReadWrite.All',
  'Policy.Read.All',
  'UserAuthenticationMethod.ReadWrite.All',
  'AppRoleAssignment.ReadWrite.All',
  'Policy.ReadWrite.ConditionalAccess',
  'User.DeleteRestore.All',
] as const;

/** Teams desktop/mobile and Teams web: the clients a tab SSO app pre-authorizes. */
export const TEAMS_CLIENT_IDS = [
  '1fec8e78-bce4-4aaf-ab1b-5451cc387264',
  '5e3ce6c0-2b1f-4285-8d4b-75ee78787346',
];

interface StoredSecret {
  id: string;
  salt: string;
  hash: string;
  /** First characters, as the Entra portal shows them. */
  hint: string;
  createdAt: string;
}

interface StoredCertificate {
  /** base64url SHA-256 thumbprint (JWT `x5t#S256`). */
  x5tS256: string;
  /** base64url SHA-1 thumbprint (JWT `x5t`). */
  x5t: string;
  certPem: string;
  addedAt: string;
}

export interface AppRegistration {
  clientId: string;
  displayName: string;
  kind: ProductAppKind;
  /** Microsoft Graph application permissions the app requests (granted per tenant by admin consent). */
  graphAppRoles: string[];
  /** Redirect URIs for admin consent and sign-in; matched exactly (port ignored for loopback hosts). */
  redirectUris: string[];
  /** Application ID URIs, e.g. api://localhost/<clientId>. */
  identifierUris: string[];
  /** Delegated scopes the app exposes (e.g. access_as_user). */
  exposedScopes: string[];
  preAuthorizedClientIds: string[];
  accessTokenAcceptedVersion: 1 | 2;
  /** A public client (SPA) may redeem auth codes with PKCE and no secret. */
  publicClient: boolean;
  createdAt: string;
}

interface StoredApp extends AppRegistration {
  secrets: StoredSecret[];
  certificates: StoredCertificate[];
}

interface ConsentRecord {
  state: ConsentState;
  at: string;
}

interface RegistryFile {
  version: 1;
  apps: StoredApp[];
  /** consent[tenantId][clientId] */
  consent: Record<string, Record<string, ConsentRecord>>;
}

export interface CreateAppInput {
  displayName: string;
  kind: ProductAppKind;
  graphAppRoles?: readonly string[];
  redirectUris?: string[];
  /** Application ID URIs; `{clientId}` is replaced by the new client id. */
  identifierUris?: string[];
  exposedScopes?: string[];
  preAuthorizedClientIds?: string[];
  accessTokenAcceptedVersion?: 1 | 2;
  publicClient?: boolean;
  /** Fixed client id (tests); random otherwise. */
  clientId?: string;
}

export class AppRegistryError extends Error {
  override readonly name = 'AppRegistryError';
}

const FILE_NAME = 'app-registry.json';

/** Opens (or creates) the registry persisted in `dir` (the dev tenant's data directory). */
export function openAppRegistry(dir: string): AppRegistry {
  return new AppRegistry(path.join(dir, FILE_NAME));
}

export class AppRegistry {
  private data: RegistryFile = { version: 1, apps: [], consent: {} };
  private loadedMtimeMs = -1;

  constructor(readonly filePath: string) {
    mkdirSync(path.dirname(filePath), { recursive: true });
    this.reloadIfChanged();
  }

  /** Creates an app registration with one client secret; the plain secret is returned only here. */
  createApp(input: CreateAppInput): { app: AppRegistration; clientSecret: string } {
    this.reloadIfChanged();
    const clientId = input.clientId ?? randomUUID();
    if (this.find(clientId)) throw new AppRegistryError(`App ${clientId} already exists`);
    const app: StoredApp = {
      clientId,
      displayName: input.displayName,
      kind: input.kind,
      graphAppRoles: [...(input.graphAppRoles ?? [])],
      redirectUris: [...(input.redirectUris ?? [])],
      identifierUris: (input.identifierUris ?? []).map((u) => u.replaceAll('{clientId}', clientId)),
      exposedScopes: [...(input.exposedScopes ?? [])],
      preAuthorizedClientIds: [...(input.preAuthorizedClientIds ?? [])],
      accessTokenAcceptedVersion: input.accessTokenAcceptedVersion ?? 1,
      publicClient: input.publicClient ?? false,
      createdAt: new Date().toISOString(),
      secrets: [],
      certificates: [],
    };
    for (const uri of app.redirectUris) assertRedirectUri(uri);
    const clientSecret = newSecret(app);
    this.data.apps.push(app);
    this.save();
    return { app: publicView(app), clientSecret };
  }

  get(clientId: string): AppRegistration | undefined {
    this.reloadIfChanged();
    const app = this.find(clientId);
    return app ? publicView(app) : undefined;
  }

  list(): AppRegistration[] {
    this.reloadIfChanged();
    return this.data.apps.map(publicView);
  }

  findByKind(kind: ProductAppKind): AppRegistration | undefined {
    return this.list().find((a) => a.kind === kind);
  }

  /** The app whose Application ID URI (or `api://<clientId>`) is `resource`. */
  findByResource(resource: string): AppRegistration | undefined {
    const wanted = resource.replace(/\/+$/, '');
    return this.list().find(
      (a) => a.identifierUris.includes(wanted) || wanted === `api://${a.clientId}` || wanted === a.clientId,
    );
  }

  /** Adds a client secret; returns the plain value (never stored). */
  addSecret(clientId: string): string {
    this.reloadIfChanged();
    const app = this.require(clientId);
    const secret = newSecret(app);
    this.save();
    return secret;
  }

  /** Removes every secret (rotation, or to test that old secrets stop working). */
  removeSecrets(clientId: string): void {
    this.reloadIfChanged();
    this.require(clientId).secrets = [];
    this.save();
  }

  verifySecret(clientId: string, secret: string): boolean {
    this.reloadIfChanged();
    const app = this.find(clientId);
    if (!app) return false;
    return app.secrets.some((s) => {
      const candidate = hashSecret(s.salt, secret);
      const stored = Buffer.from(s.hash, 'base64');
      return candidate.length === stored.length && timingSafeEqual(candidate, stored);
    });
  }

  /** Registers a certificate credential (public PEM only). */
  addCertificate(clientId: string, certPem: string): { x5t: string; x5tS256: string } {
    this.reloadIfChanged();
    const app = this.require(clientId);
    const x509 = new X509Certificate(certPem);
    const x5t = createHash('sha1').update(x509.raw).digest('base64url');
    const x5tS256 = createHash('sha256').update(x509.raw).digest('base64url');
    if (!app.certificates.some((c) => c.x5tS256 === x5tS256)) {
      app.certificates.push({ x5t, x5tS256, certPem: x509.toString(), addedAt: new Date().toISOString() });
      this.save();
    }
    return { x5t, x5tS256 };
  }

  /** The registered certificate whose SHA-256 (`x5t#S256`) or SHA-1 (`x5t`) thumbprint matches. */
  findCertificate(clientId: string, thumbprint: { x5t?: string; x5tS256?: string }): string | undefined {
    this.reloadIfChanged();
    const app = this.find(clientId);
    const match = app?.certificates.find(
      (c) =>
        (thumbprint.x5tS256 !== undefined && c.x5tS256 === thumbprint.x5tS256) ||
        (thumbprint.x5t !== undefined && c.x5t === thumbprint.x5t),
    );
    return match?.certPem;
  }

  setRedirectUris(clientId: string, uris: string[]): void {
    this.reloadIfChanged();
    for (const uri of uris) assertRedirectUri(uri);
    this.require(clientId).redirectUris = [...new Set(uris)];
    this.save();
  }

  addRedirectUris(clientId: string, uris: string[]): void {
    const app = this.get(clientId);
    if (!app) throw new AppRegistryError(`Unknown app ${clientId}`);
    this.setRedirectUris(clientId, [...app.redirectUris, ...uris]);
  }

  /**
   * Exact match against the registered redirect URIs, except that for loopback hosts the port
   * is ignored, as Entra does ("Prefer 127.0.0.1 over localhost"; the port of a loopback
   * redirect URI is ignored), which lets tests use servers on port 0.
   */
  isRedirectUriAllowed(clientId: string, uri: string): boolean {
    const app = this.get(clientId);
    if (!app) return false;
    return app.redirectUris.some((registered) => redirectUriMatches(registered, uri));
  }

  grantConsent(tenantId: string, clientId: string): void {
    this.setConsent(tenantId, clientId, 'granted');
  }

  /** Revoked consent: later tokens carry no roles, so Graph answers 403. */
  revokeConsent(tenantId: string, clientId: string): void {
    this.setConsent(tenantId, clientId, 'revoked');
  }

  consentState(tenantId: string, clientId: string): ConsentState | undefined {
    this.reloadIfChanged();
    return this.data.consent[tenantId.toLowerCase()]?.[clientId]?.state;
  }

  /** Graph application permissions the app holds in the tenant (empty unless consent is granted). */
  grantedGraphRoles(tenantId: string, clientId: string): string[] {
    const app = this.get(clientId);
    if (!app || this.consentState(tenantId, clientId) !== 'granted') return [];
    return [...app.graphAppRoles];
  }

  /** The app's service principal object id in a tenant (the `oid` of its app tokens), stable per pair. */
  servicePrincipalId(tenantId: string, clientId: string): string {
    const hex = createHash('sha256').update(`sp:${tenantId.toLowerCase()}:${clientId}`).digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  private setConsent(tenantId: string, clientId: string, state: ConsentState): void {
    this.reloadIfChanged();
    this.require(clientId);
    const tenant = tenantId.toLowerCase();
    this.data.consent[tenant] ??= {};
    this.data.consent[tenant][clientId] = { state, at: new Date().toISOString() };
    this.save();
  }

  private find(clientId: string): StoredApp | undefined {
    return this.data.apps.find((a) => a.clientId === clientId);
  }

  private require(clientId: string): StoredApp {
    const app = this.find(clientId);
    if (!app) throw new AppRegistryError(`Unknown app ${clientId}`);
    return app;
  }

  /** Another process (the CLI) may have changed the file: re-read it when its mtime moved. */
  private reloadIfChanged(): void {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(this.filePath).mtimeMs;
    } catch {
      return; // not created yet
    }
    if (mtimeMs === this.loadedMtimeMs) return;
    const parsed = JSON.parse(readFileSync(this.filePath, 'utf8')) as RegistryFile;
    if (parsed.version !== 1 || !Array.isArray(parsed.apps)) {
      throw new AppRegistryError(`${this.filePath}: not an app registry file (version 1)`);
    }
    this.data = parsed;
    this.loadedMtimeMs = mtimeMs;
  }

  private save(): void {
    const tmp = `${this.filePath}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 2), { mode: 0o600 });
    renameSync(tmp, this.filePath);
    this.loadedMtimeMs = statSync(this.filePath).mtimeMs;
  }
}

function publicView(app: StoredApp): AppRegistration {
  const { secrets: _secrets, certificates: _certificates, ...rest } = app;
  return structuredClone(rest);
}

/** Entra-like secret: 40 characters with the `~` marker Entra puts in position 4. */
function newSecret(app: StoredApp): string {
  const random = randomBytes(30).toString('base64url').slice(0, 37);
  const secret = `${random.slice(0, 3)}8Q~${random.slice(3)}`;
  const salt = randomBytes(16).toString('base64');
  app.secrets.push({
    id: randomUUID(),
    salt,
    hash: hashSecret(salt, secret).toString('base64'),
    hint: secret.slice(0, 3),
    createdAt: new Date().toISOString(),
  });
  return secret;
}

/** Secrets carry over 200 random bits, so a salted SHA-256 is enough (no brute force to slow down). */
function hashSecret(salt: string, secret: string): Buffer {
  return createHash('sha256').update(salt).update('\0').update(secret).digest();
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function assertRedirectUri(uri: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new AppRegistryError(`Redirect URI '${uri}' is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    throw new AppRegistryError(`Redirect URI '${uri}' must use https (http is allowed for loopback only)`);
  }
  if (url.hash) throw new AppRegistryError(`Redirect URI '${uri}' must not contain a fragment`);
}

export function redirectUriMatches(registered: string, candidate: string): boolean {
  if (registered === candidate) return true;
  let a: URL;
  let b: URL;
  try {
    a = new URL(registered);
    b = new URL(candidate);
  } catch {
    return false;
  }
  if (!LOOPBACK_HOSTS.has(a.hostname) || a.hostname !== b.hostname) return false;
  return a.protocol === b.protocol && a.pathname === b.pathname && a.search === b.search && !b.hash;
}
