// `entra-backup audit verify|list`: the hash-chained audit log from the operator's side.
import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { verifyAuditChain } from '../store/audit-chain.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import type { CliDeps } from './cli-deps.ts';

export function registerAuditCommands(program: Command, deps: CliDeps): void {
  const audit = program.command('audit').description('Read and verify the append-only audit log');

  audit
    .command('verify')
    .description("Check every tenant's hash chain: reports the first altered or removed entry")
    .option('--tenant <id>', 'only this tenant')
    .option('--json', 'print JSON')
    .action(async (opts: { tenant?: string; json?: boolean }) => {
      const json = Boolean(opts.json);
      const store = await openAuditStore();
      try {
        const tenantIds = opts.tenant ? [opts.tenant] : (await store.listTenants()).map((t) => t.tenantId);
        const results = [];
        for (const tenantId of tenantIds) results.push(await verifyAuditChain(store, tenantId));
        const ok = results.every((r) => r.ok);
        deps.output(
          json,
          { ok, tenants: results },
          (d) =>
            d.tenants
              .map(
                (r) =>
                  `${r.tenantId}: ${r.ok ? `ok (${r.entries} entries)` : `BROKEN at entry ${r.firstProblem?.seq}: ${r.firstProblem?.message}`}`,
              )
              .join('\n') || 'no tenants',
        );
        if (!ok) process.exitCode = 1;
      } finally {
        await store.close();
      }
    });

  audit
    .command('list')
    .description('Newest audit entries of a tenant')
    .option('--tenant <id>', 'tenant id (default: the only stored tenant)')
    .option('--actor <objectId>', 'only this person')
    .option('--action <action>', "only this action ('restore.*' for a prefix)")
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'print JSON')
    .action(
      async (opts: { tenant?: string; actor?: string; action?: string; limit: string; json?: boolean }) => {
        const json = Boolean(opts.json);
        const store = await openAuditStore();
        try {
          const tenantIds = opts.tenant ? [opts.tenant] : (await store.listTenants()).map((t) => t.tenantId);
          if (tenantIds.length !== 1) {
            const why = tenantIds.length
              ? `several tenants are stored (${tenantIds.join(', ')})`
              : 'no tenant is stored yet';
            return deps.fail(json, 'TENANT_REQUIRED', `${why}: pass --tenant <id>`);
          }
          const page = await store.listAudit(tenantIds[0], {
            actorId: opts.actor,
            action: opts.action,
            limit: Number(opts.limit),
          });
          deps.output(
            json,
            page.items,
            (items) =>
              items
                .map(
                  (e) =>
                    `${e.at}  ${e.action.padEnd(22)} ${e.actor.displayName ?? e.actor.objectId}  ${e.target ?? ''}`,
                )
                .join('\n') || 'no audit entries',
          );
        } finally {
          await store.close();
        }
      },
    );
}

/** The audit log needs only the store: no Graph, no dev tenant (an operator may run it offline). */
function openAuditStore(): Promise<Store> {
  const config = loadConfig();
  return openStore({
    dataDir: config.DATA_DIR,
    cosmos: config.COSMOS_ENDPOINT
      ? { endpoint: config.COSMOS_ENDPOINT, key: config.COSMOS_KEY, database: config.COSMOS_DATABASE }
      : undefined,
    logger: createLogger(config.LOG_LEVEL),
  });
}
