import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AppRegistryError,
  BACKUP_APP_ROLES,
  openAppRegistry,
  RESTORE_APP_ROLES,
} from '../../src/devtenant/app-registry.ts';
import {
  devCredentialsPath,
  ensureProductApps,
  readDevCredentials,
} from '../../src/devtenant/issuer-dev-credentials.ts';
import { loadOrCreateLoopbackCert } from '../../src/devtenant/tls.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'registry-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const TENANT = '6e7d2f0a-1b2c-4d3e-8f40-5a6b7c8d9e0f';

describe('app registry', () => {
  it('stores only a hash of the secret, verifies it, and persists across opens', () => {
    const registry = openAppRegistry(dir);
    const { app, clientSecret } = registry.createApp({
      displayName: 'b',
      kind: 'backup',
      graphAppRoles: BACKUP_APP_ROLES,
    });
    expect(clientSecret).toMatch(/^.{3}8Q~.{34}$/);
    const file = readFileSync(registry.filePath, 'utf8');
    expect(file).not.toContain(clientSecret);
    expect(statSync(registry.filePath).mode & 0o777).toBe(0o600);
    const reopened = openAppRegistry(dir);
    expect(reopened.verifySecret(app.clientId, clientSecret)).toBe(true);
    expect(reopened.verifySecret(app.clientId, `${clientSecret}x`)).toBe(false);
    expect(reopened.get(app.clientId)?.graphAppRoles).toEqual([...BACKUP_APP_ROLES]);
  });

  it('sees consent changes made by another process (file rewritten)', () => {
    const server = openAppRegistry(dir);
    const { app } = server.createApp({ displayName: 'b', kind: 'backup', graphAppRoles: BACKUP_APP_ROLES });
    server.grantConsent(TENANT, app.clientId);
    expect(server.grantedGraphRoles(TENANT, app.clientId)).toHaveLength(BACKUP_APP_ROLES.length);
    const cli = openAppRegistry(dir);
    cli.revokeConsent(TENANT, app.clientId);
    expect(server.consentState(TENANT, app.clientId)).toBe('revoked');
    expect(server.grantedGraphRoles(TENANT, app.clientId)).toEqual([]);
  });

  it('matches redirect URIs exactly, ignoring only the port of loopback hosts', () => {
    const registry = openAppRegistry(dir);
    const { app } = registry.createApp({
      displayName: 'b',
      kind: 'backup',
      redirectUris: ['https://backup.example.com/cb', 'http://127.0.0.1/auth/consent/callback'],
    });
    expect(registry.isRedirectUriAllowed(app.clientId, 'https://backup.example.com/cb')).toBe(true);
    expect(registry.isRedirectUriAllowed(app.clientId, 'https://backup.example.com:8443/cb')).toBe(false);
    expect(registry.isRedirectUriAllowed(app.clientId, 'https://backup.example.com/cb/')).toBe(false);
    expect(registry.isRedirectUriAllowed(app.clientId, 'http://127.0.0.1:49152/auth/consent/callback')).toBe(
      true,
    );
    expect(registry.isRedirectUriAllowed(app.clientId, 'http://127.0.0.1:49152/other')).toBe(false);
    expect(() => registry.setRedirectUris(app.clientId, ['http://example.com/cb'])).toThrow(AppRegistryError);
  });
});

describe('ensureProductApps (dev credentials)', () => {
  it('creates the four apps, grants consent, writes a 0600 credentials file and reuses it on restart', () => {
    const file = devCredentialsPath(dir);
    const registry = openAppRegistry(dir);
    const first = ensureProductApps(registry, { credentialsFile: file, consentTenantIds: [TENANT] });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readDevCredentials(file)).toEqual(first);
    expect(registry.get(first.restore.clientId)?.graphAppRoles).toEqual([...RESTORE_APP_ROLES]);
    expect(first.tab.applicationIdUri).toBe(`api://localhost/${first.tab.clientId}`);
    expect(first.tab.scope).toBe(`api://localhost/${first.tab.clientId}/access_as_user`);
    expect(registry.consentState(TENANT, first.backup.clientId)).toBe('granted');

    // A revoked consent survives a restart; the same apps and secrets are reused.
    registry.revokeConsent(TENANT, first.backup.clientId);
    const second = ensureProductApps(openAppRegistry(dir), {
      credentialsFile: file,
      consentTenantIds: [TENANT],
    });
    expect(second).toEqual(first);
    expect(openAppRegistry(dir).consentState(TENANT, first.backup.clientId)).toBe('revoked');
  });

  it('replaces a secret whose plain value was lost', () => {
    const file = devCredentialsPath(dir);
    const first = ensureProductApps(openAppRegistry(dir), { credentialsFile: file, consentTenantIds: [] });
    rmSync(file);
    const registry = openAppRegistry(dir);
    const second = ensureProductApps(registry, { credentialsFile: file, consentTenantIds: [] });
    expect(second.backup.clientId).toBe(first.backup.clientId);
    expect(second.backup.clientSecret).not.toBe(first.backup.clientSecret);
    expect(registry.verifySecret(first.backup.clientId, first.backup.clientSecret)).toBe(false);
    expect(registry.verifySecret(second.backup.clientId, second.backup.clientSecret)).toBe(true);
  });
});

describe('loopback TLS certificate', () => {
  it('is created once, covers 127.0.0.1, ::1 and localhost, and is reused', async () => {
    const first = await loadOrCreateLoopbackCert(dir);
    const x509 = new X509Certificate(first.cert);
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x509.checkIP('::1')).toBeDefined();
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(x509.ca).toBe(true);
    expect(statSync(path.join(dir, 'loopback-tls.key')).mode & 0o777).toBe(0o600);
    const second = await loadOrCreateLoopbackCert(dir);
    expect(second.cert).toBe(first.cert);
    expect(second.caPem).toBe(first.cert);
  });
});
