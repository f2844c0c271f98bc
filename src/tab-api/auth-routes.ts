// Browser flows outside the JSON API:
// - sign-in outside Teams: authorization code + PKCE at the token issuer. The verifier stays in
//   an HttpOnly cookie bound to the signed state (so a stolen redirect cannot be redeemed and a
//   forged callback cannot log a victim into someone else's session); the access token is handed
//   to the page in the URL fragment, which never reaches a server log.
// - the admin-consent callback: the signed state names the tenant and the admin who started it;
//   the redirect's own `tenant` parameter is never trusted.
import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'restify';
import type { AppContext } from '../app-context.ts';
import type { RestifyServer } from '../server/http-server.ts';
import { ensureTenant } from '../settings/tenant-settings.ts';
import type { FetchLike } from './auth/https-fetch.ts';
import type { StateSigner } from './auth/signed-state.ts';
import { StateError } from './auth/signed-state.ts';
import type { TabAuthSettings } from './auth/tab-auth-settings.ts';
import { escapeHtml, htmlPage } from './html-page.ts';
import { CONSENT_CALLBACK_PATH, CONSENT_PURPOSE, publicBaseUrl, SIGNIN_CALLBACK_PATH } from './public-url.ts';
import { securityHeaders } from './static-files.ts';

const SIGNIN_PURPOSE = 'tab-signin';
const PKCE_COOKIE = 'eb_tab_pkce';

export interface AuthRouteDeps {
  ctx: AppContext;
  auth: () => TabAuthSettings;
  states: StateSigner;
  fetch: () => FetchLike;
}

function sendPage(res: Response, status: number, html: string): void {
  securityHeaders(res);
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}

function safeReturnPath(value: unknown): string {
  // Only paths inside the tab: never an absolute URL (open redirect).
  return typeof value === 'string' && /^\/tab\/[A-Za-z0-9/_\-.?=&%]*$/.test(value) && !value.includes('//')
    ? value
    : '/tab/';
}

function readCookie(req: Request, name: string): string | undefined {
  const header = String(req.headers.cookie ?? '');
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

export function mountAuthRoutes(server: RestifyServer, deps: AuthRouteDeps): void {
  const { ctx, states } = deps;

  server.get('/auth/signin', async (req: Request, res: Response) => {
    const auth = deps.auth();
    if (!auth.tabClientId || !auth.scope) {
      sendPage(
        res,
        503,
        htmlPage(
          'Sign-in is not configured',
          'Set TAB_CLIENT_ID and TAB_DOMAIN (or run with the dev tenant).',
          'error',
        ),
      );
      return;
    }
    const query = (req.query ?? {}) as Record<string, unknown>;
    const verifier = randomBytes(32).toString('base64url');
    const nonce = randomBytes(16).toString('base64url');
    const state = states.sign(SIGNIN_PURPOSE, { c: nonce, r: safeReturnPath(query.returnTo) });
    const cookie = states.sign(`${SIGNIN_PURPOSE}-cookie`, { c: nonce, v: verifier });
    const url = new URL(auth.authorizeUrl('organizations'));
    url.searchParams.set('client_id', auth.tabClientId);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('redirect_uri', `${publicBaseUrl(ctx, req)}${SIGNIN_CALLBACK_PATH}`);
    url.searchParams.set('response_mode', 'query');
    url.searchParams.set('scope', `${auth.scope} openid profile`);
    url.searchParams.set('state', state);
    url.searchParams.set('code_challenge', createHash('sha256').update(verifier).digest('base64url'));
    url.searchParams.set('code_challenge_method', 'S256');
    if (typeof query.login_hint === 'string' && query.login_hint.length < 200) {
      url.searchParams.set('login_hint', query.login_hint);
    }
    const secure = publicBaseUrl(ctx, req).startsWith('https:') ? '; Secure' : '';
    res.header(
      'Set-Cookie',
      `${PKCE_COOKIE}=${cookie}; Path=${SIGNIN_CALLBACK_PATH}; HttpOnly; SameSite=Lax; Max-Age=600${secure}`,
    );
    res.header('Cache-Control', 'no-store');
    res.redirect(302, url.toString(), () => {});
  });

  server.get(SIGNIN_CALLBACK_PATH, async (req: Request, res: Response) => {
    const auth = deps.auth();
    const query = (req.query ?? {}) as Record<string, string | undefined>;
    const fail = (title: string, detail: string) =>
      sendPage(
        res,
        400,
        htmlPage(title, escapeHtml(detail), 'error', { href: '/auth/signin', label: 'Try again' }),
      );
    if (query.error)
      return fail('Sign-in was not completed', `${query.error}: ${query.error_description ?? ''}`);
    let returnTo: string;
    let verifier: string;
    try {
      const state = states.verify(SIGNIN_PURPOSE, String(query.state ?? ''));
      const cookie = states.verify(`${SIGNIN_PURPOSE}-cookie`, readCookie(req, PKCE_COOKIE) ?? '');
      if (cookie.c !== state.c) throw new StateError('this sign-in was started in another browser');
      returnTo = safeReturnPath(state.r);
      verifier = String(cookie.v);
    } catch (error) {
      return fail('Sign-in could not be verified', error instanceof Error ? error.message : String(error));
    }
    if (!query.code || !auth.tabClientId)
      return fail('Sign-in failed', 'The issuer returned no authorization code.');
    const form = new URLSearchParams({
      client_id: auth.tabClientId,
      grant_type: 'authorization_code',
      code: query.code,
      redirect_uri: `${publicBaseUrl(ctx, req)}${SIGNIN_CALLBACK_PATH}`,
      code_verifier: verifier,
      scope: `${auth.scope} openid profile`,
    });
    let token: string;
    try {
      const response = await deps.fetch()(auth.tokenUrl('organizations'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
      const body = (await response.json()) as {
        access_token?: string;
        error?: string;
        error_description?: string;
      };
      if (!response.ok || !body.access_token) {
        return fail(
          'Sign-in failed',
          `${body.error ?? response.status}: ${body.error_description ?? 'no token'}`,
        );
      }
      token = body.access_token;
    } catch (error) {
      ctx.log.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'tab sign-in: token redemption failed',
      );
      return fail('Sign-in failed', 'The token issuer could not be reached.');
    }
    res.header(
      'Set-Cookie',
      `${PKCE_COOKIE}=; Path=${SIGNIN_CALLBACK_PATH}; HttpOnly; SameSite=Lax; Max-Age=0`,
    );
    res.header('Cache-Control', 'no-store');
    res.redirect(302, `${returnTo}#access_token=${encodeURIComponent(token)}`, () => {});
  });

  server.get(CONSENT_CALLBACK_PATH, async (req: Request, res: Response) => {
    const query = (req.query ?? {}) as Record<string, string | undefined>;
    let payload: Record<string, unknown>;
    try {
      payload = states.verify(CONSENT_PURPOSE, String(query.state ?? ''));
    } catch (error) {
      // Forged, replayed or expired: nothing is recorded.
      ctx.log.warn(
        { reason: error instanceof Error ? error.message : String(error) },
        'consent callback refused',
      );
      return sendPage(
        res,
        400,
        htmlPage(
          'Consent result not accepted',
          `${escapeHtml(error instanceof Error ? error.message : 'invalid state')}. Nothing was changed. Start again from Settings.`,
          'error',
          { href: '/tab/settings', label: 'Back to settings' },
        ),
      );
    }
    const tenantId = String(payload.t);
    const app = payload.a === 'restore' ? 'restoreApp' : 'backupApp';
    const by = String(payload.o);
    const granted = !query.error && String(query.admin_consent ?? '').toLowerCase() === 'true';
    // The issuer's `tenant` must agree with the tenant the state was issued for.
    if (granted && query.tenant && query.tenant.toLowerCase() !== tenantId) {
      return sendPage(
        res,
        400,
        htmlPage(
          'Consent was granted in another tenant',
          'The consent was given for a different organization than the one you started from. Nothing was recorded.',
          'error',
          {
            href: '/tab/settings',
            label: 'Back to settings',
          },
        ),
      );
    }
    const now = ctx.now().toISOString();
    const settings = await ensureTenant(ctx.store, tenantId, ctx.now());
    const next = structuredClone(settings);
    const error = granted
      ? undefined
      : `${query.error ?? 'consent_not_granted'}: ${query.error_description ?? ''}`.slice(0, 500);
    next.consent[app] = { state: granted ? 'granted' : 'refused', at: now, by, ...(error ? { error } : {}) };
    next.updatedAt = now;
    await ctx.store.putSettings(next);
    await ctx.store.appendAudit({
      tenantId,
      actor: {
        tenantId,
        objectId: by,
        displayName: typeof payload.d === 'string' ? payload.d : undefined,
        kind: 'user',
      },
      action: granted ? 'consent.granted' : 'consent.refused',
      target: app,
      details: error ? { error } : {},
    });
    const label = app === 'restoreApp' ? 'restore app' : 'backup app';
    if (granted) {
      sendPage(
        res,
        200,
        htmlPage(
          `Admin consent granted`,
          `The ${label} may now access your directory. Backups start at the next scheduled run, or press Backup now on the dashboard.`,
          'success',
          {
            href: '/tab/settings',
            label: 'Back to settings',
          },
        ),
      );
    } else {
      sendPage(
        res,
        200,
        htmlPage(
          'Admin consent was not granted',
          `The ${label} was not given access. ${escapeHtml(error ?? '')}. You can try again from Settings at any time.`,
          'warning',
          {
            href: '/tab/settings',
            label: 'Back to settings',
          },
        ),
      );
    }
  });
}
