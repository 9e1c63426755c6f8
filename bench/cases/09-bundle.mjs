// Bundle size: packages/core/dist/index.js bundled with its dependencies by esbuild (neutral platform,
// ESM, minified), then gzipped at level 9: what a browser or edge app pays for core. A report-only
// row gives core's own code with its dependencies left external.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export default {
  name: 'bundle',
  async run(ctx) {
    const require = createRequire(join(ctx.benchDir, 'package.json'));
    const coreDir = dirname(require.resolve('@authsec/core/package.json'));
    const gzippedKb = async (external) => {
      const result = await build({
        entryPoints: [join(coreDir, 'dist/index.js')],
        bundle: true,
        minify: true,
        format: 'esm',
        platform: 'neutral',
        mainFields: ['module', 'main'],
        packages: external ? 'external' : undefined,
        write: false,
        logLevel: 'silent',
      });
      return gzipSync(result.outputFiles[0].contents, { level: 9 }).length / 1024;
    };
    const gzKb = await gzippedKb(false);
    const ownKb = await gzippedKb(true);
    ctx.add({
      name: 'core bundled + minified + gzipped',
      unit: 'KB',
      ours: gzKb,
      goal: '≤ 30 KB',
      met: gzKb <= 30,
    });
    ctx.add({
      name: 'core own code only (dependencies external), gzipped',
      unit: 'KB',
      ours: ownKb,
    });
  },
};
