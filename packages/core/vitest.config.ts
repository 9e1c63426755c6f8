import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

export default defineConfig({
  define: { __AUTHSEC_CORE_VERSION__: JSON.stringify(version) },
  test: {
    include: ['test/**/*.test.ts'],
    // RS256 key pairs generated once for the whole run, not per file (test/keys.ts).
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', ['json', { outputFile: '.test-results/vitest.json' }]],
    testTimeout: 20_000,
    // test/transport-gc.test.ts forces collections with gc() to prove no request hangs or leaks after one.
    execArgv: ['--expose-gc'],
  },
});
