import { defineConfig } from 'vitest/config';

// `npm test`: every suite at small scale. Large-scale and chaos figures have their own scripts.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    // Chaos (full figures) and scale-out (several role processes on Cosmos) have their own scripts.
    exclude: ['tests/chaos/**', 'tests/scale/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: run two files at a time; each suite starts its own loopback servers on port 0.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
