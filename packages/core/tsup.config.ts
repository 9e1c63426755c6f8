import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

const shared = {
  entry: { index: 'src/index.ts' },
  dts: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  define: { __AUTHSEC_CORE_VERSION__: JSON.stringify(version) },
} as const;

export default defineConfig([
  { ...shared, format: ['esm'], clean: true },
  // ky is ESM-only with a default export: a CJS build that require()s it gets a namespace object,
  // so the CJS build carries its own copy. jose and zod work through require(esm) on Node 20.19+.
  { ...shared, format: ['cjs'], clean: false, noExternal: ['ky'] },
]);
