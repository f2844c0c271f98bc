// POST /api/messages on the product's restify server. With BOT_APP_ID set every activity must
// carry a valid channel token (else 401). Without it (local development only, never with
// NODE_ENV=production) activities are accepted from loopback addresses only, with a warning.
import type { Request, Response } from 'restify';
import { z } from 'zod';
import type { AppContext } from '../src/app-context.ts';
import {
  type ConnectorTokenProvider,
  connectorTokenOptionsFrom,
  createConnectorTokenProvider,
} from '../src/auth/bot-connector-token.ts';
import {
  BOT_FRAMEWORK_METADATA_URL,
  BotAuthError,
  type BotTokenValidator,
  createBotTokenValidator,
} from '../src/auth/bot-token-validator.ts';
import type { FetchLike } from '../src/auth/fetch-like.ts';
import { createHttpsAgent, httpsRequest } from '../src/graph/https-fetch.ts';
import type { RestifyServer, RouteModule } from '../src/server/http-server.ts';
import { createActivityHandler } from './activity-handler.ts';
import { createAgentsSdkBot } from './agents-sdk-adapter.ts';
import type { BotLogic, ConnectorSender, InboundActivity } from './bot-types.ts';
import { prepareCardTemplates } from './cards/render-card.ts';

export interface BotOptions {
  /** Fetch for OpenID metadata, JWKS and the connector token (dev: trusts the loopback CA). */
  fetch?: FetchLike;
  /** Trusted channel metadata; default Bot Framework's, or the dev tenant's issuer. */
  metadataUrls?: string[];
  connectorTokenProvider?: ConnectorTokenProvider;
}

export interface Bot {
  routes: RouteModule;
  /** For proactive messages (the notifier) and card updates. */
  connector: ConnectorSender;
  logic: BotLogic;
  /** 'token' when BOT_APP_ID is set, else 'loopback-anonymous' (or 'disabled' in production). */
  mode: 'token' | 'loopback-anonymous' | 'disabled';
}

const activitySchema = z
  .object({
    type: z.string().min(1).max(64),
    channelId: z.string().min(1).max(64),
    serviceUrl: z.url({ protocol: /^https?$/ }).max(2048),
    conversation: z.object({ id: z.string().min(1).max(1024) }).passthrough(),
    from: z.object({ id: z.string().min(1).max(1024) }).passthrough(),
    recipient: z.object({ id: z.string().max(1024) }).passthrough(),
  })
  .passthrough();

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** In dev the dev tenant's issuer signs channel tokens and serves HTTPS with its own CA. */
function devFetch(ctx: AppContext): FetchLike | undefined {
  return ctx.devTenant ? fetchTrusting(ctx.devTenant.caPem) : undefined;
}

/** A FetchLike over node:https that also trusts `caPem` (the dev tenant's loopback certificate). */
export function fetchTrusting(caPem: string | undefined): FetchLike {
  const agent = createHttpsAgent(caPem, 8);
  return async (url, init) => {
    const response = await httpsRequest(
      url,
      { method: init?.method ?? 'GET', headers: init?.headers, body: init?.body, timeoutMs: 10_000 },
      agent,
    );
    return new Response(new Uint8Array(response.body), {
      status: response.status,
      headers: response.headers,
    });
  };
}

export function createBot(ctx: AppContext, options: BotOptions = {}): Bot {
  const appId = ctx.config.BOT_APP_ID;
  const production = ctx.config.NODE_ENV === 'production';
  const fetchImpl = options.fetch ?? devFetch(ctx);
  const tokenProvider =
    options.connectorTokenProvider ?? createConnectorTokenProvider(connectorTokenOptionsFrom(ctx, fetchImpl));
  const sdk = createAgentsSdkBot(appId, tokenProvider);
  const logic = createActivityHandler(ctx, sdk.connector);
  prepareCardTemplates();
  const mode: Bot['mode'] = appId ? 'token' : production ? 'disabled' : 'loopback-anonymous';
  let validator: BotTokenValidator | undefined;
  if (appId) {
    const metadataUrls = options.metadataUrls ?? [
      ctx.devTenant
        ? `${ctx.devTenant.authorityUrl.replace(/\/+$/, '')}/botframework/v1/.well-known/openidconfiguration`
        : BOT_FRAMEWORK_METADATA_URL,
    ];
    validator = createBotTokenValidator({ appId, metadataUrls, fetch: fetchImpl });
  }

  async function handle(req: Request, res: Response): Promise<void> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const hint = {
      channelId: typeof body.channelId === 'string' ? body.channelId : undefined,
      serviceUrl: typeof body.serviceUrl === 'string' ? body.serviceUrl : undefined,
    };
    if (validator) {
      try {
        await validator.validate(req.headers.authorization, hint);
      } catch (error) {
        const reason = error instanceof BotAuthError ? error.message : 'validation failed';
        ctx.log.warn({ reason, remote: req.socket.remoteAddress }, 'bot: activity refused (401)');
        res.json(401, {
          error: { code: 'Unauthorized', message: 'A valid Bot Framework token is required.' },
        });
        return;
      }
    } else if (mode === 'disabled' || !LOOPBACK.has(req.socket.remoteAddress ?? '')) {
      ctx.log.warn({ remote: req.socket.remoteAddress, mode }, 'bot: anonymous activity refused (401)');
      res.json(401, {
        error: { code: 'Unauthorized', message: 'This bot accepts anonymous activities from loopback only.' },
      });
      return;
    }
    const parsed = activitySchema.safeParse(body);
    if (!parsed.success) {
      const why = parsed.error.issues
        .map((i) => `${i.path.join('.') || 'activity'}: ${i.message}`)
        .join('; ');
      res.json(400, { error: { code: 'BadRequest', message: `Invalid activity: ${why.slice(0, 500)}` } });
      return;
    }
    try {
      const result = await sdk.process(parsed.data as unknown as InboundActivity, logic);
      if (result.body === undefined || result.body === null) {
        res.send(result.status);
      } else {
        res.json(result.status, result.body);
      }
    } catch (error) {
      ctx.log.error({ err: error instanceof Error ? error.message : String(error) }, 'bot: activity failed');
      if (!res.headersSent)
        res.json(500, {
          error: { code: 'InternalError', message: 'The bot could not process the activity.' },
        });
    }
  }

  const routes: RouteModule = (server: RestifyServer) => {
    if (mode === 'loopback-anonymous') {
      ctx.log.warn(
        'bot: BOT_APP_ID is not set — accepting unauthenticated activities from loopback only (local development)',
      );
    } else if (mode === 'disabled') {
      ctx.log.error('bot: BOT_APP_ID is not set in production — every activity is refused');
    }
    server.post('/api/messages', handle);
  };
  return { routes, connector: sdk.connector, logic, mode };
}

/** A RouteModule that builds the bot with the given options when mounted. */
export function createBotRoutes(options: BotOptions = {}): RouteModule {
  return (server, ctx) => createBot(ctx, options).routes(server, ctx);
}

/** The bot's routes with defaults from the environment (POST /api/messages). */
export const botRoutes: RouteModule = createBotRoutes();
