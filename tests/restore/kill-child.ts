// A restore worker in its own process, for the kill test: connects to the parent's dev tenant and
// SQLite store, runs every claimable restore, and prints each recorded step so the parent can
// SIGKILL it mid-restore. Bundled by the test (esbuild) so it starts fast. Its clock runs `offsetMs` ahead so a killed worker's lease has expired.
import { loadConfig } from '../../src/config.ts';
import { runRestoreWorkerOnce } from '../../src/restore/executor.ts';
import { openRuntime } from '../../src/runtime.ts';

const [dataDir, graphPort, loginPort, offsetMs, workerId] = process.argv.slice(2);
const config = loadConfig({
  NODE_ENV: 'test',
  DATA_DIR: dataDir,
  LOG_LEVEL: 'silent',
  DEV_TENANT_GRAPH_PORT: graphPort,
  DEV_TENANT_LOGIN_PORT: loginPort,
  SCHEDULER_ENABLED: 'false',
});
const offset = Number(offsetMs);
const runtime = await openRuntime(config, {
  startDevTenant: false,
  now: () => new Date(Date.now() + offset),
});
const finished = await runRestoreWorkerOnce(runtime, workerId, {
  onStep: (stepId, outcome) => process.stdout.write(`STEP ${stepId} ${outcome.status}\n`),
});
process.stdout.write(`DONE ${finished.join(',')}\n`);
await runtime.close();
process.exit(0);
