import { defineConfig } from 'vitest/config';

// `npm run test:scale`: one web and three worker processes on the Cosmos-protocol server.
export default defineConfig({
  test: {
    include: ['tests/scale/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
