// Keeps core small for edge functions and browsers: the built package, bundled with everything it
// imports, minified and gzipped, must stay under a budget.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** The budget in bytes, gzipped: just above the measured 33.5 KB without ky (the goal is 30 KB). */
const BUDGET_BYTES = 36 * 1024;

describe('the bundle of @authsec/core', () => {
  it('is under 36 KB minified and gzipped, with every dependency included and zod absent', async () => {
    if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`pnpm build\` first`);
    // The same bundle as `esbuild dist/index.js --bundle --minify --platform=neutral --format=esm`.
    const result = await build({
      entryPoints: [dist],
      bundle: true,
      minify: true,
      platform: 'neutral',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]?.contents ?? new Uint8Array();
    const gzipped = gzipSync(code).byteLength;
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((path) => path.includes('node_modules/jose/'))).toBe(true);
    expect(inputs.filter((path) => path.includes('node_modules/zod/'))).toEqual([]);
    expect(gzipped).toBeGreaterThan(1024);
    expect(gzipped).toBeLessThan(BUDGET_BYTES);
  }, 60_000);
});
