// `entra-backup devtenant …`: seed, serve, inspect and mutate the dev tenant. Verbs open the
// dev tenant's SQLite state under DATA_DIR directly (not through the network), so a running
// server sees their changes on its next request. Every verb has --json.
import path from 'node:path';
import type { Command } from 'commander';
import type { CliDeps } from '../cli/cli-deps.ts';
import { createLogger } from '../log.ts';
import { tenantSummary } from './control-api.ts';
import { type Db, devTenantDirOf, openDevTenantDb } from './dev-db.ts';
import { seedPlan, startDevTenant } from './dev-tenant.ts';
import { listTenantIds } from './directory.ts';
import { readFaults, validateFaults, writeFaults } from './faults.ts';
import { GraphHttpError } from './graph-errors.ts';
import { type SeedOptions, seedTenant } from './seed.ts';
import { type DevObject, parseValue, TenantOps } from './tenant-ops.ts';

function dataDir(): string {
  return path.resolve(process.env.DATA_DIR || './data');
}

function openDb(): Db {
  return openDevTenantDb(devTenantDirOf(dataDir()));
}

function pickTenant(db: Db, tenant: string | undefined): string {
  const tenants = listTenantIds(db);
  if (!tenants.length)
    throw new GraphHttpError(
      404,
      'NoDevTenant',
      'The dev tenant has no tenants yet: run `entra-backup devtenant seed` first.',
    );
  if (!tenant) return tenants[0].tenantId;
  const found = tenants.find((t) => t.tenantId === tenant || t.domain === tenant.toLowerCase());
  if (!found)
    throw new GraphHttpError(
      404,
      'NoDevTenant',
      `No dev tenant '${tenant}' (known: ${tenants.map((t) => t.domain).join(', ')}).`,
    );
  return found.tenantId;
}

function describe(o: DevObject): string {
  const d = o.data;
  const name = d.displayName ?? d.userPrincipalName ?? d.id;
  return `${o.type} ${o.id} (${String(name)}) [${o.state}${o.deletedAt ? ` since ${o.deletedAt}` : ''}]\n${JSON.stringify(d, null, 2)}`;
}

function num(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new GraphHttpError(
      400,
      'BadArgument',
      `${flag} must be a non-negative whole number (got '${value}').`,
    );
  return n;
}

/** Runs a verb against the tenant state, printing its result or a clear error. */
function withOps(
  deps: CliDeps,
  json: boolean,
  tenant: string | undefined,
  fn: (ops: TenantOps) => unknown,
  human: (d: unknown) => string,
): void {
  let db: Db | undefined;
  try {
    db = openDb();
    const ops = new TenantOps(db, pickTenant(db, tenant));
    deps.output(json, fn(ops), human);
  } catch (err) {
    const code = err instanceof GraphHttpError ? err.code : 'DEVTENANT_ERROR';
    deps.fail(json, code, err instanceof Error ? err.message : String(err));
  } finally {
    db?.close();
  }
}

type VerbOptions = Record<string, unknown> & { tenant?: string; json?: boolean };

/**
 * A verb on one tenant's state: adds `--tenant` and `--json`, opens the state, resolves the
 * tenant, runs `run` with the verb's arguments and options, prints (or fails clearly), closes.
 */
function tenantVerb(
  parent: Command,
  deps: CliDeps,
  spec: string,
  description: string,
  run: (ops: TenantOps, args: string[], o: VerbOptions) => unknown,
  human: (d: unknown) => string,
  configure: (c: Command) => Command = (c) => c,
): void {
  configure(parent.command(spec).description(description))
    .option('--tenant <idOrDomain>', 'tenant (default: the first)')
    .option('--json', 'print JSON')
    .action((...received: unknown[]) => {
      const command = received[received.length - 1] as Command;
      const o = command.opts() as VerbOptions;
      // Commander passes the declared arguments (a variadic one as an array), options, command.
      const args = received.slice(0, -2) as string[];
      withOps(deps, Boolean(o.json), o.tenant, (ops) => run(ops, args, o), human);
    });
}

export function registerDevTenantCommands(program: Command, deps: CliDeps): void {
  const dt = program
    .command('devtenant')
    .description('The dev tenant: a local Microsoft Graph v1.0 simulator with seeded tenants');

  dt.command('seed')
    .description('Seed (or reseed from scratch) a deterministic tenant under DATA_DIR/devtenant')
    .option(
      '--seed <seed>',
      'seed string; the tenant id derives from it',
      process.env.DEV_TENANT_SEED || 'contoso',
    )
    .option('--domain <domain>', 'initial domain, e.g. contoso.onmicrosoft.com')
    .option('--users <n>', 'users', process.env.DEV_TENANT_USERS || '200')
    .option('--groups <n>', 'groups')
    .option('--large-groups <n>', 'groups with --large-group-size members')
    .option('--large-group-size <n>', 'members of each large group')
    .option('--apps <n>', 'applications (each with a service principal)')
    .option('--devices <n>', 'devices')
    .option('--admin-units <n>', 'administrative units')
    .option('--signins <n>', 'sign-in log entries')
    .option('--ca-policies <n>', 'conditional access policies')
    .option('--custom-roles <n>', 'custom role definitions')
    .option('--tenants <n>', 'how many tenants to seed', '1')
    .option('--no-premium', 'tenant without Entra ID P1/P2 (sign-in logs answer 403)')
    .option('--json', 'print JSON')
    .action((o: Record<string, string | boolean | undefined>) => {
      const json = Boolean(o.json);
      let db: Db | undefined;
      try {
        const s = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
        const options: SeedOptions & { tenants?: number } = {
          seed: s('seed'),
          domain: s('domain'),
          users: num(s('users'), '--users'),
          groups: num(s('groups'), '--groups'),
          largeGroups: num(s('largeGroups'), '--large-groups'),
          largeGroupSize: num(s('largeGroupSize'), '--large-group-size'),
          applications: num(s('apps'), '--apps'),
          devices: num(s('devices'), '--devices'),
          administrativeUnits: num(s('adminUnits'), '--admin-units'),
          signIns: num(s('signins'), '--signins'),
          conditionalAccessPolicies: num(s('caPolicies'), '--ca-policies'),
          customRoles: num(s('customRoles'), '--custom-roles'),
          premium: o.premium !== false,
          tenants: num(s('tenants'), '--tenants'),
        };
        for (const k of Object.keys(options) as (keyof typeof options)[])
          if (options[k] === undefined) delete options[k];
        db = openDb();
        const opened = db;
        const results = seedPlan(options).map((p) => seedTenant(opened, p));
        deps.output(json, { dataDir: devTenantDirOf(dataDir()), tenants: results }, (d) =>
          d.tenants
            .map(
              (r) =>
                `seeded ${r.domain} (${r.tenantId}) in ${r.ms} ms: ${Object.entries(r.counts)
                  .map(([k, v]) => `${v} ${k}`)
                  .join(', ')}, ${r.links} links`,
            )
            .join('\n'),
        );
      } catch (err) {
        deps.fail(
          json,
          err instanceof GraphHttpError ? err.code : 'SEED_FAILED',
          err instanceof Error ? err.message : String(err),
        );
      } finally {
        db?.close();
      }
    });

  dt.command('serve')
    .description('Serve the dev tenant (Graph simulator and token issuer) until interrupted')
    .option('--host <host>', 'interface', '127.0.0.1')
    .option('--graph-port <port>', 'Graph simulator port', process.env.DEV_TENANT_GRAPH_PORT || '3979')
    .option('--login-port <port>', 'token issuer port', process.env.DEV_TENANT_LOGIN_PORT || '3980')
    .option('--json', 'print JSON')
    .action(async (o: { host: string; graphPort: string; loginPort: string; json?: boolean }) => {
      const json = Boolean(o.json);
      try {
        const dev = await startDevTenant({
          dataDir: devTenantDirOf(dataDir()),
          host: o.host,
          graphPort: num(o.graphPort, '--graph-port'),
          loginPort: num(o.loginPort, '--login-port'),
          seed: {
            seed: process.env.DEV_TENANT_SEED || 'contoso',
            users: Number(process.env.DEV_TENANT_USERS || 200),
          },
          logger: createLogger(process.env.LOG_LEVEL || 'warn'),
        });
        const info = {
          graphUrl: `${dev.graphUrl}/v1.0`,
          authorityUrl: dev.authorityUrl,
          controlUrl: dev.controlUrl,
          tenants: dev.tenants,
        };
        deps.output(json, info, (d) =>
          [
            `Graph:   ${d.graphUrl}`,
            `Login:   ${d.authorityUrl}`,
            `Control: ${d.controlUrl}`,
            ...d.tenants.map((t) => `Tenant:  ${t.domain} ${t.tenantId}`),
          ].join('\n'),
        );
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await dev.stop();
      } catch (err) {
        deps.fail(json, 'SERVE_FAILED', err instanceof Error ? err.message : String(err));
      }
    });

  dt.command('tenants')
    .description('List the dev tenants with object counts')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) => {
      const json = Boolean(o.json);
      let db: Db | undefined;
      try {
        db = openDb();
        deps.output(
          json,
          { tenants: tenantSummary(db) },
          (d) =>
            d.tenants
              .map(
                (t) =>
                  `${t.domain} ${t.tenantId}: ${Object.entries(t.counts)
                    .map(([k, v]) => `${v} ${k}`)
                    .join(', ')}`,
              )
              .join('\n') || 'no tenants (run devtenant seed)',
        );
      } catch (err) {
        deps.fail(json, 'DEVTENANT_ERROR', err instanceof Error ? err.message : String(err));
      } finally {
        db?.close();
      }
    });

  tenantVerb(
    dt,
    deps,
    'get <type> <idOrName>',
    'Show one object (any state) by id, UPN, mail, mailNickname, appId, display name, or a unique prefix of the name or UPN',
    (ops, [type, key]) => ops.get(type, key),
    (d) => describe(d as DevObject),
  );

  tenantVerb(
    dt,
    deps,
    'list <type>',
    'List objects of a type',
    (ops, [type], o) => {
      const state = String(o.state);
      if (!['active', 'deleted', 'purged'].includes(state))
        throw new GraphHttpError(400, 'BadArgument', '--state must be active, deleted or purged.');
      return {
        value: ops.list(type, { state: state as 'active', limit: num(String(o.limit), '--limit') }),
      };
    },
    (d) =>
      (d as { value: DevObject[] }).value
        .map((x) => `${x.id}  ${String(x.data.displayName ?? x.data.userPrincipalName ?? '')}`)
        .join('\n'),
    (c) =>
      c
        .option('--state <state>', 'active | deleted | purged', 'active')
        .option('--limit <n>', 'at most this many', '50'),
  );

  const mutate = dt
    .command('mutate')
    .description('Change the dev tenant as an administrator would (demos and tests)');

  tenantVerb(
    mutate,
    deps,
    'set <type> <idOrName> <assignments...>',
    'Set properties: property=value (JSON values like false, 3, null, ["a"] are parsed)',
    (ops, [type, key, assignments]) => {
      const props: Record<string, unknown> = {};
      for (const a of assignments as unknown as string[]) {
        const i = a.indexOf('=');
        if (i <= 0) throw new GraphHttpError(400, 'BadArgument', `'${a}' is not property=value.`);
        props[a.slice(0, i)] = parseValue(a.slice(i + 1));
      }
      return ops.set(type, key, props);
    },
    (d) => `updated ${describe(d as DevObject)}`,
  );

  tenantVerb(
    mutate,
    deps,
    'delete <type> <idOrName>',
    'Delete as Graph does: recycle bin for users, Microsoft 365 groups, apps, service principals, AUs',
    (ops, [type, key]) => ops.delete(type, key),
    (d) => {
      const r = d as { id: string; deleted: string };
      return `${r.deleted === 'soft' ? 'moved to the recycle bin' : 'permanently deleted'}: ${r.id}`;
    },
  );

  tenantVerb(
    mutate,
    deps,
    'purge <type> <idOrName>',
    'Permanently delete (from the recycle bin, or directly)',
    (ops, [type, key]) => ops.purge(type, key),
    (d) => `purged ${(d as { id: string }).id}`,
  );

  tenantVerb(
    mutate,
    deps,
    'restore <type> <idOrName>',
    'Restore from the recycle bin (same object id, memberships back)',
    (ops, [type, key]) => ops.restore(type, key),
    (d) => `restored ${describe(d as DevObject)}`,
  );

  for (const verb of ['remove-member', 'add-member'] as const)
    tenantVerb(
      mutate,
      deps,
      `${verb} <group> <member>`,
      verb === 'remove-member'
        ? 'Remove a member (or owner with --owner) from a group'
        : 'Add a member (or owner with --owner) to a group',
      (ops, [group, member], o) => {
        const opts = {
          kind: o.owner ? ('owners' as const) : ('members' as const),
          sourceType: String(o.sourceType),
        };
        if (verb === 'remove-member') ops.removeMember(group, member, opts);
        else ops.addMember(group, member, opts);
        return { ok: true, group, member, kind: opts.kind };
      },
      (d) => {
        const r = d as { group: string; member: string };
        return `${verb === 'remove-member' ? 'removed' : 'added'} ${r.member} ${verb === 'remove-member' ? 'from' : 'to'} ${r.group}`;
      },
      (c) =>
        c
          .option('--owner', 'the owners relationship instead of members')
          .option('--source-type <type>', 'group, directoryRole or administrativeUnit', 'group'),
    );

  tenantVerb(
    mutate,
    deps,
    'set-manager <user> <manager>',
    "Set a user's manager (`none` removes it), as PUT/DELETE /users/{id}/manager/$ref do",
    (ops, [user, manager]) => ops.setManager(user, manager.toLowerCase() === 'none' ? null : manager),
    (d) => {
      const r = d as { id: string; managerId: string | null };
      return r.managerId ? `manager of ${r.id} is now ${r.managerId}` : `removed the manager of ${r.id}`;
    },
  );

  tenantVerb(
    mutate,
    deps,
    'incident',
    'Simulate an incident: mass-delete users (to the recycle bin)',
    (ops, _args, o) => ({
      deleted: ops.incidentDeleteUsers(num(String(o.deleteUsers), '--delete-users') ?? 0),
    }),
    (d) =>
      `deleted ${(d as { deleted: string[] }).deleted.length} users (restorable from the recycle bin for 30 days)`,
    (c) => c.requiredOption('--delete-users <n>', 'how many users to delete'),
  );

  tenantVerb(
    dt,
    deps,
    'faults',
    'Show or change injected faults of a tenant (latency, 429/503/504/resets, forced statuses, throttling)',
    (ops, _args, o) => {
      if (o.clear) return writeFaults(ops.db, ops.tenantId, {}, true);
      if (typeof o.set === 'string') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(o.set);
        } catch {
          throw new GraphHttpError(400, 'BadArgument', '--set needs a JSON object.');
        }
        return writeFaults(ops.db, ops.tenantId, validateFaults(parsed));
      }
      return readFaults(ops.db, ops.tenantId);
    },
    (d) => JSON.stringify(d, null, 2),
    (c) =>
      c
        .option('--set <json>', 'merge these settings, e.g. {"rate429":0.1,"latencyMs":50}')
        .option('--clear', 'remove every fault setting'),
  );

  tenantVerb(
    dt,
    deps,
    'expire-delta',
    'Invalidate every delta token issued so far (clients must resync)',
    (ops, _args, o) => {
      ops.expireDeltaTokens(o.reset ? 'reset' : 'expire');
      return { ok: true, mode: o.reset ? 'reset' : 'expire' };
    },
    () => 'delta tokens invalidated',
    (c) => c.option('--reset', 'answer 410 Gone with a Location instead of 400 syncStateNotFound'),
  );
}
