// `pnpm test`: build, typecheck, lint, every package's tests and packaging checks on the Node that
// runs it, then the unit suites again on each Node version in AUTHSEC_TEST_NODE_VERSIONS, and one
// closing line `N passed, N failed` summed over every package and every Node version. Exits
// non-zero if anything failed or nothing ran.

import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
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

// The other Node versions to run the unit suites on, e.g. "22.23.3 24.21.0" (.ci/run sets it).
const versionsSetting = (process.env.AUTHSEC_TEST_NODE_VERSIONS ?? '').trim();
const extraVersions = versionsSetting === '' ? [] : versionsSetting.split(/[\s,]+/);
const badVersions = extraVersions.filter((v) => !/^\d+\.\d+\.\d+$/.test(v));
if (badVersions.length > 0) {
  console.error(
    `AUTHSEC_TEST_NODE_VERSIONS holds ${badVersions.map((v) => JSON.stringify(v)).join(', ')}: ` +
      'list exact versions separated by spaces, e.g. AUTHSEC_TEST_NODE_VERSIONS="22.23.3 24.21.0"',
  );
  process.exit(1);
}

// Not run again on the other versions: the packed-tarball suite checks packaging (what the
// tarballs hold, export maps, types), which like build, typecheck, lint and test:package does not
// depend on the Node that runs it; the bench's suite checks the benchmark harness, not the SDK.
const NOT_IN_MATRIX = ['@authsec/packed-tests', '@authsec/bench'];

console.log(
  `pnpm test: ${concurrency} task(s) at once, ${env.VITEST_MAX_WORKERS} vitest worker(s) each, on ${cores} core(s); ` +
    `Node ${process.versions.node}${extraVersions.length ? `, then unit suites on Node ${extraVersions.join(', ')}` : ''}`,
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

let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];

/**
 * Runs turbo with `args` under `runEnv`, then sums what the tasks left in each package's
 * .test-results/ and moves it to .test-results/node-<version>/, so each version keeps its own.
 */
function runPhase(nodeVersion, args, runEnv) {
  const failedBefore = failed;
  const before = new Set(existsSync(runsDir) ? readdirSync(runsDir) : []);
  const turbo = spawnSync(
    bin('turbo'),
    [
      'run',
      ...args,
      `--concurrency=${concurrency}`,
      '--continue',
      '--summarize',
      '--output-logs=new-only',
      '--log-order=grouped',
    ],
    { cwd: root, stdio: 'inherit', env: { ...runEnv, AUTHSEC_TEST_NODE_VERSION: nodeVersion } },
  );
  const on = `Node ${nodeVersion}`;
  const counted = new Map(); // taskId -> failures found in its results

  for (const dir of dirs) {
    const name = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name;
    const results = join(dir, '.test-results');
    const vitestFile = join(results, 'vitest.json');
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
      rows.push(`${name}: ${p} passed, ${f} failed${s ? `, ${s} skipped` : ''} (tests, ${on})`);
      counted.set(`${name}#test`, f);
    }
    const packageFile = join(results, 'package.json');
    if (existsSync(packageFile)) {
      const report = JSON.parse(readFileSync(packageFile, 'utf8'));
      passed += report.passed;
      failed += report.failed;
      rows.push(`${name}: ${report.passed} passed, ${report.failed} failed (packaging, ${on})`);
      counted.set(`${name}#test:package`, report.failed);
    }
    for (const file of [vitestFile, packageFile]) {
      if (!existsSync(file)) continue;
      mkdirSync(join(results, `node-${nodeVersion}`), { recursive: true });
      renameSync(file, join(results, `node-${nodeVersion}`, file.slice(results.length + 1)));
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
      rows.push(`${task.taskId}: failed with exit code ${code} (${on})`);
    }
    rmSync(latest, { force: true });
  }
  if (turbo.status !== 0 && failed === failedBefore) {
    failed += 1;
    rows.push(`turbo: failed with exit code ${turbo.status} (${on})`);
  }
}

/**
 * The `bin/` folder of Node `version` for this platform, fetched once from the npm registry's
 * `node-<platform>-<arch>` package into .cache/node/<version>/ (git-ignored).
 * @returns the folder, or throws with what went wrong
 */
function nodeBin(version) {
  const dir = join(root, '.cache/node', version);
  const node = join(dir, 'bin/node');
  if (!existsSync(node)) {
    const pkg = `node-${process.platform}-${process.arch}@${version}`;
    // Unpacked beside its final place and renamed into it, so an interrupted fetch leaves no
    // half-unpacked Node behind to be trusted next time.
    const partial = `${dir}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    console.log(`Fetching Node ${version}: npm pack ${pkg}`);
    const pack = spawnSync(
      'npm',
      ['pack', pkg, '--loglevel=error', '--pack-destination', partial],
      {
        cwd: partial,
        encoding: 'utf8',
        env,
      },
    );
    const tgz = readdirSync(partial).find((f) => f.endsWith('.tgz'));
    if (pack.status !== 0 || !tgz) {
      rmSync(partial, { recursive: true, force: true });
      throw new Error(`npm pack ${pkg} failed: ${(pack.stderr || pack.stdout || '').trim()}`);
    }
    const untar = spawnSync('tar', ['-xzf', tgz, '--strip-components=1'], {
      cwd: partial,
      encoding: 'utf8',
    });
    rmSync(join(partial, tgz), { force: true });
    if (untar.status !== 0) {
      rmSync(partial, { recursive: true, force: true });
      throw new Error(`unpacking ${tgz} failed: ${untar.stderr.trim()}`);
    }
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
  }
  const reported = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout?.trim();
  if (reported !== `v${version}`) {
    throw new Error(`${node} reports ${reported || 'nothing'}: delete ${dir} to fetch it again`);
  }
  return join(dir, 'bin');
}

const started = Date.now();
runPhase(process.versions.node, ['build', 'typecheck', 'test', 'test:package'], env);
const lint = spawnSync(bin('biome'), ['ci', '--colors=off', '.'], {
  cwd: root,
  stdio: 'inherit',
  env,
});
if (lint.status !== 0) {
  failed += 1;
  rows.push('biome ci: lint or format problems (run `pnpm format`)');
}
const timings = [`Node ${process.versions.node} ${Math.round((Date.now() - started) / 1000)} s`];

for (const version of extraVersions) {
  const phaseStarted = Date.now();
  let path;
  try {
    path = nodeBin(version);
  } catch (error) {
    failed += 1;
    rows.push(`Node ${version}: not run: ${error.message}`);
    continue;
  }
  const phaseEnv = { ...env, PATH: `${path}${delimiter}${env.PATH ?? ''}` };
  // The test tasks start through the global pnpm and the packages' bin shims, all of which run on
  // the first `node` on PATH: check that it is this version before trusting the results.
  const seen = spawnSync('pnpm', ['exec', 'node', '--version'], {
    cwd: root,
    encoding: 'utf8',
    env: phaseEnv,
  }).stdout?.trim();
  if (seen !== `v${version}`) {
    failed += 1;
    rows.push(`Node ${version}: not run: pnpm's scripts ran on ${seen || 'no node'}`);
    continue;
  }
  console.log(`\nUnit suites on Node ${version}`);
  // --only: the packages built above on the main Node are what the suites test, as published;
  // --force: nothing is replayed from a run on another Node (test tasks are never cached, and
  // AUTHSEC_TEST_NODE_VERSION is part of their hash as well).
  runPhase(
    version,
    ['test', '--only', '--force', ...NOT_IN_MATRIX.map((name) => `--filter=!${name}`)],
    phaseEnv,
  );
  timings.push(`Node ${version} ${Math.round((Date.now() - phaseStarted) / 1000)} s`);
}

console.log(`\nSummary (${timings.join(', ')})`);
for (const row of rows) console.log(`  ${row}`);
if (passed + failed === 0) console.log('  nothing ran: no test results were found');
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
