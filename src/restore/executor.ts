// Executes an approved restore: exactly the steps of its stored plan, in order, never a new plan.
// Each step's outcome is written to the record (compare-and-swap) before the next starts, so a
// killed worker's restore is resumed by another from the first unfinished step; every step is
// audited and announced ('restore.updated'). A lease marks the worker running it.
import type { AppContext } from '../app-context.ts';
import type { Principal } from '../domain.ts';
import type { GraphClient } from '../graph/gateway.ts';
import { type RestoreRecord, StoreConflictError } from '../store/store.ts';
import type { LiveState } from './live-reader.ts';
import { missingPermission } from './permissions.ts';
import { type CaptureTarget, capturePreRestore, OVERWRITING, touchedPerspectives } from './pre-restore.ts';
import type { RestorePlan, RestoreResult, RestoreStep } from './restore-types.ts';
import { finalStatus, InvalidPlanError, readPlan, readResult, summarise } from './result-summary.ts';
import { GROUPABLE, resolveStep, runGroup, type StepOutcome, type StepRunContext } from './step-runner.ts';
import { mentionsAny } from './values.ts';

export interface ExecuteOptions {
  /** Lease owner; default `restore-<pid>`. */
  workerId?: string;
  /**
   * Receives each re-created user's first password, once. Called only when the tenant's policy
   * (`settings.restore.revealTemporaryPasswords`) allows it; the password is never stored or logged.
   */
  onTemporaryPassword?: (info: {
    restoreId: string;
    userId: string;
    userPrincipalName: string;
    password: string;
  }) => void;
  /** Called after each recorded step (tests use it to observe progress). */
  onStep?: (stepId: string, outcome: StepOutcome) => void;
}

export class RestoreNotRunnableError extends Error {
  override readonly name = 'RestoreNotRunnableError';
  readonly code = 'RESTORE_NOT_RUNNABLE';
}

/** Another worker took the restore over (our lease expired): stop without writing more. */
export class RestoreLeaseLostError extends Error {
  override readonly name = 'RestoreLeaseLostError';
  readonly code = 'RESTORE_LEASE_LOST';
}

const TERMINAL = new Set(['succeeded', 'partial', 'failed', 'rejected', 'cancelled', 'expired']);

function leaseUntil(ctx: AppContext): string {
  return new Date(ctx.now().getTime() + ctx.config.LEASE_SECONDS * 1000).toISOString();
}

/** Claims a restore for `workerId`: approved, or running with an expired lease (or ours). */
async function claim(ctx: AppContext, given: RestoreRecord, workerId: string): Promise<RestoreRecord> {
  const current = (await ctx.store.getRestore(given.tenantId, given.restoreId)) ?? given;
  const now = ctx.now().toISOString();
  const leaseFree = !current.lease || current.lease.expiresAt <= now || current.lease.owner === workerId;
  if (current.status !== 'approved' && !(current.status === 'running' && leaseFree)) {
    throw new RestoreNotRunnableError(
      `restore ${current.restoreId} is ${current.status}${current.status === 'running' ? ` (leased by ${current.lease?.owner})` : ''}: only an approved restore runs`,
    );
  }
  const next: RestoreRecord = {
    ...current,
    status: 'running',
    lease: { owner: workerId, expiresAt: leaseUntil(ctx) },
    updatedAt: now,
  };
  try {
    return await ctx.store.putRestore(next, current.etag);
  } catch (error) {
    if (error instanceof StoreConflictError)
      throw new RestoreLeaseLostError(`restore ${current.restoreId} was claimed by another worker`);
    throw error;
  }
}

class RestoreRun {
  private record: RestoreRecord;
  private result: RestoreResult;
  private readonly plan: RestorePlan;
  private readonly actor: Principal;
  /** Live states just read by a pre-restore capture: the step that follows reuses them once. */
  private readonly freshLive = new Map<string, LiveState>();

  constructor(
    private readonly ctx: AppContext,
    record: RestoreRecord,
    private readonly workerId: string,
    private readonly options: ExecuteOptions,
  ) {
    this.record = record;
    this.plan = readPlan(record);
    this.result = readResult(record);
    this.actor = record.breakGlass
      ? record.requestedBy
      : { tenantId: record.tenantId, objectId: workerId, kind: 'system', displayName: 'restore worker' };
  }

  /** Writes the record with our changes (CAS; merges with other writers such as the bot's card id). */
  private async save(change: (r: RestoreRecord) => RestoreRecord): Promise<void> {
    let base = this.record;
    for (let attempt = 0; attempt < 10; attempt++) {
      const next = change({
        ...base,
        lease: { owner: this.workerId, expiresAt: leaseUntil(this.ctx) },
        updatedAt: this.ctx.now().toISOString(),
      });
      try {
        this.record = await this.ctx.store.putRestore(next, base.etag);
        this.ctx.events.emit('restore.updated', this.record);
        return;
      } catch (error) {
        if (!(error instanceof StoreConflictError)) throw error;
        const fresh = await this.ctx.store.getRestore(base.tenantId, base.restoreId);
        if (!fresh || fresh.lease?.owner !== this.workerId || fresh.status !== 'running') {
          throw new RestoreLeaseLostError(
            `restore ${base.restoreId} was taken over by ${fresh?.lease?.owner ?? 'nobody'}`,
          );
        }
        base = { ...fresh, stepResults: { ...fresh.stepResults, ...this.record.stepResults } };
      }
    }
    throw new RestoreLeaseLostError(
      `restore ${base.restoreId}: could not record progress (too many concurrent writers)`,
    );
  }

  private async saveProgress(): Promise<void> {
    const result = summarise(this.plan, this.record.stepResults, this.result, {});
    this.result = result;
    await this.save((r) => ({
      ...r,
      stepResults: { ...r.stepResults, ...this.record.stepResults },
      result: { ...result },
    }));
  }

  private get settingsTenant(): string {
    return this.plan.writeTenantId;
  }

  async run(): Promise<RestoreRecord> {
    const ctx = this.ctx;
    const client = ctx.graph.forRestore(this.plan.writeTenantId);
    const granted = new Set(await client.grantedRoles());
    const settings = await ctx.store.getSettings(this.record.tenantId);
    const reveal = settings?.restore?.revealTemporaryPasswords === true;
    const rc: StepRunContext = {
      client,
      takeFreshLive: (objectId) => {
        const live = this.freshLive.get(objectId);
        this.freshLive.delete(objectId);
        return live;
      },
      granted,
      createStarted: (stepId) => this.result.createsStarted.includes(stepId),
      markCreateStarted: async (stepId) => {
        if (this.result.createsStarted.includes(stepId)) return;
        this.result = { ...this.result, createsStarted: [...this.result.createsStarted, stepId] };
        await this.saveProgress();
      },
      onTemporaryPassword:
        reveal && this.options.onTemporaryPassword
          ? (info) => this.options.onTemporaryPassword?.({ restoreId: this.record.restoreId, ...info })
          : undefined,
    };
    const wasResumed = Object.keys(this.record.stepResults).length > 0;
    await this.audit(wasResumed ? 'restore.resumed' : 'restore.started', undefined, {
      planId: this.plan.planId,
      steps: this.plan.steps.length,
      breakGlass: this.record.breakGlass === true,
    });

    const pending = this.plan.steps.filter((s) => !this.record.stepResults[s.stepId]);
    let i = 0;
    while (i < pending.length) {
      const first = pending[i];
      const group: RestoreStep[] = [first];
      if (GROUPABLE.has(first.kind)) {
        while (
          i + group.length < pending.length &&
          group.length < 20 &&
          pending[i + group.length].kind === first.kind
        ) {
          group.push(pending[i + group.length]);
        }
      }
      i += group.length;
      const resolved = group.map((s) => resolveStep(s, this.result.createdIds));
      // A step referring to an object whose re-creation did not complete cannot run.
      const blocked = group.map((s) => this.blockedBy(s));
      const runnable = resolved.filter((_, k) => !blocked[k]);
      await this.beforeWrite(runnable, client, granted);
      const ran = runnable.length === 0 ? [] : await runGroup(rc, runnable);
      const outcomes = blocked.map((b) => b ?? (ran.shift() as StepOutcome));
      this.freshLive.clear();
      await this.record_(group, resolved, outcomes);
    }

    const status = finalStatus(this.plan, this.record.stepResults);
    const result = {
      ...summarise(this.plan, this.record.stepResults, this.result, {}),
      finishedAt: ctx.now().toISOString(),
    };
    this.result = result;
    // Audited before the terminal write (keyed, so a resumed run's repeat is not doubled): a
    // worker killed between the two leaves a running restore that is resumed, not a lost entry.
    await this.audit('restore.finished', undefined, { status, totals: result.totals }, 'finished');
    await this.save((r) => ({
      ...r,
      status,
      lease: undefined,
      result: { ...result },
      stepResults: { ...r.stepResults, ...this.record.stepResults },
    }));
    ctx.log.info({ restoreId: this.record.restoreId, status, totals: result.totals }, 'restore finished');
    return this.record;
  }

  /** A skip outcome when `step` refers to an object whose create step ended without creating it. */
  private blockedBy(step: RestoreStep): StepOutcome | undefined {
    if (step.kind === 'create' || step.kind === 'skip' || step.kind === 'reportOnly') return undefined;
    for (const create of this.plan.steps) {
      if (create.kind !== 'create') continue;
      const r = this.record.stepResults[create.stepId];
      const sourceId = String(create.details.sourceId ?? create.target.objectId);
      if (!r || r.status === 'done' || this.result.createdIds[sourceId]) continue;
      if (mentionsAny({ target: step.target, details: step.details }, new Set([sourceId]))) {
        return {
          status: 'skipped',
          reason: `depends on ${create.stepId} (re-creating ${create.target.displayName}), which did not complete`,
        };
      }
    }
    return undefined;
  }

  /** Saves the state the steps are about to overwrite (once per object, one commit per group). */
  private async beforeWrite(
    steps: RestoreStep[],
    client: GraphClient,
    granted: ReadonlySet<string>,
  ): Promise<void> {
    const resolvedPlan = this.plan.steps.map((s) => resolveStep(s, this.result.createdIds));
    const targets: CaptureTarget[] = [];
    for (const step of steps) {
      const id = step.target.objectId;
      if (this.result.preRestoreVersionIds[id] || targets.some((t) => t.objectId === id)) continue;
      if (step.kind !== 'restoreFromRecycleBin' && !OVERWRITING.has(step.kind)) continue;
      if (missingPermission(step.permissions, granted)) continue;
      targets.push({
        objectType: step.target.objectType,
        objectId: id,
        perspectives: touchedPerspectives(resolvedPlan, id),
        properties: resolvedPlan
          .filter((s) => s.kind === 'patch' && s.target.objectId === id)
          .flatMap((s) => Object.keys((s.details.changes as Record<string, unknown>) ?? {})),
        ...(step.kind === 'restoreFromRecycleBin' ? { absent: 'soft' as const } : {}),
      });
    }
    if (targets.length === 0) return;
    const captured = await capturePreRestore({
      store: this.ctx.store,
      client,
      tenantId: this.settingsTenant,
      restoreId: this.record.restoreId,
      now: this.ctx.now().toISOString(),
      targets,
    });
    const ids = { ...this.result.preRestoreVersionIds };
    for (const t of targets) {
      const c = captured.get(t.objectId);
      if (!c) continue;
      ids[t.objectId] = { objectType: t.objectType, versionId: c.versionId };
      if (c.live) this.freshLive.set(t.objectId, c.live);
    }
    this.result = { ...this.result, preRestoreVersionIds: ids };
    await this.saveProgress();
  }

  /** Records the outcomes of a group of steps in one CAS write, then audits and reports them. */
  private async record_(
    group: RestoreStep[],
    resolved: RestoreStep[],
    outcomes: StepOutcome[],
  ): Promise<void> {
    const at = this.ctx.now().toISOString();
    const stepResults = { ...this.record.stepResults };
    for (let k = 0; k < group.length; k++) {
      const step = group[k];
      const outcome = outcomes[k];
      stepResults[step.stepId] = {
        status: outcome.status,
        ...(outcome.reason ? { reason: outcome.reason } : {}),
        at,
      };
      if (outcome.createdId) await this.recordCreated(step, outcome);
      if (step.kind === 'reportOnly' && step.details.what === 'credentials')
        this.recordCredentials(resolved[k]);
    }
    // Audit first, keyed by step: a worker killed between the two repeats the step ("already
    // in place") and its audit, which the store appends once, so every step is audited once.
    for (let k = 0; k < group.length; k++) {
      const step = resolved[k];
      const outcome = outcomes[k];
      await this.audit(
        'restore.step',
        `${step.target.objectType}:${step.target.objectId}`,
        {
          stepId: step.stepId,
          kind: step.kind,
          status: outcome.status,
          ...(outcome.reason ? { reason: outcome.reason } : {}),
          ...(step.details.memberId ? { memberId: step.details.memberId } : {}),
        },
        `step:${step.stepId}`,
      );
    }
    this.record = { ...this.record, stepResults };
    await this.saveProgress();
    for (let k = 0; k < group.length; k++) this.options.onStep?.(group[k].stepId, outcomes[k]);
  }

  private async recordCreated(step: RestoreStep, outcome: StepOutcome): Promise<void> {
    const sourceId = String(step.details.sourceId ?? step.target.objectId);
    const createdIds = { ...this.result.createdIds, [sourceId]: outcome.createdId as string };
    const sourceAppId = step.details.sourceAppId;
    if (typeof sourceAppId === 'string' && outcome.createdAppId)
      createdIds[sourceAppId] = outcome.createdAppId;
    const captured = await capturePreRestore({
      store: this.ctx.store,
      client: this.ctx.graph.forRestore(this.plan.writeTenantId),
      tenantId: this.settingsTenant,
      restoreId: this.record.restoreId,
      now: this.ctx.now().toISOString(),
      targets: [
        {
          objectType: step.target.objectType,
          objectId: outcome.createdId as string,
          perspectives: [],
          properties: [],
          absent: 'hard',
        },
      ],
    });
    const versionId = captured.get(outcome.createdId as string)?.versionId as string;
    this.result = {
      ...this.result,
      createdIds,
      preRestoreVersionIds: {
        ...this.result.preRestoreVersionIds,
        [outcome.createdId as string]: { objectType: step.target.objectType, versionId },
      },
    };
  }

  private recordCredentials(step: RestoreStep): void {
    const list = Array.isArray(step.details.credentials)
      ? (step.details.credentials as Record<string, unknown>[])
      : [];
    const s = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const sourceId =
      Object.entries(this.result.createdIds).find(([, v]) => v === step.target.objectId)?.[0] ??
      step.target.objectId;
    const entries = list.map((c) => ({
      objectType: step.target.objectType as 'application' | 'servicePrincipal',
      sourceId,
      objectId: step.target.objectId,
      displayName: step.target.displayName,
      credentialType: c.credentialType === 'certificate' ? ('certificate' as const) : ('password' as const),
      ...(s(c.keyId) ? { keyId: s(c.keyId) } : {}),
      ...(s(c.credentialName) ? { credentialName: s(c.credentialName) } : {}),
      ...(s(c.hint) ? { hint: s(c.hint) } : {}),
      ...(s(c.endDateTime) ? { endDateTime: s(c.endDateTime) } : {}),
    }));
    const known = new Set(this.result.credentialsToReissue.map((c) => `${c.objectId}|${c.keyId}`));
    this.result = {
      ...this.result,
      credentialsToReissue: [
        ...this.result.credentialsToReissue,
        ...entries.filter((e) => !known.has(`${e.objectId}|${e.keyId}`)),
      ],
    };
  }

  private async audit(
    action: string,
    target: string | undefined,
    details: Record<string, unknown>,
    /** Appends the entry once per restore and key, however often the run is resumed. */
    once?: string,
  ): Promise<void> {
    await this.ctx.store.appendAudit({
      ...(once ? { onceKey: `restore:${this.record.restoreId}:${once}` } : {}),
      tenantId: this.record.tenantId,
      actor: this.actor,
      action,
      target: target ?? `restore:${this.record.restoreId}`,
      details: {
        restoreId: this.record.restoreId,
        ...(this.record.breakGlass ? { breakGlass: true } : {}),
        ...details,
      },
    });
  }
}

/**
 * Executes the approved plan stored in `restore` (resuming after the last recorded step) and
 * returns the finished record (status succeeded, partial or failed, `result` a RestoreResult).
 */
export async function executeRestore(
  ctx: AppContext,
  restore: RestoreRecord,
  options: ExecuteOptions = {},
): Promise<RestoreRecord> {
  if (TERMINAL.has(restore.status)) {
    throw new RestoreNotRunnableError(
      `restore ${restore.restoreId} is ${restore.status}: it cannot run again`,
    );
  }
  const workerId = options.workerId ?? `restore-${process.pid}`;
  const claimed = await claim(ctx, restore, workerId);
  ctx.events.emit('restore.updated', claimed);
  return new RestoreRun(ctx, claimed, workerId, options).run();
}

/**
 * One pass of the restore worker: runs every claimable restore (approved, or running with an
 * expired lease: a killed worker's job) to its end. Returns the ids it finished.
 */
export async function runRestoreWorkerOnce(
  ctx: AppContext,
  workerId: string,
  options: Omit<ExecuteOptions, 'workerId'> = {},
): Promise<string[]> {
  const finished: string[] = [];
  const claimable = await ctx.store.listClaimableRestores(ctx.now().toISOString(), 10);
  for (const restore of claimable) {
    try {
      const done = await executeRestore(ctx, restore, { ...options, workerId });
      finished.push(done.restoreId);
    } catch (error) {
      if (error instanceof RestoreLeaseLostError || error instanceof RestoreNotRunnableError) continue;
      if (error instanceof InvalidPlanError) {
        await markFailed(ctx, restore.tenantId, restore.restoreId, workerId, error);
        continue;
      }
      // Transient (Graph or store unreachable): the lease expires and a later pass resumes it.
      ctx.log.error(
        { restoreId: restore.restoreId, err: error },
        'restore interrupted; it resumes when its lease expires',
      );
    }
  }
  return finished;
}

/** A restore that cannot run at all (no plan, store error) ends failed with the reason. */
async function markFailed(
  ctx: AppContext,
  tenantId: string,
  restoreId: string,
  workerId: string,
  error: unknown,
) {
  const current = await ctx.store.getRestore(tenantId, restoreId);
  if (!current || current.lease?.owner !== workerId) return;
  const message = error instanceof Error ? error.message : String(error);
  try {
    const saved = await ctx.store.putRestore(
      {
        ...current,
        status: 'failed',
        lease: undefined,
        result: { ...(current.result ?? {}), error: { code: 'RESTORE_ERROR', message } },
        updatedAt: ctx.now().toISOString(),
      },
      current.etag,
    );
    ctx.events.emit('restore.updated', saved);
    await ctx.store.appendAudit({
      tenantId,
      actor: { tenantId, objectId: workerId, kind: 'system' },
      action: 'restore.failed',
      target: `restore:${restoreId}`,
      details: { restoreId, error: message },
    });
  } catch {
    // Another worker holds it now: it will record its own outcome.
  }
}
