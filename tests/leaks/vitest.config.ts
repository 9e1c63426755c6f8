import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', ['json', { outputFile: '.test-results/vitest.json' }]],
    // The example runs are child processes that start servers, Redis and frameworks: at most two
    // at once, and each given the time a busy 2-core machine needs.
    maxConcurrency: 2,
    testTimeout: 240_000,
    hookTimeout: 120_000,
  },
});
