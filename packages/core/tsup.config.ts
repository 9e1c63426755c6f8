import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

export default defineConfig({
  entry: { index: 'src/index.ts', verify: 'src/verify-entry.ts' },
  // Both entries share one copy of each module (error classes included), in ESM and in CJS.
  splitting: true,
  dts: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  define: { __AUTHSEC_CORE_VERSION__: JSON.stringify(version) },
  format: ['esm', 'cjs'],
  clean: true,
});
