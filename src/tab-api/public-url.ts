// The product's public addresses used in redirects (sign-in and admin-consent callbacks).
import type { Request } from 'restify';
import type { AppContext } from '../app-context.ts';

export const SIGNIN_CALLBACK_PATH = '/tab/auth-end';
export const CONSENT_CALLBACK_PATH = '/auth/consent/callback';
export const CONSENT_PURPOSE = 'admin-consent';

/** PUBLIC_URL, else the loopback host the browser used (a Host header is attacker-controlled). */
export function publicBaseUrl(ctx: AppContext, req: Request): string {
  if (ctx.config.PUBLIC_URL) return ctx.config.PUBLIC_URL.replace(/\/+$/, '');
  const host = String(req.headers.host ?? '');
  if (/^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/.test(host)) return `http://${host}`;
  return `http://localhost:${ctx.config.PORT}`;
}
