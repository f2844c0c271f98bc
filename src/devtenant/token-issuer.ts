// The dev tenant's token issuer: a local OpenID Connect provider on loopback that answers as
// login.microsoftonline.com does for what the product uses: discovery, JWKS, the v2 token
// endpoint (client credentials with secret, Basic or certificate assertion; authorization code
// with PKCE), the authorize endpoint with a sign-in page for dev users, and admin consent.
// Graph access tokens are RS256 JWTs in Entra's v1 shape; jose does the crypto. HTTPS only:
// msal-node refuses http: authorities.
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { type JWSHeaderParameters, type JWTPayload, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Logger } from '../log.ts';
import type { AppRegistry } from './app-registry.ts';
import type { IssuerContext, PendingCode, ResolvedTenant } from './issuer-context.ts';
import { GRAPH_APP_ID, GRAPH_RESOURCE } from './issuer-context.ts';
import { EntraOAuthError, entraErrorBody, oauthErrors } from './issuer-errors.ts';
import { HttpError, header, redirectTo, sendHtml, sendJson } from './issuer-http.ts';
import { InteractiveEndpoints } from './issuer-interactive.ts';
import { type IssuerKeys, loadOrCreateIssuerKeys, publicJwks } from './issuer-keys.ts';
import { errorPage, signedOutPage } from './issuer-pages.ts';
import { TokenEndpoint } from './issuer-token-endpoint.ts';

export { BOT_FRAMEWORK_RESOURCE, GRAPH_APP_ID, GRAPH_RESOURCE } from './issuer-context.ts';
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

export async function startTokenIssuer(options: TokenIssuerOptions): Promise<TokenIssuer> {
  const keys = await loadOrCreateIssuerKeys(options.dataDir);
  const impl = new TokenIssuerServer(options, keys);
  await impl.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return impl;
}

class TokenIssuerServer implements TokenIssuer, IssuerContext {
  url = '';
  readonly botFrameworkIssuer = BOT_FRAMEWORK_ISSUER;
  private readonly server: https.Server;
  readonly codes = new Map<string, PendingCode>();
  readonly lifetime: number;
  private readonly tokenEndpoint = new TokenEndpoint(this);
  private readonly interactive = new InteractiveEndpoints(this);

  constructor(
    readonly options: TokenIssuerOptions,
    private readonly keys: IssuerKeys,
  ) {
    this.lifetime = options.accessTokenLifetimeSeconds ?? 3599;
    this.server = https.createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        options.logger?.error({ err, path: req.url?.split('?')[0] }, 'token issuer: unhandled error');
        if (!res.headersSent)
          sendJson(res, 500, { error: 'server_error', error_description: 'Internal error' });
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
      .setProtectedHeader({
        alg: 'RS256',
        typ: 'JWT',
        kid: opts.kid ?? this.keys.primary.kid,
        x5t: this.keys.primary.kid,
      })
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + (opts.expiresInSeconds ?? this.lifetime))
      .sign(key.privateKey);
  }

  async verifyGraphToken(token: string): Promise<GraphTokenClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(
        token,
        async (protectedHeader: JWSHeaderParameters) => {
          if (protectedHeader.kid !== this.keys.primary.kid) {
            throw new TokenVerificationError(
              'bad_signature',
              `Signing key '${protectedHeader.kid ?? '(none)'}' is not one of the issuer's keys.`,
            );
          }
          return this.keys.primary.publicKey;
        },
        { algorithms: ['RS256'], audience: GRAPH_AUDIENCES, clockTolerance: 60 },
      ));
    } catch (err) {
      throw toVerificationError(err);
    }
    const tid = payload.tid;
    if (typeof tid !== 'string' || !tid)
      throw new TokenVerificationError('missing_claims', 'The token has no tid claim.');
    if (payload.iss !== `https://sts.windows.net/${tid}/`) {
      throw new TokenVerificationError(
        'wrong_issuer',
        `Issuer '${String(payload.iss)}' does not match tenant ${tid}.`,
      );
    }
    const roles = Array.isArray(payload.roles)
      ? payload.roles.filter((r): r is string => typeof r === 'string')
      : [];
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
      // Keys without a tenant segment too (a relying party configured with the bare issuer URL).
      if (method === 'GET' && /^\/discovery\/(v2\.0\/)?keys$/i.test(url.pathname)) {
        return sendJson(res, 200, await publicJwks(this.keys));
      }
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
        if (method !== 'POST')
          throw new HttpError(405, 'Method not allowed', 'The token endpoint accepts POST only.');
        return await this.tokenEndpoint.handle(req, res, tenant, tenantSegment);
      }
      if (rest === 'oauth2/v2.0/authorize')
        return await this.interactive.authorize(req, res, url, tenant, tenantSegment);
      if (rest === 'oauth2/v2.0/logout') return this.logout(url, res);
      if (rest === 'adminconsent' || rest === 'v2.0/adminconsent') {
        return await this.interactive.adminConsent(
          req,
          res,
          url,
          tenant,
          tenantSegment,
          rest.startsWith('v2.0'),
        );
      }
      throw new HttpError(404, 'Not found', `No endpoint at ${url.pathname}`);
    } catch (err) {
      if (err instanceof EntraOAuthError)
        return sendJson(res, err.status, entraErrorBody(err, header(req, 'client-request-id')));
      if (err instanceof HttpError) return sendHtml(res, err.status, errorPage(err.title, err.message));
      throw err;
    }
  }

  /** No session is kept, so sign-out only redirects (to a URI registered for client_id) or says so. */
  private logout(url: URL, res: ServerResponse): void {
    const clientId = url.searchParams.get('client_id');
    const target = url.searchParams.get('post_logout_redirect_uri');
    if (clientId && target && this.options.registry.isRedirectUriAllowed(clientId, target)) {
      redirectTo(res, target, 'query', { state: url.searchParams.get('state') ?? undefined });
      return;
    }
    sendHtml(res, 200, signedOutPage());
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

  private discovery(
    tenant: ResolvedTenant | undefined,
    segment: string,
    version: 1 | 2,
  ): Record<string, unknown> {
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
      claims_supported: [
        'sub',
        'iss',
        'aud',
        'exp',
        'iat',
        'nbf',
        'name',
        'nonce',
        'oid',
        'preferred_username',
        'tid',
        'ver',
      ],
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
      return sendJson(
        res,
        200,
        await publicJwks(this.keys, { endorsements: ['msteams', 'emulator', 'webchat'] } as Record<
          string,
          unknown
        >),
      );
    }
    throw new HttpError(404, 'Not found', 'No such Bot Framework endpoint');
  }

  findUser(tenant: ResolvedTenant, login: string): { tenantId: string; user: DirectoryUser } | undefined {
    const candidates = tenant.multi
      ? this.options.directory.tenants().map((t) => t.tenantId)
      : [tenant.tenantId];
    for (const tenantId of candidates) {
      const user = this.options.directory.findUser(tenantId, login.trim());
      if (user) return { tenantId, user };
    }
    return undefined;
  }
}

function toVerificationError(err: unknown): TokenVerificationError {
  if (err instanceof TokenVerificationError) return err;
  if (err instanceof joseErrors.JWTExpired)
    return new TokenVerificationError('expired', 'The token has expired.');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' || err.claim === 'iat')
      return new TokenVerificationError('not_yet_valid', 'The token is not yet valid.');
    if (err.claim === 'aud')
      return new TokenVerificationError('wrong_audience', 'The token audience is not Microsoft Graph.');
    if (err.claim === 'iss')
      return new TokenVerificationError('wrong_issuer', 'The token issuer is not valid.');
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
