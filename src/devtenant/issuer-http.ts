// HTTP plumbing of the token issuer: body reading (size-capped), JSON and HTML answers with
// no-store caching, redirects in the response modes Entra supports, and HTML error pages.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { oauthErrors } from './issuer-errors.ts';
import { formPostPage } from './issuer-pages.ts';

const MAX_BODY = 64 * 1024;

/** An error shown as an HTML page (never redirected: e.g. an unregistered redirect_uri). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY) throw oauthErrors.badRequest('The request body is too large.');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store, no-cache',
    pragma: 'no-cache',
    'x-ms-request-id': randomUUID(),
  });
  res.end(payload);
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'content-security-policy':
      "default-src 'none'; style-src 'unsafe-inline'; form-action *; script-src 'unsafe-inline'",
  });
  res.end(html);
}

export function redirectTo(
  res: ServerResponse,
  redirectUri: string,
  mode: string,
  params: Record<string, string | undefined>,
): void {
  if (mode === 'form_post') {
    sendHtml(res, 200, formPostPage(redirectUri, params));
    return;
  }
  const target = new URL(redirectUri);
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, value);
  if (mode === 'fragment') target.hash = query.toString();
  else for (const [name, value] of query) target.searchParams.set(name, value);
  res.writeHead(302, { location: target.toString(), 'cache-control': 'no-store' });
  res.end();
}
