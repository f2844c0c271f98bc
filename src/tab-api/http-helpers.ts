// Shared plumbing of the tab API: one wrapper that authenticates, authorizes, validates input
// and turns errors into clear JSON answers, so no route can forget a check.
import type { Request, Response } from 'restify';
import { z } from 'zod';
import type { AppContext } from '../app-context.ts';
import { StoreConflictError } from '../store/store.ts';
import { TabAuthError, type TabIdentity, type TokenValidator } from './auth/validate-token.ts';

/** Largest JSON body the tab API accepts (the server's parser allows more for the bot). */
export const MAX_TAB_BODY_BYTES = 64 * 1024;

export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Caller extends TabIdentity {
  isAdmin: boolean;
}

export interface ApiDeps {
  ctx: AppContext;
  validate: TokenValidator;
  /** The admin check shared with the bot (helper 6's isTenantAdmin). */
  isAdmin: (tenantId: string, userObjectId: string) => Promise<boolean>;
  /** True when the tenant is onboarded (has settings). */
  knownTenant: (tenantId: string) => Promise<boolean>;
}

export type ApiHandler = (req: Request, caller: Caller, res: Response) => Promise<unknown>;
export type ReadHandler = (req: Request, caller: TabIdentity, res: Response) => Promise<unknown>;

/**
 * Wraps an API handler. `write` routes need an admin; every route needs a valid token for an
 * onboarded tenant. The handler's return value is sent as JSON (undefined = it answered itself).
 */
export function apiRoute(deps: ApiDeps, handler: ApiHandler, options: { write?: boolean } = {}) {
  return guarded(deps, async (req, identity, res) => {
    const isAdmin = await deps.isAdmin(identity.principal.tenantId, identity.principal.objectId);
    if (options.write && !isAdmin) {
      throw new HttpError(403, 'not_admin', 'Only admins of this tenant can do this; your view is read-only');
    }
    return handler(req, { ...identity, isAdmin }, res);
  });
}

/**
 * A read that shows the same to every member of the tenant (object tables, search, versions):
 * a valid token for an onboarded tenant, without the caller's role. The admin check costs Graph
 * calls whenever its cache lapses; a search keystroke must not wait for them.
 */
export function readRoute(deps: ApiDeps, handler: ReadHandler) {
  return guarded(deps, handler);
}

function guarded(deps: ApiDeps, handler: ReadHandler) {
  return async (req: Request, res: Response) => {
    try {
      if (bodyBytes(req) > MAX_TAB_BODY_BYTES) {
        throw new HttpError(413, 'body_too_large', `Request body over ${MAX_TAB_BODY_BYTES} bytes`);
      }
      const identity = await deps.validate(req.headers.authorization);
      if (!(await deps.knownTenant(identity.principal.tenantId))) {
        throw new HttpError(
          403,
          'tenant_not_onboarded',
          'This tenant is not onboarded: install the app in Teams first',
        );
      }
      const result = await handler(req, identity, res);
      if (result !== undefined && !res.headersSent) {
        res.header('Cache-Control', 'no-store');
        res.json(200, result);
      }
    } catch (error) {
      sendError(deps.ctx, req, res, error);
    }
  };
}

/** Size of the request body: the declared length, or what was read (chunked uploads declare none). */
function bodyBytes(req: Request): number {
  const declared = Number(req.headers['content-length'] ?? 0);
  const raw = (req as Request & { rawBody?: unknown }).rawBody;
  const read = typeof raw === 'string' || Buffer.isBuffer(raw) ? Buffer.byteLength(raw) : 0;
  return Math.max(declared, read);
}

export function sendError(ctx: AppContext, req: Request, res: Response, error: unknown): void {
  if (res.headersSent) return;
  let status = 500;
  let code = 'internal_error';
  let message = 'Something went wrong; the error was logged';
  if (error instanceof TabAuthError || error instanceof HttpError) {
    ({ status, code, message } = error);
  } else if (error instanceof z.ZodError) {
    status = 400;
    code = 'invalid_request';
    message = error.issues
      .map((issue) => `${issue.path.length ? issue.path.join('.') : 'request'}: ${issue.message}`)
      .join('; ');
  } else if (error instanceof StoreConflictError) {
    status = 409;
    code = 'conflict';
    message = 'Changed by someone else meanwhile; reload and try again';
  } else if (isStatusError(error)) {
    status = error.status;
    code = error.code ?? 'rejected';
    message = error.message;
  }
  if (status >= 500) ctx.log.error({ err: error, url: req.path() }, 'tab api failed');
  else ctx.log.info({ status, code, url: req.path() }, 'tab api refused');
  if (status === 401) res.header('WWW-Authenticate', 'Bearer error="invalid_token"');
  res.json(status, { error: { code, message } });
}

/** Errors from other modules that carry an HTTP-like status (e.g. an approval refused: 409). */
function isStatusError(error: unknown): error is { status: number; code?: string; message: string } {
  if (!(error instanceof Error)) return false;
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 600;
}

export function parseBody<T extends z.ZodType>(schema: T, req: Request): z.infer<T> {
  return schema.parse(req.body ?? {});
}

export function parseQuery<T extends z.ZodType>(schema: T, req: Request): z.infer<T> {
  return schema.parse(req.query ?? {});
}

export function parseParams<T extends z.ZodType>(schema: T, req: Request): z.infer<T> {
  return schema.parse(req.params ?? {});
}

export function notFound(what: string): HttpError {
  return new HttpError(404, 'not_found', `${what} was not found in your tenant's backup`);
}
