import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

// jose is ESM-only: the CJS build require()s it through require(esm) on Node 20.19+.
export default defineConfig({
  entry: { index: 'src/index.ts' },
  dts: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  define: { __AUTHSEC_CORE_VERSION__: JSON.stringify(version) },
  format: ['esm', 'cjs'],
  clean: true,
});
