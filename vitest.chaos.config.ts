import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import ChaosReporter from './tests/chaos/chaos-reporter.ts';

// `npm run test:chaos`: the full fault and crash figures (issue: reliability and security).
// Each test adds what it observed to a tally file in CHAOS_TALLY_DIR; the chaos reporter sums
// them and prints `chaos: F faults, R runs, L lost, D duplicated, P repeated` as the last line.
process.env.CHAOS_TALLY_DIR ??= mkdtempSync(path.join(tmpdir(), 'entra-backup-chaos-'));

export default defineConfig({
  test: {
    include: ['tests/chaos/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    maxWorkers: 1,
    env: { CHAOS_TALLY_DIR: process.env.CHAOS_TALLY_DIR },
    reporters: ['default', new ChaosReporter()],
  },
});
