import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOT_FRAMEWORK_ISSUER } from '../../src/devtenant/token-issuer.ts';
import { type IssuerFixture, startIssuerFixture, TENANT_A } from './issuer-fixture.ts';

let fx: IssuerFixture;
beforeAll(async () => {
  fx = await startIssuerFixture();
});
afterAll(() => fx.stop());

describe('token issuer discovery', () => {
  it('serves a v2 OpenID configuration per tenant, by id or domain', async () => {
    for (const segment of [TENANT_A, 'contoso.onmicrosoft.com']) {
      const res = await fx.request(`${fx.issuer.url}/${segment}/v2.0/.well-known/openid-configuration`);
      expect(res.status).toBe(200);
      const doc = fx.json(res);
      expect(doc.issuer).toBe(`${fx.issuer.url}/${TENANT_A}/v2.0`);
      expect(doc.token_endpoint).toBe(`${fx.issuer.url}/${segment}/oauth2/v2.0/token`);
      expect(doc.authorization_endpoint).toBe(`${fx.issuer.url}/${segment}/oauth2/v2.0/authorize`);
      expect(doc.jwks_uri).toBe(`${fx.issuer.url}/${segment}/discovery/v2.0/keys`);
      expect(doc.id_token_signing_alg_values_supported).toEqual(['RS256']);
    }
  });

  it('answers an unknown tenant with AADSTS90002 in Entra error shape', async () => {
    const res = await fx.request(
      `${fx.issuer.url}/nosuch.onmicrosoft.com/v2.0/.well-known/openid-configuration`,
    );
    expect(res.status).toBe(400);
    const body = fx.json(res);
    expect(body.error).toBe('invalid_request');
    expect(body.error_codes).toEqual([90002]);
    expect(String(body.error_description)).toMatch(
      /^AADSTS90002: .*\r\nTrace ID: .*\r\nCorrelation ID: .*\r\nTimestamp: /,
    );
  });

  it('publishes the signing key in the JWKS (tenant and common paths) and tokens verify against it', async () => {
    const token = await fx.issuer.sign({ tid: TENANT_A, sub: 'x' }, { audience: 'api://check' });
    for (const url of [
      fx.issuer.jwksUri,
      `${fx.issuer.url}/${TENANT_A}/discovery/v2.0/keys`,
      `${fx.issuer.url}/common/discovery/keys`,
      `${fx.issuer.url}/discovery/v2.0/keys`,
    ]) {
      const res = await fx.request(url);
      expect(res.status).toBe(200);
      const jwks = fx.json(res) as { keys: { kid: string; kty: string; x5c: string[]; d?: string }[] };
      expect(jwks.keys).toHaveLength(1);
      expect(jwks.keys[0].kty).toBe('RSA');
      expect(jwks.keys[0].x5c[0]).toMatch(/^MII/);
      expect(jwks.keys[0].d).toBeUndefined();
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks as never), {
        audience: 'api://check',
      });
      expect(payload.iss).toBe(fx.issuer.v2Issuer(TENANT_A));
    }
  });

  it('serves Bot Framework-shaped metadata whose keys verify bot activity tokens', async () => {
    const meta = fx.json(await fx.request(fx.issuer.botFrameworkMetadataUrl));
    expect(meta.issuer).toBe(BOT_FRAMEWORK_ISSUER);
    const jwks = fx.json(await fx.request(String(meta.jwks_uri))) as { keys: { endorsements: string[] }[] };
    expect(jwks.keys[0].endorsements).toContain('msteams');
    const botToken = await fx.issuer.sign(
      { serviceurl: 'https://127.0.0.1/connector' },
      { issuer: BOT_FRAMEWORK_ISSUER, audience: 'bot-app-id' },
    );
    const { payload } = await jwtVerify(botToken, createLocalJWKSet(jwks as never), {
      issuer: BOT_FRAMEWORK_ISSUER,
      audience: 'bot-app-id',
    });
    expect(payload.serviceurl).toBe('https://127.0.0.1/connector');
  });

  it('keeps the signing key across restarts when given a data dir', async () => {
    const before = fx.json(await fx.request(fx.issuer.jwksUri));
    const { startTokenIssuer } = await import('../../src/devtenant/token-issuer.ts');
    const second = await startTokenIssuer({
      tls: fx.tls,
      registry: fx.registry,
      dataDir: fx.dir,
      directory: { tenants: () => [], findUser: () => undefined },
    });
    try {
      const after = fx.json(await fx.request(second.jwksUri));
      expect(after).toEqual(before);
    } finally {
      await second.stop();
    }
  });
});
