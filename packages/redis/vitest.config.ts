import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', ['json', { outputFile: '.test-results/vitest.json' }]],
    // Each file starts its own redis-server and AuthSec test server on a busy 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
