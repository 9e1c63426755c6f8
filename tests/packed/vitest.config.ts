import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', ['json', { outputFile: '.test-results/vitest.json' }]],
    // Packing six packages and installing them twice takes tens of seconds on a busy machine, and a
    // type-check that reads LangChain's and LlamaIndex's declarations several seconds more.
    hookTimeout: 300_000,
    testTimeout: 180_000,
  },
});
