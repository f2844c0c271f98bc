// `entra-backup`: the product's command line. Each area adds its verbs; every verb has --json.
import { Command } from 'commander';
import { registerBackupCommands } from '../backup/cli.ts';
import { registerDevTenantCommands } from '../devtenant/cli.ts';
import { registerRestoreCommands } from '../restore/cli.ts';
import { openRuntime } from '../runtime.ts';
import { registerServeCommand } from '../server/serve-cli.ts';
import { registerAuditCommands } from './audit-cli.ts';
import type { CliDeps } from './cli-deps.ts';
import { fail, output } from './cli-deps.ts';

// Verbs print their own results: keep the logs to warnings unless asked (the server logs info).
if (!process.env.LOG_LEVEL && process.argv[2] !== 'serve') process.env.LOG_LEVEL = 'warn';

const deps: CliDeps = { openRuntime: (options) => openRuntime(undefined, options), output, fail };

const program = new Command('entra-backup')
  .description('Back up and restore a Microsoft Entra ID tenant (Entra Backup for Teams).')
  .showHelpAfterError();

registerServeCommand(program, deps);
registerDevTenantCommands(program, deps);
registerBackupCommands(program, deps);
registerRestoreCommands(program, deps);
registerAuditCommands(program, deps);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const json = process.argv.includes('--json');
  fail(json, 'CLI_ERROR', error instanceof Error ? error.message : String(error));
}
