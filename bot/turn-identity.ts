// Who is acting and for which tenant: read only from the validated activity (never from card
// data). Teams puts the tenant in channelData.tenant.id and conversation.tenantId; when both are
// present they must agree.
import type { Principal } from '../src/domain.ts';
import type { InboundActivity } from './bot-types.ts';

const TENANT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OBJECT_ID = TENANT;

export type IdentityResult = { ok: true; principal: Principal } | { ok: false; reason: string };

export function tenantOf(activity: InboundActivity): string | undefined {
  const fromChannelData = activity.channelData?.tenant?.id;
  const fromConversation = activity.conversation?.tenantId;
  if (
    fromChannelData &&
    fromConversation &&
    fromChannelData.toLowerCase() !== fromConversation.toLowerCase()
  ) {
    return undefined;
  }
  const tenantId = fromChannelData ?? fromConversation;
  return tenantId && TENANT.test(tenantId) ? tenantId.toLowerCase() : undefined;
}

export function principalOf(activity: InboundActivity): IdentityResult {
  const tenantId = tenantOf(activity);
  if (!tenantId) return { ok: false, reason: 'The message carries no valid tenant.' };
  const objectId = activity.from?.aadObjectId;
  if (!objectId || !OBJECT_ID.test(objectId))
    return { ok: false, reason: 'The message carries no Entra user.' };
  const name = typeof activity.from.name === 'string' ? activity.from.name.slice(0, 200) : undefined;
  return {
    ok: true,
    principal: {
      tenantId,
      objectId: objectId.toLowerCase(),
      kind: 'user',
      ...(name ? { displayName: name } : {}),
    },
  };
}
