// The offline demo: `pnpm demo` runs this first. Exits 0 only if every step did what it claims.
// `--log-level debug --log-format json` change the SDK's transcript (default: info, pretty).

import { parseArgs } from 'node:util';
import type { LogFormat, LogLevel } from '@authsec/core';
import { runDemo } from './run-demo.js';

main().catch((error: unknown) => {
  // Only the message: the demo's own errors and the SDK's never hold a token.
  console.error(`\nDemo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

async function main(): Promise<void> {
  // The client checks the values and names the option in its error.
  const { values } = parseArgs({
    options: { 'log-level': { type: 'string' }, 'log-format': { type: 'string' } },
  });
  await runDemo({
    logLevel: values['log-level'] as LogLevel | undefined,
    logFormat: values['log-format'] as LogFormat | undefined,
  });
}
