// Latency statistics: nearest-rank percentiles over measured samples.

/** The p-th percentile (0 < p ≤ 100) by nearest rank; throws on no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  if (!(p > 0 && p <= 100)) throw new Error(`percentile must be in (0, 100] (got ${p})`);
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.ceil((p / 100) * sorted.length)) - 1];
}

export interface LatencySummary {
  n: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    n: samples.length,
    p50Ms: round(percentile(samples, 50)),
    p99Ms: round(percentile(samples, 99)),
    maxMs: round(Math.max(...samples)),
    meanMs: round(samples.reduce((s, v) => s + v, 0) / samples.length),
  };
}

/** Runs `fn` and returns its result with the elapsed wall time in ms (high resolution). */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}
