// `approvals`: restore requests waiting for a decision; selecting one shows its approval card
// in the viewer's own view.
import type { RestorePlan } from '../../src/restore/restore-types.ts';
import { type BotEnv, formatTime } from '../bot-env.ts';
import type { OutboundMessage } from '../bot-types.ts';
import { attachment, renderCardWithin } from '../cards/render-card.ts';

export async function approvalsReply(env: BotEnv): Promise<OutboundMessage> {
  const { ctx, principal } = env;
  const pending = await ctx.store.listRestores(principal.tenantId, { status: ['pending'], limit: 50 });
  const now = ctx.now().toISOString();
  const items = pending
    .filter((r) => r.expiresAt > now)
    .map((r) => {
      const diff = Object.values((r.plan as Partial<RestorePlan>).diff ?? {});
      const what =
        diff.length === 1 ? `${diff[0].objectType} ${diff[0].displayName}` : `${diff.length} objects`;
      return {
        label: `Restore ${what}`,
        detail: `by ${r.requestedBy.displayName ?? r.requestedBy.objectId} · ${formatTime(r.requestedAt)} · expires ${formatTime(r.expiresAt)}`,
        objectType: 'restore',
        objectId: r.restoreId,
      };
    });
  const card = renderCardWithin(
    'object-list',
    {
      tenantId: principal.tenantId,
      title: items.length
        ? `${items.length} restore request(s) waiting for approval`
        : 'No restore request is waiting for approval',
      intro: items.length ? 'Select one to approve, reject or cancel it.' : '',
      items,
      itemVerb: 'approval.show',
      more: '',
      moreVerb: '',
      query: '',
      footer: '',
    },
    ['items'],
  );
  return { attachments: [attachment(card)], summary: 'Pending approvals' };
}
