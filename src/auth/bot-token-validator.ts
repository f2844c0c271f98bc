// Validates the bearer token on every activity the channel sends to /api/messages, following
// the Bot Framework's rules: signing keys from the channel's OpenID metadata (production:
// login.botframework.com; dev and tests: the local token issuer), issuer from that metadata,
// audience = the bot's app id, expiry with 5 min skew, RS256 only, the key's endorsements must
// include the activity's channel, and the `serviceurl` claim must match the activity's serviceUrl.
import { decodeProtectedHeader, importJWK, type JWK, type JWTPayload, jwtVerify } from 'jose';
import type { FetchLike } from './fetch-like.ts';

export class BotAuthError extends Error {
  override readonly name = 'BotAuthError';
}

export interface BotTokenValidatorOptions {
  /** The bot's Microsoft App ID: the only accepted audience. */
  appId: string;
  /** OpenID configuration documents whose issuer and keys are trusted. */
  metadataUrls: string[];
  /** Extra accepted issuers (e.g. Entra v2 issuer for a single-tenant bot). */
  extraIssuers?: string[];
  clockToleranceSeconds?: number;
  /** Injected so dev/tests can trust the local issuer's TLS certificate. */
  fetch?: FetchLike;
  /** How long keys are kept before re-reading the metadata (default 1 h). */
  cacheSeconds?: number;
}

/** What the validated token says about the caller (the channel, not the user). */
export interface ChannelIdentity {
  issuer: string;
  audience: string;
  serviceUrl?: string;
  appId?: string;
}

interface KeySet {
  issuers: string[];
  keys: (JWK & { kid?: string; endorsements?: string[] })[];
  loadedAt: number;
}

export interface BotTokenValidator {
  validate(
    authorization: string | undefined,
    activity: { channelId?: string; serviceUrl?: string },
  ): Promise<ChannelIdentity>;
}

export function createBotTokenValidator(options: BotTokenValidatorOptions): BotTokenValidator {
  const doFetch: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const cacheMs = (options.cacheSeconds ?? 3600) * 1000;
  let cached: KeySet | undefined;
  let loading: Promise<KeySet> | undefined;
  let lastForcedReload = 0;

  async function getJson(url: string): Promise<Record<string, unknown>> {
    const response = await doFetch(url, { headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
    return (await response.json()) as Record<string, unknown>;
  }

  async function load(): Promise<KeySet> {
    const issuers = new Set(options.extraIssuers ?? []);
    const keys: KeySet['keys'] = [];
    for (const url of options.metadataUrls) {
      const metadata = await getJson(url);
      if (typeof metadata.issuer === 'string') issuers.add(metadata.issuer);
      if (typeof metadata.jwks_uri !== 'string') throw new Error(`OpenID metadata at ${url} has no jwks_uri`);
      const jwks = await getJson(metadata.jwks_uri);
      if (Array.isArray(jwks.keys)) keys.push(...(jwks.keys as KeySet['keys']));
    }
    return { issuers: [...issuers], keys, loadedAt: Date.now() };
  }

  async function keySet(forceReload: boolean): Promise<KeySet> {
    const stale = !cached || Date.now() - cached.loadedAt > cacheMs;
    // An unknown kid forces one reload (key rollover), at most every 5 minutes.
    const force = forceReload && Date.now() - lastForcedReload > 300_000;
    if (stale || force) {
      if (force) lastForcedReload = Date.now();
      loading ??= load().finally(() => {
        loading = undefined;
      });
      try {
        cached = await loading;
      } catch (error) {
        if (!cached) throw error;
      }
    }
    return cached as KeySet;
  }

  return {
    async validate(authorization, activity) {
      const match = /^Bearer\s+([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)\s*$/i.exec(
        authorization ?? '',
      );
      if (!match)
        throw new BotAuthError(authorization ? 'malformed authorization header' : 'missing bearer token');
      const token = match[1];
      let kid: string | undefined;
      let alg: string | undefined;
      try {
        ({ kid, alg } = decodeProtectedHeader(token));
      } catch {
        throw new BotAuthError('token header unreadable');
      }
      if (alg !== 'RS256') throw new BotAuthError(`token algorithm ${String(alg)} not accepted`);
      let keys: KeySet;
      try {
        keys = await keySet(false);
      } catch (error) {
        throw new BotAuthError(
          `signing keys unavailable: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      let jwk = keys.keys.find((k) => k.kid === kid);
      if (!jwk) {
        keys = await keySet(true).catch(() => keys);
        jwk = keys.keys.find((k) => k.kid === kid);
      }
      if (!jwk) throw new BotAuthError('token signed by an unknown key');
      if (
        Array.isArray(jwk.endorsements) &&
        activity.channelId &&
        !jwk.endorsements.includes(activity.channelId)
      ) {
        throw new BotAuthError(`signing key is not endorsed for channel ${activity.channelId}`);
      }
      let payload: JWTPayload;
      try {
        const key = await importJWK({ ...jwk, alg: 'RS256' }, 'RS256');
        ({ payload } = await jwtVerify(token, key, {
          algorithms: ['RS256'],
          issuer: keys.issuers,
          audience: options.appId,
          clockTolerance: options.clockToleranceSeconds ?? 300,
          requiredClaims: ['exp'],
        }));
      } catch (error) {
        throw new BotAuthError(`token rejected: ${error instanceof Error ? error.message : String(error)}`);
      }
      const serviceUrlClaim = typeof payload.serviceurl === 'string' ? payload.serviceurl : undefined;
      if (serviceUrlClaim && activity.serviceUrl && !sameServiceUrl(serviceUrlClaim, activity.serviceUrl)) {
        throw new BotAuthError('serviceUrl of the activity does not match the token');
      }
      return {
        issuer: String(payload.iss),
        audience: options.appId,
        serviceUrl: serviceUrlClaim,
        appId:
          typeof payload.appid === 'string'
            ? payload.appid
            : typeof payload.azp === 'string'
              ? payload.azp
              : undefined,
      };
    },
  };
}

function sameServiceUrl(a: string, b: string): boolean {
  const norm = (u: string) => u.trim().replace(/\/+$/, '').toLowerCase();
  return norm(a) === norm(b);
}

/** Bot Framework's public OpenID metadata: the production source of channel signing keys. */
export const BOT_FRAMEWORK_METADATA_URL = 'https://login.botframework.com/v1/.well-known/openidconfiguration';
