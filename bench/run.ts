// `npm run bench [-- --quick] [-- --scale 0.25] [-- --only full-backup,search] [-- --keep]`
// Runs the benchmark scenarios of issue 8 against the dev tenant with injected latency (120 ms
// per request + 0.4 ms per object, Graph's large-tenant throttling budget): one JSON line per
// scenario on stdout, then a human table, and the whole run in bench/results/<date>.json.
// Speed claims live here, never in tests. Exit code 1 only when a scenario failed (not when it
// is waiting for a part of the product that has not landed).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { openRuntime } from '../src/runtime.ts';
import type { BenchContext, Scenario } from './lib/bench-context.ts';
import { startDevTenantProcess } from './lib/dev-tenant-process.ts';
import { MissingPartError, REPO_ROOT } from './lib/parts.ts';
import {
  jsonLine,
  machineInfo,
  type RunFile,
  runFilePath,
  type ScenarioResult,
  table,
  writeRunFile,
} from './lib/report.ts';
import { botLatencyScenario } from './scenarios/bot-latency.ts';
import { cosmosWritesScenario } from './scenarios/cosmos-writes.ts';
import { fullBackupScenario } from './scenarios/full-backup.ts';
import { incrementalScenario } from './scenarios/incremental.ts';
import { naiveBaselineScenario } from './scenarios/naive-baseline.ts';
import { restoreScenario } from './scenarios/restore.ts';
import { searchScenario } from './scenarios/search.ts';
import { FULL, LATENCY, QUICK, scaledSizes } from './sizes.ts';

/** In order: later scenarios use what earlier ones leave (the backup, the naive figures). */
export const SCENARIOS: Scenario[] = [
  fullBackupScenario,
  naiveBaselineScenario,
  incrementalScenario,
  searchScenario,
  cosmosWritesScenario,
  restoreScenario,
  botLatencyScenario,
];

interface Args {
  quick: boolean;
  /** The full tenant scaled down (profiling at a middle size). */
  scale?: number;
  only?: string[];
  keep: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--keep') args.keep = true;
    else if (a === '--scale') args.scale = Number(argv[++i]);
    else if (a.startsWith('--scale=')) args.scale = Number(a.slice(8));
    else if (a === '--only') args.only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (a.startsWith('--only=')) args.only = a.slice(7).split(',').filter(Boolean);
    else throw new Error(`unknown argument ${a} (use --quick, --scale <0..1>, --only <scenarios>, --keep)`);
  }
  const names = SCENARIOS.map((s) => s.name);
  for (const name of args.only ?? []) {
    if (!names.includes(name)) throw new Error(`unknown scenario ${name} (one of ${names.join(', ')})`);
  }
  return args;
}

function failure(scenario: string, error: unknown): ScenarioResult {
  if (error instanceof MissingPartError) {
    return { scenario, status: 'waiting', ratioToLowerBound: null, reason: error.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    scenario,
    status: 'failed',
    ratioToLowerBound: null,
    reason: message.split('\n')[0].slice(0, 300),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const sizes = args.quick ? QUICK : args.scale !== undefined ? scaledSizes(args.scale) : FULL;
  const startedAt = new Date().toISOString();
  const dataDir = mkdtempSync(join(tmpdir(), 'entra-bench-'));
  const log = (message: string) =>
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
  const ctx: BenchContext = { quick: args.quick, sizes, latency: LATENCY, dataDir, log };
  const results: ScenarioResult[] = [];
  let setupError: unknown;
  try {
    log(`seeding the dev tenant (${sizes.tenant.users} users) in ${dataDir}`);
    const t = sizes.tenant;
    ctx.dev = await startDevTenantProcess({
      dataDir,
      seed: {
        seed: 'bench',
        users: t.users,
        groups: t.groups,
        largeGroups: t.largeGroups,
        largeGroupSize: t.largeGroupSize,
        applications: t.applications,
        devices: t.devices,
        administrativeUnits: t.administrativeUnits,
        signIns: t.signIns,
      },
    });
    log(`dev tenant ${ctx.dev.tenantId} ready in ${ctx.dev.startSeconds} s`);
    const config = loadConfig({
      DATA_DIR: dataDir,
      DEV_TENANT_GRAPH_PORT: String(ctx.dev.graphPort),
      DEV_TENANT_LOGIN_PORT: String(ctx.dev.loginPort),
      LOG_LEVEL: 'warn',
      SCHEDULER_ENABLED: 'false',
      NODE_ENV: 'test',
    });
    // The product's logs go to stderr: stdout carries only the scenario lines and the table.
    ctx.runtime = await openRuntime(config, {
      startDevTenant: false,
      logger: createLogger('warn', process.stderr),
    });
  } catch (error) {
    setupError = error;
    log(`setup: ${error instanceof Error ? error.message : String(error)}`);
  }

  // A scaled run is a profiling aid, not a result of issue 8: it is kept out of bench/results.
  const resultsDir =
    args.scale !== undefined && !args.quick
      ? join(tmpdir(), 'entra-bench-scaled')
      : join(REPO_ROOT, 'bench', 'results');
  const mode = args.quick ? 'quick' : 'full';
  const file = runFilePath(resultsDir, { startedAt, mode });
  const machine = machineInfo(REPO_ROOT);
  const runFile = (): RunFile => ({
    startedAt,
    finishedAt: new Date().toISOString(),
    mode,
    machine,
    settings: { sizes, latency: LATENCY, throttling: 'Graph large-tenant budget (dev tenant default)' },
    results,
  });
  for (const scenario of SCENARIOS) {
    if (args.only && !args.only.includes(scenario.name)) continue;
    let result: ScenarioResult;
    if (setupError) result = failure(scenario.name, setupError);
    else {
      log(`${scenario.title}…`);
      try {
        result = await scenario.run(ctx);
      } catch (error) {
        result = failure(scenario.name, error);
      }
    }
    results.push(result);
    process.stdout.write(`${jsonLine(result)}\n`);
    // Written after every scenario, so an interrupted run keeps what it measured.
    writeRunFile(resultsDir, runFile(), file);
  }

  await ctx.runtime?.close().catch(() => undefined);
  await ctx.dev?.stop().catch(() => undefined);
  const final = runFile();
  writeRunFile(resultsDir, final, file);
  process.stdout.write(`\n${table(results)}\n`);
  process.stdout.write(
    `\nresults: ${file} (${Math.round((Date.parse(final.finishedAt) - Date.parse(startedAt)) / 1000)} s)\n`,
  );
  if (!args.keep) rmSync(dataDir, { recursive: true, force: true });
  if (results.some((r) => r.status === 'failed')) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 2;
});
