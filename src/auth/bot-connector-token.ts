// Outbound token for the Bot Connector (replies, card updates, proactive messages): client
// credentials of the bot's app registration for the scope https://api.botframework.com/.default.
// Production: Entra (login.microsoftonline.com, tenant BOT_TENANT_ID or botframework.com); dev
// and tests: the local token issuer. In anonymous mode (no BOT_APP_ID) no token is sent.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfidentialClientApplication } from '@azure/msal-node';
import type { AppContext } from '../app-context.ts';
import type { FetchLike } from './fetch-like.ts';

export const BOT_CONNECTOR_SCOPE = 'https://api.botframework.com/.default';

export type ConnectorTokenProvider = () => Promise<string | undefined>;

export interface ConnectorTokenOptions {
  appId?: string;
  appPassword?: string;
  certPath?: string;
  /** Base authority, e.g. https://login.microsoftonline.com or the local issuer's URL. */
  authorityHost: string;
  tenant: string;
  fetch?: FetchLike;
}

export function connectorTokenOptionsFrom(ctx: AppContext, fetchImpl?: FetchLike): ConnectorTokenOptions {
  const c = ctx.config;
  return {
    appId: c.BOT_APP_ID,
    appPassword: c.BOT_APP_PASSWORD,
    certPath: c.BOT_CERT_PATH,
    authorityHost: ctx.devTenant?.authorityUrl ?? c.AUTHORITY_HOST ?? 'https://login.microsoftonline.com',
    tenant: c.BOT_TENANT_ID ?? 'botframework.com',
    fetch: fetchImpl,
  };
}

export function createConnectorTokenProvider(options: ConnectorTokenOptions): ConnectorTokenProvider {
  if (!options.appId) return async () => undefined;
  const appId = options.appId;
  const authority = `${options.authorityHost.replace(/\/+$/, '')}/${options.tenant}`;
  let cached: { token: string; expiresAt: number } | undefined;
  let pending: Promise<{ token: string; expiresAt: number }> | undefined;

  async function withSecret(secret: string) {
    const doFetch: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: appId,
      client_secret: secret,
      scope: BOT_CONNECTOR_SCOPE,
    }).toString();
    const response = await doFetch(`${authority}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok || typeof json.access_token !== 'string') {
      throw new Error(`bot connector token request failed: ${response.status} ${String(json.error ?? '')}`);
    }
    const expiresIn = typeof json.expires_in === 'number' ? json.expires_in : Number(json.expires_in ?? 3600);
    return { token: json.access_token, expiresAt: Date.now() + expiresIn * 1000 };
  }

  async function withCertificate(certPath: string) {
    const pem = await readFile(certPath, 'utf8');
    const app = new ConfidentialClientApplication({
      auth: {
        clientId: appId,
        authority,
        clientCertificate: { privateKey: pem, thumbprintSha256: certThumbprint(pem) },
      },
    });
    const result = await app.acquireTokenByClientCredential({ scopes: [BOT_CONNECTOR_SCOPE] });
    if (!result?.accessToken) throw new Error('bot connector token request returned no token');
    return { token: result.accessToken, expiresAt: result.expiresOn?.getTime() ?? Date.now() + 3_000_000 };
  }

  return async () => {
    if (cached && cached.expiresAt - Date.now() > 120_000) return cached.token;
    pending ??= (
      options.appPassword ? withSecret(options.appPassword) : withCertificate(options.certPath ?? '')
    ).finally(() => {
      pending = undefined;
    });
    cached = await pending;
    return cached.token;
  };
}

function certThumbprint(pem: string): string {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!match) throw new Error('BOT_CERT_PATH must hold a PEM private key and certificate');
  const der = Buffer.from(match[1].replace(/\s+/g, ''), 'base64');
  return createHash('sha256').update(der).digest('hex');
}
