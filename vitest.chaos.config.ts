import { defineConfig } from 'vitest/config';

// `npm run test:chaos`: the full fault and crash figures (issue: reliability and security).
export default defineConfig({
  test: {
    include: ['tests/chaos/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
