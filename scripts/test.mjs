// `pnpm test`: build, typecheck, lint, every package's tests and packaging checks, then one closing
// line `N passed, N failed` summed over every package. Exits non-zero if anything failed or nothing ran.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules/.bin', name);
const env = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: '1',
  FORCE_COLOR: process.env.CI ? '0' : process.env.FORCE_COLOR,
};
// pnpm hands its children pnpm_config_verify_deps_before_run="false", a non-empty string that the
// nested `pnpm run` of every turbo task reads as true: each then re-validates the workspace and may
// rewrite node_modules/.pnpm-workspace-state-v1.json while a sibling task reads it (a JSON parse
// error, seen here). Dependencies are installed before this script runs; no task needs the check.
delete env.pnpm_config_verify_deps_before_run;
delete env.npm_config_verify_deps_before_run;

// Bounded parallelism: at most `cores` turbo tasks at once, and the vitest workers of those tasks
// share the cores instead of each suite taking all of them. Eleven suites that each start servers
// and generate keys, all at once on two cores, starve one another into timeouts.
// AUTHSEC_TEST_CONCURRENCY and VITEST_MAX_WORKERS override the defaults.
const cores = availableParallelism();
const concurrency = Math.max(1, Number(process.env.AUTHSEC_TEST_CONCURRENCY) || Math.min(cores, 4));
env.VITEST_MAX_WORKERS ||= String(Math.max(1, Math.floor(cores / concurrency)));
console.log(
  `pnpm test: ${concurrency} task(s) at once, ${env.VITEST_MAX_WORKERS} vitest worker(s) each, on ${cores} core(s)`,
);

function workspaceDirs() {
  const dirs = [];
  for (const group of ['packages', 'examples', 'tests']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base)) {
      const dir = join(base, name);
      if (existsSync(join(dir, 'package.json'))) dirs.push(dir);
    }
  }
  if (existsSync(join(root, 'bench/package.json'))) dirs.push(join(root, 'bench'));
  return dirs;
}

const dirs = workspaceDirs();
for (const dir of dirs) rmSync(join(dir, '.test-results'), { recursive: true, force: true });
const runsDir = join(root, '.turbo/runs');
const before = new Set(existsSync(runsDir) ? readdirSync(runsDir) : []);

const turbo = spawnSync(
  bin('turbo'),
  [
    'run',
    'build',
    'typecheck',
    'test',
    'test:package',
    `--concurrency=${concurrency}`,
    '--continue',
    '--summarize',
    '--output-logs=new-only',
    '--log-order=grouped',
  ],
  { cwd: root, stdio: 'inherit', env },
);
const lint = spawnSync(bin('biome'), ['ci', '--colors=off', '.'], {
  cwd: root,
  stdio: 'inherit',
  env,
});

let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
const counted = new Map(); // taskId -> failures found in its results

for (const dir of dirs) {
  const name = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name;
  const vitestFile = join(dir, '.test-results/vitest.json');
  if (existsSync(vitestFile)) {
    const report = JSON.parse(readFileSync(vitestFile, 'utf8'));
    // A file that failed to load has no failed assertions: count it as one failure.
    const brokenFiles = report.testResults.filter(
      (f) => f.status === 'failed' && !f.assertionResults.some((a) => a.status === 'failed'),
    ).length;
    const p = report.numPassedTests;
    const f = report.numFailedTests + brokenFiles;
    const s = report.numPendingTests + report.numTodoTests;
    passed += p;
    failed += f;
    skipped += s;
    rows.push(`${name}: ${p} passed, ${f} failed${s ? `, ${s} skipped` : ''} (tests)`);
    counted.set(`${name}#test`, f);
  }
  const packageFile = join(dir, '.test-results/package.json');
  if (existsSync(packageFile)) {
    const report = JSON.parse(readFileSync(packageFile, 'utf8'));
    passed += report.passed;
    failed += report.failed;
    rows.push(`${name}: ${report.passed} passed, ${report.failed} failed (packaging)`);
    counted.set(`${name}#test:package`, report.failed);
  }
}

// A task that failed without leaving results (build, typecheck, a crashed runner) counts as a failure.
const newRuns = existsSync(runsDir) ? readdirSync(runsDir).filter((f) => !before.has(f)) : [];
const latest = newRuns
  .map((f) => join(runsDir, f))
  .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs)
  .pop();
if (latest) {
  const summary = JSON.parse(readFileSync(latest, 'utf8'));
  for (const task of summary.tasks) {
    const code = task.execution?.exitCode;
    if (code === 0 || code === undefined) continue;
    if ((counted.get(task.taskId) ?? 0) > 0) continue;
    failed += 1;
    rows.push(`${task.taskId}: failed with exit code ${code}`);
  }
  rmSync(latest, { force: true });
} else if (turbo.status !== 0) {
  failed += 1;
  rows.push(`turbo: failed with exit code ${turbo.status}`);
}
if (lint.status !== 0) {
  failed += 1;
  rows.push('biome ci: lint or format problems (run `pnpm format`)');
}

console.log('\nSummary');
for (const row of rows) console.log(`  ${row}`);
if (passed + failed === 0) console.log('  nothing ran: no test results were found');
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 || turbo.status !== 0 || lint.status !== 0 ? 1 : 0);
