// Relationship changes delta cannot see. Graph's servicePrincipals delta tracks `owners` but not
// `appRoleAssignedTo`, and granting or removing an app role does not change the service
// principal itself, so an incremental round would keep a stale assignment set until the next
// full run. Entra records each grant and removal in the directory audit log ("Add app role
// assignment grant to user", "… to group", "… to service principal", "Remove app role assignment
// from …"), so after each incremental round the engine asks the audit log which service
// principals were touched since the stream's audit watermark and re-reads only their
// assignments: two small requests per run instead of one per service principal.
//
// The watermark trails the round's start by AUDIT_LAG_MS, because audit entries become visible
// minutes after the change: entries in that overlap are read twice (their re-read writes nothing
// new). A change older than the lag that surfaces later, or an audit log that cannot be read
// (reported as a failure of the type), is caught by the next full run (daily by default).
import type { GraphClient } from '../../graph/gateway.ts';
import { GraphError } from '../../graph/gateway.ts';
import type { CollectedPage, CollectorContext } from './collector.ts';

/** How far the audit watermark trails the round's start (audit ingestion latency). */
export const AUDIT_LAG_MS = 60 * 60_000;
/** Window read when the stream has no audit watermark yet (the last full run is at most a day old). */
const FIRST_WINDOW_MS = 24 * 60 * 60_000;

export const APP_ROLE_ACTIVITY_PREFIXES = ['Add app role assignment', 'Remove app role assignment'];

type AuditItem = {
  targetResources?: {
    id?: unknown;
    type?: unknown;
    modifiedProperties?: { displayName?: unknown; oldValue?: unknown; newValue?: unknown }[];
  }[];
};

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** Service principal ids an audit entry names: typed target resources and ServicePrincipal.ObjectID values. */
export function servicePrincipalIdsOf(item: AuditItem): string[] {
  const out: string[] = [];
  for (const target of item.targetResources ?? []) {
    if (target.type === 'ServicePrincipal' && typeof target.id === 'string' && GUID.test(target.id))
      out.push(target.id.toLowerCase());
    for (const p of target.modifiedProperties ?? []) {
      if (p.displayName !== 'ServicePrincipal.ObjectID') continue;
      for (const v of [p.oldValue, p.newValue]) {
        const m = typeof v === 'string' ? GUID.exec(v) : null;
        if (m) out.push(m[0].toLowerCase());
      }
    }
  }
  return out;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The round's start: the run's first start (stable across resumes). */
function roundStart(c: CollectorContext): number {
  const started = c.run.startedAt ? Date.parse(c.run.startedAt) : Number.NaN;
  return Number.isNaN(started) ? c.ctx.now().getTime() : started;
}

/** The audit watermark to store when a round completes (never moves backwards). */
export function nextAuditWatermark(c: CollectorContext, floor: string | undefined): string {
  const candidate = roundStart(c) - AUDIT_LAG_MS;
  const previous = floor ? Date.parse(floor) : Number.NaN;
  return iso(Number.isNaN(previous) ? candidate : Math.max(previous, candidate));
}

/**
 * Service principals whose app role assignments changed since `floor` according to the audit
 * log, or a failure entry when the audit log cannot be read (no AuditLog.Read.All, …).
 */
export async function servicePrincipalsWithAssignmentChanges(
  client: GraphClient,
  c: CollectorContext,
  floor: string | undefined,
): Promise<{ ids: Set<string>; failed?: NonNullable<CollectedPage['failed']>[number] }> {
  const since = floor ?? iso(roundStart(c) - FIRST_WINDOW_MS);
  const ids = new Set<string>();
  try {
    for (const prefix of APP_ROLE_ACTIVITY_PREFIXES) {
      const filter = `activityDateTime ge ${since} and startswith(activityDisplayName,'${prefix}')`;
      for await (const page of client.pages<AuditItem>(
        `/auditLogs/directoryAudits?$filter=${encodeURIComponent(filter)}`,
      ))
        for (const item of page.value) for (const id of servicePrincipalIdsOf(item)) ids.add(id);
    }
  } catch (err) {
    if (!(err instanceof GraphError) || err.status === 429 || err.status >= 500 || err.status === 401)
      throw err;
    return {
      ids,
      failed: {
        type: 'servicePrincipal',
        id: 'auditLogs/directoryAudits',
        code: err.code,
        message: `app role assignments changed since ${since} cannot be found in the audit log (they are caught by the next full run): ${err.message}`,
        ...(err.requestId ? { requestId: err.requestId } : {}),
      },
    };
  }
  return { ids };
}
