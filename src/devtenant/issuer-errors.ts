// Entra ID's OAuth error responses: {error, error_description "AADSTSnnnn: …\r\nTrace ID…",
// error_codes, timestamp, trace_id, correlation_id, error_uri}, with the status Entra uses.
import { randomUUID } from 'node:crypto';

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_resource';

export class EntraOAuthError extends Error {
  override readonly name = 'EntraOAuthError';
  constructor(
    readonly status: number,
    readonly error: OAuthErrorCode,
    readonly aadsts: number,
    message: string,
  ) {
    super(`AADSTS${aadsts}: ${message}`);
  }
}

export function entraErrorBody(err: EntraOAuthError, correlationId?: string): Record<string, unknown> {
  const traceId = randomUUID();
  const correlation = correlationId ?? randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return {
    error: err.error,
    error_description: `${err.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${timestamp}`,
    error_codes: [err.aadsts],
    timestamp,
    trace_id: traceId,
    correlation_id: correlation,
    error_uri: `https://login.microsoftonline.com/error?code=${err.aadsts}`,
  };
}

// The errors the issuer answers, named after what went wrong.
export const oauthErrors = {
  unknownTenant: (tenant: string) =>
    new EntraOAuthError(
      400,
      'invalid_request',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    ),
  tenantRequired: (tenant: string) =>
    new EntraOAuthError(
      400,
      'invalid_request',
      90002,
      `Tenant '${tenant}' cannot be used with the client credentials flow; use the tenant id or domain.`,
    ),
  missingParameter: (name: string) =>
    new EntraOAuthError(
      400,
      'invalid_request',
      900144,
      `The request body must contain the following parameter: '${name}'.`,
    ),
  badRequest: (message: string) => new EntraOAuthError(400, 'invalid_request', 900144, message),
  unknownClient: (clientId: string, tenant: string) =>
    new EntraOAuthError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    ),
  missingCredential: () =>
    new EntraOAuthError(
      401,
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    ),
  badSecret: (clientId: string) =>
    new EntraOAuthError(
      401,
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
    ),
  badAssertion: (reason: string) =>
    new EntraOAuthError(
      401,
      'invalid_client',
      700027,
      `Client assertion failed signature validation. [Reason - ${reason}]`,
    ),
  assertionExpired: () =>
    new EntraOAuthError(
      401,
      'invalid_client',
      700024,
      'Client assertion is not within its valid time range.',
    ),
  assertionClaims: (reason: string) =>
    new EntraOAuthError(
      401,
      'invalid_client',
      50027,
      `JWT token is invalid or malformed. [Reason - ${reason}]`,
    ),
  missingServicePrincipal: (clientId: string, tenantId: string) =>
    new EntraOAuthError(
      400,
      'invalid_client',
      7000229,
      `The client application ${clientId} is missing service principal in the tenant ${tenantId}. Admin consent has not been granted in this tenant.`,
    ),
  scopeNotDefault: (scope: string) =>
    new EntraOAuthError(
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    ),
  invalidScope: (scope: string) =>
    new EntraOAuthError(
      400,
      'invalid_scope',
      70011,
      `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
    ),
  unknownResource: (resource: string, tenant: string) =>
    new EntraOAuthError(
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
    ),
  unsupportedGrant: (grant: string) =>
    new EntraOAuthError(
      400,
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${grant}'.`,
    ),
  badCode: () =>
    new EntraOAuthError(
      400,
      'invalid_grant',
      70008,
      'The provided authorization code or refresh token has expired due to inactivity, was already redeemed, or is not valid. Send a new interactive authorization request for this user and resource.',
    ),
  codeRedirectMismatch: () =>
    new EntraOAuthError(
      400,
      'invalid_grant',
      50011,
      'The redirect URI specified in the request does not match the redirect URI used to obtain the authorization code.',
    ),
  pkceMismatch: () =>
    new EntraOAuthError(
      400,
      'invalid_grant',
      50148,
      'The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.',
    ),
  pkceRequired: () =>
    new EntraOAuthError(
      400,
      'invalid_request',
      9002325,
      'Proof Key for Code Exchange is required for cross-origin authorization code redemption.',
    ),
  redirectMismatch: (uri: string, clientId: string) =>
    new EntraOAuthError(
      400,
      'invalid_request',
      50011,
      `The redirect URI '${uri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.`,
    ),
};
