// Client authentication at the token endpoint, as Entra accepts it: client_secret in the body,
// HTTP Basic (RFC 6749 §2.3.1), or a certificate-signed client_assertion (RFC 7523, header
// x5t#S256 or x5t naming a registered certificate; msal-node signs PS256, others RS256).
import { createPublicKey } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { AppRegistry } from './app-registry.ts';
import { EntraOAuthError, oauthErrors } from './issuer-errors.ts';

export interface AuthenticatedClient {
  clientId: string;
  /** The v1 `appidacr` claim: 0 public client, 1 secret, 2 certificate. */
  appidacr: '0' | '1' | '2';
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export async function authenticateClient(
  form: URLSearchParams,
  authorization: string | undefined,
  registry: AppRegistry,
  options: { tenantLabel: string; assertionAudiences: string[]; allowPublicClient: boolean },
): Promise<AuthenticatedClient> {
  const basic = parseBasic(authorization);
  const bodyClientId = form.get('client_id') ?? undefined;
  if (basic && bodyClientId && basic.clientId !== bodyClientId) {
    throw oauthErrors.badRequest(
      'The client_id in the body does not match the client in the Authorization header.',
    );
  }
  const clientId = basic?.clientId ?? bodyClientId;
  if (!clientId) throw oauthErrors.missingParameter('client_id');
  const app = registry.get(clientId);
  if (!app) throw oauthErrors.unknownClient(clientId, options.tenantLabel);

  const secret = basic?.secret ?? form.get('client_secret') ?? undefined;
  const assertion = form.get('client_assertion') ?? undefined;
  if (secret !== undefined && assertion !== undefined) {
    throw oauthErrors.badRequest(
      'Only one client credential may be sent: client_secret or client_assertion.',
    );
  }
  if (secret !== undefined) {
    if (!registry.verifySecret(clientId, secret)) throw oauthErrors.badSecret(clientId);
    return { clientId, appidacr: '1' };
  }
  if (assertion !== undefined) {
    if (form.get('client_assertion_type') !== JWT_BEARER) {
      throw oauthErrors.badRequest(`client_assertion_type must be '${JWT_BEARER}'.`);
    }
    await verifyAssertion(assertion, clientId, registry, options.assertionAudiences);
    return { clientId, appidacr: '2' };
  }
  if (options.allowPublicClient && app.publicClient) return { clientId, appidacr: '0' };
  throw oauthErrors.missingCredential();
}

function parseBasic(header: string | undefined): { clientId: string; secret: string } | undefined {
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0)
    throw oauthErrors.badRequest('The Basic Authorization header is not client_id:client_secret.');
  try {
    return {
      clientId: decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replaceAll('+', ' ')),
    };
  } catch {
    throw oauthErrors.badRequest(
      'The Basic Authorization header is not URL-encoded client_id:client_secret.',
    );
  }
}

async function verifyAssertion(
  assertion: string,
  clientId: string,
  registry: AppRegistry,
  audiences: string[],
) {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    throw oauthErrors.assertionClaims('The client assertion is not a JWT.');
  }
  const x5tS256 = typeof header['x5t#S256'] === 'string' ? header['x5t#S256'] : undefined;
  const x5t = typeof header.x5t === 'string' ? header.x5t : undefined;
  if (!x5tS256 && !x5t) throw oauthErrors.badAssertion('The client assertion header has no x5t#S256 or x5t.');
  const certPem = registry.findCertificate(clientId, { x5t, x5tS256 });
  if (!certPem) throw oauthErrors.badAssertion('The key was not found.');
  try {
    await jwtVerify(assertion, createPublicKey(certPem), {
      algorithms: ['RS256', 'PS256'],
      audience: audiences,
      issuer: clientId,
      subject: clientId,
      requiredClaims: ['exp', 'jti'],
      clockTolerance: 300,
    });
  } catch (err) {
    if (err instanceof EntraOAuthError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw oauthErrors.assertionExpired();
    if (err instanceof joseErrors.JWTClaimValidationFailed) {
      if (err.claim === 'nbf') throw oauthErrors.assertionExpired();
      throw oauthErrors.assertionClaims(`The '${err.claim}' claim is not valid: ${err.reason}.`);
    }
    throw oauthErrors.badAssertion('Signature verification failed.');
  }
}
