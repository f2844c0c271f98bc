// The product's own app registrations in the dev tenant (backup, restore, bot, tab SSO), created
// on first start and their plain secrets written to DATA_DIR/devtenant/dev-credentials.json.
//
// Why a plain-secret file is acceptable here (dev only): these secrets are valid only against
// the local token issuer bound to loopback, which only ever grants access to the simulated
// tenant; the file is created with 0600 permissions (owner only) like a developer's .env file;
// the registry itself stores only salted hashes; and with a real tenant configured
// (BACKUP_CLIENT_ID set) the dev tenant, its issuer and this file are not used at all. CLI
// processes read it to authenticate against the same dev tenant as the running server.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  type AppRegistry,
  BACKUP_APP_ROLES,
  type CreateAppInput,
  type ProductAppKind,
  RESTORE_APP_ROLES,
  TEAMS_CLIENT_IDS,
} from './app-registry.ts';

export interface DevAppCredentials {
  clientId: string;
  clientSecret: string;
}

export interface DevCredentials {
  backup: DevAppCredentials;
  restore: DevAppCredentials;
  bot: DevAppCredentials;
  /** Tab SSO app; `applicationIdUri` is api://localhost/<clientId>, scope access_as_user. */
  tab: DevAppCredentials & { applicationIdUri: string; scope: string };
}

export interface EnsureProductAppsOptions {
  /** Usually DATA_DIR/devtenant/dev-credentials.json. */
  credentialsFile: string;
  /** Tenants where admin consent is granted for backup and restore (unless already decided). */
  consentTenantIds: string[];
  /** Admin-consent callbacks of the product (loopback ports are ignored when matching). */
  consentRedirectUris?: string[];
  /** Sign-in redirect URIs of the tab outside Teams. */
  tabRedirectUris?: string[];
}

export const DEFAULT_CONSENT_REDIRECT_URIS = [
  'http://localhost/auth/consent/callback',
  'http://127.0.0.1/auth/consent/callback',
];
export const DEFAULT_TAB_REDIRECT_URIS = [
  'http://localhost/tab/auth-end',
  'http://127.0.0.1/tab/auth-end',
  'http://localhost/tab/',
  'http://127.0.0.1/tab/',
];

const CREDENTIALS_FILE_NAME = 'dev-credentials.json';

/** Where the dev tenant keeps the plain dev secrets: `<devTenantDir>/dev-credentials.json`. */
export function devCredentialsPath(devTenantDir: string): string {
  return path.join(devTenantDir, CREDENTIALS_FILE_NAME);
}

/**
 * Creates the four product apps when missing (reusing them and their secrets when the
 * credentials file still holds valid ones), registers redirect URIs, grants admin consent for
 * backup and restore in the given tenants where no decision was recorded (a revoked consent
 * stays revoked), writes the credentials file (0600) and returns the credentials.
 */
export function ensureProductApps(registry: AppRegistry, options: EnsureProductAppsOptions): DevCredentials {
  const known = readDevCredentials(options.credentialsFile);
  const consentUris = options.consentRedirectUris ?? DEFAULT_CONSENT_REDIRECT_URIS;
  const tabUris = options.tabRedirectUris ?? DEFAULT_TAB_REDIRECT_URIS;

  const ensure = (
    kind: ProductAppKind,
    input: CreateAppInput,
    previous?: DevAppCredentials,
  ): DevAppCredentials => {
    const existing = registry.findByKind(kind);
    if (!existing) {
      const created = registry.createApp(input);
      return { clientId: created.app.clientId, clientSecret: created.clientSecret };
    }
    if (
      previous?.clientId === existing.clientId &&
      registry.verifySecret(existing.clientId, previous.clientSecret)
    ) {
      return previous;
    }
    // The plain secret is lost (only its hash is kept): replace it.
    registry.removeSecrets(existing.clientId);
    return { clientId: existing.clientId, clientSecret: registry.addSecret(existing.clientId) };
  };

  const backup = ensure(
    'backup',
    {
      displayName: 'Entra Backup (read)',
      kind: 'backup',
      graphAppRoles: BACKUP_APP_ROLES,
      redirectUris: consentUris,
    },
    known?.backup,
  );
  const restore = ensure(
    'restore',
    {
      displayName: 'Entra Backup (restore)',
      kind: 'restore',
      graphAppRoles: RESTORE_APP_ROLES,
      redirectUris: consentUris,
    },
    known?.restore,
  );
  const bot = ensure(
    'bot',
    { displayName: 'Entra Backup bot', kind: 'bot', accessTokenAcceptedVersion: 2 },
    known?.bot,
  );
  const tabInput: CreateAppInput = {
    displayName: 'Entra Backup tab',
    kind: 'tab',
    identifierUris: ['api://localhost/{clientId}'],
    exposedScopes: ['access_as_user'],
    preAuthorizedClientIds: TEAMS_CLIENT_IDS,
    accessTokenAcceptedVersion: 2,
    publicClient: true,
    redirectUris: tabUris,
  };
  const tab = ensure('tab', tabInput, known?.tab);

  registry.addRedirectUris(backup.clientId, consentUris);
  registry.addRedirectUris(restore.clientId, consentUris);
  registry.addRedirectUris(tab.clientId, tabUris);
  for (const tenantId of options.consentTenantIds) {
    for (const clientId of [backup.clientId, restore.clientId]) {
      if (!registry.consentState(tenantId, clientId)) registry.grantConsent(tenantId, clientId);
    }
  }

  const tabApp = registry.get(tab.clientId);
  const applicationIdUri = tabApp?.identifierUris[0] ?? `api://localhost/${tab.clientId}`;
  const credentials: DevCredentials = {
    backup,
    restore,
    bot,
    tab: { ...tab, applicationIdUri, scope: `${applicationIdUri}/access_as_user` },
  };
  writeDevCredentials(options.credentialsFile, credentials);
  return credentials;
}

export function readDevCredentials(file: string): DevCredentials | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<DevCredentials>;
    if (parsed.backup?.clientId && parsed.restore?.clientId && parsed.bot?.clientId && parsed.tab?.clientId) {
      return parsed as DevCredentials;
    }
  } catch {
    // unreadable: treated as absent, the apps get new secrets
  }
  return undefined;
}

export function writeDevCredentials(file: string, credentials: DevCredentials): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  // writeFileSync's mode applies only on creation: tighten an existing file too.
  chmodSync(file, 0o600);
}
