// CLI verbs of the restore engine:
//   restore <type> <name|upn|id> [--at <time>] [--option …] (--dry-run | --execute)
//   restore-undo <restoreId> (--dry-run | --execute)
//   restore-export <restoreId> [--csv]
// --dry-run prints the plan and writes nothing. --execute is the operator's break-glass path on
// the server: it runs at once without approval and is written to the audit log as such.
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { AppContext } from '../app-context.ts';
import { parseTimeOrDuration } from '../backup/queries.ts';
import { parseObjectType, resolveObject } from '../backup/resolve-object.ts';
import type { CliDeps } from '../cli/cli-deps.ts';
import type { Principal } from '../domain.ts';
import type { RestoreRecord } from '../store/store.ts';
import { executeRestore } from './executor.ts';
import { planRestore } from './planner.ts';
import { parseRestoreRequest, type RestorePlan, type RestoreRequest } from './restore-types.ts';
import { restoreResultCsv, restoreResultJson } from './result-export.ts';
import { readResult } from './result-summary.ts';
import { buildUndoRequest } from './undo.ts';

const BOOLEAN_OPTIONS = [
  'withObject',
  'blockSignIn',
  'withMemberships',
  'withOwners',
  'withRoleAssignments',
  'withAuthMethods',
] as const;

/** Turns `--option name[=value]` flags into restore options; unknown names are rejected by name. */
export function parseOptionFlags(flags: string[]): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  const asNew: Record<string, string> = {};
  const domainMap: Record<string, string> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const name = (eq < 0 ? flag : flag.slice(0, eq)).trim();
    const value = eq < 0 ? undefined : flag.slice(eq + 1).trim();
    if ((BOOLEAN_OPTIONS as readonly string[]).includes(name)) {
      if (value !== undefined && !['true', 'false'].includes(value)) {
        throw new Error(`--option ${name}: expected true or false, got "${value}"`);
      }
      options[name] = value !== 'false';
    } else if (name === 'asNew' || name === 'asNewName') {
      if (!value) throw new Error('--option asNew=<new display name> needs a name');
      asNew.displayName = value;
    } else if (name === 'asNewUpn') {
      if (!value) throw new Error('--option asNewUpn=<new UPN> needs a UPN');
      asNew.userPrincipalName = value;
    } else if (name === 'asNewMailNickname') {
      if (!value) throw new Error('--option asNewMailNickname=<nickname> needs a value');
      asNew.mailNickname = value;
    } else if (name === 'targetTenantId' || name === 'targetTenant') {
      if (!value) throw new Error('--option targetTenantId=<tenant id> needs a tenant id');
      options.targetTenantId = value;
    } else if (name === 'domainMap' || name === 'mapDomain') {
      for (const pair of (value ?? '').split(',')) {
        const [from, to] = pair.split(':').map((s) => s.trim());
        if (!from || !to)
          throw new Error(`--option domainMap: expected source.com:target.com, got "${pair}"`);
        domainMap[from] = to;
      }
    } else {
      throw new Error(
        `unknown restore option "${name}" (known: ${[...BOOLEAN_OPTIONS, 'asNew', 'asNewUpn', 'asNewMailNickname', 'targetTenantId', 'domainMap'].join(', ')})`,
      );
    }
  }
  if (Object.keys(asNew).length) options.asNew = asNew;
  if (Object.keys(domainMap).length) options.domainMap = domainMap;
  return options;
}

async function tenantOf(ctx: AppContext, given: string | undefined): Promise<string> {
  if (given) return given;
  const tenants = await ctx.store.listTenants();
  if (tenants.length === 1) return tenants[0].tenantId;
  throw new Error(
    tenants.length === 0
      ? 'no tenant is backed up yet: run a backup first'
      : `several tenants are backed up: choose one with --tenant (${tenants.map((t) => t.tenantId).join(', ')})`,
  );
}

function operator(tenantId: string): Principal {
  return {
    tenantId,
    objectId: `operator:${userInfo().username}`,
    displayName: `${userInfo().username} (CLI)`,
    kind: 'operator',
  };
}

function planSummary(plan: RestorePlan) {
  return {
    planId: plan.planId,
    writeTenantId: plan.writeTenantId,
    steps: plan.steps,
    diff: plan.diff,
    missingPermissions: plan.missingPermissions,
    warnings: plan.warnings,
    notes: plan.notes ?? [],
  };
}

export function describePlan(plan: RestorePlan): string {
  const lines: string[] = [];
  for (const [id, d] of Object.entries(plan.diff)) {
    lines.push(
      `${d.objectType} ${d.displayName} (${id}): ${d.liveState}, restoring version of ${d.capturedAt}`,
    );
    for (const c of d.changes) {
      lines.push(
        `  ${c.writable ? '' : '(read-only) '}${c.property}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`,
      );
    }
  }
  lines.push(`${plan.steps.length} step(s):`);
  for (const s of plan.steps) {
    const member = s.details.memberName ? ` ← ${String(s.details.memberName)}` : '';
    const checks = Array.isArray(s.details.relationships)
      ? ` — read back after the restore, added only if missing: ${(s.details.relationships as { otherName?: string }[]).map((e) => e.otherName).join(', ')}`
      : '';
    lines.push(
      `  ${s.stepId} ${s.kind} ${s.target.objectType} ${s.target.displayName}${member}${checks}${s.skipReason ? ` — ${s.skipReason}` : ''}`,
    );
  }
  for (const n of plan.notes ?? []) lines.push(`note: ${n}`);
  if (plan.missingPermissions.length)
    lines.push(`missing permissions: ${plan.missingPermissions.join(', ')}`);
  for (const w of plan.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

/** Runs a plan at once (break-glass): stored as an approved restore marked breakGlass, audited as such. */
export async function executeBreakGlass(
  ctx: AppContext,
  plan: RestorePlan,
  actor: Principal,
  onPassword?: (info: { userPrincipalName: string; password: string }) => void,
): Promise<RestoreRecord> {
  const now = ctx.now().toISOString();
  const record: RestoreRecord = {
    tenantId: plan.request.tenantId,
    restoreId: randomUUID(),
    status: 'approved',
    requestedBy: actor,
    requestedAt: now,
    expiresAt: now,
    requiredApprovals: 0,
    decisions: [],
    request: plan.request as unknown as Record<string, unknown>,
    plan: plan as unknown as Record<string, unknown>,
    stepResults: {},
    breakGlass: true,
    updatedAt: now,
  };
  const stored = await ctx.store.putRestore(record);
  await ctx.store.appendAudit({
    tenantId: record.tenantId,
    actor,
    action: 'restore.break-glass',
    target: `restore:${record.restoreId}`,
    details: { restoreId: record.restoreId, planId: plan.planId, steps: plan.steps.length, breakGlass: true },
  });
  return executeRestore(ctx, stored, { workerId: `cli-${process.pid}`, onTemporaryPassword: onPassword });
}

function resultSummary(record: RestoreRecord) {
  const result = readResult(record);
  const { createsStarted: _internal, ...shown } = result;
  return {
    restoreId: record.restoreId,
    status: record.status,
    breakGlass: record.breakGlass === true,
    result: shown,
  };
}

function describeResult(data: ReturnType<typeof resultSummary>): string {
  const t = data.result.totals;
  const lines = [
    `restore ${data.restoreId}: ${data.status} (${t.done} done, ${t.skipped} skipped, ${t.failed} failed)`,
  ];
  for (const s of data.result.skipped)
    lines.push(`  skipped ${s.stepId} ${s.kind} ${s.target.displayName}: ${s.reason}`);
  for (const f of data.result.failed)
    lines.push(`  failed ${f.stepId} ${f.kind} ${f.target.displayName}: ${f.code} ${f.message}`);
  for (const c of data.result.credentialsToReissue) {
    lines.push(
      `  re-issue ${c.credentialType} ${c.credentialName ?? c.keyId ?? ''} of ${c.displayName} (${c.objectId})`,
    );
  }
  return lines.join('\n');
}

interface RunFlags {
  json?: boolean;
  dryRun?: boolean;
  execute?: boolean;
}

async function planOrExecute(
  deps: CliDeps,
  ctx: AppContext,
  request: RestoreRequest,
  flags: RunFlags,
  tenantId: string,
) {
  const plan = await planRestore(ctx, request);
  if (!flags.execute) {
    deps.output(Boolean(flags.json), planSummary(plan), () => describePlan(plan));
    return;
  }
  const passwords: { userPrincipalName: string; password: string }[] = [];
  const record = await executeBreakGlass(ctx, plan, operator(tenantId), (p) => passwords.push(p));
  const data = { ...resultSummary(record), ...(passwords.length ? { temporaryPasswords: passwords } : {}) };
  deps.output(Boolean(flags.json), data, (d) =>
    [
      describeResult(d),
      ...passwords.map((p) => `  temporary password of ${p.userPrincipalName}: ${p.password}`),
    ].join('\n'),
  );
  if (record.status === 'failed') process.exitCode = 1;
}

function checkMode(flags: RunFlags): void {
  if (Boolean(flags.dryRun) === Boolean(flags.execute)) {
    throw new Error(
      'choose exactly one of --dry-run (print the plan, write nothing) and --execute (break-glass: run now)',
    );
  }
}

export function registerRestoreCommands(program: Command, deps: CliDeps): void {
  program
    .command('restore')
    .description('Plan (--dry-run) or run at once (--execute, break-glass, audited) a restore of one object')
    .argument(
      '<type>',
      'object type: user, group, application, servicePrincipal, administrativeUnit, roleDefinition, conditionalAccessPolicy, …',
    )
    .argument('<name>', 'name, UPN (partial), or id of the object (deleted objects included)')
    .option(
      '--at <time>',
      'point in time: ISO time or a duration back (e.g. 2d); default now (the newest version)',
    )
    .option('--version-id <versionId>', 'restore exactly this version')
    .option(
      '--option <option>',
      'restore option name[=value] (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--tenant <tenantId>', 'tenant (default: the only backed-up tenant)')
    .option('--dry-run', 'print the plan ({steps, diff}) and write nothing')
    .option(
      '--execute',
      'break-glass: run the restore now without approval (written to the audit log as such)',
    )
    .option('--json', 'print JSON')
    .action(
      async (
        typeText: string,
        name: string,
        flags: RunFlags & { at?: string; versionId?: string; option: string[]; tenant?: string },
      ) => {
        const json = Boolean(flags.json);
        const type = parseObjectType(typeText);
        if (!type) return deps.fail(json, 'INVALID_TYPE', `unknown object type "${typeText}"`);
        let runtime: Awaited<ReturnType<CliDeps['openRuntime']>> | undefined;
        try {
          checkMode(flags);
          runtime = await deps.openRuntime();
          const tenantId = await tenantOf(runtime, flags.tenant);
          const record = await resolveObject(runtime, tenantId, name, { type });
          const request = parseRestoreRequest({
            tenantId,
            objects: [
              {
                objectType: type,
                objectId: record.objectId,
                ...(flags.versionId ? { versionId: flags.versionId } : {}),
              },
            ],
            at: flags.at ? parseTimeOrDuration(flags.at, runtime.now()) : runtime.now().toISOString(),
            options: parseOptionFlags(flags.option),
          });
          await planOrExecute(deps, runtime, request, flags, tenantId);
        } catch (error) {
          const e = error as { code?: string; message?: string };
          deps.fail(json, typeof e.code === 'string' ? e.code : 'RESTORE_FAILED', e.message ?? String(error));
        } finally {
          await runtime?.close();
        }
      },
    );

  program
    .command('restore-undo')
    .description('Plan (--dry-run) or run (--execute, break-glass) the undo of a finished restore')
    .argument('<restoreId>', 'the restore to undo')
    .option('--tenant <tenantId>', 'tenant (default: the only backed-up tenant)')
    .option('--dry-run', 'print the plan and write nothing')
    .option('--execute', 'break-glass: run the undo now without approval')
    .option('--json', 'print JSON')
    .action(async (restoreId: string, flags: RunFlags & { tenant?: string }) => {
      const json = Boolean(flags.json);
      let runtime: Awaited<ReturnType<CliDeps['openRuntime']>> | undefined;
      try {
        checkMode(flags);
        runtime = await deps.openRuntime();
        const tenantId = await tenantOf(runtime, flags.tenant);
        const restore = await runtime.store.getRestore(tenantId, restoreId);
        if (!restore)
          throw Object.assign(new Error(`no restore ${restoreId} in tenant ${tenantId}`), {
            code: 'NOT_FOUND',
          });
        await planOrExecute(deps, runtime, buildUndoRequest(restore, runtime.now()), flags, tenantId);
      } catch (error) {
        const e = error as { code?: string; message?: string };
        deps.fail(json, typeof e.code === 'string' ? e.code : 'RESTORE_FAILED', e.message ?? String(error));
      } finally {
        await runtime?.close();
      }
    });

  program
    .command('restore-export')
    .description("Print a restore's result with every step's outcome (JSON, or CSV with --csv)")
    .argument('<restoreId>', 'the restore')
    .option('--tenant <tenantId>', 'tenant (default: the only backed-up tenant)')
    .option('--csv', 'CSV instead of JSON')
    .option('--json', 'JSON (the default)')
    .action(async (restoreId: string, flags: { tenant?: string; csv?: boolean; json?: boolean }) => {
      let runtime: Awaited<ReturnType<CliDeps['openRuntime']>> | undefined;
      try {
        runtime = await deps.openRuntime();
        const tenantId = await tenantOf(runtime, flags.tenant);
        const restore = await runtime.store.getRestore(tenantId, restoreId);
        if (!restore)
          throw Object.assign(new Error(`no restore ${restoreId} in tenant ${tenantId}`), {
            code: 'NOT_FOUND',
          });
        process.stdout.write(flags.csv ? restoreResultCsv(restore) : `${restoreResultJson(restore)}\n`);
      } catch (error) {
        const e = error as { code?: string; message?: string };
        deps.fail(
          Boolean(flags.json),
          typeof e.code === 'string' ? e.code : 'RESTORE_FAILED',
          e.message ?? String(error),
        );
      } finally {
        await runtime?.close();
      }
    });
}
