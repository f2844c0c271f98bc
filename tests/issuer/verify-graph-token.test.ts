import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TokenRejectReason, TokenVerificationError } from '../../src/devtenant/token-issuer.ts';
import { type IssuerFixture, startIssuerFixture, TENANT_A } from './issuer-fixture.ts';

let fx: IssuerFixture;
beforeAll(async () => {
  fx = await startIssuerFixture();
});
afterAll(() => fx.stop());

const graphClaims = { tid: TENANT_A, appid: 'app', idtyp: 'app', roles: ['User.Read.All'] };
const graphOptions = {
  issuer: `https://sts.windows.net/${TENANT_A}/`,
  audience: 'https://graph.microsoft.com',
};

async function reason(token: string): Promise<TokenRejectReason> {
  try {
    await fx.issuer.verifyGraphToken(token);
  } catch (err) {
    if (err instanceof TokenVerificationError) return err.reason;
    throw err;
  }
  throw new Error('token was accepted');
}

describe('verifyGraphToken', () => {
  it('accepts a token the issuer signed for Graph', async () => {
    const claims = await fx.issuer.verifyGraphToken(await fx.issuer.sign(graphClaims, graphOptions));
    expect(claims.tid).toBe(TENANT_A);
    expect(claims.roles).toEqual(['User.Read.All']);
  });

  it('rejects with a distinct reason: expired, wrong key, wrong audience, wrong issuer, not yet valid, garbage', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(
      await reason(
        await fx.issuer.sign(graphClaims, { ...graphOptions, issuedAt: now - 7200, expiresInSeconds: 3600 }),
      ),
    ).toBe('expired');
    expect(await reason(await fx.issuer.sign(graphClaims, { ...graphOptions, key: 'untrusted' }))).toBe(
      'bad_signature',
    );
    expect(await reason(await fx.issuer.sign(graphClaims, { ...graphOptions, kid: 'unknown-kid' }))).toBe(
      'bad_signature',
    );
    expect(
      await reason(
        await fx.issuer.sign(graphClaims, { ...graphOptions, audience: 'https://management.azure.com' }),
      ),
    ).toBe('wrong_audience');
    expect(
      await reason(
        await fx.issuer.sign(graphClaims, { ...graphOptions, issuer: 'https://sts.windows.net/other/' }),
      ),
    ).toBe('wrong_issuer');
    expect(await reason(await fx.issuer.sign(graphClaims, { ...graphOptions, issuedAt: now + 3600 }))).toBe(
      'not_yet_valid',
    );
    expect(await reason('not.a.jwt')).toBe('malformed');
    const tampered = await fx.issuer.sign(graphClaims, graphOptions);
    const [h, , s] = tampered.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({
        ...graphClaims,
        roles: ['Directory.ReadWrite.All'],
        ...{ iss: graphOptions.issuer, aud: graphOptions.audience, exp: now + 600 },
      }),
    ).toString('base64url');
    expect(await reason(`${h}.${forgedPayload}.${s}`)).toBe('bad_signature');
  });

  it('rejects tokens without a tenant', async () => {
    expect(await reason(await fx.issuer.sign({ appid: 'x' }, graphOptions))).toBe('missing_claims');
  });
});
