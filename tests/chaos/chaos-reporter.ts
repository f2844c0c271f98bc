// Prints the chaos figures as the very last line of `npm run test:chaos`:
//   chaos: F faults, R runs, L lost, D duplicated, P repeated
// summed from what the tests observed (tests/security/lib/tally.ts files in CHAOS_TALLY_DIR).
// Listed after the default reporter, so its line follows vitest's summary.
import { rmSync } from 'node:fs';
import type { Reporter } from 'vitest/reporters';
import { chaosLine, sumTallies } from '../security/lib/tally.ts';

export default class ChaosReporter implements Reporter {
  onTestRunEnd(): void {
    const dir = process.env.CHAOS_TALLY_DIR;
    if (!dir) return;
    const sum = sumTallies(dir);
    rmSync(dir, { recursive: true, force: true });
    process.stdout.write(`${chaosLine(sum)}\n`);
  }
}
