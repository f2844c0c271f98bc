// The bot under test, for real: the lead's test world (dev tenant over HTTPS, SQLite store, Graph
// gateway), the product's restify server with the bot's routes in token mode (BOT_APP_ID = the
// dev tenant's bot app), activities signed by the dev tenant's issuer as the Bot Framework
// channel signs them, and a local connector that receives the bot's replies and checks its token.
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { type Bot, createBot, fetchTrusting } from '../../bot/bot-routes.ts';
import type { AppContext } from '../../src/app-context.ts';
import { clearTenantAdminCache } from '../../src/auth/tenant-admin.ts';
import { runBackupNow } from '../../src/backup/run-now.ts';
import { BOT_FRAMEWORK_ISSUER } from '../../src/devtenant/token-issuer.ts';
import { createHttpServer, listen, type RestifyServer } from '../../src/server/http-server.ts';
import { DEFAULT_ADMIN_ROLE_TEMPLATE_IDS } from '../../src/settings/tenant-settings.ts';
import { type LocalConnector, startLocalConnector } from '../helpers/local-connector.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';

export interface TeamsUser {
  aadObjectId: string;
  name: string;
  upn: string;
  /** Teams user id (MRI). */
  id: string;
}

export type Where = 'channel' | 'personal';

export interface BotWorld {
  world: TestWorld;
  ctx: AppContext;
  bot: Bot;
  url: string;
  tenantId: string;
  connector: LocalConnector;
  /** Two Global Administrators, one Privileged Role Administrator, one plain user. */
  users: { admin1: TeamsUser; admin2: TeamsUser; admin3: TeamsUser; nonAdmin: TeamsUser };
  botAppId: string;
  teamId: string;
  channelConversationId: string;
  personalConversationId(user: TeamsUser): string;
  channelToken(overrides?: {
    audience?: string;
    key?: 'primary' | 'untrusted';
    serviceurl?: string;
    issuer?: string;
  }): Promise<string>;
  /** POSTs an activity to /api/messages; token undefined = a valid one, null = none. */
  post(activity: Record<string, unknown>, token?: string | null): Promise<{ status: number; body: unknown }>;
  message(user: TeamsUser, text: string, where?: Where): Record<string, unknown>;
  invoke(
    user: TeamsUser,
    verb: string,
    data: Record<string, unknown>,
    where?: Where,
    trigger?: 'manual' | 'automatic',
  ): Record<string, unknown>;
  install(user: TeamsUser, where?: Where, action?: 'add' | 'remove'): Record<string, unknown>;
  /** Sends a message and returns the cards the bot replied with. */
  say(user: TeamsUser, text: string, where?: Where): Promise<Record<string, unknown>[]>;
  /** Clicks an Action.Execute; returns the card shown to the clicker (invoke response). */
  click(
    user: TeamsUser,
    verb: string,
    data: Record<string, unknown>,
    where?: Where,
  ): Promise<Record<string, unknown>>;
  backup(): Promise<void>;
  close(): Promise<void>;
}

let seq = 0;

export async function startBotWorld(
  options: { users?: number; now?: () => Date; tenants?: number } = {},
): Promise<BotWorld> {
  const world = await createTestWorld({
    users: options.users ?? 30,
    now: options.now,
    tenants: options.tenants,
  });
  const dev = world.devTenant;
  const botApp = dev.apps.bot;
  const ctx: AppContext = {
    ...world.ctx,
    config: { ...world.ctx.config, BOT_APP_ID: botApp.clientId, BOT_APP_PASSWORD: botApp.clientSecret },
  };
  const tenantId = world.tenantId;

  // The connector accepts only Bot Framework tokens the issuer gave to our bot app.
  const keys = (await (await fetchTrusting(dev.caPem)(dev.issuer.jwksUri)).json()) as JSONWebKeySet;
  const jwks = createLocalJWKSet(keys);
  const connector = await startLocalConnector({
    verifyToken: async (token) => {
      const { payload } = await jwtVerify(token, jwks, { audience: 'https://api.botframework.com' });
      return payload.appid === botApp.clientId || payload.azp === botApp.clientId;
    },
  });

  const bot = createBot(ctx);
  const server: RestifyServer = await createHttpServer(ctx, [bot.routes]);
  await listen(server, 0, '127.0.0.1');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const ops = dev.ops(tenantId);
  const all = ops
    .list('user', { limit: 1000 })
    .map((o) => o.data as { id: string; displayName: string; userPrincipalName: string });
  const adminIds = new Set<string>();
  const roleOf = new Map<string, string>();
  for (const template of DEFAULT_ADMIN_ROLE_TEMPLATE_IDS) {
    const graph = ctx.graph.forBackup(tenantId);
    const page = await graph.get<{ value: { principalId: string; roleDefinitionId: string }[] }>(
      `/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent(`roleDefinitionId eq '${template}'`)}`,
    );
    for (const a of page.value) {
      adminIds.add(a.principalId);
      roleOf.set(a.principalId, template);
    }
  }
  const toTeams = (u: { id: string; displayName: string; userPrincipalName: string }): TeamsUser => ({
    aadObjectId: u.id,
    name: u.displayName,
    upn: u.userPrincipalName,
    id: `29:1${u.id.replace(/-/g, '').slice(0, 20)}`,
  });
  const globalAdmins = all.filter((u) => roleOf.get(u.id) === DEFAULT_ADMIN_ROLE_TEMPLATE_IDS[0]);
  const pra = all.find((u) => roleOf.get(u.id) === DEFAULT_ADMIN_ROLE_TEMPLATE_IDS[1]);
  const plain = all.find((u) => !adminIds.has(u.id) && !u.userPrincipalName.includes('#EXT#'));
  if (globalAdmins.length < 2 || !pra || !plain)
    throw new Error('bot world: the dev tenant lacks the seeded admins');
  const users = {
    admin1: toTeams(globalAdmins[0]),
    admin2: toTeams(globalAdmins[1]),
    admin3: toTeams(pra),
    nonAdmin: toTeams(plain),
  };

  const teamId = '19:team-general@thread.tacv2';
  const channelConversationId = teamId;
  const botAccount = { id: `28:${botApp.clientId}`, name: 'Entra Backup' };
  const personalConversationId = (user: TeamsUser) => `a:1personal-${user.aadObjectId}`;

  const envelope = (user: TeamsUser, where: Where) => ({
    id: `f:${++seq}`,
    channelId: 'msteams',
    serviceUrl: connector.serviceUrl,
    timestamp: new Date().toISOString(),
    locale: 'en-US',
    from: { id: user.id, name: user.name, aadObjectId: user.aadObjectId },
    recipient: botAccount,
    conversation:
      where === 'channel'
        ? {
            id: `${channelConversationId};messageid=${1700000000000 + seq}`,
            conversationType: 'channel',
            isGroup: true,
            tenantId,
          }
        : { id: personalConversationId(user), conversationType: 'personal', tenantId },
    channelData:
      where === 'channel'
        ? {
            tenant: { id: tenantId },
            team: { id: teamId, name: 'IT Admins', aadGroupId: '00000000-0000-4000-8000-0000000000aa' },
            channel: { id: channelConversationId, name: 'General' },
          }
        : { tenant: { id: tenantId } },
  });

  const channelToken: BotWorld['channelToken'] = (o = {}) =>
    dev.issuer.sign(
      { serviceurl: o.serviceurl ?? connector.serviceUrl },
      {
        issuer: o.issuer ?? BOT_FRAMEWORK_ISSUER,
        audience: o.audience ?? botApp.clientId,
        key: o.key,
        expiresInSeconds: 600,
      },
    );

  const post: BotWorld['post'] = async (activity, token) => {
    const auth = token === undefined ? await channelToken() : token;
    const response = await fetch(`${url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
      body: JSON.stringify(activity),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  const message: BotWorld['message'] = (user, text, where = 'personal') => ({
    ...envelope(user, where),
    type: 'message',
    textFormat: 'plain',
    text: where === 'channel' ? `<at>Entra Backup</at> ${text}` : text,
    ...(where === 'channel'
      ? { entities: [{ type: 'mention', text: '<at>Entra Backup</at>', mentioned: botAccount }] }
      : {}),
  });

  const invoke: BotWorld['invoke'] = (user, verb, data, where = 'personal', trigger = 'manual') => ({
    ...envelope(user, where),
    type: 'invoke',
    name: 'adaptiveCard/action',
    value: { action: { type: 'Action.Execute', id: `a${seq}`, verb, data }, trigger },
  });

  const install: BotWorld['install'] = (user, where = 'channel', action = 'add') => ({
    ...envelope(user, where),
    type: 'installationUpdate',
    action,
    conversation:
      where === 'channel'
        ? { id: channelConversationId, conversationType: 'channel', isGroup: true, tenantId }
        : { id: personalConversationId(user), conversationType: 'personal', tenantId },
  });

  return {
    world,
    ctx,
    bot,
    url,
    tenantId,
    connector,
    users,
    botAppId: botApp.clientId,
    teamId,
    channelConversationId,
    personalConversationId,
    channelToken,
    post,
    message,
    invoke,
    install,
    async say(user, text, where = 'personal') {
      const before = connector.calls.length;
      const response = await post(message(user, text, where));
      if (response.status !== 200)
        throw new Error(`bot answered ${response.status}: ${JSON.stringify(response.body)}`);
      return connector.calls.slice(before).flatMap((c) => {
        const atts = (c.activity.attachments as { content: Record<string, unknown> }[] | undefined) ?? [];
        return atts.map((a) => a.content);
      });
    },
    async click(user, verb, data, where = 'personal') {
      const response = await post(invoke(user, verb, data, where));
      if (response.status !== 200)
        throw new Error(`bot answered ${response.status}: ${JSON.stringify(response.body)}`);
      const body = response.body as { statusCode: number; type: string; value: unknown };
      if (body.type !== 'application/vnd.microsoft.card.adaptive') {
        throw new Error(`invoke answered ${body.statusCode} ${body.type}: ${JSON.stringify(body.value)}`);
      }
      return body.value as Record<string, unknown>;
    },
    async backup() {
      await runBackupNow(
        ctx,
        tenantId,
        { kind: 'full', trigger: 'manual' },
        { workerId: 'bot-test', pollMs: 50 },
      );
    },
    async close() {
      clearTenantAdminCache(ctx);
      server.close();
      await connector.stop();
      await world.close();
    },
  };
}

/** Every TextBlock/FactSet text of a card, joined: what a person would read. */
export function cardText(card: Record<string, unknown> | undefined): string {
  const out: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (typeof o.text === 'string') out.push(o.text);
      if (typeof o.title === 'string') out.push(o.title);
      if (typeof o.value === 'string' && o.type !== 'Input.Toggle') out.push(o.value);
      for (const [k, v] of Object.entries(o)) if (k !== 'text' && k !== 'title') walk(v);
    }
  };
  walk(card);
  return out.join('\n');
}

/** Verbs of the card's Action.Execute buttons. */
export function cardVerbs(card: Record<string, unknown> | undefined): string[] {
  return ((card?.actions as { verb?: string }[] | undefined) ?? [])
    .map((a) => a.verb)
    .filter((v): v is string => Boolean(v));
}
