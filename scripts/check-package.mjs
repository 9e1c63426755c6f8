// Packaging checks for one published package (run in its folder after build): publint, attw, CJS/ESM smoke.
// Writes .test-results/package.json so scripts/test.mjs counts each check as a test.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = process.cwd();
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const results = [];

async function check(name, fn) {
  try {
    const problem = await fn();
    results.push({ name, ok: !problem, ...(problem && { problem }) });
  } catch (error) {
    results.push({ name, ok: false, problem: String(error?.stack ?? error) });
  }
}

await check('publint --strict', async () => {
  const { messages } = await publint({ pkgDir, strict: true, level: 'suggestion' });
  return messages.map((m) => `${m.type}: ${formatMessage(m, pkg)}`).join('\n');
});

await check('attw --pack', () => {
  const run = spawnSync(join(root, 'node_modules/.bin/attw'), ['--pack', '.', '--no-color'], {
    cwd: pkgDir,
    encoding: 'utf8',
  });
  return run.status === 0 ? '' : `${run.stdout}${run.stderr}`;
});

await check('require() of the CJS build exposes the ESM exports', async () => {
  const exportsMap = pkg.exports?.['.'];
  const cjs = exportsMap?.require?.default;
  const esm = exportsMap?.import?.default;
  if (!cjs || !esm) return 'exports["."] needs both import and require conditions';
  const required = spawnSync(
    process.execPath,
    [
      '-e',
      `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(join(pkgDir, cjs))})).sort()))`,
    ],
    { encoding: 'utf8' },
  );
  if (required.status !== 0) return `require() failed:\n${required.stderr}`;
  const cjsKeys = JSON.parse(required.stdout);
  const esmKeys = Object.keys(await import(pathToFileURL(join(pkgDir, esm)).href)).sort();
  if (cjsKeys.length === 0) return 'the CJS build exports nothing';
  const missing = esmKeys.filter((k) => !cjsKeys.includes(k));
  return missing.length ? `CJS build lacks: ${missing.join(', ')}` : '';
});

for (const r of results) {
  console.log(`${r.ok ? '✓' : '✗'} ${pkg.name}: ${r.name}${r.ok ? '' : `\n${r.problem}`}`);
}
const passed = results.filter((r) => r.ok).length;
mkdirSync(join(pkgDir, '.test-results'), { recursive: true });
writeFileSync(
  join(pkgDir, '.test-results/package.json'),
  JSON.stringify({ passed, failed: results.length - passed, results }, null, 2),
);
process.exitCode = passed === results.length ? 0 : 1;
