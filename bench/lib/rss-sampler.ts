// Peak resident set size of this process while a scenario runs (sampled; plus the kernel's
// own high-water mark when the scenario is the first large thing the process does).

export interface RssSampler {
  /** RSS (MB) when sampling started: the harness, the runtime and loaded modules. */
  readonly startMb: number;
  /** Stops sampling; returns the peak in MB seen since start. */
  stop(): number;
}

export function sampleRss(intervalMs = 25): RssSampler {
  let peak = process.memoryUsage.rss();
  const startMb = Math.round((peak / 1024 / 1024) * 10) / 10;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  timer.unref();
  return {
    startMb,
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return Math.round((peak / 1024 / 1024) * 10) / 10;
    },
  };
}
