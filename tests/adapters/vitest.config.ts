import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', ['json', { outputFile: '.test-results/vitest.json' }]],
    // Importing the three adapters (and LlamaIndex, LangChain) takes seconds on a busy machine.
    testTimeout: 60_000,
  },
});
