// Errors a run records, with Graph's code and request-id where Graph answered, and the
// product's own codes where it did not.
import type { ObjectType, RunError } from '../domain.ts';
import { GraphError } from '../graph/gateway.ts';
import { isIdentityUnreachable, isTokenRefusal } from '../graph/token-provider.ts';
import { StoreUnavailableError } from '../store/store.ts';

export { isIdentityUnreachable };

/** 401 from Graph or a refused token: nothing of this tenant can be read until consent is granted again. */
export function isConsentError(err: unknown): boolean {
  if (err instanceof GraphError) return err.status === 401;
  const text = err instanceof Error ? `${err.name} ${err.message}` : String(err);
  return /AADSTS(65001|7000215|700016|500011|90002)|invalid_client|unauthorized_client|consent/i.test(text);
}

/** Errors that end the whole run: every type would hit them (store down, no token). */
export function isFatalRunError(err: unknown): boolean {
  return isStoreError(err) || isConsentError(err) || isIdentityUnreachable(err);
}

export function isStoreError(err: unknown): boolean {
  return (
    err instanceof StoreUnavailableError || (err instanceof Error && err.name === 'StoreUnavailableError')
  );
}

export function toRunError(err: unknown, at: string, objectType?: ObjectType): RunError {
  const base = objectType ? { objectType } : {};
  if (isIdentityUnreachable(err) && err instanceof GraphError) {
    // No HTTP answer from Graph: the token never came (the message names the authority).
    return { ...base, code: err.code, message: err.message, at };
  }
  if (isTokenRefusal(err) && err instanceof GraphError) {
    return {
      ...base,
      code: 'CONSENT_REVOKED',
      message: `the identity endpoint refused a token for the backup app (${err.code}): admin consent was revoked or the app's credentials are no longer valid. Grant admin consent again. (${err.message})`,
      status: err.status,
      at,
    };
  }
  if (err instanceof GraphError) {
    let message = err.message;
    if (err.status === 401) {
      message = `Graph refused the backup app's token (401 ${err.code}): admin consent was revoked or the app's credentials are no longer valid. Grant admin consent again. (${err.message})`;
    } else if (err.status === 403) {
      message = `Graph denied reading ${objectType ?? 'this tenant'} (403 ${err.code}): the backup app lacks the permission or its consent was revoked. (${err.message})`;
    }
    return {
      ...base,
      code: err.code,
      message,
      status: err.status,
      ...(err.requestId ? { requestId: err.requestId } : {}),
      at,
    };
  }
  if (isStoreError(err)) {
    return {
      ...base,
      code: 'STORE_UNAVAILABLE',
      message: `store unavailable: ${(err as Error).message}`,
      at,
    };
  }
  if (isConsentError(err)) {
    return {
      ...base,
      code: 'CONSENT_REVOKED',
      message: `the backup app could not get a token for this tenant: admin consent was revoked or the app's credentials are invalid. (${err instanceof Error ? err.message : String(err)})`,
      at,
    };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return { ...base, code: typeof code === 'string' ? code : 'BACKUP_ERROR', message: e.message, at };
}
