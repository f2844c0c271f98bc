// `history user|group <name>`: the object's versions, newest first, each with what changed.
import { stableStringify } from '../../src/backup/canonical.ts';
import type { ObjectType } from '../../src/domain.ts';
import type { ObjectRecord, VersionRecord } from '../../src/store/store.ts';
import { type BotEnv, formatTime } from '../bot-env.ts';
import type { OutboundMessage } from '../bot-types.ts';
import { renderCardWithin } from '../cards/render-card.ts';
import { objectLabel, resolveObject, secondaryName } from '../object-resolver.ts';
import { choiceCard, noMatch } from './restore-command.ts';

const IGNORED = new Set(['id', '@odata.type', '@odata.context']);

export function changedProperties(older: VersionRecord | undefined, newer: VersionRecord): string[] {
  if (!older?.content || !newer.content) return [];
  const keys = new Set([...Object.keys(older.content), ...Object.keys(newer.content)]);
  return [...keys]
    .filter((k) => !IGNORED.has(k))
    .filter(
      (k) => stableStringify(older.content?.[k] ?? null) !== stableStringify(newer.content?.[k] ?? null),
    )
    .sort();
}

export async function historyCard(env: BotEnv, object: ObjectRecord): Promise<Record<string, unknown>> {
  const versions = await env.ctx.store.listVersions(env.principal.tenantId, object.objectId, 21);
  const rows = versions.slice(0, 20).map((v, i) => {
    const older = versions[i + 1];
    let what: string;
    if (v.deleted)
      what = v.deletionKind === 'hard' ? 'Deleted for good' : 'Deleted (moved to the recycle bin)';
    else if (!older) what = 'First backed up';
    else if (older.deleted) what = 'Restored / re-appeared';
    else {
      const changed = changedProperties(older, v);
      what = changed.length
        ? `Changed: ${changed.slice(0, 12).join(', ')}${changed.length > 12 ? '…' : ''}`
        : 'Relationships or metadata changed';
    }
    if (v.source === 'pre-restore') what = `State before a restore — ${what}`;
    return { when: formatTime(v.capturedAt), what };
  });
  return renderCardWithin(
    'history',
    {
      tenantId: env.principal.tenantId,
      objectType: object.objectType,
      objectId: object.objectId,
      name: objectLabel(object),
      subtitle: `${object.objectType} · ${secondaryName(object)} · ${object.objectId}`,
      versions: rows,
      footer: versions.length > 20 ? 'Older versions: open the dashboard.' : '',
    },
    ['versions'],
  );
}

export async function historyReply(
  env: BotEnv,
  objectType: ObjectType,
  name: string,
): Promise<OutboundMessage> {
  const found = await resolveObject(env.ctx, env.principal.tenantId, objectType, name);
  if (found.kind === 'none') return noMatch(objectType, name, found.suggestions, 'history');
  if (found.kind === 'many')
    return choiceCard(env, objectType, name, found.objects, found.more, 'history.open');
  const card = await historyCard(env, found.object);
  return { attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }] };
}
