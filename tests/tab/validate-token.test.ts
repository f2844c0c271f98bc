// The tab API's token validation on its own: every way a token can be wrong is refused with
// the right status, and a good token yields the identity from the token only.
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTokenValidator,
  TabAuthError,
  type TokenValidator,
} from '../../src/tab-api/auth/validate-token.ts';

const ISSUER_BASE = 'https://login.example.test';
const CLIENT_ID = '11111111-2222-4333-8444-555555555555';
const APP_URI = `api://localhost/${CLIENT_ID}`;
const TENANT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const OTHER_TENANT = 'ffffffff-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const USER = '99999999-8888-4777-8666-555555555555';

let validate: TokenValidator;
let sign: (
  claims: JWTPayload,
  opts?: { expSeconds?: number; iatOffset?: number; key?: 'good' | 'rogue' },
) => Promise<string>;

beforeAll(async () => {
  const good = await generateKeyPair('RS256');
  const rogue = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(good.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  validate = createTokenValidator({
    keys: createLocalJWKSet({ keys: [jwk] }),
    audiences: [APP_URI, CLIENT_ID],
    issuerFor: (tid) => `${ISSUER_BASE}/${tid}/v2.0`,
  });
  sign = async (claims, opts = {}) => {
    const now = Math.floor(Date.now() / 1000) + (opts.iatOffset ?? 0);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + (opts.expSeconds ?? 3600))
      .sign(opts.key === 'rogue' ? rogue.privateKey : good.privateKey);
  };
});

const base = (): JWTPayload => ({
  iss: `${ISSUER_BASE}/${TENANT}/v2.0`,
  aud: APP_URI,
  tid: TENANT,
  oid: USER,
  scp: 'access_as_user',
  name: 'Adele Vance',
  preferred_username: 'adele@contoso.test',
});

async function refusal(authorization: string | undefined): Promise<TabAuthError> {
  try {
    await validate(authorization);
  } catch (error) {
    if (error instanceof TabAuthError) return error;
    throw error;
  }
  throw new Error('the token was accepted');
}

describe('tab token validation', () => {
  it('accepts a good token and takes tenant and user from it', async () => {
    const identity = await validate(`Bearer ${await sign(base())}`);
    expect(identity.principal).toEqual({
      tenantId: TENANT,
      objectId: USER,
      displayName: 'Adele Vance',
      kind: 'user',
    });
    expect(identity.username).toBe('adele@contoso.test');
  });

  it('accepts the bare client id as audience (v2 tokens)', async () => {
    await expect(validate(`Bearer ${await sign({ ...base(), aud: CLIENT_ID })}`)).resolves.toBeTruthy();
  });

  it('refuses a missing or non-bearer header with 401', async () => {
    expect((await refusal(undefined)).status).toBe(401);
    expect((await refusal('Basic abc')).status).toBe(401);
  });

  it('refuses an unsigned token (alg none)', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const payload = Buffer.from(JSON.stringify({ ...base(), iat: now, exp: now + 600 })).toString(
      'base64url',
    );
    const error = await refusal(`Bearer ${header}.${payload}.`);
    expect(error.status).toBe(401);
  });

  it('refuses a token signed by a key the issuer never published', async () => {
    const error = await refusal(`Bearer ${await sign(base(), { key: 'rogue' })}`);
    expect(error.status).toBe(401);
  });

  it('refuses an expired token', async () => {
    const error = await refusal(`Bearer ${await sign(base(), { iatOffset: -7200, expSeconds: 3600 })}`);
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/expired/);
  });

  it('refuses a token for another audience', async () => {
    const error = await refusal(`Bearer ${await sign({ ...base(), aud: 'https://graph.microsoft.com' })}`);
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/audience/);
  });

  it('refuses a token from another issuer', async () => {
    const error = await refusal(
      `Bearer ${await sign({ ...base(), iss: `https://evil.test/${TENANT}/v2.0` })}`,
    );
    expect(error.message).toMatch(/issuer/);
  });

  it('refuses a token whose tid does not match its issuer (forged tenant)', async () => {
    // Issued by TENANT's issuer but claiming OTHER_TENANT: the issuer check binds the two.
    const error = await refusal(`Bearer ${await sign({ ...base(), tid: OTHER_TENANT })}`);
    expect(error.status).toBe(401);
  });

  it('refuses a token without the access_as_user scope with 403', async () => {
    const error = await refusal(`Bearer ${await sign({ ...base(), scp: 'User.Read' })}`);
    expect(error.status).toBe(403);
    expect(error.code).toBe('insufficient_scope');
  });

  it('refuses a token without a user object id', async () => {
    const { oid: _oid, ...noOid } = base();
    expect((await refusal(`Bearer ${await sign(noOid)}`)).status).toBe(401);
  });
});
