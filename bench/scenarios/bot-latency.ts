// Scenario 5: the bot over HTTP, as Teams drives it: `restore user <partial upn>` posted to
// /api/messages (personal chat, from a tenant admin), timed until the first reply reaches the
// Bot Connector (a local one on loopback that records arrivals). p50/p99 over the run's
// requests, sent one at a time. Floor: the same round trip for `help` (no store, no Graph).
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBotRoutes } from '../../bot/bot-routes.ts';
import { createHttpServer, listen } from '../../src/server/http-server.ts';
import { type BenchContext, injectLatency, requireTenant, type Scenario } from '../lib/bench-context.ts';
import { ratio } from '../lib/lower-bounds.ts';
import type { ScenarioResult } from '../lib/report.ts';
import { summarize } from '../lib/stats.ts';
import { spread } from '../lib/tenant-writes.ts';

interface Connector {
  url: string;
  /** Resolves when the first activity for `conversationId` arrives. */
  firstReply(conversationId: string, timeoutMs: number): Promise<number>;
  close(): Promise<void>;
}

/** A loopback Bot Connector: answers POST/PUT .../v3/conversations/{id}/activities[/{id}] as Teams does. */
async function startConnector(): Promise<Connector> {
  const waiting = new Map<string, (at: number) => void>();
  const arrived = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const at = performance.now();
    const match = /\/v3\/conversations\/([^/]+)\/activities/.exec(req.url ?? '');
    req.resume();
    req.on('end', () => {
      if (match) {
        const id = decodeURIComponent(match[1]);
        if (!arrived.has(id)) arrived.set(id, at);
        waiting.get(id)?.(at);
        waiting.delete(id);
      }
      res.writeHead(match ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(match ? { id: randomUUID() } : { error: { code: 'NotFound' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    firstReply(conversationId, timeoutMs) {
      const seen = arrived.get(conversationId);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no reply for ${conversationId} in ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiting.set(conversationId, (at) => {
          clearTimeout(timer);
          resolve(at);
        });
      });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function activity(
  text: string,
  tenantId: string,
  adminId: string,
  serviceUrl: string,
  conversationId: string,
) {
  return {
    type: 'message',
    id: randomUUID(),
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl,
    from: { id: `29:${adminId}`, aadObjectId: adminId, name: 'Benchmark Admin' },
    conversation: { id: conversationId, conversationType: 'personal', tenantId },
    recipient: { id: '28:entra-backup', name: 'Entra Backup' },
    text,
    locale: 'en-US',
    channelData: { tenant: { id: tenantId } },
  };
}

export const botLatencyScenario: Scenario = {
  name: 'bot',
  title: 'Bot: restore user <partial upn> to first reply',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const { runtime, dev, tenantId } = requireTenant(ctx);
    if (!ctx.backedUp) throw new Error('needs the full backup of scenario 1');
    const admin = dev.globalAdmins()[0];
    if (!admin) throw new Error('the dev tenant has no Global Administrator to act as the admin');
    const users = (await runtime.store.listObjects(tenantId, { type: 'user', limit: 1000 })).items;
    const partials = spread(users, ctx.sizes.botRequests).map((u) =>
      String(u.summary.userPrincipalName ?? u.displayName)
        .split('@')[0]
        .slice(0, 6)
        .toLowerCase(),
    );
    injectLatency(ctx);
    const connector = await startConnector();
    const server = await createHttpServer(runtime, [createBotRoutes()]);
    const base = await listen(server, 0, '127.0.0.1');
    const send = async (text: string): Promise<number> => {
      const conversationId = `a:bench-${randomUUID()}`;
      const started = performance.now();
      const reply = connector.firstReply(conversationId, 30_000);
      const response = await fetch(`${base.replace('localhost', '127.0.0.1')}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(activity(text, tenantId, admin, connector.url, conversationId)),
      });
      if (response.status >= 300)
        throw new Error(`bot answered ${response.status}: ${await response.text()}`);
      return (await reply) - started;
    };
    try {
      // Warm-up (token caches, admin check cache, JIT) is not measured, as in a running service.
      await send('help');
      await send(`restore user ${partials[0]}`);
      const help: number[] = [];
      for (let i = 0; i < Math.min(50, ctx.sizes.botRequests); i++) help.push(await send('help'));
      const restore: number[] = [];
      for (const partial of partials) restore.push(await send(`restore user ${partial}`));
      const r = summarize(restore);
      const floor = summarize(help);
      return {
        scenario: 'bot',
        status: 'ok',
        ratioToLowerBound: ratio(r.p99Ms, floor.p50Ms),
        requests: r.n,
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        maxMs: r.maxMs,
        helpP50Ms: floor.p50Ms,
        helpP99Ms: floor.p99Ms,
      };
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connector.close();
    }
  },
};
