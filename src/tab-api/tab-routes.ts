// The tab's routes on the product server: /tab (the built React app), /api/tab/* (JSON APIs,
// every call with a validated token), /tab/auth-end + /auth/signin (sign-in outside Teams) and
// /auth/consent/callback (admin consent result).
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, customFetch } from 'jose';
import type { AppContext } from '../app-context.ts';
import type { RouteModule } from '../server/http-server.ts';
import { createFetch, type FetchLike } from './auth/https-fetch.ts';
import { createStateSigner } from './auth/signed-state.ts';
import {
  resolveTabAuthSettings,
  type TabAuthOverrides,
  type TabAuthSettings,
} from './auth/tab-auth-settings.ts';
import { createTokenValidator, TabAuthError, type TokenValidator } from './auth/validate-token.ts';
import { mountAuthRoutes } from './auth-routes.ts';
import type { ApiDeps } from './http-helpers.ts';
import type { ProductPortsFactory } from './product-ports.ts';
import { createProductPorts } from './product-ports-impl.ts';
import { mountAuditRoutes } from './routes/audit-routes.ts';
import { mountExportRoutes } from './routes/export-routes.ts';
import { mountObjectRoutes } from './routes/object-routes.ts';
import { mountRestoreRoutes } from './routes/restore-routes.ts';
import { mountSettingsRoutes } from './routes/settings-routes.ts';
import { mountStatusRoutes } from './routes/status-routes.ts';
import { createStaticHandler, TAB_DIST_DIR } from './static-files.ts';

export interface TabRoutesOptions {
  /** Identity settings that differ from the environment's (tests). */
  auth?: TabAuthOverrides;
  /** Replaces the product ports (tests of the API alone). */
  ports?: ProductPortsFactory;
  /** HMAC key of redirect states; random per process when absent. */
  stateSecret?: string;
  distDir?: string;
}

export function createTabRoutes(options: TabRoutesOptions = {}): RouteModule {
  return (server, ctx) => {
    const states = createStateSigner({
      secret: options.stateSecret ?? sharedStateSecret(ctx),
      now: () => ctx.now(),
    });
    const lazy = lazyAuth(ctx, options.auth);
    const ports = (options.ports ?? createProductPorts)(ctx);
    const knownTenants = new Set<string>((ctx.devTenant?.tenantIds ?? []).map((t) => t.toLowerCase()));
    const deps: ApiDeps = {
      ctx,
      validate: (authorization) => lazy.validator()(authorization),
      isAdmin: (tenantId, oid) => ports.isAdmin(tenantId, oid),
      knownTenant: async (tenantId) => {
        if (knownTenants.has(tenantId)) return true;
        const found = Boolean(await ctx.store.getSettings(tenantId));
        if (found) knownTenants.add(tenantId);
        return found;
      },
    };
    mountAuthRoutes(server, { ctx, auth: lazy.settings, states, fetch: lazy.fetch });
    mountStatusRoutes(server, deps, ports);
    mountObjectRoutes(server, deps, ports);
    mountRestoreRoutes(server, deps, ports);
    mountSettingsRoutes(server, deps, lazy.settings, states);
    mountAuditRoutes(server, deps);
    mountExportRoutes(server, deps, ports);
    server.get('/api/tab/config', async (_req, res) => {
      // Public: what the page needs before sign-in (no secrets).
      const auth = lazy.settings();
      res.json(200, { tabClientId: auth.tabClientId, scope: auth.scope, signInPath: '/auth/signin' });
    });
    const serveStatic = createStaticHandler(options.distDir ?? TAB_DIST_DIR);
    server.get('/tab', (_req, res, next) => {
      res.redirect(301, '/tab/', next);
    });
    server.get('/tab/*', serveStatic);
  };
}

/**
 * Web instances behind one address must accept each other's states: derive the key from a
 * secret they share (never used as is). Without one (dev), a random per-process key.
 */
function sharedStateSecret(ctx: AppContext): string | undefined {
  const shared = ctx.config.BOT_APP_PASSWORD ?? ctx.config.BACKUP_CLIENT_SECRET;
  return shared
    ? createHash('sha256').update(`entra-backup/tab-state/${shared}`).digest('base64url')
    : undefined;
}

/** The default tab routes, configured from the environment (and the dev tenant when it runs). */
export const tabRoutes: RouteModule = createTabRoutes();

/**
 * Identity settings and the token validator are built on first use: the dev tenant writes its
 * app registrations after the server may have started. Rebuilt until a tab app is known.
 */
function lazyAuth(ctx: AppContext, overrides: TabAuthOverrides | undefined) {
  let settings: TabAuthSettings | undefined;
  let validator: TokenValidator | undefined;
  let fetcher: FetchLike | undefined;
  const getSettings = () => {
    if (!settings?.tabClientId) {
      settings = resolveTabAuthSettings(ctx, overrides);
      validator = undefined;
      fetcher = undefined;
    }
    return settings;
  };
  const getFetch = () => {
    fetcher ??= createFetch(getSettings().caPem);
    return fetcher;
  };
  return {
    settings: getSettings,
    fetch: getFetch,
    validator: (): TokenValidator => {
      const s = getSettings();
      if (!s.tabClientId || s.audiences.length === 0) {
        return async () => {
          throw new TabAuthError(
            401,
            'not_configured',
            'Tab sign-in is not configured (TAB_CLIENT_ID, TAB_DOMAIN)',
          );
        };
      }
      if (!validator) {
        const doFetch = getFetch();
        const keys = createRemoteJWKSet(new URL(s.jwksUrl), {
          cooldownDuration: 30_000,
          cacheMaxAge: 6 * 3_600_000,
          [customFetch]: (url, init) =>
            doFetch(url, {
              method: init.method,
              headers: Object.fromEntries(init.headers.entries()),
              signal: init.signal,
            }),
        });
        // Tokens live in real time, so the validator uses the real clock, not ctx.now.
        validator = createTokenValidator({ keys, audiences: s.audiences, issuerFor: s.issuerFor });
      }
      return validator;
    },
  };
}
