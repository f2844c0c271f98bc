// `npx tsx tests/scale/throughput-figures.ts [tenants] [users]` (SCALE_GRAPH_LATENCY_MS to change
// the injected Graph latency per request): runs completed per minute by one
// worker and by three, on the same dev tenants with the benchmark's Graph latency, alternating
// (1, 3, 1, 3 … SCALE_THROUGHPUT_ROUNDS rounds) so that a change in the machine's load hits both.
// Prints one JSON line per measurement and a summary; docs/SCALING.md quotes them.
import { measureThroughput, type ThroughputFigures } from './throughput.ts';

const tenants = Number(process.argv[2] ?? 30);
const usersPerTenant = Number(process.argv[3] ?? 10);
const rounds = Number(process.env.SCALE_THROUGHPUT_ROUNDS ?? 1);
/** Graph latency per request (default: the benchmark's 120 ms). */
const perRequestMs = process.env.SCALE_GRAPH_LATENCY_MS
  ? Number(process.env.SCALE_GRAPH_LATENCY_MS)
  : undefined;

const results: ThroughputFigures[] = [];
for (let round = 0; round < rounds; round++) {
  for (const workers of [1, 3]) {
    const figures = await measureThroughput({ workers, tenants, usersPerTenant, perRequestMs });
    results.push(figures);
    console.log(`THROUGHPUT ${JSON.stringify(figures)}`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const wall = (w: number) => median(results.filter((r) => r.workers === w).map((r) => r.wallMs));
console.log(
  `THROUGHPUT SUMMARY ${JSON.stringify({
    tenants,
    usersPerTenant,
    rounds,
    wallMs1Worker: wall(1),
    wallMs3Workers: wall(3),
    ratio3to1: +(wall(3) / wall(1)).toFixed(2),
  })}`,
);
