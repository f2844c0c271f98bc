import { createPrivateKey, randomUUID } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_APP_ROLES } from '../../src/devtenant/app-registry.ts';
import { type IssuerFixture, startIssuerFixture, TENANT_A, TENANT_B } from './issuer-fixture.ts';

let fx: IssuerFixture;
let tokenUrl: string;
const GRAPH_DEFAULT = 'https://graph.microsoft.com/.default';

beforeAll(async () => {
  fx = await startIssuerFixture();
  tokenUrl = `${fx.issuer.url}/${TENANT_A}/oauth2/v2.0/token`;
});
afterAll(() => fx.stop());

const credentialsForm = (extra: Record<string, string>) => ({
  grant_type: 'client_credentials',
  scope: GRAPH_DEFAULT,
  ...extra,
});

describe('client credentials', () => {
  it('issues a v1-shaped Graph app token carrying the consented roles', async () => {
    const res = await fx.postForm(
      tokenUrl,
      credentialsForm({ client_id: fx.backup.clientId, client_secret: fx.backup.clientSecret }),
    );
    expect(res.status).toBe(200);
    const body = fx.json(res);
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBe(3599);
    const claims = decodeJwt(String(body.access_token));
    expect(claims).toMatchObject({
      aud: 'https://graph.microsoft.com',
      iss: `https://sts.windows.net/${TENANT_A}/`,
      tid: TENANT_A,
      appid: fx.backup.clientId,
      appidacr: '1',
      idtyp: 'app',
      oid: fx.registry.servicePrincipalId(TENANT_A, fx.backup.clientId),
    });
    expect(claims.roles).toEqual([...BACKUP_APP_ROLES]);
    expect(claims.scp).toBeUndefined();
    expect(Number(claims.exp) - Number(claims.iat)).toBe(3599);
    const verified = await fx.issuer.verifyGraphToken(String(body.access_token));
    expect(verified.roles).toContain('User.Read.All');
  });

  it('accepts HTTP Basic client authentication and the tenant domain', async () => {
    const basic = Buffer.from(
      `${encodeURIComponent(fx.backup.clientId)}:${encodeURIComponent(fx.backup.clientSecret)}`,
    ).toString('base64');
    const res = await fx.postForm(
      `${fx.issuer.url}/contoso.onmicrosoft.com/oauth2/v2.0/token`,
      credentialsForm({}),
      { authorization: `Basic ${basic}` },
    );
    expect(res.status).toBe(200);
    expect(decodeJwt(String(fx.json(res).access_token)).tid).toBe(TENANT_A);
  });

  it('rejects a wrong secret with 401 invalid_client AADSTS7000215', async () => {
    const res = await fx.postForm(
      tokenUrl,
      credentialsForm({ client_id: fx.backup.clientId, client_secret: `${fx.backup.clientSecret}x` }),
    );
    expect(res.status).toBe(401);
    const body = fx.json(res);
    expect(body.error).toBe('invalid_client');
    expect(body.error_codes).toEqual([7000215]);
    expect(body.trace_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.correlation_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects a missing credential with 401 invalid_client AADSTS7000218', async () => {
    const res = await fx.postForm(tokenUrl, credentialsForm({ client_id: fx.backup.clientId }));
    expect(res.status).toBe(401);
    expect(fx.json(res).error_codes).toEqual([7000218]);
  });

  it('rejects an unknown client with 400 unauthorized_client AADSTS700016', async () => {
    const res = await fx.postForm(
      tokenUrl,
      credentialsForm({ client_id: randomUUID(), client_secret: 'whatever' }),
    );
    expect(res.status).toBe(400);
    expect(fx.json(res)).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });
  });

  it('rejects scopes without /.default and scopes for two resources with invalid_scope', async () => {
    const creds = { client_id: fx.backup.clientId, client_secret: fx.backup.clientSecret };
    const noDefault = await fx.postForm(tokenUrl, {
      ...credentialsForm(creds),
      scope: 'https://graph.microsoft.com/User.Read.All',
    });
    expect(noDefault.status).toBe(400);
    expect(fx.json(noDefault)).toMatchObject({ error: 'invalid_scope', error_codes: [1002012] });
    const twoResources = await fx.postForm(tokenUrl, {
      ...credentialsForm(creds),
      scope: `${GRAPH_DEFAULT} https://api.botframework.com/.default`,
    });
    expect(twoResources.status).toBe(400);
    expect(fx.json(twoResources)).toMatchObject({ error: 'invalid_scope', error_codes: [70011] });
    const unknown = await fx.postForm(tokenUrl, {
      ...credentialsForm(creds),
      scope: 'api://nothing-here/.default',
    });
    expect(unknown.status).toBe(400);
    expect(fx.json(unknown)).toMatchObject({ error: 'invalid_resource', error_codes: [500011] });
  });

  it('rejects unsupported grant types and an unknown tenant', async () => {
    const grant = await fx.postForm(tokenUrl, { grant_type: 'password', client_id: fx.backup.clientId });
    expect(fx.json(grant)).toMatchObject({ error: 'unsupported_grant_type', error_codes: [70003] });
    const tenant = await fx.postForm(
      `${fx.issuer.url}/nosuch.example/oauth2/v2.0/token`,
      credentialsForm({ client_id: fx.backup.clientId, client_secret: fx.backup.clientSecret }),
    );
    expect(tenant.status).toBe(400);
    expect(fx.json(tenant).error_codes).toEqual([90002]);
  });

  it('refuses a tenant that never consented (no service principal) with AADSTS7000229', async () => {
    const res = await fx.postForm(
      `${fx.issuer.url}/${TENANT_B}/oauth2/v2.0/token`,
      credentialsForm({ client_id: fx.backup.clientId, client_secret: fx.backup.clientSecret }),
    );
    expect(res.status).toBe(400);
    expect(fx.json(res)).toMatchObject({ error: 'invalid_client', error_codes: [7000229] });
  });

  it('issues tokens without roles once consent is revoked, and with roles again after re-consent', async () => {
    const form = credentialsForm({ client_id: fx.restore.clientId, client_secret: fx.restore.clientSecret });
    fx.registry.revokeConsent(TENANT_A, fx.restore.clientId);
    const revoked = decodeJwt(String(fx.json(await fx.postForm(tokenUrl, form)).access_token));
    expect(revoked.roles).toBeUndefined();
    fx.registry.grantConsent(TENANT_A, fx.restore.clientId);
    const granted = decodeJwt(String(fx.json(await fx.postForm(tokenUrl, form)).access_token));
    expect(granted.roles).toContain('User.ReadWrite.All');
  });

  it('accepts a certificate client_assertion (x5t#S256) and rejects one signed by another key', async () => {
    const pems = await generate([{ name: 'commonName', value: 'backup-cert' }], {
      keySize: 2048,
      algorithm: 'sha256',
    });
    const thumbs = fx.registry.addCertificate(fx.backup.clientId, pems.cert);
    const assertion = (privateKeyPem: string, aud = tokenUrl) =>
      new SignJWT({ jti: randomUUID() })
        .setProtectedHeader({ alg: 'PS256', 'x5t#S256': thumbs.x5tS256 })
        .setIssuer(fx.backup.clientId)
        .setSubject(fx.backup.clientId)
        .setAudience(aud)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(createPrivateKey(privateKeyPem));
    const form = async (jwt: string) =>
      credentialsForm({
        client_id: fx.backup.clientId,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: jwt,
      });
    const ok = await fx.postForm(tokenUrl, await form(await assertion(pems.private)));
    expect(ok.status).toBe(200);
    expect(decodeJwt(String(fx.json(ok).access_token)).appidacr).toBe('2');

    const other = await generate([{ name: 'commonName', value: 'other' }], {
      keySize: 2048,
      algorithm: 'sha256',
    });
    const forged = await fx.postForm(tokenUrl, await form(await assertion(other.private)));
    expect(forged.status).toBe(401);
    expect(fx.json(forged)).toMatchObject({ error: 'invalid_client', error_codes: [700027] });

    const wrongAudience = await fx.postForm(
      tokenUrl,
      await form(await assertion(pems.private, 'https://elsewhere/token')),
    );
    expect(wrongAudience.status).toBe(401);
    expect(fx.json(wrongAudience).error).toBe('invalid_client');
  });

  it('issues Bot Framework connector tokens (aud api.botframework.com)', async () => {
    const res = await fx.postForm(
      `${fx.issuer.url}/botframework.com/oauth2/v2.0/token`,
      credentialsForm({
        client_id: fx.backup.clientId,
        client_secret: fx.backup.clientSecret,
        scope: 'https://api.botframework.com/.default',
      }),
    );
    expect(res.status).toBe(200);
    expect(decodeJwt(String(fx.json(res).access_token)).aud).toBe('https://api.botframework.com');
  });
});
