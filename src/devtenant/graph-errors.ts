// Graph's error shape: {error:{code, message, innerError:{date, request-id, client-request-id}}}.
// Handlers throw GraphHttpError; the server turns it into that body with the request's ids.

export class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function graphErrorBody(
  code: string,
  message: string,
  requestId: string,
  clientRequestId: string | undefined,
  now = new Date(),
): Record<string, unknown> {
  return {
    error: {
      code,
      message,
      innerError: {
        date: now.toISOString().replace(/\.\d{3}Z$/, ''),
        'request-id': requestId,
        'client-request-id': clientRequestId ?? requestId,
      },
    },
  };
}

export const errors = {
  badRequest: (message: string) => new GraphHttpError(400, 'Request_BadRequest', message),
  unsupportedQuery: (message: string) => new GraphHttpError(400, 'Request_UnsupportedQuery', message),
  notFound: (id: string) =>
    new GraphHttpError(
      404,
      'Request_ResourceNotFound',
      `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
    ),
  noRoute: (path: string) =>
    new GraphHttpError(
      400,
      'BadRequest',
      `Resource not found for the segment '${path.split('/').filter(Boolean).pop() ?? path}'.`,
    ),
  denied: () =>
    new GraphHttpError(
      403,
      'Authorization_RequestDenied',
      'Insufficient privileges to complete the operation.',
    ),
  nonPremium: () =>
    new GraphHttpError(
      403,
      'Authentication_RequestFromNonPremiumTenantOrB2CTenant',
      "Neither tenant is B2C or tenant doesn't have premium license",
    ),
  notImplemented: () =>
    new GraphHttpError(501, 'NotImplemented', 'This operation target is not yet supported.'),
  unknownProperty: (prop: string, typeName: string) =>
    new GraphHttpError(
      400,
      'Request_BadRequest',
      `Could not find a property named '${prop}' on type '${typeName}'.`,
    ),
  invalidId: (id: string) =>
    new GraphHttpError(400, 'Request_BadRequest', `Invalid object identifier '${id}'.`),
  methodNotAllowed: () =>
    new GraphHttpError(
      405,
      'Request_BadRequest',
      'The specified HTTP method is not allowed for the request target.',
    ),
  unauthenticated: (message: string) => new GraphHttpError(401, 'InvalidAuthenticationToken', message),
  duplicateValue: (prop: string) =>
    new GraphHttpError(
      400,
      'Request_BadRequest',
      `Another object with the same value for property ${prop} already exists.`,
    ),
  duplicateRef: (prop: string) =>
    new GraphHttpError(
      400,
      'Request_BadRequest',
      `One or more added object references already exist for the following modified properties: '${prop}'.`,
    ),
};
