// App-only tokens from @azure/msal-node: one ConfidentialClientApplication per tenant and app,
// whose in-memory cache serves tokens until shortly before expiry. The same code talks to
// login.microsoftonline.com and to the dev tenant's issuer: for a host msal does not know,
// knownAuthorities makes it trust the authority and read its OpenID discovery document through
// our network client (which trusts the dev tenant's CA).
// Transient failures of the identity endpoint (no answer, timeout, TLS, 5xx, 429) are retried
// with backoff and, if they persist, reported as IDENTITY_UNREACHABLE naming the authority;
// only the issuer's refusals (invalid_client, unauthorized_client, AADSTS65001…) become the
// 401 that means consent or credentials are gone.
import { X509Certificate } from 'node:crypto';
import type https from 'node:https';
import { AuthError, ConfidentialClientApplication, type Configuration, LogLevel } from '@azure/msal-node';
import type { Logger } from '../log.ts';
import { GraphError } from './gateway.ts';
import type { GraphAppCredentials } from './graph-gateway-options.ts';
import { MsalHttpsNetworkClient } from './msal-network-client.ts';
import { backoffDelayMs, type RetryPolicy } from './retry-middleware.ts';
import { type TransportFailure, WatchedNetworkModule } from './token-endpoint-transport.ts';

/** GraphError code of a token request that found the identity endpoint unreachable. */
export const IDENTITY_UNREACHABLE = 'IDENTITY_UNREACHABLE';

/** Token attempts when the gateway's options do not say (first try included). */
const DEFAULT_TOKEN_ATTEMPTS = 5;
/** Longest wait for one token request (msal's own default is 30 s too). */
const MAX_TOKEN_TIMEOUT_MS = 30_000;

export interface TokenProviderOptions {
  authorityHost: string;
  agent: https.Agent;
  scope: string;
  logger: Logger;
  /** Backoff between token attempts (the gateway's policy); default 1 s doubling to 60 s. */
  retry?: RetryPolicy;
  /** Token attempts before giving up (first try included). */
  maxAttempts?: number;
  /** Per-request timeout of token and discovery requests (capped at 30 s). */
  timeoutMs?: number;
}

const DEFAULT_RETRY: RetryPolicy = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
};

/** Hosts msal already knows (public and national clouds): no knownAuthorities needed. */
const MICROSOFT_AUTHORITY_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.microsoftonline.de',
]);

export interface AccessTokenProvider {
  getAccessToken(): Promise<string>;
}

export class MsalAppTokenProvider implements AccessTokenProvider {
  private readonly app: ConfidentialClientApplication;
  private readonly authority: string;
  private readonly network: WatchedNetworkModule;
  private readonly retry: RetryPolicy;
  private readonly maxAttempts: number;
  private readonly log: Logger;
  /** The acquisition in flight: concurrent callers share it (and its retries). */
  private pending: Promise<string> | undefined;

  constructor(
    readonly tenantId: string,
    private readonly credentials: GraphAppCredentials,
    options: TokenProviderOptions,
  ) {
    this.scope = options.scope;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_TOKEN_ATTEMPTS);
    this.network = new WatchedNetworkModule(
      new MsalHttpsNetworkClient(
        options.agent,
        Math.min(options.timeoutMs ?? MAX_TOKEN_TIMEOUT_MS, MAX_TOKEN_TIMEOUT_MS),
      ),
    );
    const host = new URL(options.authorityHost);
    if (host.protocol !== 'https:') {
      throw new Error(`Authority host must be https (msal-node refuses others): ${options.authorityHost}`);
    }
    this.authority = `${options.authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(tenantId)}`;
    const auth: Configuration['auth'] = { clientId: credentials.clientId, authority: this.authority };
    if (!MICROSOFT_AUTHORITY_HOSTS.has(host.hostname)) auth.knownAuthorities = [host.host];
    if (credentials.clientSecret) {
      auth.clientSecret = credentials.clientSecret;
    } else if (credentials.certificate) {
      // Either field may hold a combined PEM file (key + certificate): take the right block.
      const certPem = pemBlock(credentials.certificate.certificatePem, 'CERTIFICATE', credentials.clientId);
      const keyPem = pemBlock(credentials.certificate.privateKeyPem, 'PRIVATE KEY', credentials.clientId);
      const cert = new X509Certificate(certPem);
      auth.clientCertificate = {
        thumbprintSha256: cert.fingerprint256.replaceAll(':', '').toLowerCase(),
        privateKey: keyPem,
        x5c: certPem,
      };
    } else {
      throw new Error(`App ${credentials.clientId} has neither a client secret nor a certificate`);
    }
    const log = options.logger;
    this.log = log;
    this.app = new ConfidentialClientApplication({
      auth,
      system: {
        networkClient: this.network,
        loggerOptions: {
          piiLoggingEnabled: false,
          logLevel: LogLevel.Warning,
          loggerCallback: (level, message) => {
            if (level <= LogLevel.Error) log.error({ msal: message }, 'msal');
            else log.debug({ msal: message }, 'msal');
          },
        },
      },
    });
  }

  private readonly scope: string;

  getAccessToken(): Promise<string> {
    this.pending ??= this.acquire().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async acquire(): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      this.network.reset();
      try {
        const result = await this.app.acquireTokenByClientCredential({ scopes: [this.scope] });
        if (!result?.accessToken) throw new Error('msal returned no access token');
        return result.accessToken;
      } catch (err) {
        const failure = this.network.failure;
        // Answered with a refusal: final (consent or credentials), no retry.
        if (!failure) throw tokenError(err, this.credentials.clientId, this.tenantId, this.authority);
        if (attempt >= this.maxAttempts) throw this.unreachable(failure, attempt);
        const delayMs = Math.max(backoffDelayMs(attempt, this.retry), failure.retryAfterMs ?? 0);
        this.log.warn(
          { authority: this.authority, attempt, delayMs, failure: failure.detail },
          'token endpoint unreachable: retrying',
        );
        await this.retry.sleep(delayMs);
      }
    }
  }

  private unreachable(failure: TransportFailure, attempts: number): GraphError {
    return new GraphError(
      503,
      IDENTITY_UNREACHABLE,
      `The identity endpoint ${this.authority} could not be reached for a token for app ${this.credentials.clientId} in tenant ${this.tenantId} (${attempts} attempt${attempts === 1 ? '' : 's'}; last: ${failure.detail}). The app's permissions are not in question: check the network path to the authority.`,
    );
  }
}

/** A token request the identity endpoint never answered (timeouts, TLS, 5xx, 429), after retries. */
export function isIdentityUnreachable(err: unknown): boolean {
  return err instanceof GraphError && err.code === IDENTITY_UNREACHABLE;
}

function pemBlock(pem: string, label: 'CERTIFICATE' | 'PRIVATE KEY', clientId: string): string {
  const pattern =
    label === 'CERTIFICATE'
      ? /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/
      : /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/;
  const match = pem.match(pattern);
  if (!match) throw new Error(`The certificate credential of app ${clientId} has no PEM ${label} block`);
  return match[0];
}

/** Errors made by tokenError: the issuer answered and refused. */
const refusals = new WeakSet<GraphError>();

/** The identity endpoint answered a token request with a refusal (consent or credentials gone). */
export function isTokenRefusal(err: unknown): boolean {
  return err instanceof GraphError && refusals.has(err);
}

/** A token failure as a GraphError: 401 with Entra's error (e.g. invalid_client) as the code. */
function tokenError(err: unknown, clientId: string, tenantId: string, authority: string): GraphError {
  if (err instanceof GraphError) return err;
  const code = err instanceof AuthError ? err.errorCode : 'token_acquisition_failed';
  const detail =
    err instanceof AuthError
      ? err.errorMessage || err.message
      : err instanceof Error
        ? err.message
        : String(err);
  const firstLine = detail.split(/\r?\n/)[0];
  const refusal = new GraphError(
    401,
    code,
    `Could not get a token for app ${clientId} in tenant ${tenantId} from ${authority}: ${firstLine}`,
  );
  refusals.add(refusal);
  return refusal;
}
