// A running token issuer over a temp data dir, with two tenants and a few users, for tests.
import { mkdtempSync, rmSync } from 'node:fs';
import type https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type AppRegistry,
  BACKUP_APP_ROLES,
  openAppRegistry,
  RESTORE_APP_ROLES,
} from '../../src/devtenant/app-registry.ts';
import { type LoopbackCert, loadOrCreateLoopbackCert } from '../../src/devtenant/tls.ts';
import { type DirectoryUser, startTokenIssuer, type TokenIssuer } from '../../src/devtenant/token-issuer.ts';
import { createHttpsAgent, httpsRequest, type RawResponse } from '../../src/graph/https-fetch.ts';

export const TENANT_A = '6e7d2f0a-1b2c-4d3e-8f40-5a6b7c8d9e0f';
export const TENANT_B = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

const USERS: Record<string, DirectoryUser[]> = {
  [TENANT_A]: [
    {
      id: 'a0000000-0000-4000-8000-000000000001',
      displayName: 'Adele Vance',
      userPrincipalName: 'adele@contoso.onmicrosoft.com',
    },
    {
      id: 'a0000000-0000-4000-8000-000000000002',
      displayName: 'Megan Bowen',
      userPrincipalName: 'megan@contoso.onmicrosoft.com',
    },
  ],
  [TENANT_B]: [
    {
      id: 'b0000000-0000-4000-8000-000000000001',
      displayName: 'Lee Gu',
      userPrincipalName: 'lee@fabrikam.onmicrosoft.com',
    },
  ],
};

export interface IssuerFixture {
  dir: string;
  tls: LoopbackCert;
  registry: AppRegistry;
  issuer: TokenIssuer;
  agent: https.Agent;
  backup: { clientId: string; clientSecret: string };
  restore: { clientId: string; clientSecret: string };
  tab: { clientId: string; clientSecret: string; resource: string };
  request(
    url: string,
    init?: { method?: string; headers?: Record<string, string>; body?: string },
  ): Promise<RawResponse>;
  postForm(url: string, form: Record<string, string>, headers?: Record<string, string>): Promise<RawResponse>;
  json(response: RawResponse): Record<string, unknown>;
  stop(): Promise<void>;
}

export async function startIssuerFixture(
  options: { accessTokenLifetimeSeconds?: number } = {},
): Promise<IssuerFixture> {
  const dir = mkdtempSync(path.join(tmpdir(), 'issuer-test-'));
  const tls = await loadOrCreateLoopbackCert(dir);
  const registry = openAppRegistry(dir);
  const backupApp = registry.createApp({
    displayName: 'Entra Backup (read)',
    kind: 'backup',
    graphAppRoles: BACKUP_APP_ROLES,
    redirectUris: [
      'https://backup.example.com/auth/consent/callback',
      'http://localhost/auth/consent/callback',
    ],
  });
  const restoreApp = registry.createApp({
    displayName: 'Entra Backup (restore)',
    kind: 'restore',
    graphAppRoles: RESTORE_APP_ROLES,
  });
  const tabApp = registry.createApp({
    displayName: 'Entra Backup tab',
    kind: 'tab',
    identifierUris: ['api://localhost/{clientId}'],
    exposedScopes: ['access_as_user'],
    accessTokenAcceptedVersion: 2,
    publicClient: true,
    redirectUris: ['http://localhost/tab/auth-end'],
  });
  registry.grantConsent(TENANT_A, backupApp.app.clientId);
  registry.grantConsent(TENANT_A, restoreApp.app.clientId);
  const issuer = await startTokenIssuer({
    tls,
    registry,
    dataDir: dir,
    accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds,
    directory: {
      tenants: () => [
        { tenantId: TENANT_A, domain: 'contoso.onmicrosoft.com' },
        { tenantId: TENANT_B, domain: 'fabrikam.onmicrosoft.com' },
      ],
      findUser: (tenantId, login) =>
        USERS[tenantId]?.find(
          (u) => u.userPrincipalName.toLowerCase() === login.toLowerCase() || u.id === login,
        ),
      listUsers: (tenantId, limit) => (USERS[tenantId] ?? []).slice(0, limit),
    },
  });
  const agent = createHttpsAgent(tls.caPem);
  const request: IssuerFixture['request'] = (url, init = {}) =>
    httpsRequest(url, { method: init.method ?? 'GET', headers: init.headers, body: init.body }, agent);
  return {
    dir,
    tls,
    registry,
    issuer,
    agent,
    backup: { clientId: backupApp.app.clientId, clientSecret: backupApp.clientSecret },
    restore: { clientId: restoreApp.app.clientId, clientSecret: restoreApp.clientSecret },
    tab: {
      clientId: tabApp.app.clientId,
      clientSecret: tabApp.clientSecret,
      resource: `api://localhost/${tabApp.app.clientId}`,
    },
    request,
    postForm: (url, form, headers = {}) =>
      request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(form).toString(),
      }),
    json: (response) => JSON.parse(response.body.toString('utf8')) as Record<string, unknown>,
    stop: async () => {
      agent.destroy();
      await issuer.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
