// The offline demo: `pnpm demo` runs this first. Exits 0 only if every step did what it claims.

import { runDemo } from './run-demo.js';

runDemo().catch((error: unknown) => {
  // Only the message: the demo's own errors and the SDK's never hold a token.
  console.error(`\nDemo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
