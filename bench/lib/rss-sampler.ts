// Peak resident set size of this process while a scenario runs (sampled, plus the kernel's own
// high-water mark), with what the process held at the sampled peak: V8's heap and the memory
// outside it (SQLite's page cache, Buffers), so a regression says where it lives. RSS is the
// whole process's: worker threads (the SQLite writer thread) and native allocations count.
import { readFileSync } from 'node:fs';

export interface RssSampler {
  /** RSS (MB) when sampling started: the harness, the runtime and loaded modules. */
  readonly startMb: number;
  /** Stops sampling; returns the peak in MB seen since start. */
  stop(): number;
  /** At the peak: when (ms after start), V8 heap used and memory outside the heap (MB). */
  atPeak(): { peakAtMs: number; heapUsedMb: number; externalMb: number };
}

export const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/**
 * The kernel's high-water mark of this process's RSS (VmHWM, MB): exact, not sampled, since the
 * process started. Undefined where /proc is not there.
 */
export function kernelPeakRssMb(): number | undefined {
  try {
    const line = readFileSync('/proc/self/status', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmHWM:'));
    const kb = line ? Number(line.replace(/\D+/g, '')) : Number.NaN;
    return Number.isFinite(kb) ? Math.round((kb / 1024) * 10) / 10 : undefined;
  } catch {
    return undefined;
  }
}

export function sampleRss(intervalMs = 25): RssSampler {
  const started = performance.now();
  let peak = process.memoryUsage();
  let peakAt = started;
  const startMb = mb(peak.rss);
  const sample = () => {
    const m = process.memoryUsage();
    if (m.rss > peak.rss) {
      peak = m;
      peakAt = performance.now();
    }
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    startMb,
    stop() {
      clearInterval(timer);
      sample();
      return mb(peak.rss);
    },
    atPeak: () => ({
      peakAtMs: Math.round(peakAt - started),
      heapUsedMb: mb(peak.heapUsed),
      externalMb: mb(peak.external),
    }),
  };
}
