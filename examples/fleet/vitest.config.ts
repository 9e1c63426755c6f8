import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', ['json', { outputFile: '.test-results/vitest.json' }]],
    // The example starts a redis-server and 8 worker processes: generous on a busy 2-core machine.
    testTimeout: 90_000,
  },
});
