// The dev tenant's token issuer: a local OpenID Connect provider on loopback that answers as
// login.microsoftonline.com does for what the product uses: discovery, JWKS, the v2 token
// endpoint (client credentials with secret, Basic or certificate assertion; authorization code
// with PKCE), the authorize endpoint with a sign-in page for dev users, and admin consent.
// Graph access tokens are RS256 JWTs in Entra's v1 shape; jose does the crypto. HTTPS only:
// msal-node refuses http: authorities.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors as joseErrors, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import type { Logger } from '../log.ts';
import type { AppRegistration, AppRegistry } from './app-registry.ts';
import { authenticateClient } from './issuer-client-auth.ts';
import { EntraOAuthError, entraErrorBody, oauthErrors } from './issuer-errors.ts';
import { type IssuerKeys, loadOrCreateIssuerKeys, publicJwks } from './issuer-keys.ts';
import { consentPage, errorPage, formPostPage, signInPage } from './issuer-pages.ts';

export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
export const BOT_FRAMEWORK_RESOURCE = 'https://api.botframework.com';
/** The issuer of Bot Framework channel tokens (activities sent to the bot). */
export const BOT_FRAMEWORK_ISSUER = 'https://api.botframework.com';
/** Bot Framework's own tenant (tokens for the connector are requested from it). */
export const BOT_FRAMEWORK_TENANT_ID = 'd6d49420-f39b-4df7-a1dc-d59a935871db';

export interface DirectoryUser {
  id: string;
  displayName: string;
  userPrincipalName: string;
}

/** What the issuer needs to know of the simulated directory (given by the dev tenant). */
export interface IssuerDirectory {
  tenants(): { tenantId: string; domain: string }[];
  findUser(tenantId: string, login: string): DirectoryUser | undefined;
  /** Optional: a few users the sign-in page offers to pick. */
  listUsers?(tenantId: string, limit: number): DirectoryUser[];
}

export interface TokenIssuerOptions {
  host?: string;
  port?: number;
  tls: { key: string; cert: string };
  registry: AppRegistry;
  directory: IssuerDirectory;
  /** Persist the signing key here (kept across restarts); ephemeral when absent. */
  dataDir?: string;
  /** Lifetime of issued access tokens; Entra's default is about an hour. */
  accessTokenLifetimeSeconds?: number;
  logger?: Logger;
}

export interface SignOptions {
  expiresInSeconds?: number;
  /** `iss`; defaults to claims.iss, else the tenant's v2 issuer when claims.tid is set. */
  issuer?: string;
  /** `aud`; defaults to claims.aud. */
  audience?: string;
  /** Header kid; defaults to the primary key's kid. */
  kid?: string;
  /** 'untrusted' signs with a key the JWKS never publishes (wrong-key tests). */
  key?: 'primary' | 'untrusted';
  /** `iat`/`nbf` in epoch seconds (default now). */
  issuedAt?: number;
}

/** Claims of a Graph access token as the Graph simulator sees them after verification. */
export interface GraphTokenClaims extends JWTPayload {
  tid: string;
  oid?: string;
  appid?: string;
  appidacr?: string;
  idtyp?: string;
  /** Application permissions (app tokens); empty when none were granted. */
  roles: string[];
  /** Delegated scopes (user tokens). */
  scp?: string;
}

export type TokenRejectReason =
  | 'malformed'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_audience'
  | 'wrong_issuer'
  | 'missing_claims';

export class TokenVerificationError extends Error {
  override readonly name = 'TokenVerificationError';
  constructor(
    readonly reason: TokenRejectReason,
    message: string,
  ) {
    super(message);
  }
}

export interface TokenIssuer {
  /** Base URL, e.g. https://127.0.0.1:3980 */
  readonly url: string;
  /** msal authority for a tenant: `${url}/${tenantId}`. */
  authority(tenantId: string): string;
  /** The tenant's v2 token issuer (`iss` of v2 user tokens, e.g. tab SSO). */
  v2Issuer(tenantId: string): string;
  /** JWKS of the issuer (the same keys for every tenant, as Entra does). */
  readonly jwksUri: string;
  /** OpenID metadata shaped like Bot Framework's, for the bot's channel-token validation. */
  readonly botFrameworkMetadataUrl: string;
  readonly botFrameworkIssuer: string;
  /** Signs arbitrary claims (tests: bot activity tokens, tab SSO tokens, wrong-key tokens). */
  sign(claims: JWTPayload, options?: SignOptions): Promise<string>;
  /** Verifies a Graph access token: signature, expiry, audience, issuer. */
  verifyGraphToken(token: string): Promise<GraphTokenClaims>;
  stop(): Promise<void>;
}

const GRAPH_AUDIENCES = [GRAPH_RESOURCE, `${GRAPH_RESOURCE}/`, GRAPH_APP_ID];
const MULTI_TENANT = new Set(['common', 'organizations', 'consumers']);
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
const CODE_LIFETIME_MS = 10 * 60_000;
const MAX_BODY = 64 * 1024;

type ResolvedTenant = { tenantId: string; domain: string; multi: false } | { multi: true; name: string };

interface PendingCode {
  clientId: string;
  redirectUri: string;
  tenantId: string;
  user: DirectoryUser;
  scopes: string[];
  codeChallenge?: string;
  codeChallengeMethod?: string;
  nonce?: string;
  expiresAt: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startTokenIssuer(options: TokenIssuerOptions): Promise<TokenIssuer> {
  const keys = await loadOrCreateIssuerKeys(options.dataDir);
  const impl = new TokenIssuerServer(options, keys);
  await impl.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return impl;
}

class TokenIssuerServer implements TokenIssuer {
  url = '';
  readonly botFrameworkIssuer = BOT_FRAMEWORK_ISSUER;
  private readonly server: https.Server;
  private readonly codes = new Map<string, PendingCode>();
  private readonly lifetime: number;

  constructor(
    private readonly options: TokenIssuerOptions,
    private readonly keys: IssuerKeys,
  ) {
    this.lifetime = options.accessTokenLifetimeSeconds ?? 3599;
    this.server = https.createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        options.logger?.error({ err, path: req.url?.split('?')[0] }, 'token issuer: unhandled error');
        if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: 'Internal error' });
        else res.end();
      });
    });
  }

  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.url = `https://${hostPart}:${address.port}`;
  }

  get jwksUri(): string {
    return `${this.url}/common/discovery/v2.0/keys`;
  }

  get botFrameworkMetadataUrl(): string {
    return `${this.url}/botframework/v1/.well-known/openidconfiguration`;
  }

  authority(tenantId: string): string {
    return `${this.url}/${tenantId}`;
  }

  v2Issuer(tenantId: string): string {
    return `${this.url}/${tenantId}/v2.0`;
  }

  async sign(claims: JWTPayload, opts: SignOptions = {}): Promise<string> {
    const key = opts.key === 'untrusted' ? this.keys.untrusted : this.keys.primary;
    const now = opts.issuedAt ?? Math.floor(Date.now() / 1000);
    const issuer =
      opts.issuer ?? claims.iss ?? (typeof claims.tid === 'string' ? this.v2Issuer(claims.tid) : undefined);
    const audience = opts.audience ?? claims.aud;
    if (!issuer) throw new Error('sign(): no issuer (give options.issuer, claims.iss or claims.tid)');
    if (!audience) throw new Error('sign(): no audience (give options.audience or claims.aud)');
    return new SignJWT({ ...claims, iss: issuer, aud: audience })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: opts.kid ?? this.keys.primary.kid, x5t: this.keys.primary.kid })
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + (opts.expiresInSeconds ?? this.lifetime))
      .sign(key.privateKey);
  }

  async verifyGraphToken(token: string): Promise<GraphTokenClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, async (header) => {
        if (header.kid !== this.keys.primary.kid) {
          throw new TokenVerificationError('bad_signature', `Signing key '${header.kid ?? '(none)'}' is not one of the issuer's keys.`);
        }
        return this.keys.primary.publicKey;
      }, { algorithms: ['RS256'], audience: GRAPH_AUDIENCES, clockTolerance: 60 }));
    } catch (err) {
      throw toVerificationError(err);
    }
    const tid = payload.tid;
    if (typeof tid !== 'string' || !tid) throw new TokenVerificationError('missing_claims', 'The token has no tid claim.');
    if (payload.iss !== `https://sts.windows.net/${tid}/`) {
      throw new TokenVerificationError('wrong_issuer', `Issuer '${String(payload.iss)}' does not match tenant ${tid}.`);
    }
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
    return { ...payload, tid, roles } as GraphTokenClaims;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- routing -------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const segments = url.pathname.split('/').filter(Boolean);
    const method = req.method ?? 'GET';
    const rest = segments.slice(1).join('/').toLowerCase();
    this.options.logger?.debug({ method, path: url.pathname }, 'token issuer request');
    try {
      if (segments[0] === 'botframework') return this.botFramework(rest, res);
      if (segments.length < 2) throw new HttpError(404, 'Not found', `No endpoint at ${url.pathname}`);
      const tenantSegment = decodeURIComponent(segments[0]);
      if (method === 'GET' && (rest === 'discovery/v2.0/keys' || rest === 'discovery/keys')) {
        return sendJson(res, 200, await publicJwks(this.keys));
      }
      if (method === 'GET' && rest === 'discovery/instance') return this.instanceDiscovery(url, res);
      const tenant = this.resolveTenant(tenantSegment);
      if (method === 'GET' && rest === 'v2.0/.well-known/openid-configuration') {
        return sendJson(res, 200, this.discovery(tenant, tenantSegment, 2));
      }
      if (method === 'GET' && rest === '.well-known/openid-configuration') {
        return sendJson(res, 200, this.discovery(tenant, tenantSegment, 1));
      }
      if (rest === 'oauth2/v2.0/token') {
        if (method !== 'POST') throw new HttpError(405, 'Method not allowed', 'The token endpoint accepts POST only.');
        return await this.token(req, res, tenant, tenantSegment);
      }
      if (rest === 'oauth2/v2.0/authorize') return await this.authorize(req, res, url, tenant, tenantSegment);
      if (rest === 'adminconsent' || rest === 'v2.0/adminconsent') {
        return await this.adminConsent(req, res, url, tenant, tenantSegment, rest.startsWith('v2.0'));
      }
      throw new HttpError(404, 'Not found', `No endpoint at ${url.pathname}`);
    } catch (err) {
      if (err instanceof EntraOAuthError) return sendJson(res, err.status, entraErrorBody(err, header(req, 'client-request-id')));
      if (err instanceof HttpError) return sendHtml(res, err.status, errorPage(err.title, err.message));
      throw err;
    }
  }

  private resolveTenant(segment: string): ResolvedTenant | undefined {
    const lower = segment.toLowerCase();
    if (MULTI_TENANT.has(lower)) return { multi: true, name: lower };
    if (lower === 'botframework.com' || lower === BOT_FRAMEWORK_TENANT_ID) {
      return { tenantId: BOT_FRAMEWORK_TENANT_ID, domain: 'botframework.com', multi: false };
    }
    const match = this.options.directory
      .tenants()
      .find((t) => t.tenantId.toLowerCase() === lower || t.domain.toLowerCase() === lower);
    return match ? { tenantId: match.tenantId, domain: match.domain, multi: false } : undefined;
  }

  private discovery(tenant: ResolvedTenant | undefined, segment: string, version: 1 | 2): Record<string, unknown> {
    if (!tenant) throw oauthErrors.unknownTenant(segment);
    const tid = tenant.multi ? '{tenantid}' : tenant.tenantId;
    const base = `${this.url}/${segment}`;
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: version === 2 ? `${this.url}/${tid}/v2.0` : `https://sts.windows.net/${tid}/`,
      request_uri_parameter_supported: false,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      http_logout_supported: false,
      frontchannel_logout_supported: false,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'name', 'nonce', 'oid', 'preferred_username', 'tid', 'ver'],
      code_challenge_methods_supported: ['S256', 'plain'],
      tenant_region_scope: 'EU',
      cloud_instance_name: new URL(this.url).host,
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
    };
  }

  /** msal's instance discovery: this issuer is its own cloud, with no aliases. */
  private instanceDiscovery(url: URL, res: ServerResponse): void {
    const host = new URL(this.url).host;
    sendJson(res, 200, {
      tenant_discovery_endpoint: `${url.searchParams.get('authorization_endpoint')?.replace(/\/oauth2\/v2\.0\/authorize$/, '') ?? `${this.url}/common`}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  }

  private async botFramework(rest: string, res: ServerResponse): Promise<void> {
    if (rest === 'v1/.well-known/openidconfiguration') {
      return sendJson(res, 200, {
        issuer: BOT_FRAMEWORK_ISSUER,
        authorization_endpoint: `${this.url}/botframework/v1/authorize`,
        jwks_uri: `${this.url}/botframework/v1/.well-known/keys`,
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
      });
    }
    if (rest === 'v1/.well-known/keys') {
      // Bot Framework keys carry the channels that endorse them.
      return sendJson(res, 200, await publicJwks(this.keys, { endorsements: ['msteams', 'emulator', 'webchat'] } as Record<string, unknown>));
    }
    throw new HttpError(404, 'Not found', 'No such Bot Framework endpoint');
  }

  // ---- token endpoint ------------------------------------------------------------------

  private async token(req: IncomingMessage, res: ServerResponse, tenant: ResolvedTenant | undefined, segment: string) {
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
      const client = await authenticateClient(form, header(req, 'authorization'), this.options.registry, {
        tenantLabel: segment,
        assertionAudiences: audiences,
        allowPublicClient: false,
      });
      const body = await this.clientCredentials(form, tenant.tenantId, client.clientId, client.appidacr);
      return sendJson(res, 200, body);
    }
    if (grantType === 'authorization_code') {
      const client = await authenticateClient(form, header(req, 'authorization'), this.options.registry, {
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
    return [...names].flatMap((n) => [`${this.url}/${n}/oauth2/v2.0/token`, `${this.url}/${n}/v2.0`]);
  }

  private async clientCredentials(form: URLSearchParams, tenantId: string, clientId: string, appidacr: string) {
    const scopeParam = form.get('scope');
    if (!scopeParam) throw oauthErrors.missingParameter('scope');
    const scopes = scopeParam.split(/\s+/).filter(Boolean);
    for (const scope of scopes) if (!scope.endsWith('/.default')) throw oauthErrors.scopeNotDefault(scope);
    const resources = new Set(scopes.map((s) => s.slice(0, -'/.default'.length).replace(/\/+$/, '')));
    if (resources.size !== 1) throw oauthErrors.invalidScope(scopeParam);
    const resource = [...resources][0];
    const registry = this.options.registry;
    const app = registry.get(clientId) as AppRegistration;
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
      claims = { ...base, aud: GRAPH_RESOURCE, iss: `https://sts.windows.net/${tenantId}/`, ...(roles.length ? { roles } : {}) };
    } else if (resource === BOT_FRAMEWORK_RESOURCE) {
      claims = { ...base, aud: BOT_FRAMEWORK_RESOURCE, iss: `https://sts.windows.net/${tenantId}/` };
    } else {
      const target = registry.findByResource(resource);
      if (!target) throw oauthErrors.unknownResource(resource, tenantId);
      claims = this.apiClaims(target, resource, tenantId, base);
    }
    const accessToken = await this.sign(claims);
    return { token_type: 'Bearer', expires_in: this.lifetime, ext_expires_in: this.lifetime, access_token: accessToken };
  }

  /** Token for one of the registered APIs: v2 shape (azp) or v1 (appid) per the API's setting. */
  private apiClaims(target: AppRegistration, resource: string, tenantId: string, base: Record<string, unknown>): JWTPayload {
    if (target.accessTokenAcceptedVersion === 2) {
      const { appid, appidacr, ...rest } = base;
      return { ...rest, aud: resource, iss: this.v2Issuer(tenantId), azp: appid, azpacr: appidacr, ver: '2.0' };
    }
    return { ...base, aud: resource, iss: `https://sts.windows.net/${tenantId}/` };
  }

  // ---- authorization code + PKCE ------------------------------------------------------

  private async authorize(req: IncomingMessage, res: ServerResponse, url: URL, tenant: ResolvedTenant | undefined, segment: string) {
    const params = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : url.searchParams;
    if (!tenant) throw new HttpError(400, 'Sign in failed', `AADSTS90002: Tenant '${segment}' not found.`);
    const clientId = params.get('client_id') ?? '';
    const app = this.options.registry.get(clientId);
    if (!app) throw new HttpError(400, 'Sign in failed', oauthErrors.unknownClient(clientId, segment).message);
    const redirectUri = params.get('redirect_uri') ?? '';
    if (!this.options.registry.isRedirectUriAllowed(clientId, redirectUri)) {
      throw new HttpError(400, 'Sign in failed', oauthErrors.redirectMismatch(redirectUri, clientId).message);
    }
    const state = params.get('state') ?? undefined;
    const responseMode = params.get('response_mode') ?? 'query';
    const fail = (error: string, description: string) =>
      redirectTo(res, redirectUri, responseMode, { error, error_description: description, state });
    if (params.get('response_type') !== 'code') {
      return fail('unsupported_response_type', 'AADSTS700054: Only response_type=code is supported by this issuer.');
    }
    const scopes = (params.get('scope') ?? '').split(/\s+/).filter(Boolean);
    if (!scopes.length) return fail('invalid_request', "AADSTS900144: The request body must contain the following parameter: 'scope'.");
    const challenge = params.get('code_challenge') ?? undefined;
    const challengeMethod = params.get('code_challenge_method') ?? (challenge ? 'plain' : undefined);
    if (app.publicClient && !challenge) return fail('invalid_request', oauthErrors.pkceRequired().message);
    if (challengeMethod && challengeMethod !== 'S256' && challengeMethod !== 'plain') {
      return fail('invalid_request', 'AADSTS501491: Invalid code_challenge_method.');
    }
    const fields: Record<string, string | undefined> = {};
    for (const name of ['client_id', 'redirect_uri', 'response_type', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'response_mode']) {
      fields[name] = params.get(name) ?? undefined;
    }
    const pageInput = {
      appName: app.displayName,
      tenantLabel: tenant.multi ? 'any organization' : tenant.domain,
      action: url.pathname,
      fields,
      users: !tenant.multi && this.options.directory.listUsers ? this.options.directory.listUsers(tenant.tenantId, 10) : [],
    };
    const login = params.get('login');
    if (req.method !== 'POST' || !login) {
      return sendHtml(res, 200, signInPage({ ...pageInput, loginHint: params.get('login_hint') ?? undefined }));
    }
    const found = this.findUser(tenant, login);
    if (!found) {
      return sendHtml(res, 200, signInPage({ ...pageInput, loginHint: login, error: "We couldn't find an account with that username." }));
    }
    const code = randomBytes(32).toString('base64url');
    this.pruneCodes();
    this.codes.set(code, {
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
    return redirectTo(res, redirectUri, responseMode, { code, state, client_info: clientInfo(found.user.id, found.tenantId) });
  }

  private findUser(tenant: ResolvedTenant, login: string): { tenantId: string; user: DirectoryUser } | undefined {
    const candidates = tenant.multi ? this.options.directory.tenants().map((t) => t.tenantId) : [tenant.tenantId];
    for (const tenantId of candidates) {
      const user = this.options.directory.findUser(tenantId, login.trim());
      if (user) return { tenantId, user };
    }
    return undefined;
  }

  private pruneCodes(): void {
    const now = Date.now();
    for (const [code, pending] of this.codes) if (pending.expiresAt < now) this.codes.delete(code);
  }

  private async redeemCode(form: URLSearchParams, clientId: string, appidacr: string) {
    const code = form.get('code');
    if (!code) throw oauthErrors.missingParameter('code');
    const pending = this.codes.get(code);
    // A code is single use: whatever happens next, it is gone.
    this.codes.delete(code);
    if (!pending || pending.expiresAt < Date.now() || pending.clientId !== clientId) throw oauthErrors.badCode();
    if (form.get('redirect_uri') !== pending.redirectUri) throw oauthErrors.codeRedirectMismatch();
    if (pending.codeChallenge) {
      const verifier = form.get('code_verifier');
      if (!verifier) throw oauthErrors.pkceMismatch();
      const computed = pending.codeChallengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
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
      claims = { ...userClaims, aud: GRAPH_RESOURCE, iss: `https://sts.windows.net/${tenantId}/`, appid: clientId, appidacr, upn: user.userPrincipalName, idtyp: 'user', ver: '1.0' };
    } else {
      const target = this.options.registry.findByResource(resource);
      if (!target) throw oauthErrors.unknownResource(resource, tenantId);
      for (const s of scp.split(' ')) if (!target.exposedScopes.includes(s)) throw oauthErrors.invalidScope(`${resource}/${s}`);
      claims =
        target.accessTokenAcceptedVersion === 2
          ? { ...userClaims, aud: resource, iss: this.v2Issuer(tenantId), azp: clientId, azpacr: appidacr, preferred_username: user.userPrincipalName, ver: '2.0' }
          : { ...userClaims, aud: resource, iss: `https://sts.windows.net/${tenantId}/`, appid: clientId, appidacr, upn: user.userPrincipalName, ver: '1.0' };
    }
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: resourceScopes.join(' ') || `${GRAPH_RESOURCE}/User.Read`,
      expires_in: this.lifetime,
      ext_expires_in: this.lifetime,
      access_token: await this.sign(claims),
      client_info: clientInfo(user.id, tenantId),
    };
    if (pending.scopes.includes('openid')) {
      body.id_token = await this.sign({
        aud: clientId,
        iss: this.v2Issuer(tenantId),
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

  // ---- admin consent -------------------------------------------------------------------

  private async adminConsent(req: IncomingMessage, res: ServerResponse, url: URL, tenant: ResolvedTenant | undefined, segment: string, v2: boolean) {
    const params = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : url.searchParams;
    if (!tenant) throw new HttpError(400, 'Admin consent failed', `AADSTS90002: Tenant '${segment}' not found.`);
    if (v2 && tenant.multi && tenant.name !== 'organizations') {
      throw new HttpError(400, 'Admin consent failed', `AADSTS90009: Admin consent needs a tenant id, domain or 'organizations', not '${segment}'.`);
    }
    const clientId = params.get('client_id') ?? '';
    const app = this.options.registry.get(clientId);
    if (!app) throw new HttpError(400, 'Admin consent failed', oauthErrors.unknownClient(clientId, segment).message);
    const redirectUri = params.get('redirect_uri') ?? app.redirectUris[0] ?? '';
    if (!this.options.registry.isRedirectUriAllowed(clientId, redirectUri)) {
      throw new HttpError(400, 'Admin consent failed', oauthErrors.redirectMismatch(redirectUri, clientId).message);
    }
    const state = params.get('state') ?? undefined;
    const scope = params.get('scope') ?? undefined;
    if (v2 && !scope) {
      return redirectTo(res, redirectUri, 'query', { error: 'invalid_request', error_description: "AADSTS900144: The request body must contain the following parameter: 'scope'.", state });
    }
    const decision = req.method === 'POST' ? params.get('decision') : null;
    if (decision === 'cancel') {
      return redirectTo(res, redirectUri, 'query', { error: 'access_denied', error_description: 'The admin canceled the request', state });
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
      const found = this.findUser(tenant, params.get('login') ?? '');
      if (!found) return sendHtml(res, 200, consentPage({ ...pageInput, error: "We couldn't find an account with that username." }));
      tenantId = found.tenantId;
    } else {
      tenantId = tenant.tenantId;
    }
    this.options.registry.grantConsent(tenantId, clientId);
    this.options.logger?.info({ tenantId, clientId }, 'token issuer: admin consent granted');
    return redirectTo(res, redirectUri, 'query', { admin_consent: 'True', tenant: tenantId, state, ...(v2 ? { scope } : {}) });
  }
}

function scopeResource(scope: string): string {
  const slash = scope.lastIndexOf('/');
  return slash > 0 ? scope.slice(0, slash).replace(/\/+$/, '') : GRAPH_RESOURCE;
}

function clientInfo(uid: string, utid: string): string {
  return Buffer.from(JSON.stringify({ uid, utid })).toString('base64url');
}

function toVerificationError(err: unknown): TokenVerificationError {
  if (err instanceof TokenVerificationError) return err;
  if (err instanceof joseErrors.JWTExpired) return new TokenVerificationError('expired', 'The token has expired.');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' || err.claim === 'iat') return new TokenVerificationError('not_yet_valid', 'The token is not yet valid.');
    if (err.claim === 'aud') return new TokenVerificationError('wrong_audience', 'The token audience is not Microsoft Graph.');
    if (err.claim === 'iss') return new TokenVerificationError('wrong_issuer', 'The token issuer is not valid.');
    return new TokenVerificationError('missing_claims', `The '${err.claim}' claim is not valid.`);
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new TokenVerificationError('bad_signature', 'The token signature is not valid.');
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) {
    return new TokenVerificationError('bad_signature', 'The token is not signed with RS256.');
  }
  return new TokenVerificationError('malformed', 'The token is not a well-formed JWT.');
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY) throw oauthErrors.badRequest('The request body is too large.');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store, no-cache',
    pragma: 'no-cache',
    'x-ms-request-id': randomUUID(),
  });
  res.end(payload);
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action *; script-src 'unsafe-inline'",
  });
  res.end(html);
}

function redirectTo(res: ServerResponse, redirectUri: string, mode: string, params: Record<string, string | undefined>): void {
  if (mode === 'form_post') return sendHtml(res, 200, formPostPage(redirectUri, params));
  const target = new URL(redirectUri);
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, value);
  if (mode === 'fragment') target.hash = query.toString();
  else for (const [name, value] of query) target.searchParams.set(name, value);
  res.writeHead(302, { location: target.toString(), 'cache-control': 'no-store' });
  res.end();
}
