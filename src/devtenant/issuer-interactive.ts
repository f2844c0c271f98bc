// The browser-facing endpoints: authorize (sign-in page listing dev users; auth code + PKCE)
// and admin consent (Accept / Cancel). redirect_uri is checked against the app's registered
// URIs before anything is redirected; errors before that are shown as pages.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CODE_LIFETIME_MS, clientInfo, type IssuerContext, type ResolvedTenant } from './issuer-context.ts';
import { oauthErrors } from './issuer-errors.ts';
import { HttpError, readBody, redirectTo, sendHtml } from './issuer-http.ts';
import { consentPage, signInPage } from './issuer-pages.ts';

export class InteractiveEndpoints {
  constructor(private readonly ctx: IssuerContext) {}

  async authorize(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    tenant: ResolvedTenant | undefined,
    segment: string,
  ) {
    const params = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : url.searchParams;
    if (!tenant) throw new HttpError(400, 'Sign in failed', `AADSTS90002: Tenant '${segment}' not found.`);
    const clientId = params.get('client_id') ?? '';
    const app = this.ctx.options.registry.get(clientId);
    if (!app)
      throw new HttpError(400, 'Sign in failed', oauthErrors.unknownClient(clientId, segment).message);
    const redirectUri = params.get('redirect_uri') ?? '';
    if (!this.ctx.options.registry.isRedirectUriAllowed(clientId, redirectUri)) {
      throw new HttpError(400, 'Sign in failed', oauthErrors.redirectMismatch(redirectUri, clientId).message);
    }
    const state = params.get('state') ?? undefined;
    const responseMode = params.get('response_mode') ?? 'query';
    const fail = (error: string, description: string) =>
      redirectTo(res, redirectUri, responseMode, { error, error_description: description, state });
    if (params.get('response_type') !== 'code') {
      return fail(
        'unsupported_response_type',
        'AADSTS700054: Only response_type=code is supported by this issuer.',
      );
    }
    const scopes = (params.get('scope') ?? '').split(/\s+/).filter(Boolean);
    if (!scopes.length)
      return fail(
        'invalid_request',
        "AADSTS900144: The request body must contain the following parameter: 'scope'.",
      );
    const challenge = params.get('code_challenge') ?? undefined;
    const challengeMethod = params.get('code_challenge_method') ?? (challenge ? 'plain' : undefined);
    if (app.publicClient && !challenge) return fail('invalid_request', oauthErrors.pkceRequired().message);
    if (challengeMethod && challengeMethod !== 'S256' && challengeMethod !== 'plain') {
      return fail('invalid_request', 'AADSTS501491: Invalid code_challenge_method.');
    }
    const fields: Record<string, string | undefined> = {};
    for (const name of [
      'client_id',
      'redirect_uri',
      'response_type',
      'scope',
      'state',
      'nonce',
      'code_challenge',
      'code_challenge_method',
      'response_mode',
    ]) {
      fields[name] = params.get(name) ?? undefined;
    }
    const pageInput = {
      appName: app.displayName,
      tenantLabel: tenant.multi ? 'any organization' : tenant.domain,
      action: url.pathname,
      fields,
      users:
        !tenant.multi && this.ctx.options.directory.listUsers
          ? this.ctx.options.directory.listUsers(tenant.tenantId, 10)
          : [],
    };
    const login = params.get('login');
    if (req.method !== 'POST' || !login) {
      return sendHtml(
        res,
        200,
        signInPage({ ...pageInput, loginHint: params.get('login_hint') ?? undefined }),
      );
    }
    const found = this.ctx.findUser(tenant, login);
    if (!found) {
      return sendHtml(
        res,
        200,
        signInPage({
          ...pageInput,
          loginHint: login,
          error: "We couldn't find an account with that username.",
        }),
      );
    }
    const code = randomBytes(32).toString('base64url');
    this.pruneCodes();
    this.ctx.codes.set(code, {
      clientId,
      redirectUri,
      tenantId: found.tenantId,
      user: found.user,
      scopes,
      codeChallenge: challenge,
      codeChallengeMethod: challengeMethod,
      nonce: params.get('nonce') ?? undefined,
      expiresAt: Date.now() + CODE_LIFETIME_MS,
    });
    return redirectTo(res, redirectUri, responseMode, {
      code,
      state,
      client_info: clientInfo(found.user.id, found.tenantId),
    });
  }

  async adminConsent(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    tenant: ResolvedTenant | undefined,
    segment: string,
    v2: boolean,
  ) {
    const params = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : url.searchParams;
    if (!tenant)
      throw new HttpError(400, 'Admin consent failed', `AADSTS90002: Tenant '${segment}' not found.`);
    if (v2 && tenant.multi && tenant.name !== 'organizations') {
      throw new HttpError(
        400,
        'Admin consent failed',
        `AADSTS90009: Admin consent needs a tenant id, domain or 'organizations', not '${segment}'.`,
      );
    }
    const clientId = params.get('client_id') ?? '';
    const app = this.ctx.options.registry.get(clientId);
    if (!app)
      throw new HttpError(400, 'Admin consent failed', oauthErrors.unknownClient(clientId, segment).message);
    const redirectUri = params.get('redirect_uri') ?? app.redirectUris[0] ?? '';
    if (!this.ctx.options.registry.isRedirectUriAllowed(clientId, redirectUri)) {
      throw new HttpError(
        400,
        'Admin consent failed',
        oauthErrors.redirectMismatch(redirectUri, clientId).message,
      );
    }
    const state = params.get('state') ?? undefined;
    const scope = params.get('scope') ?? undefined;
    if (v2 && !scope) {
      return redirectTo(res, redirectUri, 'query', {
        error: 'invalid_request',
        error_description: "AADSTS900144: The request body must contain the following parameter: 'scope'.",
        state,
      });
    }
    const decision = req.method === 'POST' ? params.get('decision') : null;
    if (decision === 'cancel') {
      return redirectTo(res, redirectUri, 'query', {
        error: 'access_denied',
        error_description: 'The admin canceled the request',
        state,
      });
    }
    const fields = { client_id: clientId, redirect_uri: redirectUri, state, scope };
    const pageInput = {
      appName: app.displayName,
      tenantLabel: tenant.multi ? 'your organization' : tenant.domain,
      action: url.pathname,
      fields,
      permissions: app.graphAppRoles.map((r) => `Microsoft Graph: ${r} (application)`),
      askLogin: tenant.multi,
    };
    if (decision !== 'accept') return sendHtml(res, 200, consentPage(pageInput));
    let tenantId: string;
    if (tenant.multi) {
      const found = this.ctx.findUser(tenant, params.get('login') ?? '');
      if (!found)
        return sendHtml(
          res,
          200,
          consentPage({ ...pageInput, error: "We couldn't find an account with that username." }),
        );
      tenantId = found.tenantId;
    } else {
      tenantId = tenant.tenantId;
    }
    this.ctx.options.registry.grantConsent(tenantId, clientId);
    this.ctx.options.logger?.info({ tenantId, clientId }, 'token issuer: admin consent granted');
    return redirectTo(res, redirectUri, 'query', {
      admin_consent: 'True',
      tenant: tenantId,
      state,
      ...(v2 ? { scope } : {}),
    });
  }

  private pruneCodes(): void {
    const now = Date.now();
    for (const [code, pending] of this.ctx.codes) if (pending.expiresAt < now) this.ctx.codes.delete(code);
  }
}
