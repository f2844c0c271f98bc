// Runs the dev tenant (Graph simulator + token issuer, src/devtenant) in its own process for the
// benchmark, so the product's memory (peak RSS of a backup) is measured without the simulator's.
// Argument: JSON { dataDir, graphPort, loginPort, seed }. Prints one JSON line when serving;
// stops when its stdin closes (the parent exits or ends it).
import type { Logger } from '../src/log.ts';
import { createLogger } from '../src/log.ts';
import { loadPart } from './lib/parts.ts';

interface StartOptions {
  dataDir: string;
  host: string;
  graphPort: number;
  loginPort: number;
  seed: Record<string, unknown>;
  logger: Logger;
}
interface DevTenantModule {
  startDevTenant(options: StartOptions): Promise<{
    graphUrl: string;
    authorityUrl: string;
    controlUrl: string;
    tenants: { tenantId: string }[];
    stop(): Promise<void>;
  }>;
}

const args = JSON.parse(process.argv[2] ?? '{}') as {
  dataDir: string;
  graphPort: number;
  loginPort: number;
  seed: Record<string, unknown>;
};
const started = Date.now();
const { startDevTenant } = await loadPart<DevTenantModule>('src/devtenant/dev-tenant.ts');
const dev = await startDevTenant({
  dataDir: args.dataDir,
  host: '127.0.0.1',
  graphPort: args.graphPort,
  loginPort: args.loginPort,
  seed: args.seed,
  logger: createLogger('warn'),
});
process.stdout.write(
  `${JSON.stringify({
    ready: true,
    graphUrl: dev.graphUrl,
    authorityUrl: dev.authorityUrl,
    controlUrl: dev.controlUrl,
    tenantIds: dev.tenants.map((t) => t.tenantId),
    startMs: Date.now() - started,
  })}\n`,
);
const stop = () => {
  dev.stop().finally(() => process.exit(0));
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.on('SIGTERM', stop);
process.stdin.resume();
