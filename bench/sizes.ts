// Benchmark sizes: the full run of issue 8, and the quick run (CI smoke, under 2 minutes).
import type { LatencyModel } from './lib/lower-bounds.ts';

export interface TenantSize {
  users: number;
  groups: number;
  /** Average members of an ordinary group. */
  averageMembers: number;
  largeGroups: number;
  largeGroupSize: number;
  applications: number;
  devices: number;
  administrativeUnits: number;
  signIns: number;
}

export interface BenchSizes {
  tenant: TenantSize;
  /** Share of objects changed before the incremental run (scenario 2). */
  changeShare: number;
  /** Incremental runs sampled to extrapolate a day of 15-minute incrementals (96 runs). */
  daySamples: number;
  /** Search queries per kind (prefix, substring, id) on SQLite and through the tab's API. */
  searchQueries: number;
  /** The same on the Cosmos-protocol emulator (it scans every document per query; capped by searchQueries). */
  cosmosSearchQueries: number;
  /** Users deleted then restored with their memberships (scenario 4). */
  restoreUsers: number;
  /** `restore user <partial upn>` requests sent to the bot (scenario 5). */
  botRequests: number;
}

export const FULL: BenchSizes = {
  tenant: {
    users: 100_000,
    groups: 10_000,
    averageMembers: 25,
    largeGroups: 3,
    largeGroupSize: 50_000,
    applications: 2_000,
    devices: 20_000,
    administrativeUnits: 200,
    signIns: 100_000,
  },
  changeShare: 0.01,
  daySamples: 3,
  searchQueries: 300,
  cosmosSearchQueries: 30,
  restoreUsers: 200,
  botRequests: 200,
};

export const QUICK: BenchSizes = {
  tenant: {
    users: 3_000,
    groups: 200,
    averageMembers: 25,
    largeGroups: 1,
    largeGroupSize: 1_500,
    applications: 40,
    devices: 400,
    administrativeUnits: 10,
    signIns: 2_000,
  },
  changeShare: 0.01,
  daySamples: 1,
  searchQueries: 100,
  cosmosSearchQueries: 20,
  restoreUsers: 10,
  botRequests: 30,
};

/**
 * The full run's tenant scaled by `factor` (0 < factor ≤ 1, `--scale`): a middle-sized run for
 * profiling, minutes instead of half an hour. Group sizes stay (a large group is still large).
 */
export function scaledSizes(factor: number): BenchSizes {
  if (!(factor > 0 && factor <= 1)) throw new Error(`--scale must be in (0, 1] (got ${factor})`);
  const t = FULL.tenant;
  const n = (v: number) => Math.max(1, Math.round(v * factor));
  return {
    ...FULL,
    tenant: {
      ...t,
      users: n(t.users),
      groups: n(t.groups),
      largeGroupSize: Math.min(t.largeGroupSize, n(t.users) / 2),
      applications: n(t.applications),
      devices: n(t.devices),
      administrativeUnits: n(t.administrativeUnits),
      signIns: n(t.signIns),
    },
  };
}

/** Injected on every Graph request of every scenario (issue 8). */
export const LATENCY: LatencyModel = { perRequestMs: 120, perObjectMs: 0.4 };

/** Incremental runs in a day at the default 15-minute schedule. */
export const RUNS_PER_DAY = 96;
