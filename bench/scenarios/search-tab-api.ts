// Scenario 3 through the tab's HTTP API: the same prefix, substring and object-id queries as
// the store figures, sent as the users page sends them (GET /api/tab/objects?type=user&search=…,
// 50 per page) to the product's restify server with a real SSO token of the dev issuer (signed
// in through its authorization-code + PKCE flow). Every request is authenticated and authorized
// as in production; the difference from the store's figures is the HTTP layer's cost.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AppContext } from '../../src/app-context.ts';
import { createHttpServer, listen } from '../../src/server/http-server.ts';
import { createFetch } from '../../src/tab-api/auth/https-fetch.ts';
import { createTabRoutes } from '../../src/tab-api/tab-routes.ts';
import { signInThroughIssuer } from '../../tests/tab/tab-world.ts';
import { type LatencySummary, summarize, timed } from '../lib/stats.ts';

export interface SearchQueries {
  prefix: string[];
  substring: string[];
  id: string[];
}

export interface TabApiSearchFigures {
  prefix: LatencySummary;
  substring: LatencySummary;
  id: LatencySummary;
  /** Queries for existing users that found nothing (must be 0). */
  emptyResults: number;
  /** GET /api/tab/me: the fixed cost of a request (token, tenant, role) without a query. */
  emptyRoute: LatencySummary;
  /**
   * With `direct`: the same query straight on the store, timed right before each HTTP one, so
   * both see the same load on a shared machine (their difference is the HTTP layer's cost).
   */
  direct?: Record<keyof SearchQueries, LatencySummary>;
}

export interface TabApiTarget {
  ctx: AppContext;
  /** The dev tenant's folder (its credentials and loopback certificate). */
  devTenantDir: string;
  /** The dev token issuer, e.g. https://127.0.0.1:3980. */
  authorityUrl: string;
  /** Who signs in (any user of the tenant: search is a read). */
  upn: string;
}

export async function measureTabApiSearch(
  target: TabApiTarget,
  queries: SearchQueries,
  direct?: (query: string) => Promise<unknown>,
): Promise<TabApiSearchFigures> {
  const caPem = readFileSync(path.join(target.devTenantDir, 'loopback-tls.crt'), 'utf8');
  const server = await createHttpServer(target.ctx, [
    createTabRoutes({
      auth: { authorityUrl: target.authorityUrl, devTenantDir: target.devTenantDir, caPem },
    }),
  ]);
  try {
    const baseUrl = (await listen(server, 0, '127.0.0.1')).replace('localhost', '127.0.0.1');
    const fetch = createFetch(caPem);
    const token = await signInThroughIssuer(fetch, baseUrl, target.upn);
    const get = async (route: string) => {
      const res = await fetch(`${baseUrl}${route}`, { headers: { Authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { items?: unknown[]; error?: { message: string } };
      if (res.status !== 200) throw new Error(`${route}: ${res.status} ${body.error?.message ?? ''}`);
      return body;
    };
    // Warm-up: the first request fetches the issuer's keys and resolves the caller's role.
    await get('/api/tab/me');
    const emptyRoute: number[] = [];
    for (let i = 0; i < 50; i++) emptyRoute.push((await timed(() => get('/api/tab/me'))).ms);
    let emptyResults = 0;
    const out: Partial<Record<keyof SearchQueries, LatencySummary>> = {};
    const beside: Partial<Record<keyof SearchQueries, LatencySummary>> = {};
    for (const kind of ['prefix', 'substring', 'id'] as const) {
      const samples: number[] = [];
      const directSamples: number[] = [];
      for (const q of queries[kind]) {
        if (direct) directSamples.push((await timed(() => direct(q))).ms);
        const { value, ms } = await timed(() =>
          get(`/api/tab/objects?type=user&deleted=all&sort=name&limit=50&search=${encodeURIComponent(q)}`),
        );
        if (!value.items?.length) emptyResults++;
        samples.push(ms);
      }
      out[kind] = summarize(samples);
      if (direct) beside[kind] = summarize(directSamples);
    }
    return {
      ...(out as Record<keyof SearchQueries, LatencySummary>),
      emptyResults,
      emptyRoute: summarize(emptyRoute),
      ...(direct ? { direct: beside as Record<keyof SearchQueries, LatencySummary> } : {}),
    };
  } finally {
    server.close();
  }
}
