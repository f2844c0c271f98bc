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
  /** Search queries per kind (prefix, substring, id) and store. */
  searchQueries: number;
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
  restoreUsers: 10,
  botRequests: 30,
};

/** Injected on every Graph request of every scenario (issue 8). */
export const LATENCY: LatencyModel = { perRequestMs: 120, perObjectMs: 0.4 };

/** Incremental runs in a day at the default 15-minute schedule. */
export const RUNS_PER_DAY = 96;
