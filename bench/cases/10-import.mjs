// Cold import: a fresh Node process importing @authsec/core against one importing what a user would
// otherwise bring (jose + ky + zod), interleaved. Report-only.

import { execFileSync } from 'node:child_process';
import { median } from '../lib/measure.mjs';

function importMs(cwd, specifiers) {
  const source = `const t = performance.now(); ${specifiers.map((s) => `await import(${JSON.stringify(s)});`).join(' ')} process.stdout.write(String(performance.now() - t));`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', source], { cwd }));
}

export default {
  name: 'cold import',
  async run(ctx) {
    const ours = [];
    const baseline = [];
    const ratios = [];
    for (let round = 0; round < ctx.count(10, 2); round++) {
      const first = round % 2;
      const a = first ? importMs(ctx.benchDir, ['@authsec/core']) : undefined;
      const b = importMs(ctx.benchDir, ['jose', 'ky', 'zod']);
      const c = a ?? importMs(ctx.benchDir, ['@authsec/core']);
      ours.push(c);
      baseline.push(b);
      ratios.push(c / b);
    }
    ctx.add({
      name: 'cold import @authsec/core vs jose + ky + zod',
      unit: 'ms',
      ours: median(ours),
      baseline: median(baseline),
      ratio: median(ratios),
      min: Math.min(...ratios),
      max: Math.max(...ratios),
    });
  },
};
