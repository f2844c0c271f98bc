import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IssuerFixture, startIssuerFixture, TENANT_B } from './issuer-fixture.ts';

let fx: IssuerFixture;
const REDIRECT = 'https://backup.example.com/auth/consent/callback';

beforeAll(async () => {
  fx = await startIssuerFixture();
});
afterAll(() => fx.stop());

const consentUrl = (tenant: string, params: Record<string, string>, v2 = false) =>
  `${fx.issuer.url}/${tenant}/${v2 ? 'v2.0/' : ''}adminconsent?${new URLSearchParams(params)}`;

describe('admin consent', () => {
  it('shows a page naming the app and its permissions, with Accept and Cancel', async () => {
    const res = await fx.request(
      consentUrl(TENANT_B, { client_id: fx.backup.clientId, redirect_uri: REDIRECT, state: 's1' }),
    );
    expect(res.status).toBe(200);
    const html = res.body.toString('utf8');
    expect(html).toContain('Entra Backup (read)');
    expect(html).toContain('User.Read.All');
    expect(html).toMatch(/value="accept"[^>]*>Accept</);
    expect(html).toMatch(/value="cancel"[^>]*>Cancel</);
  });

  it('Accept grants consent in the tenant and redirects with admin_consent=True, tenant and state', async () => {
    expect(fx.registry.consentState(TENANT_B, fx.backup.clientId)).toBeUndefined();
    const res = await fx.postForm(`${fx.issuer.url}/fabrikam.onmicrosoft.com/adminconsent`, {
      client_id: fx.backup.clientId,
      redirect_uri: REDIRECT,
      state: 'xyz 1',
      decision: 'accept',
    });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.location);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get('admin_consent')).toBe('True');
    expect(location.searchParams.get('tenant')).toBe(TENANT_B);
    expect(location.searchParams.get('state')).toBe('xyz 1');
    expect(fx.registry.consentState(TENANT_B, fx.backup.clientId)).toBe('granted');
    expect(fx.registry.grantedGraphRoles(TENANT_B, fx.backup.clientId)).toContain('Directory.Read.All');
  });

  it('v2 endpoint echoes the scope; organizations decides the tenant from the admin account', async () => {
    const res = await fx.postForm(`${fx.issuer.url}/organizations/v2.0/adminconsent`, {
      client_id: fx.backup.clientId,
      redirect_uri: 'http://localhost:41234/auth/consent/callback',
      scope: 'https://graph.microsoft.com/.default',
      state: 's2',
      login: 'lee@fabrikam.onmicrosoft.com',
      decision: 'accept',
    });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.location);
    // Loopback redirect URIs match whatever the port.
    expect(location.port).toBe('41234');
    expect(location.searchParams.get('tenant')).toBe(TENANT_B);
    expect(location.searchParams.get('scope')).toBe('https://graph.microsoft.com/.default');
  });

  it('Cancel redirects with error=access_denied and the state, granting nothing', async () => {
    fx.registry.revokeConsent(TENANT_B, fx.restore.clientId);
    fx.registry.setRedirectUris(fx.restore.clientId, [REDIRECT]);
    const res = await fx.postForm(`${fx.issuer.url}/${TENANT_B}/adminconsent`, {
      client_id: fx.restore.clientId,
      redirect_uri: REDIRECT,
      state: 's3',
      decision: 'cancel',
    });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.location);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('error_description')).toMatch(/canceled/);
    expect(location.searchParams.get('state')).toBe('s3');
    expect(location.searchParams.get('admin_consent')).toBeNull();
    expect(fx.registry.consentState(TENANT_B, fx.restore.clientId)).toBe('revoked');
  });

  it('never redirects to an unregistered redirect_uri (AADSTS50011 error page)', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const params = {
        client_id: fx.backup.clientId,
        redirect_uri: 'https://evil.example.com/cb',
        state: 's',
        decision: 'accept',
      };
      const res =
        method === 'GET'
          ? await fx.request(consentUrl(TENANT_B, params))
          : await fx.postForm(`${fx.issuer.url}/${TENANT_B}/adminconsent`, params);
      expect(res.status).toBe(400);
      expect(res.headers.location).toBeUndefined();
      expect(res.body.toString('utf8')).toContain('AADSTS50011');
    }
  });

  it('answers an unknown client with an AADSTS700016 error page', async () => {
    const res = await fx.request(
      consentUrl(TENANT_B, { client_id: '00000000-0000-0000-0000-000000000000', redirect_uri: REDIRECT }),
    );
    expect(res.status).toBe(400);
    expect(res.body.toString('utf8')).toContain('AADSTS700016');
  });
});
