// Proves the ESM and CJS builds of core, loaded in one process, share one default client (one cache).

import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

type Core = typeof import('../src/index.js');

const require = createRequire(import.meta.url);
let saved: string | undefined;

beforeEach(() => {
  saved = process.env.AUTHSEC_MODE;
  process.env.AUTHSEC_MODE = 'mock';
});
afterEach(() => {
  if (saved === undefined) delete process.env.AUTHSEC_MODE;
  else process.env.AUTHSEC_MODE = saved;
});

describe('dual-package hazard', () => {
  it('getDefaultClient() from dist/index.js and dist/index.cjs returns the same client', async () => {
    const esm = (await import(new URL('../dist/index.js', import.meta.url).href)) as Core;
    const cjs = require('../dist/index.cjs') as Core;
    expect(esm.getDefaultClient).not.toBe(cjs.getDefaultClient);
    const fromEsm = esm.getDefaultClient();
    const fromCjs = cjs.getDefaultClient();
    expect(fromCjs).toBe(fromEsm);
    // One cache: the token the ESM copy pulled is the one the CJS copy serves.
    expect(await cjs.getDelegationToken()).toBe(await esm.getDelegationToken());
    // Closing through either copy forgets it for both.
    await cjs.closeDefaultClient();
    const rebuilt = esm.getDefaultClient();
    expect(rebuilt).not.toBe(fromEsm);
    expect(cjs.getDefaultClient()).toBe(rebuilt);
    await esm.closeDefaultClient();
  });
});
