// A local Bot Connector for tests: receives the bot's replies, proactive messages and updates on
// loopback and answers as the Bot Connector service does (POST → {id}, PUT → {id}), recording
// every call. When `verifyToken` is given, each call's bearer token is checked (401 otherwise).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ConnectorCall {
  method: 'POST' | 'PUT' | 'DELETE';
  conversationId: string;
  /** The id the connector gave (POST) or the id updated (PUT). */
  activityId: string;
  /** For replies (POST …/activities/{replyToId}). */
  replyToId?: string;
  activity: Record<string, unknown>;
  authorization?: string;
  at: number;
}

export interface LocalConnector {
  /** serviceUrl to put in activities, with a trailing slash as Teams sends it. */
  readonly serviceUrl: string;
  readonly calls: ConnectorCall[];
  /** The current content of each posted activity (after updates). */
  current(activityId: string): Record<string, unknown> | undefined;
  /** Adaptive Card contents of the calls, in order (optionally only one conversation). */
  cards(conversationId?: string): Record<string, unknown>[];
  waitFor(predicate: (call: ConnectorCall) => boolean, timeoutMs?: number): Promise<ConnectorCall>;
  /** Forget recorded calls (contents of posted activities are kept for updates). */
  clear(): void;
  stop(): Promise<void>;
}

export async function startLocalConnector(
  options: { verifyToken?: (token: string) => Promise<boolean> } = {},
): Promise<LocalConnector> {
  const calls: ConnectorCall[] = [];
  const contents = new Map<string, Record<string, unknown>>();
  const waiters = new Set<() => void>();
  let counter = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const match = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/?]+))?/.exec(req.url ?? '');
      if (!match) return send(404, { error: { code: 'NotFound', message: `no route ${req.url}` } });
      const authorization = req.headers.authorization;
      if (options.verifyToken) {
        const token = authorization?.replace(/^Bearer\s+/i, '') ?? '';
        if (!token || !(await options.verifyToken(token).catch(() => false))) {
          return send(401, { error: { code: 'Unauthorized', message: 'invalid bot token' } });
        }
      }
      let activity: Record<string, unknown> = {};
      try {
        activity = chunks.length
          ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>)
          : {};
      } catch {
        return send(400, { error: { code: 'BadArgument', message: 'body is not JSON' } });
      }
      const conversationId = decodeURIComponent(match[1]);
      const pathId = match[2] ? decodeURIComponent(match[2]) : undefined;
      const method = req.method as ConnectorCall['method'];
      let activityId: string;
      if (method === 'PUT') {
        if (!pathId || !contents.has(pathId))
          return send(404, { error: { code: 'ActivityNotFound', message: 'unknown activity' } });
        activityId = pathId;
      } else if (method === 'POST') {
        activityId = `1:${++counter}`;
      } else {
        return send(405, { error: { code: 'MethodNotAllowed', message: String(req.method) } });
      }
      contents.set(activityId, activity);
      calls.push({
        method,
        conversationId,
        activityId,
        ...(method === 'POST' && pathId ? { replyToId: pathId } : {}),
        activity,
        authorization,
        at: Date.now(),
      });
      for (const wake of [...waiters]) wake();
      return send(method === 'POST' ? 201 : 200, { id: activityId });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const cardsOf = (activity: Record<string, unknown>) =>
    (
      (activity.attachments as { contentType?: string; content?: Record<string, unknown> }[] | undefined) ??
      []
    )
      .filter((a) => a.contentType === 'application/vnd.microsoft.card.adaptive' && a.content)
      .map((a) => a.content as Record<string, unknown>);

  return {
    serviceUrl: `http://127.0.0.1:${port}/`,
    calls,
    current: (id) => contents.get(id),
    cards: (conversationId) =>
      calls
        .filter((c) => !conversationId || c.conversationId === conversationId)
        .flatMap((c) => cardsOf(c.activity)),
    waitFor(predicate, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = calls.find(predicate);
          if (hit) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(hit);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `local connector: no matching call within ${timeoutMs} ms (${calls.length} calls recorded)`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    clear() {
      calls.length = 0;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
