// Where the tab's identity settings come from: TAB_CLIENT_ID / TAB_DOMAIN and the product's app
// ids in production (Entra at AUTHORITY_HOST), or the dev tenant's own registrations (its tab
// SSO app, backup and restore apps, its issuer and loopback CA) when the dev tenant runs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AppContext } from '../../app-context.ts';
import { devCredentialsPath, readDevCredentials } from '../../devtenant/issuer-dev-credentials.ts';

export interface TabAuthSettings {
  /** Token issuer base, e.g. https://login.microsoftonline.com (no trailing slash). */
  authorityUrl: string;
  tabClientId?: string;
  /** `api://<domain>/<client id>`. */
  applicationIdUri?: string;
  /** The delegated scope the tab asks for: `<application id uri>/access_as_user`. */
  scope?: string;
  /** Audiences a valid token may carry (the app id URI and, for v2 tokens, the client id). */
  audiences: string[];
  backupClientId?: string;
  restoreClientId?: string;
  /** Extra CA the issuer's HTTPS certificate chains to (the dev tenant's loopback CA). */
  caPem?: string;
  jwksUrl: string;
  issuerFor(tenantId: string): string;
  authorizeUrl(tenant: string): string;
  tokenUrl(tenant: string): string;
  adminConsentUrl(tenantId: string, clientId: string, state: string, redirectUri: string): string;
}

export interface TabAuthOverrides {
  authorityUrl?: string;
  tabClientId?: string;
  applicationIdUri?: string;
  backupClientId?: string;
  restoreClientId?: string;
  caPem?: string;
  /** Folder of the dev tenant's files (credentials, loopback certificate). */
  devTenantDir?: string;
}

/** The dev tenant keeps its files here (credentials file, loopback certificate). */
export function defaultDevTenantDir(ctx: AppContext): string {
  return path.resolve(ctx.config.DATA_DIR, 'devtenant');
}

export function resolveTabAuthSettings(ctx: AppContext, overrides: TabAuthOverrides = {}): TabAuthSettings {
  const { config } = ctx;
  const dev = ctx.devTenant && !config.BACKUP_CLIENT_ID;
  const devDir = overrides.devTenantDir ?? defaultDevTenantDir(ctx);
  const devCreds = dev ? readDevCredentials(devCredentialsPath(devDir)) : undefined;
  const authorityUrl = (
    overrides.authorityUrl ??
    (dev ? ctx.devTenant?.authorityUrl : undefined) ??
    config.AUTHORITY_HOST ??
    'https://login.microsoftonline.com'
  ).replace(/\/+$/, '');
  const tabClientId = overrides.tabClientId ?? config.TAB_CLIENT_ID ?? devCreds?.tab.clientId;
  const applicationIdUri =
    overrides.applicationIdUri ??
    (config.TAB_DOMAIN && tabClientId ? `api://${config.TAB_DOMAIN}/${tabClientId}` : undefined) ??
    devCreds?.tab.applicationIdUri;
  const caPem = overrides.caPem ?? (dev ? readOptional(path.join(devDir, 'loopback-tls.crt')) : undefined);
  return {
    authorityUrl,
    tabClientId,
    applicationIdUri,
    scope: applicationIdUri ? `${applicationIdUri}/access_as_user` : undefined,
    // Entra puts the client id in `aud` of v2 tokens and the app id URI in v1 tokens.
    audiences: [applicationIdUri, tabClientId].filter((a): a is string => Boolean(a)),
    backupClientId: overrides.backupClientId ?? config.BACKUP_CLIENT_ID ?? devCreds?.backup.clientId,
    restoreClientId:
      overrides.restoreClientId ??
      config.RESTORE_CLIENT_ID ??
      devCreds?.restore.clientId ??
      config.BACKUP_CLIENT_ID,
    caPem,
    jwksUrl: `${authorityUrl}/common/discovery/v2.0/keys`,
    issuerFor: (tenantId) => `${authorityUrl}/${tenantId}/v2.0`,
    authorizeUrl: (tenant) => `${authorityUrl}/${encodeURIComponent(tenant)}/oauth2/v2.0/authorize`,
    tokenUrl: (tenant) => `${authorityUrl}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`,
    adminConsentUrl: (tenantId, clientId, state, redirectUri) => {
      const url = new URL(`${authorityUrl}/${encodeURIComponent(tenantId)}/v2.0/adminconsent`);
      url.searchParams.set('client_id', clientId);
      url.searchParams.set('scope', 'https://graph.microsoft.com/.default');
      url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('state', state);
      return url.toString();
    },
  };
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
