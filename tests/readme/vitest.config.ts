import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', ['json', { outputFile: '.test-results/vitest.json' }]],
    // One type-check program over every block: tens of seconds on a busy 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 240_000,
  },
});
