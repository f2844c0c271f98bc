// Without BOT_APP_ID (local development only, as the SDKs do) the bot accepts activities from
// loopback addresses only and warns at start; in production without BOT_APP_ID it refuses all.
// A non-loopback peer cannot be made in tests (servers bind to 127.0.0.1), so the route handler
// is called with a request whose socket says where it came from.
import type { Request, Response } from 'restify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBot } from '../../bot/bot-routes.ts';
import type { AppContext } from '../../src/app-context.ts';
import type { RestifyServer } from '../../src/server/http-server.ts';
import { type LocalConnector, startLocalConnector } from '../helpers/local-connector.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';

let world: TestWorld;
let connector: LocalConnector;

beforeAll(async () => {
  world = await createTestWorld({ users: 8 });
  connector = await startLocalConnector();
}, 60_000);
afterAll(async () => {
  await connector?.stop();
  await world?.close();
});

type Handler = (req: Request, res: Response) => Promise<void>;

function mount(nodeEnv: 'development' | 'production') {
  const log = world.ctx.log.child({});
  const warn = vi.spyOn(log, 'warn');
  const error = vi.spyOn(log, 'error');
  const ctx: AppContext = {
    ...world.ctx,
    log,
    config: { ...world.ctx.config, BOT_APP_ID: undefined, BOT_APP_PASSWORD: undefined, NODE_ENV: nodeEnv },
  };
  const bot = createBot(ctx);
  let handler: Handler | undefined;
  const server = {
    post: (path: string, h: Handler) => {
      if (path === '/api/messages') handler = h;
    },
  } as unknown as RestifyServer;
  bot.routes(server, ctx);
  if (!handler) throw new Error('no /api/messages route');
  const call = handler;
  return {
    bot,
    warn,
    error,
    async post(remoteAddress: string, body: Record<string, unknown>) {
      const answer: { status?: number; body?: unknown } = {};
      const req = { body, headers: {}, socket: { remoteAddress } } as unknown as Request;
      const res = {
        headersSent: false,
        json(status: number, payload: unknown) {
          answer.status = status;
          answer.body = payload;
        },
        send(status: number) {
          answer.status = status;
        },
      } as unknown as Response;
      await call(req, res);
      return answer;
    },
  };
}

const helpMessage = () => ({
  type: 'message',
  id: `m-${Math.random()}`,
  text: 'help',
  channelId: 'msteams',
  serviceUrl: connector.serviceUrl,
  from: { id: '29:dev', aadObjectId: '00000000-0000-4000-8000-0000000000d1' },
  recipient: { id: '28:entra-backup' },
  conversation: { id: 'a:dev-personal', conversationType: 'personal', tenantId: world.tenantId },
  channelData: { tenant: { id: world.tenantId } },
});

describe('no BOT_APP_ID in development: loopback only', () => {
  it('warns at start that unauthenticated activities are accepted from loopback only', () => {
    const m = mount('development');
    expect(m.bot.mode).toBe('loopback-anonymous');
    expect(m.warn.mock.calls.some((c) => /loopback only/.test(String(c.at(-1))))).toBe(true);
  });

  it('answers an activity from a loopback address', async () => {
    const m = mount('development');
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      const before = connector.calls.length;
      expect((await m.post(address, helpMessage())).status, address).toBe(200);
      expect(connector.calls.length).toBe(before + 1);
    }
  });

  it('answers 401 to the same activity from any other address, and runs nothing', async () => {
    const m = mount('development');
    for (const address of ['10.0.0.7', '192.168.1.20', '::ffff:10.0.0.7', 'fe80::1', '']) {
      const before = connector.calls.length;
      const answer = await m.post(address, helpMessage());
      expect(answer.status, address).toBe(401);
      expect(JSON.stringify(answer.body)).toMatch(/loopback only/);
      expect(connector.calls.length).toBe(before);
    }
  });
});

describe('no BOT_APP_ID in production', () => {
  it('refuses every activity, loopback included, and says so at start', async () => {
    const m = mount('production');
    expect(m.bot.mode).toBe('disabled');
    expect(m.error.mock.calls.some((c) => /BOT_APP_ID is not set in production/.test(String(c.at(-1))))).toBe(
      true,
    );
    const before = connector.calls.length;
    expect((await m.post('127.0.0.1', helpMessage())).status).toBe(401);
    expect(connector.calls.length).toBe(before);
  });
});
