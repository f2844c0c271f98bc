// `entra-backup serve --role all|web|worker`: what `npm start` runs.
import type { Command } from 'commander';
import type { CliDeps } from '../cli/cli-deps.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { type Role, serve } from './serve.ts';

export function registerServeCommand(program: Command, deps: CliDeps): void {
  program
    .command('serve')
    .description('Run the product: web (bot, tab, API), worker (backups, restores) or all')
    .option('--role <role>', 'all | web | worker', process.env.ROLE ?? 'all')
    .option('--json', 'print the URLs as JSON once started')
    .action(async (opts: { role: string; json?: boolean }) => {
      const json = Boolean(opts.json);
      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig({ ...process.env, ROLE: opts.role });
      } catch (error) {
        if (error instanceof ConfigError) return deps.fail(json, 'CONFIG_INVALID', error.message);
        throw error;
      }
      const handle = await serve(config, config.ROLE as Role);
      deps.output(json, { role: config.ROLE, store: handle.runtime.store.kind, urls: handle.urls }, (d) =>
        [
          `Entra Backup for Teams is running (role ${d.role}, store ${d.store})`,
          ...Object.entries(d.urls).map(([name, url]) => `  ${name.padEnd(20)} ${url}`),
        ].join('\n'),
      );
      const shutdown = async (signal: string) => {
        handle.runtime.log.info({ signal }, 'shutting down');
        // Leases make an unclean stop safe (another worker resumes from the checkpoint); do not hang.
        const force = setTimeout(() => {
          handle.runtime.log.warn('shutdown took over 10 s: exiting anyway');
          process.exit(1);
        }, 10_000);
        force.unref();
        try {
          await handle.close();
        } finally {
          process.exit(0);
        }
      };
      process.once('SIGINT', () => void shutdown('SIGINT'));
      process.once('SIGTERM', () => void shutdown('SIGTERM'));
    });
}
