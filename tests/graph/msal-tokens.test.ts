import { generate } from 'selfsigned';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BACKUP_APP_ROLES, RESTORE_APP_ROLES } from '../../src/devtenant/app-registry.ts';
import { GraphError } from '../../src/graph/gateway.ts';
import { type GatewayEnv, graphErrorBody, startGatewayEnv, TENANT_A, TENANT_B } from './graph-test-env.ts';

let env: GatewayEnv;
beforeAll(async () => {
  env = await startGatewayEnv();
});
afterAll(() => env.stop());
beforeEach(() => {
  env.graph.requests.length = 0;
  // Like Graph: an app token without roles is refused.
  env.graph.handler = (req) =>
    req.claims.roles.length
      ? { status: 200, body: { value: [] } }
      : {
          status: 403,
          body: graphErrorBody(
            'Authorization_RequestDenied',
            'Insufficient privileges to complete the operation.',
            'req-403',
          ),
        };
});

describe('tokens through msal-node from the local issuer', () => {
  it('gets app tokens per app and tenant, with the consented roles', async () => {
    const factory = env.factory();
    expect(await factory.forBackup(TENANT_A).grantedRoles()).toEqual([...BACKUP_APP_ROLES]);
    expect(await factory.forRestore(TENANT_A).grantedRoles()).toEqual([...RESTORE_APP_ROLES]);
    await factory.forBackup(TENANT_A).get('/users');
    expect(env.graph.requests[0].claims).toMatchObject({
      tid: TENANT_A,
      appid: env.fx.backup.clientId,
      idtyp: 'app',
    });
  });

  it('reuses the cached token across requests and clients', async () => {
    const factory = env.factory();
    await factory.forBackup(TENANT_A).get('/users');
    await factory.forBackup(TENANT_A).get('/groups');
    const [first, second] = env.graph.requests;
    expect(first.headers.authorization).toBe(second.headers.authorization);
  });

  it('authenticates with a certificate (client assertion) as well as a secret', async () => {
    const pems = await generate([{ name: 'commonName', value: 'entra-backup-cert' }], {
      keySize: 2048,
      algorithm: 'sha256',
    });
    env.fx.registry.addCertificate(env.fx.backup.clientId, pems.cert);
    const factory = env.factory({
      backup: {
        clientId: env.fx.backup.clientId,
        certificate: { privateKeyPem: pems.private, certificatePem: pems.cert },
      },
    });
    await factory.forBackup(TENANT_A).get('/users');
    expect(env.graph.requests[0].claims.appidacr).toBe('2');
  });

  it('turns a bad secret into a 401 GraphError naming the app, the tenant and Entra’s error', async () => {
    const factory = env.factory({ backup: { clientId: env.fx.backup.clientId, clientSecret: 'wrong' } });
    const err = (await factory
      .forBackup(TENANT_A)
      .get('/users')
      .catch((e: unknown) => e)) as GraphError;
    expect(err).toBeInstanceOf(GraphError);
    expect(err.status).toBe(401);
    expect(err.code).toBe('invalid_client');
    expect(err.message).toContain(env.fx.backup.clientId);
    expect(err.message).toContain(TENANT_A);
    expect(err.message).toContain('AADSTS7000215');
    expect(env.graph.requests).toHaveLength(0);
  });

  it('a tenant without consent fails token acquisition with AADSTS7000229', async () => {
    const err = (await env
      .factory()
      .forBackup(TENANT_B)
      .grantedRoles()
      .catch((e: unknown) => e)) as GraphError;
    expect(err.code).toBe('invalid_client');
    expect(err.message).toContain('AADSTS7000229');
  });

  it('after consent is revoked, new tokens carry no roles and Graph answers 403 Authorization_RequestDenied', async () => {
    env.fx.registry.revokeConsent(TENANT_A, env.fx.restore.clientId);
    try {
      const client = env.factory().forRestore(TENANT_A);
      expect(await client.grantedRoles()).toEqual([]);
      const err = (await client.get('/users').catch((e: unknown) => e)) as GraphError;
      expect(err).toMatchObject({ status: 403, code: 'Authorization_RequestDenied', requestId: 'req-403' });
    } finally {
      env.fx.registry.grantConsent(TENANT_A, env.fx.restore.clientId);
    }
  });

  it('validates its options with clear errors', () => {
    expect(() => env.factory({ graphBaseUrl: 'http://127.0.0.1:1/v1.0' })).toThrow(/must be https/);
    expect(() => env.factory({ graphBaseUrl: 'https://graph.microsoft.com' })).toThrow(/include the version/);
    expect(() => env.factory({ backup: { clientId: 'x' } })).toThrow(/secret or a certificate/);
    expect(() => env.factory().forBackup('bad tenant/../x')).toThrow(/Invalid tenant id/);
  });
});
