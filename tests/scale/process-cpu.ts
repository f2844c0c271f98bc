// CPU seconds used by a process (user + system), read from /proc: where a scale test's time goes
// (the Cosmos-protocol server runs in the test process; each role is its own process).
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** CPU seconds of `pid` so far, or undefined when it has exited or /proc is not there. */
export function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces): utime is 14th, stime 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** CPU seconds of this process (the test, its observer and the Cosmos-protocol server). */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}
