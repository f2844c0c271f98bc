// The cards the notifier posts about backup runs: alert, reminder, recovered, result, digest.

import type { OutboundMessage } from '../../bot/bot-types.ts';
import { attachment, renderCardWithin } from '../../bot/cards/render-card.ts';
import { OBJECT_TYPES } from '../domain.ts';
import type { RunRecord } from '../store/store.ts';
import type { AlertDecision } from './run-alerts.ts';

function time(iso: string | undefined): string {
  return iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : '—';
}

function countFacts(run: RunRecord): { title: string; value: string }[] {
  const facts: { title: string; value: string }[] = [];
  for (const type of OBJECT_TYPES) {
    const c = run.counts[type];
    if (!c) continue;
    const parts = [`${c.seen} seen`];
    if (c.created) parts.push(`${c.created} new`);
    if (c.changed) parts.push(`${c.changed} changed`);
    if (c.deleted) parts.push(`${c.deleted} deleted`);
    if (c.failed) parts.push(`${c.failed} failed`);
    facts.push({ title: type, value: parts.join(', ') });
  }
  facts.push({ title: 'Finished', value: time(run.finishedAt) });
  if (run.durationMs !== undefined)
    facts.push({ title: 'Duration', value: `${Math.round(run.durationMs / 1000)} s` });
  facts.push({
    title: 'Graph requests',
    value: `${run.graphRequests}${run.throttled ? ` (${run.throttled} throttled)` : ''}`,
  });
  return facts;
}

/**
 * The types a failing run did not back up: those with an error of their own; when the whole run
 * failed before any type (consent revoked, token refused), every type it was to back up.
 */
export function failingTypes(run: RunRecord, scope: readonly string[] = []): string[] {
  const own = [
    ...new Set(run.errors.map((e) => e.objectType).filter((t): t is NonNullable<typeof t> => Boolean(t))),
  ];
  if (own.length || run.status !== 'failed' || !run.errors.some((e) => !e.objectType)) return own;
  return [...(run.types ?? scope)];
}

export function runCard(
  run: RunRecord,
  decision: AlertDecision,
  dashboardUrl: string,
  reminderMinutes: number,
  /** The tenant's scope: what a run without its own type list was to back up. */
  scope: readonly string[] = [],
): OutboundMessage {
  const failing = failingTypes(run, scope);
  const errors = run.errors.slice(0, 10).map((e) => ({
    text: `${e.objectType ?? 'run'}: ${e.code}${e.status ? ` (HTTP ${e.status})` : ''} — ${e.message}`.slice(
      0,
      400,
    ),
  }));
  const byKind = {
    alert: {
      title: run.status === 'failed' ? 'Backup failed' : 'Backup partly failed',
      color: 'Attention',
      summary: failing.length
        ? `These types were not backed up: ${failing.join(', ')}. I will remind you every ${reminderMinutes} minutes while it keeps failing.`
        : `The backup run ended ${run.status}. I will remind you every ${reminderMinutes} minutes while it keeps failing.`,
    },
    reminder: {
      title: 'Backup still failing',
      color: 'Attention',
      summary: `The same problem persists (last run ${time(run.finishedAt)})${failing.length ? `: ${failing.join(', ')} not backed up` : ''}.`,
    },
    recovered: {
      title: 'Backup recovered',
      color: 'Good',
      summary: 'The last backup run succeeded again; every type in scope is backed up.',
    },
    result: {
      title: 'Backup succeeded',
      color: 'Good',
      summary: 'All object types in scope were backed up.',
    },
  }[decision.kind];
  const card = renderCardWithin(
    'run-result',
    {
      ...byKind,
      tenantId: run.tenantId,
      facts: countFacts(run),
      errors: decision.kind === 'alert' || decision.kind === 'reminder' ? errors : [],
      showRetry: decision.kind === 'alert' || decision.kind === 'reminder',
      retryTypes: failing.join(','),
      dashboardUrl,
    },
    ['errors', 'facts'],
  );
  return { attachments: [attachment(card)], summary: byKind.title };
}

export function digestCard(tenantId: string, runs: RunRecord[], dashboardUrl: string): OutboundMessage {
  const failed = runs.filter((r) => r.status === 'failed').length;
  const partial = runs.filter((r) => r.status === 'partial').length;
  const totals = { created: 0, changed: 0, deleted: 0 };
  for (const r of runs) {
    for (const c of Object.values(r.counts)) {
      if (!c) continue;
      totals.created += c.created;
      totals.changed += c.changed;
      totals.deleted += c.deleted;
    }
  }
  const card = renderCardWithin(
    'run-result',
    {
      title: 'Daily backup digest',
      color: failed ? 'Attention' : partial ? 'Warning' : 'Good',
      summary: `${runs.length} run(s) in the last 24 hours: ${runs.length - failed - partial} succeeded, ${partial} partial, ${failed} failed.`,
      tenantId,
      facts: [
        { title: 'New objects', value: String(totals.created) },
        { title: 'Changed', value: String(totals.changed) },
        { title: 'Deleted', value: String(totals.deleted) },
      ],
      errors: runs
        .flatMap((r) => r.errors.slice(0, 2))
        .slice(0, 10)
        .map((e) => ({ text: `${e.objectType ?? 'run'}: ${e.code} — ${e.message}`.slice(0, 300) })),
      showRetry: failed + partial > 0,
      retryTypes: '',
      dashboardUrl,
    },
    ['errors'],
  );
  return { attachments: [attachment(card)], summary: 'Daily backup digest' };
}
