#!/usr/bin/env node
// The `authsec-demo-api` command. This file is committed (dist/ is not), so package managers can link the
// command at install time, before the first build.
try {
  await import('../dist/cli.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.js')) {
    console.error(
      'authsec-demo-api: dist/cli.js is missing. Build it first: pnpm build (from the repository root).',
    );
    process.exit(1);
  }
  throw error;
}
