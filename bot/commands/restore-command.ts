// `restore user|group <name> [at <date>]`: finds the object (deleted ones too), then shows the
// restore card: snapshots, what differs from the live object, the options, Preview and Request
// restore. Preview plans through src/restore (reads only); Request restore goes through the
// approval service, which plans again and stores that plan as the one approvers see.
import { stableStringify } from '../../src/backup/canonical.ts';
import type { ObjectType } from '../../src/domain.ts';
import type { RestorePlan, RestoreRequestInput } from '../../src/restore/restore-types.ts';
import { stepLabel } from '../../src/restore/step-labels.ts';
import type { ObjectRecord, VersionRecord } from '../../src/store/store.ts';
import { type BotEnv, formatTime, shortValue } from '../bot-env.ts';
import type { OutboundMessage } from '../bot-types.ts';
import { attachment, renderCardWithin } from '../cards/render-card.ts';
import { readLiveState } from '../live-state.ts';
import { objectLabel, resolveObject, secondaryName } from '../object-resolver.ts';
import { notice } from '../replies.ts';

const IGNORED = new Set(['id', 'deletedDateTime', '@odata.type', '@odata.context']);
const MAX_DIFF_ROWS = 15;
const MAX_STEPS = 12;

export function noMatch(
  objectType: ObjectType,
  name: string,
  suggestions: ObjectRecord[],
  command: string,
): OutboundMessage {
  const hint = suggestions.length
    ? `Close names: ${suggestions.map((s) => `${s.displayName} (${secondaryName(s)})`).join('; ')}. Type "help" for the commands.`
    : `Try part of the name or UPN, or the object id — e.g. "${command} ${objectType} jane". Type "help" for the commands.`;
  return notice(
    `No ${objectType} matches "${name.slice(0, 80)}"`,
    'Nothing in the backup (deleted objects included) matches that.',
    hint,
    'warning',
  );
}

export function choiceCard(
  env: BotEnv,
  objectType: ObjectType,
  name: string,
  objects: ObjectRecord[],
  more: boolean,
  verb: string,
): OutboundMessage {
  const card = renderCardWithin(
    'object-list',
    {
      tenantId: env.principal.tenantId,
      title: `Several ${objectType}s match "${name.slice(0, 80)}"`,
      intro: 'Select the one you mean.',
      items: objects.map((o) => ({
        label: objectLabel(o),
        detail: `${secondaryName(o)} · ${o.objectId}`,
        objectType: o.objectType,
        objectId: o.objectId,
      })),
      itemVerb: verb,
      more: '',
      moreVerb: '',
      query: name,
      footer: more ? 'More match: type more of the name or UPN to narrow it down.' : '',
    },
    ['items'],
  );
  return { attachments: [attachment(card)], summary: 'Choose an object' };
}

export async function restoreReply(
  env: BotEnv,
  objectType: ObjectType,
  name: string,
  at?: string,
): Promise<OutboundMessage> {
  const found = await resolveObject(env.ctx, env.principal.tenantId, objectType, name);
  if (found.kind === 'none') return noMatch(objectType, name, found.suggestions, 'restore');
  if (found.kind === 'many')
    return choiceCard(env, objectType, name, found.objects, found.more, 'restore.open');
  return {
    attachments: [attachment(await restoreCard(env, found.object, { at }))],
    summary: `Restore ${found.object.displayName}`,
  };
}

export interface RestoreCardOptions {
  at?: string;
  versionId?: string;
  preview?: RestorePlan;
  previewError?: string;
}

export async function restoreCard(
  env: BotEnv,
  object: ObjectRecord,
  options: RestoreCardOptions = {},
): Promise<Record<string, unknown>> {
  const { ctx, principal } = env;
  const versions = (await ctx.store.listVersions(principal.tenantId, object.objectId, 30)).filter(
    (v) => !v.deleted && v.content,
  );
  let selected: VersionRecord | undefined = options.versionId
    ? versions.find((v) => v.versionId === options.versionId)
    : undefined;
  if (!selected && options.at) {
    const atVersion = await ctx.store.getVersionAt(principal.tenantId, object.objectId, options.at);
    selected =
      atVersion && !atVersion.deleted ? atVersion : versions.find((v) => v.capturedAt <= (options.at ?? ''));
  }
  selected ??= versions[0];
  const snapshots = versions.slice(0, 20).map((v) => ({
    title: `${formatTime(v.capturedAt)}${v.source === 'pre-restore' ? ' (before a restore)' : ''}`,
    versionId: v.versionId,
  }));
  if (selected && !snapshots.some((s) => s.versionId === selected?.versionId)) {
    snapshots.unshift({ title: formatTime(selected.capturedAt), versionId: selected.versionId });
  }
  const { liveState, diff, diffNote } = await liveDiff(env, object, selected);
  const preview = options.preview ? summarizePlan(options.preview) : undefined;
  return renderCardWithin(
    'restore',
    {
      tenantId: principal.tenantId,
      objectType: object.objectType,
      objectTypeLabel: object.objectType,
      objectId: object.objectId,
      name: objectLabel(object),
      secondary: secondaryName(object),
      liveState,
      diff,
      diffNote,
      snapshots,
      selectedVersionId: selected?.versionId ?? '',
      hasPreview: Boolean(preview || options.previewError),
      previewSummary: preview?.summary ?? 'not available',
      previewSteps: preview?.steps ?? [],
      previewMore: preview?.more ?? '',
      previewWarning: options.previewError ?? preview?.warning ?? '',
      footer: '',
    },
    ['diff', 'snapshots', 'previewSteps'],
  );
}

async function liveDiff(
  env: BotEnv,
  object: ObjectRecord,
  version: VersionRecord | undefined,
): Promise<{
  liveState: string;
  diff: { property: string; live: string; backup: string }[];
  diffNote: string;
}> {
  if (!version?.content)
    return { liveState: 'unknown', diff: [], diffNote: 'No restorable snapshot in the backup yet.' };
  const content = version.content;
  try {
    const live = await readLiveState(
      env.ctx.graph.forBackup(env.principal.tenantId),
      object,
      Object.keys(content),
    );
    if (live.state === 'absent')
      return {
        liveState: 'deleted for good (will be re-created with a new id)',
        diff: [],
        diffNote: 'The object no longer exists: everything is restored.',
      };
    if (live.state === 'softDeleted')
      return {
        liveState: 'deleted, in the recycle bin (restored with the same id)',
        diff: [],
        diffNote: 'The object is in the recycle bin: it comes back with its id.',
      };
    const rows = Object.keys(content)
      .filter((k) => !IGNORED.has(k) && k in live.object)
      .filter((k) => !sameValue(content[k], live.object[k]))
      .sort()
      .map((property) => ({
        property,
        live: shortValue(live.object[property]),
        backup: shortValue(content[property]),
      }));
    return {
      liveState: 'live',
      diff: rows.slice(0, MAX_DIFF_ROWS),
      diffNote: rows.length ? '' : 'The live object has the same properties as this snapshot.',
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      liveState: 'could not be read',
      diff: [],
      diffNote: `Microsoft Graph did not answer: ${message.slice(0, 200)}`,
    };
  }
}

export function summarizePlan(plan: RestorePlan): {
  summary: string;
  steps: { text: string }[];
  more: string;
  warning: string;
} {
  const steps = [
    ...(plan.notes ?? []).map((text) => ({ text })),
    ...plan.steps.map((s) => ({
      text: `${stepLabel(s.kind)} — ${s.target.displayName}${s.skipReason ? ` (skipped: ${s.skipReason})` : ''}`,
    })),
  ];
  const writes = plan.steps.filter((s) => s.kind !== 'skip' && s.kind !== 'reportOnly').length;
  const warnings = [...plan.warnings];
  if (plan.missingPermissions.length)
    warnings.unshift(`The restore app lacks: ${plan.missingPermissions.join(', ')}.`);
  return {
    summary: `${writes} change(s), ${plan.steps.length - writes} skipped or report-only`,
    steps: steps.slice(0, MAX_STEPS),
    more:
      steps.length > MAX_STEPS
        ? `…and ${steps.length - MAX_STEPS} more steps (open the dashboard for all).`
        : '',
    warning: warnings.join(' ').slice(0, 600),
  };
}

/** Builds the restore request from the card's inputs (merged into the action's data by Teams). */
export function requestFromCardData(
  data: Record<string, unknown>,
  objectType: ObjectType,
  objectId: string,
  atFallback: string,
): { ok: true; request: Omit<RestoreRequestInput, 'tenantId'> } | { ok: false; message: string } {
  const flag = (key: string, fallback: boolean) => {
    const v = data[key];
    if (v === undefined || v === '') return fallback;
    return v === true || v === 'true';
  };
  const text = (key: string) => (typeof data[key] === 'string' ? (data[key] as string).trim() : '');
  const versionId = text('versionId');
  const options: Record<string, unknown> = {
    withObject: flag('withObject', true),
    withMemberships: flag('withMemberships', true),
    withRoleAssignments: flag('withRoleAssignments', true),
    withOwners: flag('withOwners', true),
    blockSignIn: flag('blockSignIn', false),
  };
  if (flag('asNew', false)) {
    const displayName = text('newName');
    if (!displayName) return { ok: false, message: 'Restoring as a new object needs a new display name.' };
    const upn = text('newUpn');
    options.asNew = { displayName, ...(upn ? { userPrincipalName: upn } : {}) };
  }
  const target = text('targetTenantId').toLowerCase();
  if (target) options.targetTenantId = target;
  const map = domainMapFrom(text('domainMap'));
  if (!map.ok) return map;
  if (Object.keys(map.map).length) {
    if (!target) return { ok: false, message: 'A domain map applies only to a restore into another tenant.' };
    options.domainMap = map.map;
  }
  return {
    ok: true,
    request: {
      objects: [{ objectType, objectId, ...(versionId ? { versionId } : {}) }],
      at: atFallback,
      options,
    },
  };
}

const DOMAIN = /^[a-z0-9]([a-z0-9-]{0,62}\.)+[a-z0-9-]{2,63}$/;

/** `contoso.com=fabrikam.com, contoso.net=fabrikam.net`: UPN and mail domains to rewrite. */
function domainMapFrom(
  text: string,
): { ok: true; map: Record<string, string> } | { ok: false; message: string } {
  // The card's input allows 1000 characters; a client is not bound by the card.
  if (text.length > 1000) return { ok: false, message: 'Domain map: at most 1000 characters.' };
  const map: Record<string, string> = {};
  for (const pair of text
    .split(/[,;\n]/)
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [from, to, extra] = pair.split('=').map((p) => p.trim().toLowerCase());
    if (extra !== undefined || !from || !to || !DOMAIN.test(from) || !DOMAIN.test(to))
      return {
        ok: false,
        message: `Domain map: "${pair.slice(0, 80)}" is not "source.com=target.com".`,
      };
    map[from] = to;
  }
  return { ok: true, map };
}

/** Equal as JSON regardless of key order (Graph does not keep the order of nested keys). */
function sameValue(a: unknown, b: unknown): boolean {
  return stableStringify(a ?? null) === stableStringify(b ?? null);
}
