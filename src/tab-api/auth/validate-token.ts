// Validates the tab's bearer tokens (Teams SSO or the dev sign-in): signature through the
// issuer's JWKS, issuer (bound to the token's own tenant), audience, expiry, the
// `access_as_user` scope and the claims we rely on. Identity and tenant come from here only.
import { decodeJwt, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { Principal } from '../../domain.ts';

export class TabAuthError extends Error {
  override readonly name = 'TabAuthError';
  constructor(
    readonly status: 401 | 403,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface TokenValidatorOptions {
  /** Signing keys (a remote JWKS in production). */
  keys: JWTVerifyGetKey;
  /** Accepted audiences: `api://<domain>/<client id>` and the bare client id (v2 tokens carry the latter). */
  audiences: string[];
  /** The issuer expected for a tenant, e.g. `https://login.microsoftonline.com/<tid>/v2.0`. */
  issuerFor: (tenantId: string) => string;
  requiredScope?: string;
  clockToleranceSeconds?: number;
  now?: () => Date;
}

export interface TabIdentity {
  principal: Principal;
  /** `preferred_username` (UPN) when the token carries it; display only. */
  username?: string;
  scopes: string[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type TokenValidator = (authorization: string | undefined) => Promise<TabIdentity>;

export function createTokenValidator(options: TokenValidatorOptions): TokenValidator {
  const requiredScope = options.requiredScope ?? 'access_as_user';
  return async (authorization) => {
    const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(authorization ?? '');
    if (!match)
      throw new TabAuthError(401, 'missing_token', 'Sign in first: no bearer token in Authorization');
    const token = match[1];
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw new TabAuthError(401, 'invalid_token', 'The token is not a JWT');
    }
    // The issuer is tenant-specific; the tenant to expect is read from the token and then
    // proven by the signature check against that exact issuer string.
    const tid = typeof unverified.tid === 'string' ? unverified.tid : '';
    if (!GUID.test(tid))
      throw new TabAuthError(401, 'invalid_token', 'The token carries no valid tenant id (tid)');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, options.keys, {
        issuer: options.issuerFor(tid.toLowerCase()),
        audience: options.audiences,
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256'],
        clockTolerance: options.clockToleranceSeconds ?? 60,
        requiredClaims: ['exp', 'iat', 'iss', 'aud'],
        currentDate: options.now?.(),
      }));
    } catch (error) {
      throw new TabAuthError(401, 'invalid_token', describeJoseError(error));
    }
    const scopes = typeof payload.scp === 'string' ? payload.scp.split(' ').filter(Boolean) : [];
    if (!scopes.includes(requiredScope)) {
      throw new TabAuthError(403, 'insufficient_scope', `The token lacks the ${requiredScope} scope`);
    }
    const oid = typeof payload.oid === 'string' ? payload.oid : '';
    if (!GUID.test(oid))
      throw new TabAuthError(401, 'invalid_token', 'The token carries no user object id (oid)');
    const name = typeof payload.name === 'string' ? payload.name.slice(0, 256) : undefined;
    const username = typeof payload.preferred_username === 'string' ? payload.preferred_username : undefined;
    return {
      principal: {
        tenantId: tid.toLowerCase(),
        objectId: oid.toLowerCase(),
        displayName: name ?? username,
        kind: 'user',
      },
      username,
      scopes,
    };
  };
}

function describeJoseError(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'The token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return 'The token was issued by an unexpected issuer';
    if (error.claim === 'aud') return 'The token is for another audience';
    if (error.claim === 'nbf') return 'The token is not valid yet';
    return `The token's ${error.claim} claim is invalid`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'The token signature is invalid';
  if (error instanceof errors.JWKSNoMatchingKey) return 'The token is signed by an unknown key';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'The token algorithm is not allowed (unsigned?)';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid)
    return 'The token is malformed';
  return 'The token could not be validated';
}
