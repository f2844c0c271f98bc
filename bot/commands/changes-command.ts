// `changes [since <duration>]`: what changed in the directory, newest run's changes first, one
// page at a time (More button carries the store's continuation).
import type { VersionRecord } from '../../src/store/store.ts';
import { type BotEnv, formatTime } from '../bot-env.ts';
import type { OutboundMessage } from '../bot-types.ts';
import { attachment, renderCardWithin } from '../cards/render-card.ts';

export const CHANGES_PAGE_SIZE = 15;

function describe(v: VersionRecord): string {
  if (v.deleted) return v.deletionKind === 'hard' ? 'deleted for good' : 'deleted';
  return v.source === 'pre-restore' ? 'state before a restore' : 'created or changed';
}

export async function changesCard(
  env: BotEnv,
  sinceMs: number,
  sinceText: string,
  continuation?: string,
): Promise<Record<string, unknown>> {
  const { ctx, principal } = env;
  const to = ctx.now();
  const from = new Date(to.getTime() - sinceMs);
  const page = await ctx.store.listChanges(principal.tenantId, {
    from: from.toISOString(),
    to: to.toISOString(),
    limit: CHANGES_PAGE_SIZE,
    ...(continuation ? { continuation } : {}),
  });
  const names = new Map<string, string>();
  for (const v of page.items) {
    if (!names.has(v.objectId)) {
      const name =
        v.content?.displayName ??
        (await ctx.store.getObject(principal.tenantId, v.objectType, v.objectId))?.displayName;
      names.set(v.objectId, typeof name === 'string' ? name : v.objectId);
    }
  }
  const items = page.items.map((v) => ({
    label: `${names.get(v.objectId)} · ${v.objectType}`,
    detail: `${describe(v)} · ${formatTime(v.capturedAt)}`,
    objectType: v.objectType,
    objectId: v.objectId,
  }));
  return renderCardWithin(
    'object-list',
    {
      tenantId: principal.tenantId,
      title:
        items.length || continuation
          ? `Changes in the last ${sinceText}`
          : `No changes in the last ${sinceText}`,
      intro: items.length ? 'Select one to see its history.' : '',
      items,
      itemVerb: 'history.open',
      more: page.continuation ?? '',
      moreVerb: 'changes.more',
      query: `${sinceMs}|${sinceText}`,
      footer: '',
    },
    ['items'],
  );
}

export async function changesReply(
  env: BotEnv,
  sinceMs: number,
  sinceText: string,
): Promise<OutboundMessage> {
  return { attachments: [attachment(await changesCard(env, sinceMs, sinceText))], summary: 'Recent changes' };
}
