// Backup verbs of `entra-backup`: backup, status, find, history, show, diff, changes, export.
// Every verb has --json (one JSON document on stdout); `backup` and `export` draw live
// progress on a terminal.
import type { Command } from 'commander';
import type { AppContext } from '../app-context.ts';
import type { CliDeps, Runtime } from '../cli/cli-deps.ts';
import { emptyCounts, type ObjectType } from '../domain.ts';
import type { RunRecord } from '../store/store.ts';
import { countsDetail, LiveProgress } from './cli-progress.ts';
import { exportBackup } from './export.ts';
import { boundHeapGrowth } from './heap-growth.ts';
import { diffObjects } from './object-diff.ts';
import { getHistory, getObjectAt, listChangesSince, parseTimeOrDuration } from './queries.ts';
import { BackupRequestError } from './request-backup.ts';
import { findObjects, ObjectResolveError, parseObjectType, resolveObject } from './resolve-object.ts';
import { runBackupNow } from './run-now.ts';

interface CommonOptions {
  json?: boolean;
  tenant?: string;
}

/** The tenant a verb acts on: --tenant, else the dev tenant's first, else the only one stored. */
export async function resolveTenant(ctx: AppContext, option?: string): Promise<string> {
  if (option) return option;
  const dev = ctx.devTenant?.tenantIds[0];
  if (dev) return dev;
  const tenants = await ctx.store.listTenants();
  if (tenants.length === 1) return tenants[0].tenantId;
  if (tenants.length === 0)
    throw new CliError('NO_TENANT', 'no tenant is onboarded yet: pass --tenant <tenant id>');
  throw new CliError(
    'TENANT_REQUIRED',
    `several tenants are stored (${tenants.map((t) => t.tenantId).join(', ')}): pass --tenant <id>`,
  );
}

class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function typeArg(text: string): ObjectType {
  const type = parseObjectType(text);
  if (!type)
    throw new CliError('BAD_TYPE', `unknown object type "${text}" (e.g. user, group, application, device)`);
  return type;
}

function typesOption(values: string[] | undefined): ObjectType[] | undefined {
  if (!values || values.length === 0) return undefined;
  return values
    .flatMap((v) => v.split(','))
    .filter(Boolean)
    .map(typeArg);
}

/** The result `backup --json` prints. */
export function runSummary(run: RunRecord) {
  return {
    runId: run.runId,
    tenantId: run.tenantId,
    kind: run.kind,
    status: run.status,
    durationMs: run.durationMs ?? 0,
    graphRequests: run.graphRequests,
    throttled: run.throttled,
    types: run.counts,
    errors: run.errors,
  };
}

async function withRuntime<T extends CommonOptions>(
  deps: CliDeps,
  opts: T,
  body: (rt: Runtime, tenantId: string) => Promise<void>,
): Promise<void> {
  const json = !!opts.json;
  let rt: Runtime | undefined;
  try {
    rt = await deps.openRuntime();
    const tenantId = await resolveTenant(rt, opts.tenant);
    await body(rt, tenantId);
  } catch (err) {
    const code =
      err instanceof CliError || err instanceof ObjectResolveError || err instanceof BackupRequestError
        ? err.code
        : ((err as { code?: string }).code ?? 'BACKUP_CLI_ERROR');
    deps.fail(json, String(code), err instanceof Error ? err.message : String(err));
  } finally {
    await rt?.close();
  }
}

export function registerBackupCommands(program: Command, deps: CliDeps): void {
  const common = (cmd: Command) =>
    cmd
      .option('--json', 'print one JSON document')
      .option('--tenant <id>', 'tenant id (default: the only/dev tenant)');

  common(
    program
      .command('backup')
      .description('run a backup now (incremental unless --full) and print its result')
      .option('--type <types...>', 'object types (default: the tenant scope)')
      .option('--full', 'full reconciliation instead of incremental'),
  ).action(async (opts: CommonOptions & { type?: string[]; full?: boolean }) => {
    boundHeapGrowth();
    await withRuntime(deps, opts, async (rt, tenantId) => {
      const progress = new LiveProgress(process.stdout, !opts.json && process.stdout.isTTY === true);
      const before = await rt.store.countObjects(tenantId);
      const run = await runBackupNow(
        rt,
        tenantId,
        { kind: opts.full ? 'full' : 'incremental', types: typesOption(opts.type), trigger: 'manual' },
        {
          onProgress: (r) => {
            for (const [type, c] of Object.entries(r.counts) as [
              ObjectType,
              NonNullable<RunRecord['counts'][ObjectType]>,
            ][]) {
              const known = before[type];
              progress.update({
                type,
                done: c.seen,
                total: known ? known.live : undefined,
                detail: countsDetail(c),
              });
            }
          },
        },
      );
      progress.finish();
      if (run.status === 'failed') process.exitCode = 1;
      deps.output(!!opts.json, runSummary(run), (s) => {
        const lines = [
          `run ${s.runId}: ${s.status} in ${(s.durationMs / 1000).toFixed(1)} s, ${s.graphRequests} Graph requests, ${s.throttled} throttled`,
        ];
        for (const [type, c] of Object.entries(s.types))
          lines.push(`  ${type.padEnd(24)} seen ${c?.seen ?? 0}  ${countsDetail(c ?? emptyCounts())}`);
        for (const e of s.errors)
          lines.push(
            `  error ${e.objectType ?? ''} ${e.code}: ${e.message}${e.requestId ? ` (request-id ${e.requestId})` : ''}`,
          );
        return lines.join('\n');
      });
    });
  });

  common(program.command('status').description('recent backup runs and what the store holds')).action(
    async (opts: CommonOptions) => {
      await withRuntime(deps, opts, async (rt, tenantId) => {
        const runs = (await rt.store.listRuns(tenantId, { limit: 10 })).map(runSummary);
        const objects = await rt.store.countObjects(tenantId);
        const settings = await rt.store.getSettings(tenantId);
        const data = { tenantId, schedule: settings?.schedule, objects, runs };
        deps.output(!!opts.json, data, (d) =>
          [
            `tenant ${d.tenantId}`,
            ...Object.entries(d.objects).map(
              ([t, c]) => `  ${t.padEnd(24)} ${c?.live ?? 0} live, ${c?.deleted ?? 0} deleted`,
            ),
            'recent runs:',
            ...d.runs.map(
              (r) => `  ${r.runId}  ${r.kind.padEnd(11)} ${r.status.padEnd(9)} ${r.graphRequests} requests`,
            ),
          ].join('\n'),
        );
      });
    },
  );

  common(
    program
      .command('find <text>')
      .description('find objects by name, UPN, mail, nickname or id (deleted included)')
      .option('--type <type>', 'object type'),
  ).action(async (text: string, opts: CommonOptions & { type?: string }) => {
    await withRuntime(deps, opts, async (rt, tenantId) => {
      const items = await findObjects(rt, tenantId, text, {
        type: opts.type ? typeArg(opts.type) : undefined,
        limit: 50,
      });
      deps.output(!!opts.json, items, (list) =>
        list.length === 0
          ? `nothing matches "${text}"`
          : list
              .map(
                (o) =>
                  `${o.objectType.padEnd(20)} ${o.displayName.padEnd(32)} ${o.objectId}${o.deleted ? `  (deleted ${o.deletionKind ?? ''})` : ''}`,
              )
              .join('\n'),
      );
    });
  });

  common(
    program
      .command('history <type> <nameOrId>')
      .description('versions of an object with what changed in each')
      .option('--limit <n>', 'versions to show', '50'),
  ).action(async (type: string, nameOrId: string, opts: CommonOptions & { limit: string }) => {
    await withRuntime(deps, opts, async (rt, tenantId) => {
      const record = await resolveObject(rt, tenantId, nameOrId, { type: typeArg(type) });
      const history = await getHistory(rt, tenantId, record.objectId, { limit: Number(opts.limit) || 50 });
      deps.output(!!opts.json, { object: record, versions: history }, (d) =>
        [
          `${d.object.objectType} ${d.object.displayName} (${d.object.objectId})`,
          ...d.versions.flatMap((v) => [
            `  ${v.capturedAt}  ${v.kind}${v.deletionKind ? ` (${v.deletionKind})` : ''}  run ${v.runId}`,
            ...v.changes.map(
              (c) =>
                `      ${c.path}: ${JSON.stringify(c.before) ?? '—'} → ${JSON.stringify(c.after) ?? '—'}`,
            ),
          ]),
        ].join('\n'),
      );
    });
  });

  common(
    program
      .command('show <type> <nameOrId>')
      .description('an object as backed up (now or --at a time) with its relationships then')
      .option('--at <time>', 'point in time (ISO) or duration ago (e.g. 2d)'),
  ).action(async (type: string, nameOrId: string, opts: CommonOptions & { at?: string }) => {
    await withRuntime(deps, opts, async (rt, tenantId) => {
      const record = await resolveObject(rt, tenantId, nameOrId, { type: typeArg(type) });
      const at = opts.at ? parseTimeOrDuration(opts.at, rt.now()) : undefined;
      const view = await getObjectAt(rt, tenantId, record, at);
      const data = {
        object: record,
        at: at ?? null,
        existed: view.existed,
        deleted: view.deletedAtT,
        content: view.content,
        relationships: { outgoing: view.outgoing, incoming: view.incoming },
      };
      deps.output(!!opts.json, data, (d) =>
        [
          `${d.object.objectType} ${d.object.displayName} (${d.object.objectId})${d.at ? ` at ${d.at}` : ''}${d.deleted ? ' — deleted' : ''}${d.existed ? '' : ' — did not exist yet'}`,
          JSON.stringify(d.content, null, 2),
          ...d.relationships.outgoing.map((e) => `  ${e.kind} → ${e.targetId}`),
          ...d.relationships.incoming.map((e) => `  ${e.kind} of ${e.sourceType} ${e.sourceId}`),
        ].join('\n'),
      );
    });
  });

  common(
    program
      .command('diff <type> <nameOrId>')
      .description('what changed in an object between two times')
      .requiredOption('--from <time>', 'from (ISO time or duration ago)')
      .option('--to <time>', 'to (default now)'),
  ).action(async (type: string, nameOrId: string, opts: CommonOptions & { from: string; to?: string }) => {
    await withRuntime(deps, opts, async (rt, tenantId) => {
      const record = await resolveObject(rt, tenantId, nameOrId, { type: typeArg(type) });
      const from = parseTimeOrDuration(opts.from, rt.now());
      const to = opts.to ? parseTimeOrDuration(opts.to, rt.now()) : rt.now().toISOString();
      const [a, b] = await Promise.all([
        getObjectAt(rt, tenantId, record, from),
        getObjectAt(rt, tenantId, record, to),
      ]);
      const key = (e: { kind: string; sourceId: string; targetId: string }) =>
        `${e.kind}|${e.sourceId}|${e.targetId}`;
      const edgesA = new Map([...a.outgoing, ...a.incoming].map((e) => [key(e), e]));
      const edgesB = new Map([...b.outgoing, ...b.incoming].map((e) => [key(e), e]));
      const data = {
        object: record,
        from,
        to,
        changes: diffObjects(a.content, b.content),
        relationshipsAdded: [...edgesB.values()].filter((e) => !edgesA.has(key(e))),
        relationshipsRemoved: [...edgesA.values()].filter((e) => !edgesB.has(key(e))),
      };
      deps.output(!!opts.json, data, (d) =>
        [
          `${d.object.objectType} ${d.object.displayName}: ${d.from} → ${d.to}`,
          ...(d.changes.length
            ? d.changes.map(
                (c) => `  ${c.path}: ${JSON.stringify(c.before) ?? '—'} → ${JSON.stringify(c.after) ?? '—'}`,
              )
            : ['  no property changes']),
          ...d.relationshipsAdded.map((e) => `  + ${e.kind} ${e.sourceId} → ${e.targetId}`),
          ...d.relationshipsRemoved.map((e) => `  - ${e.kind} ${e.sourceId} → ${e.targetId}`),
        ].join('\n'),
      );
    });
  });

  common(
    program
      .command('changes')
      .description('objects changed since a time or duration')
      .requiredOption('--since <time>', 'ISO time or duration ago (e.g. 24h)')
      .option('--type <types...>', 'object types')
      .option('--limit <n>', 'at most this many changes', '500'),
  ).action(async (opts: CommonOptions & { since: string; type?: string[]; limit: string }) => {
    await withRuntime(deps, opts, async (rt, tenantId) => {
      const since = parseTimeOrDuration(opts.since, rt.now());
      const changes = await listChangesSince(rt, tenantId, since, {
        types: typesOption(opts.type),
        limit: Number(opts.limit) || 500,
      });
      deps.output(!!opts.json, { since, changes }, (d) =>
        d.changes.length === 0
          ? `no changes since ${d.since}`
          : d.changes
              .map(
                (c) =>
                  `${c.capturedAt}  ${c.kind.padEnd(8)} ${c.objectType.padEnd(20)} ${c.displayName}${c.changes.length && c.kind === 'changed' ? `  (${c.changes.map((x) => x.path).join(', ')})` : ''}`,
              )
              .join('\n'),
      );
    });
  });

  common(
    program
      .command('export')
      .description('ZIP of Graph-shaped JSON (tenant, type or object level) with a manifest')
      .requiredOption('--out <file>', 'the .zip to write')
      .option('--type <types...>', 'object types (type level)')
      .option('--object <nameOrId...>', 'objects (object level)')
      .option('--at <time>', 'point in time (default now)'),
  ).action(async (opts: CommonOptions & { out: string; type?: string[]; object?: string[]; at?: string }) => {
    await withRuntime(deps, opts, async (rt, tenantId) => {
      const types = typesOption(opts.type);
      const objects = opts.object
        ? await Promise.all(
            opts.object.map((o) =>
              resolveObject(rt, tenantId, o, { type: types?.length === 1 ? types[0] : undefined }),
            ),
          )
        : undefined;
      const progress = new LiveProgress(process.stdout, !opts.json && process.stdout.isTTY === true);
      const manifest = await exportBackup(rt, {
        tenantId,
        out: opts.out,
        types,
        objects,
        at: opts.at ? parseTimeOrDuration(opts.at, rt.now()) : undefined,
        onProgress: (p) =>
          progress.update({ type: 'export', done: p.files, total: p.totalFiles, detail: p.type }),
      });
      progress.finish();
      await rt.store.appendAudit({
        tenantId,
        actor: { tenantId, objectId: 'cli', kind: 'operator' },
        action: 'export',
        target: opts.out,
        details: { level: manifest.level, counts: manifest.counts },
      });
      const data = {
        out: opts.out,
        level: manifest.level,
        at: manifest.at,
        counts: manifest.counts,
        relationships: manifest.relationships,
        files: manifest.files.length,
      };
      deps.output(
        !!opts.json,
        data,
        (d) =>
          `wrote ${d.out}: ${d.files} files (${Object.entries(d.counts)
            .map(([t, n]) => `${n} ${t}`)
            .join(', ')}; ${d.relationships} relationships)`,
      );
    });
  });
}
