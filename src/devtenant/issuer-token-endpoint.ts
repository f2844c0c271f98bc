// The v2 token endpoint: client credentials (secret, Basic or certificate assertion) giving
// app tokens in Entra's v1 shape for Graph (roles = consented permissions), Bot Framework and
// the product's own APIs; and authorization-code redemption with PKCE giving user tokens
// (tab SSO: v2 shape with scp) and id_tokens.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWTPayload } from 'jose';
import type { AppRegistration } from './app-registry.ts';
import { authenticateClient } from './issuer-client-auth.ts';
import {
  BOT_FRAMEWORK_RESOURCE,
  clientInfo,
  GRAPH_APP_ID,
  GRAPH_RESOURCE,
  type IssuerContext,
  OIDC_SCOPES,
  type ResolvedTenant,
  scopeResource,
} from './issuer-context.ts';
import { oauthErrors } from './issuer-errors.ts';
import { header, readBody, sendJson } from './issuer-http.ts';

export class TokenEndpoint {
  constructor(private readonly ctx: IssuerContext) {}

  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    tenant: ResolvedTenant | undefined,
    segment: string,
  ) {
    const contentType = header(req, 'content-type') ?? '';
    if (!contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      throw oauthErrors.badRequest("The request body must be 'application/x-www-form-urlencoded'.");
    }
    const form = new URLSearchParams(await readBody(req));
    const grantType = form.get('grant_type');
    if (!grantType) throw oauthErrors.missingParameter('grant_type');
    if (!tenant) throw oauthErrors.unknownTenant(segment);
    const audiences = this.assertionAudiences(segment, tenant);
    if (grantType === 'client_credentials') {
      if (tenant.multi) throw oauthErrors.tenantRequired(segment);
      const client = await authenticateClient(form, header(req, 'authorization'), this.ctx.options.registry, {
        tenantLabel: segment,
        assertionAudiences: audiences,
        allowPublicClient: false,
      });
      const body = await this.clientCredentials(form, tenant.tenantId, client.clientId, client.appidacr);
      return sendJson(res, 200, body);
    }
    if (grantType === 'authorization_code') {
      const client = await authenticateClient(form, header(req, 'authorization'), this.ctx.options.registry, {
        tenantLabel: segment,
        assertionAudiences: audiences,
        allowPublicClient: true,
      });
      return sendJson(res, 200, await this.redeemCode(form, client.clientId, client.appidacr));
    }
    throw oauthErrors.unsupportedGrant(grantType);
  }

  private assertionAudiences(segment: string, tenant: ResolvedTenant): string[] {
    const names = new Set([segment]);
    if (!tenant.multi) {
      names.add(tenant.tenantId);
      names.add(tenant.domain);
    }
    return [...names].flatMap((n) => [`${this.ctx.url}/${n}/oauth2/v2.0/token`, `${this.ctx.url}/${n}/v2.0`]);
  }

  private async clientCredentials(
    form: URLSearchParams,
    tenantId: string,
    clientId: string,
    appidacr: string,
  ) {
    const scopeParam = form.get('scope');
    if (!scopeParam) throw oauthErrors.missingParameter('scope');
    const scopes = scopeParam.split(/\s+/).filter(Boolean);
    for (const scope of scopes) if (!scope.endsWith('/.default')) throw oauthErrors.scopeNotDefault(scope);
    const resources = new Set(scopes.map((s) => s.slice(0, -'/.default'.length).replace(/\/+$/, '')));
    if (resources.size !== 1) throw oauthErrors.invalidScope(scopeParam);
    const resource = [...resources][0];
    const registry = this.ctx.options.registry;
    const app = registry.get(clientId);
    if (!app) throw oauthErrors.unknownClient(clientId, tenantId);
    const base = {
      tid: tenantId,
      appid: clientId,
      appidacr,
      app_displayname: app.displayName,
      idp: `https://sts.windows.net/${tenantId}/`,
      idtyp: 'app',
      oid: registry.servicePrincipalId(tenantId, clientId),
      sub: registry.servicePrincipalId(tenantId, clientId),
      ver: '1.0',
      uti: randomBytes(16).toString('base64url'),
    };
    let claims: JWTPayload;
    if (resource === GRAPH_RESOURCE || resource === GRAPH_APP_ID) {
      const consent = registry.consentState(tenantId, clientId);
      if (!consent) throw oauthErrors.missingServicePrincipal(clientId, tenantId);
      const roles = registry.grantedGraphRoles(tenantId, clientId);
      // Entra omits `roles` entirely when no application permission is granted.
      claims = {
        ...base,
        aud: GRAPH_RESOURCE,
        iss: `https://sts.windows.net/${tenantId}/`,
        ...(roles.length ? { roles } : {}),
      };
    } else if (resource === BOT_FRAMEWORK_RESOURCE) {
      claims = { ...base, aud: BOT_FRAMEWORK_RESOURCE, iss: `https://sts.windows.net/${tenantId}/` };
    } else {
      const target = registry.findByResource(resource);
      if (!target) throw oauthErrors.unknownResource(resource, tenantId);
      claims = this.apiClaims(target, resource, tenantId, base);
    }
    const accessToken = await this.ctx.sign(claims);
    return {
      token_type: 'Bearer',
      expires_in: this.ctx.lifetime,
      ext_expires_in: this.ctx.lifetime,
      access_token: accessToken,
    };
  }

  /** Token for one of the registered APIs: v2 shape (azp) or v1 (appid) per the API's setting. */
  private apiClaims(
    target: AppRegistration,
    resource: string,
    tenantId: string,
    base: Record<string, unknown>,
  ): JWTPayload {
    if (target.accessTokenAcceptedVersion === 2) {
      const { appid, appidacr, ...rest } = base;
      return {
        ...rest,
        aud: resource,
        iss: this.ctx.v2Issuer(tenantId),
        azp: appid,
        azpacr: appidacr,
        ver: '2.0',
      };
    }
    return { ...base, aud: resource, iss: `https://sts.windows.net/${tenantId}/` };
  }

  private async redeemCode(form: URLSearchParams, clientId: string, appidacr: string) {
    const code = form.get('code');
    if (!code) throw oauthErrors.missingParameter('code');
    const pending = this.ctx.codes.get(code);
    // A code is single use: whatever happens next, it is gone.
    this.ctx.codes.delete(code);
    if (!pending || pending.expiresAt < Date.now() || pending.clientId !== clientId)
      throw oauthErrors.badCode();
    if (form.get('redirect_uri') !== pending.redirectUri) throw oauthErrors.codeRedirectMismatch();
    if (pending.codeChallenge) {
      const verifier = form.get('code_verifier');
      if (!verifier) throw oauthErrors.pkceMismatch();
      const computed =
        pending.codeChallengeMethod === 'S256'
          ? createHash('sha256').update(verifier).digest('base64url')
          : verifier;
      if (computed !== pending.codeChallenge) throw oauthErrors.pkceMismatch();
    }
    const { tenantId, user } = pending;
    const resourceScopes = pending.scopes.filter((s) => !OIDC_SCOPES.has(s));
    const resources = new Set(resourceScopes.map(scopeResource));
    if (resources.size > 1) throw oauthErrors.invalidScope(pending.scopes.join(' '));
    const resource = resources.size ? [...resources][0] : GRAPH_RESOURCE;
    const scp = resourceScopes.map((s) => s.slice(s.lastIndexOf('/') + 1)).join(' ') || 'User.Read';
    const userClaims = {
      tid: tenantId,
      oid: user.id,
      sub: createHash('sha256').update(`${clientId}:${user.id}`).digest('base64url').slice(0, 43),
      name: user.displayName,
      scp,
      uti: randomBytes(16).toString('base64url'),
    };
    let claims: JWTPayload;
    if (resource === GRAPH_RESOURCE || resource === GRAPH_APP_ID) {
      claims = {
        ...userClaims,
        aud: GRAPH_RESOURCE,
        iss: `https://sts.windows.net/${tenantId}/`,
        appid: clientId,
        appidacr,
        upn: user.userPrincipalName,
        idtyp: 'user',
        ver: '1.0',
      };
    } else {
      const target = this.ctx.options.registry.findByResource(resource);
      if (!target) throw oauthErrors.unknownResource(resource, tenantId);
      for (const s of scp.split(' '))
        if (!target.exposedScopes.includes(s)) throw oauthErrors.invalidScope(`${resource}/${s}`);
      claims =
        target.accessTokenAcceptedVersion === 2
          ? {
              ...userClaims,
              aud: resource,
              iss: this.ctx.v2Issuer(tenantId),
              azp: clientId,
              azpacr: appidacr,
              preferred_username: user.userPrincipalName,
              ver: '2.0',
            }
          : {
              ...userClaims,
              aud: resource,
              iss: `https://sts.windows.net/${tenantId}/`,
              appid: clientId,
              appidacr,
              upn: user.userPrincipalName,
              ver: '1.0',
            };
    }
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: resourceScopes.join(' ') || `${GRAPH_RESOURCE}/User.Read`,
      expires_in: this.ctx.lifetime,
      ext_expires_in: this.ctx.lifetime,
      access_token: await this.ctx.sign(claims),
      client_info: clientInfo(user.id, tenantId),
    };
    if (pending.scopes.includes('openid')) {
      body.id_token = await this.ctx.sign({
        aud: clientId,
        iss: this.ctx.v2Issuer(tenantId),
        tid: tenantId,
        oid: user.id,
        sub: userClaims.sub,
        name: user.displayName,
        preferred_username: user.userPrincipalName,
        ...(pending.nonce ? { nonce: pending.nonce } : {}),
        ver: '2.0',
      });
    }
    return body;
  }
}
