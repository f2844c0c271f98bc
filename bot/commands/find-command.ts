// `find <text>`: backed-up objects of every type whose name, UPN, mail or id contains the text,
// ten per page with a More button (the store's continuation; never a query built from text).
import { type BotEnv, formatTime } from '../bot-env.ts';
import type { OutboundMessage } from '../bot-types.ts';
import { renderCardWithin } from '../cards/render-card.ts';
import { objectLabel, secondaryName } from '../object-resolver.ts';

export const FIND_PAGE_SIZE = 10;

export async function findCard(
  env: BotEnv,
  text: string,
  continuation?: string,
): Promise<Record<string, unknown>> {
  const { ctx, principal } = env;
  const page = await ctx.store.listObjects(principal.tenantId, {
    search: text.toLowerCase(),
    deleted: 'all',
    sort: 'name',
    limit: FIND_PAGE_SIZE,
    ...(continuation ? { continuation } : {}),
  });
  const items = page.items.map((o) => ({
    label: `${objectLabel(o)} · ${o.objectType}`,
    detail: `${secondaryName(o)} · ${o.objectId} · changed ${formatTime(o.lastChangedAt)}`,
    objectType: o.objectType,
    objectId: o.objectId,
  }));
  return renderCardWithin(
    'object-list',
    {
      tenantId: principal.tenantId,
      title: items.length ? `Found for "${text}"` : `Nothing found for "${text}"`,
      intro: items.length
        ? 'Select one to see its history.'
        : 'Try part of the name, the UPN or the object id.',
      items,
      itemVerb: 'history.open',
      more: page.continuation ?? '',
      moreVerb: 'find.more',
      query: text,
      footer: '',
    },
    ['items'],
  );
}

export async function findReply(env: BotEnv, text: string): Promise<OutboundMessage> {
  return {
    attachments: [
      { contentType: 'application/vnd.microsoft.card.adaptive', content: await findCard(env, text) },
    ],
  };
}
