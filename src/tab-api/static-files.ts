// Serves the built tab (tab/dist) under /tab with an SPA fallback to index.html, and a clear
// page when the tab has not been built yet.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Request, Response } from 'restify';
import { htmlPage } from './html-page.ts';

export const TAB_DIST_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../tab/dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** Teams hosts tabs in frames of these origins; elsewhere the tab may not be framed. */
const FRAME_ANCESTORS =
  "'self' https://teams.microsoft.com https://*.teams.microsoft.com https://*.teams.cloud.microsoft https://*.cloud.microsoft https://*.office.com https://*.microsoft365.com https://local.teams.office.com";

export function securityHeaders(res: Response): void {
  res.header(
    'Content-Security-Policy',
    `default-src 'self'; script-src 'self' https://res.cdn.office.net; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors ${FRAME_ANCESTORS}; base-uri 'self'; form-action 'self'`,
  );
  res.header('X-Content-Type-Options', 'nosniff');
  res.header('Referrer-Policy', 'no-referrer');
}

export function createStaticHandler(distDir = TAB_DIST_DIR) {
  return async (req: Request, res: Response) => {
    securityHeaders(res);
    const relative = decodeURIComponent(req.path().replace(/^\/tab\/?/, ''));
    const resolved = path.resolve(distDir, relative);
    // Never leave the dist folder (`..`, absolute paths, encoded slashes).
    const inside = resolved === distDir || resolved.startsWith(distDir + path.sep);
    let file = inside && relative !== '' ? resolved : path.join(distDir, 'index.html');
    let isFile = false;
    try {
      isFile = (await stat(file)).isFile();
    } catch {
      isFile = false;
    }
    if (!isFile) {
      // A path with an extension is a missing asset; anything else is a page of the SPA.
      if (path.extname(relative)) {
        res.json(404, { error: { code: 'not_found', message: `No file ${relative} in the tab` } });
        return;
      }
      file = path.join(distDir, 'index.html');
    }
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      res.writeHead(503, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(
        htmlPage(
          'The tab is not built yet',
          'The server runs, but the tab pages have not been built. Run <code>npm run build:tab</code> and reload this page.',
          'warning',
        ),
      );
      return;
    }
    const ext = path.extname(file);
    const hashed = file.includes(`${path.sep}assets${path.sep}`);
    res.writeHead(200, {
      'Content-Type': TYPES[ext] ?? 'application/octet-stream',
      'Cache-Control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      'Content-Length': body.length,
    });
    res.end(body);
  };
}
