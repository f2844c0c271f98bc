// The dashboard's figures, read from the store: per object type the last successful backup,
// counts, last-run changes and health; the next scheduled run; running backups with progress;
// a 30-day series of changes and durations; and the recent failing runs with their errors.
import { Cron } from 'croner';
import type { AppContext } from '../app-context.ts';
import { OBJECT_TYPES, type ObjectType, type RunError, type TypeCounts } from '../domain.ts';
import type { RunRecord, TenantSettings } from '../store/store.ts';

export type TypeHealth = 'healthy' | 'partial' | 'failing' | 'never' | 'off';

export interface TypeStatus {
  objectType: ObjectType;
  inScope: boolean;
  live: number;
  deleted: number;
  lastSuccessAt?: string;
  lastRunAt?: string;
  lastRunChanges?: { created: number; changed: number; deleted: number };
  state: TypeHealth;
  lastError?: RunError;
}

export interface RunProgress {
  runId: string;
  kind: string;
  trigger: string;
  startedAt?: string;
  status: string;
  types: { objectType: ObjectType; seen: number; expected: number; done: boolean; percent: number }[];
}

export interface DayPoint {
  date: string;
  changed: number;
  runs: number;
  failedRuns: number;
  /** Mean run duration that day, seconds. */
  avgDurationSeconds: number;
}

export interface DashboardSummary {
  tenantId: string;
  tenantName?: string;
  generatedAt: string;
  types: TypeStatus[];
  totals: { live: number; deleted: number };
  nextRun?: { at: string; kind: 'incremental' | 'full' };
  paused: boolean;
  running: RunProgress[];
  recentRuns: RunSummary[];
  failingRuns: RunSummary[];
  days: DayPoint[];
}

export interface RunSummary {
  runId: string;
  kind: string;
  status: string;
  trigger: string;
  createdAt: string;
  finishedAt?: string;
  durationMs?: number;
  changed: number;
  errors: RunError[];
}

const FINISHED = new Set(['succeeded', 'partial', 'failed']);
const RUN_HISTORY_LIMIT = 3000;

export async function dashboardSummary(ctx: AppContext, settings: TenantSettings): Promise<DashboardSummary> {
  const tenantId = settings.tenantId;
  const now = ctx.now();
  const [runs, counts] = await Promise.all([
    ctx.store.listRuns(tenantId, { limit: RUN_HISTORY_LIMIT }),
    ctx.store.countObjects(tenantId),
  ]);
  const finished = runs.filter((r) => FINISHED.has(r.status));
  const types = OBJECT_TYPES.map((objectType) =>
    typeStatus(objectType, settings, finished, counts[objectType]),
  );
  const totals = types.reduce((t, s) => ({ live: t.live + s.live, deleted: t.deleted + s.deleted }), {
    live: 0,
    deleted: 0,
  });
  const running = runs
    .filter((r) => r.status === 'running' || r.status === 'queued')
    .map((r) => runProgress(r, settings, counts));
  return {
    tenantId,
    tenantName: settings.displayName,
    generatedAt: now.toISOString(),
    types,
    totals,
    nextRun: nextRun(settings, runs, now),
    paused: settings.schedule.paused,
    running,
    recentRuns: finished.slice(0, 10).map(runSummary),
    failingRuns: finished
      .filter((r) => (r.status === 'failed' || r.status === 'partial') && r.errors.length > 0)
      .slice(0, 10)
      .map(runSummary),
    days: daySeries(finished, now),
  };
}

function changedOf(c: TypeCounts | undefined): number {
  return c ? c.created + c.changed + c.deleted : 0;
}

function typeStatus(
  objectType: ObjectType,
  settings: TenantSettings,
  finished: RunRecord[],
  count: { live: number; deleted: number } | undefined,
): TypeStatus {
  const inScope = settings.scope[objectType] !== false;
  const covering = finished.filter(
    (r) => r.counts[objectType] || r.errors.some((e) => e.objectType === objectType),
  );
  const last = covering[0];
  const typeErrors = (r: RunRecord) => r.errors.filter((e) => e.objectType === objectType);
  const lastOk = covering.find((r) => r.status !== 'failed' && typeErrors(r).length === 0);
  const status: TypeStatus = {
    objectType,
    inScope,
    live: count?.live ?? 0,
    deleted: count?.deleted ?? 0,
    lastSuccessAt: lastOk?.finishedAt,
    lastRunAt: last?.finishedAt,
    state: inScope ? 'never' : 'off',
  };
  if (!last) return status;
  const c = last.counts[objectType];
  if (c) status.lastRunChanges = { created: c.created, changed: c.changed, deleted: c.deleted };
  const errors = typeErrors(last);
  if (errors.length > 0 || last.status === 'failed') {
    status.lastError = errors[0] ?? last.errors[0];
    // Some objects came through: partial; nothing did: failing.
    status.state = c && c.seen > 0 && last.status !== 'failed' ? 'partial' : 'failing';
  } else if (c && c.failed > 0) {
    status.state = 'partial';
  } else {
    status.state = inScope ? 'healthy' : 'off';
  }
  return status;
}

function runProgress(
  run: RunRecord,
  settings: TenantSettings,
  counts: Partial<Record<ObjectType, { live: number; deleted: number }>>,
): RunProgress {
  const types = run.types ?? OBJECT_TYPES.filter((t) => settings.scope[t] !== false);
  return {
    runId: run.runId,
    kind: run.kind,
    trigger: run.trigger,
    startedAt: run.startedAt,
    status: run.status,
    types: types.map((objectType) => {
      const seen = run.counts[objectType]?.seen ?? 0;
      const done = Object.entries(run.checkpoint).some(
        ([stream, cp]) => stream === objectType && cp.done === true,
      );
      // Expected = what the last backup held; an incremental run sees only changes, so it
      // may finish far below it: done streams show 100%.
      const expected = Math.max(counts[objectType]?.live ?? 0, seen, 1);
      const percent = done ? 100 : Math.min(99, Math.round((seen / expected) * 100));
      return { objectType, seen, expected, done, percent };
    }),
  };
}

function runSummary(r: RunRecord): RunSummary {
  const changed = Object.values(r.counts).reduce((n, c) => n + changedOf(c), 0);
  return {
    runId: r.runId,
    kind: r.kind,
    status: r.status,
    trigger: r.trigger,
    createdAt: r.createdAt,
    finishedAt: r.finishedAt,
    durationMs: r.durationMs,
    changed,
    errors: r.errors.slice(0, 5),
  };
}

function nextRun(settings: TenantSettings, runs: RunRecord[], now: Date): DashboardSummary['nextRun'] {
  if (settings.schedule.paused) return undefined;
  const queued = runs.filter((r) => r.status === 'queued').sort((a, b) => a.dueAt.localeCompare(b.dueAt))[0];
  if (queued) return { at: queued.dueAt, kind: queued.kind };
  const lastScheduled = runs.find((r) => r.trigger === 'schedule');
  const incrementalAt = new Date(
    Math.max(
      now.getTime(),
      (lastScheduled ? Date.parse(lastScheduled.createdAt) : now.getTime()) +
        settings.schedule.incrementalMinutes * 60_000,
    ),
  );
  let fullAt: Date | null = null;
  try {
    fullAt = new Cron(settings.schedule.fullCron, { timezone: 'UTC', paused: true }).nextRun(now);
  } catch {
    fullAt = null;
  }
  if (fullAt && fullAt.getTime() <= incrementalAt.getTime())
    return { at: fullAt.toISOString(), kind: 'full' };
  return { at: incrementalAt.toISOString(), kind: 'incremental' };
}

function daySeries(finished: RunRecord[], now: Date): DayPoint[] {
  const days: DayPoint[] = [];
  const index = new Map<string, { point: DayPoint; durations: number[] }>();
  for (let i = 29; i >= 0; i--) {
    const date = new Date(now.getTime() - i * 86_400_000).toISOString().slice(0, 10);
    const point = { date, changed: 0, runs: 0, failedRuns: 0, avgDurationSeconds: 0 };
    days.push(point);
    index.set(date, { point, durations: [] });
  }
  for (const run of finished) {
    const day = index.get((run.finishedAt ?? run.createdAt).slice(0, 10));
    if (!day) continue;
    day.point.runs++;
    if (run.status === 'failed') day.point.failedRuns++;
    day.point.changed += Object.values(run.counts).reduce((n, c) => n + changedOf(c), 0);
    if (run.durationMs !== undefined) day.durations.push(run.durationMs);
  }
  for (const { point, durations } of index.values()) {
    if (durations.length) {
      point.avgDurationSeconds =
        Math.round(durations.reduce((a, b) => a + b, 0) / durations.length / 100) / 10;
    }
  }
  return days;
}
