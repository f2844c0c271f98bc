// What every scenario is given, and what earlier scenarios leave for later ones (the backed-up
// store of scenario 1 is what scenarios 2-5 search, restore from and answer the bot from).
import type { Runtime } from '../../src/cli/cli-deps.ts';
import type { BenchSizes } from '../sizes.ts';
import type { DevTenantProcess } from './dev-tenant-process.ts';
import type { LatencyModel } from './lower-bounds.ts';
import type { ScenarioResult } from './report.ts';

export interface BenchContext {
  quick: boolean;
  sizes: BenchSizes;
  latency: LatencyModel;
  /** Temporary DATA_DIR of this run (dev tenant state, SQLite store). */
  dataDir: string;
  log(message: string): void;
  dev?: DevTenantProcess;
  runtime?: Runtime;
  /** Set by the naive baseline, used by the incremental scenario's day ratio. */
  naive?: { graphRequests: number; wallMs: number };
  /** Set once scenario 1 has backed the tenant up. */
  backedUp?: boolean;
}

export interface Scenario {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}

/** The runtime and the dev tenant, or a clear reason the scenario cannot run. */
export function requireTenant(ctx: BenchContext): {
  runtime: Runtime;
  dev: DevTenantProcess;
  tenantId: string;
} {
  if (!ctx.dev || !ctx.runtime) throw new Error('the dev tenant and runtime did not start (see setup)');
  return { runtime: ctx.runtime, dev: ctx.dev, tenantId: ctx.dev.tenantId };
}

/** Latency of issue 8 on every Graph request from now on (throttling stays at Graph's budget). */
export function injectLatency(ctx: BenchContext): void {
  ctx.dev?.setFaults({ latencyMs: ctx.latency.perRequestMs, latencyPerObjectMs: ctx.latency.perObjectMs });
}

/** No injected latency: used while the harness itself changes the tenant (setup, not measured). */
export function removeLatency(ctx: BenchContext): void {
  ctx.dev?.setFaults({ latencyMs: 0, latencyPerObjectMs: 0 });
}
