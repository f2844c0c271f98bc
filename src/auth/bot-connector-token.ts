// Outbound token for the Bot Connector (replies, card updates, proactive messages): client
// credentials of the bot's app registration for the scope https://api.botframework.com/.default.
// Production: Entra (login.microsoftonline.com, tenant BOT_TENANT_ID or botframework.com); dev
// and tests: the local token issuer. In anonymous mode (no BOT_APP_ID) no token is sent.
import { readFile } from 'node:fs/promises';
import type { AppContext } from '../app-context.ts';
import { createHttpsAgent } from '../graph/https-fetch.ts';
import { MsalAppTokenProvider } from '../graph/token-provider.ts';
import { createLogger, type Logger } from '../log.ts';
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
  /** Extra CA to trust (the dev tenant's loopback CA) for the certificate path's msal-node. */
  caPem?: string;
  logger?: Logger;
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
    ...(ctx.devTenant ? { caPem: ctx.devTenant.caPem } : {}),
    logger: ctx.log,
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

  // A certificate goes through msal-node (client assertion), as the Graph apps' certificates do:
  // same PEM handling, authority checks and retries (src/graph/token-provider.ts); msal-node
  // caches the token and renews it before it expires.
  if (!options.appPassword) return certificateTokenProvider(appId, options);
  const secret = options.appPassword;

  return async () => {
    if (cached && cached.expiresAt - Date.now() > 120_000) return cached.token;
    pending ??= withSecret(secret).finally(() => {
      pending = undefined;
    });
    cached = await pending;
    return cached.token;
  };
}

function certificateTokenProvider(appId: string, options: ConnectorTokenOptions): ConnectorTokenProvider {
  const certPath = options.certPath ?? '';
  let tokens: Promise<MsalAppTokenProvider> | undefined;
  return async () => {
    tokens ??= readFile(certPath, 'utf8').then(
      (pem) =>
        new MsalAppTokenProvider(
          options.tenant,
          { clientId: appId, certificate: { privateKeyPem: pem, certificatePem: pem } },
          {
            authorityHost: options.authorityHost,
            agent: createHttpsAgent(options.caPem, 4),
            scope: BOT_CONNECTOR_SCOPE,
            logger: options.logger ?? createLogger('silent'),
          },
        ),
      (err: NodeJS.ErrnoException) => {
        tokens = undefined; // a file fixed later is read again
        throw new Error(`BOT_CERT_PATH ${certPath} cannot be read (${err.code ?? err.message})`);
      },
    );
    return (await tokens).getAccessToken();
  };
}
