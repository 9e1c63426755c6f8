import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.mjs'],
    reporters: ['default', ['json', { outputFile: '.test-results/vitest.json' }]],
    // The smoke run forks the servers and fresh Node processes: generous on a busy 2-core machine.
    testTimeout: 180_000,
  },
});
