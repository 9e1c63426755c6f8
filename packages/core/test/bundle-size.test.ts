// Keeps core small for edge functions and browsers: the built package, bundled with everything it
// imports, minified and gzipped, must stay under a budget; so must the `@authsec/core/verify` entry.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * The budgets in bytes, gzipped (zlib's default level): core's goal of 30 KB (30,720 B; measured
 * 30,702 B with no dependency left, after its error messages were shortened), and about 1.5 KB
 * above the verify entry's 14.4 KB.
 */
const BUDGETS = { index: 30_720, verify: 16 * 1024 } as const;

/** The entry bundled as `esbuild dist/<entry>.js --bundle --minify --platform=neutral --format=esm`, gzipped. */
async function bundle(entry: keyof typeof BUDGETS, minify = true) {
  const dist = fileURLToPath(new URL(`../dist/${entry}.js`, import.meta.url));
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`pnpm build\` first`);
  const result = await build({
    entryPoints: [dist],
    bundle: true,
    minify,
    platform: 'neutral',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return {
    gzipped: gzipSync(code).byteLength,
    inputs: Object.keys(result.metafile.inputs),
    /** The inputs that left bytes in the output (tree-shaken ones are listed in `inputs` too). */
    text: new TextDecoder().decode(code),
  };
}

describe('the bundle of @authsec/core', () => {
  it('is under 30 KB (30,720 B) minified and gzipped, and imports no package at all (no jose, no zod)', async () => {
    const { gzipped, inputs } = await bundle('index');
    expect(inputs.filter((path) => path.includes('node_modules/'))).toEqual([]);
    expect(gzipped).toBeGreaterThan(1024);
    expect(gzipped).toBeLessThan(BUDGETS.index);
  }, 60_000);

  it('of @authsec/core/verify is under 16 KB and holds no client, token cache or mock mode', async () => {
    const { gzipped, inputs } = await bundle('verify');
    expect(gzipped).toBeGreaterThan(1024);
    expect(gzipped).toBeLessThan(BUDGETS.verify);
    expect(inputs.filter((path) => path.includes('node_modules/'))).toEqual([]);
    // Built from dist (shared chunks), so the agent-side code is looked for in the unminified output.
    const { text } = await bundle('verify', false);
    for (const agentSide of [
      'AuthSecClient = class',
      'TokenCache = class',
      'LiveTokenSource',
      'SignJWT',
    ]) {
      expect(text.includes(agentSide), agentSide).toBe(false);
    }
  }, 60_000);
});
