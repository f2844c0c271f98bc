import { createHash, randomBytes } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IssuerFixture, startIssuerFixture, TENANT_A } from './issuer-fixture.ts';

let fx: IssuerFixture;
const REDIRECT = 'http://localhost:5173/tab/auth-end';

beforeAll(async () => {
  fx = await startIssuerFixture();
});
afterAll(() => fx.stop());

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function signIn(login: string, challenge: string, extra: Record<string, string> = {}) {
  return fx.postForm(`${fx.issuer.url}/${TENANT_A}/oauth2/v2.0/authorize`, {
    client_id: fx.tab.clientId,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: `${fx.tab.resource}/access_as_user openid profile`,
    state: 'st',
    nonce: 'n-1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    login,
    ...extra,
  });
}

const redeem = (code: string, verifier: string, redirect = REDIRECT) =>
  fx.postForm(`${fx.issuer.url}/${TENANT_A}/oauth2/v2.0/token`, {
    grant_type: 'authorization_code',
    client_id: fx.tab.clientId,
    code,
    redirect_uri: redirect,
    code_verifier: verifier,
  });

describe('authorize endpoint (auth code + PKCE)', () => {
  it('shows a sign-in page listing dev users', async () => {
    const { challenge } = pkce();
    const url = `${fx.issuer.url}/${TENANT_A}/oauth2/v2.0/authorize?${new URLSearchParams({
      client_id: fx.tab.clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })}`;
    const res = await fx.request(url);
    expect(res.status).toBe(200);
    const html = res.body.toString('utf8');
    expect(html).toContain('adele@contoso.onmicrosoft.com');
    expect(html).toContain('Megan Bowen');
    expect(html).toContain('name="login"');
  });

  it('signs in, redeems the code with the verifier and returns a tab SSO token and an id_token', async () => {
    const { verifier, challenge } = pkce();
    const res = await signIn('adele@contoso.onmicrosoft.com', challenge);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.location);
    expect(location.searchParams.get('state')).toBe('st');
    const code = location.searchParams.get('code') ?? '';
    const tokenRes = await redeem(code, verifier);
    expect(tokenRes.status).toBe(200);
    const body = fx.json(tokenRes);
    const jwks = createLocalJWKSet(fx.json(await fx.request(fx.issuer.jwksUri)) as never);
    const { payload } = await jwtVerify(String(body.access_token), jwks, {
      audience: fx.tab.resource,
      issuer: fx.issuer.v2Issuer(TENANT_A),
    });
    expect(payload).toMatchObject({
      tid: TENANT_A,
      oid: 'a0000000-0000-4000-8000-000000000001',
      scp: 'access_as_user',
      azp: fx.tab.clientId,
      preferred_username: 'adele@contoso.onmicrosoft.com',
      ver: '2.0',
    });
    const idToken = decodeJwt(String(body.id_token));
    expect(idToken).toMatchObject({
      aud: fx.tab.clientId,
      nonce: 'n-1',
      oid: 'a0000000-0000-4000-8000-000000000001',
    });
    // A code is single use.
    const again = await redeem(code, verifier);
    expect(again.status).toBe(400);
    expect(fx.json(again)).toMatchObject({ error: 'invalid_grant', error_codes: [70008] });
  });

  it('rejects a wrong code_verifier with invalid_grant AADSTS50148', async () => {
    const { challenge } = pkce();
    const res = await signIn('megan@contoso.onmicrosoft.com', challenge);
    const code = new URL(res.headers.location).searchParams.get('code') ?? '';
    const tokenRes = await redeem(code, pkce().verifier);
    expect(tokenRes.status).toBe(400);
    expect(fx.json(tokenRes)).toMatchObject({ error: 'invalid_grant', error_codes: [50148] });
  });

  it('rejects redemption with another redirect_uri than the one the code was issued for', async () => {
    const { verifier, challenge } = pkce();
    const res = await signIn('megan@contoso.onmicrosoft.com', challenge);
    const code = new URL(res.headers.location).searchParams.get('code') ?? '';
    const tokenRes = await redeem(code, verifier, 'http://localhost:5173/other');
    expect(fx.json(tokenRes).error).toBe('invalid_grant');
  });

  it('re-shows the page for an unknown user, and requires PKCE from the public tab client', async () => {
    const unknown = await signIn('nobody@contoso.onmicrosoft.com', pkce().challenge);
    expect(unknown.status).toBe(200);
    expect(unknown.body.toString('utf8')).toContain('couldn&#39;t find an account');
    const noPkce = await signIn('adele@contoso.onmicrosoft.com', '', { code_challenge: '' });
    expect(noPkce.status).toBe(302);
    expect(new URL(noPkce.headers.location).searchParams.get('error')).toBe('invalid_request');
  });

  it('does not redirect to an unregistered redirect_uri', async () => {
    const res = await signIn('adele@contoso.onmicrosoft.com', pkce().challenge, {
      redirect_uri: 'https://evil.example.com/cb',
    });
    expect(res.status).toBe(400);
    expect(res.headers.location).toBeUndefined();
    expect(res.body.toString('utf8')).toContain('AADSTS50011');
  });
});
