// `pnpm bench`: runs every case in cases/*.mjs (or those whose file name or case name contains
// BENCH_ONLY), prints one table and writes results.json. The AuthSec-compatible server and the
// downstream API run in a forked child process. BENCH_SMOKE=1 runs tiny counts, for `pnpm test`.

import { fork } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatTable, missedGoals } from './lib/table.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const smoke = process.env.BENCH_SMOKE === '1';
const only = process.env.BENCH_ONLY?.trim() || '';
const started = performance.now();

const child = fork(join(here, 'lib/servers.mjs'), [], {
  env: { ...process.env, BENCH_RECORDS: smoke ? '200' : '10000' },
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const servers = await new Promise((resolve, reject) => {
  child.once('message', resolve);
  child.once('exit', (code) => reject(new Error(`the server process exited (${code})`)));
});

function ask(type) {
  return new Promise((resolve) => {
    const onMessage = (message) => {
      if (message?.type !== type) return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.send({ type });
  });
}

const rows = [];
const ctx = {
  smoke,
  servers,
  benchDir: here,
  /** The full-run count, or the smoke count under BENCH_SMOKE=1. */
  count: (full, tiny) => (smoke ? tiny : full),
  /** Pulls the AuthSec server has seen since the last `clear()`. */
  pulls: async () => (await ask('pulls')).count,
  clear: async () => {
    await ask('clear');
  },
  /**
   * Adds a row. `goal` is the highest ratio that meets it (a number), or text with an explicit
   * `met`; `met` is null for report-only rows (no goal).
   */
  add(row) {
    const met =
      row.met !== undefined ? row.met : typeof row.goal === 'number' ? row.ratio <= row.goal : null;
    rows.push({ baseline: null, ratio: null, min: null, max: null, goal: null, ...row, met });
  },
};

const files = readdirSync(join(here, 'cases'))
  .filter((f) => f.endsWith('.mjs'))
  .sort();
let failures = 0;
for (const file of files) {
  const { default: bench } = await import(pathToFileURL(join(here, 'cases', file)).href);
  if (only && !file.includes(only) && !bench.name.includes(only)) continue;
  const t0 = performance.now();
  try {
    await bench.run(ctx);
  } catch (error) {
    failures += 1;
    console.error(`bench case ${file} failed:`, error);
  }
  await ctx.clear();
  console.error(`  ${bench.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
child.disconnect();

console.log(
  `\n${smoke ? 'Smoke run' : 'Bench'} ${new Date().toISOString()}, Node ${process.version}, ${availableParallelism()} cores, ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
);
console.log(formatTable(rows));
writeFileSync(
  join(here, 'results.json'),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      cores: availableParallelism(),
      smoke,
      rows: rows.map(({ name, ours, baseline, unit, ratio, min, max, goal, met }) => ({
        name,
        ours,
        baseline,
        unit,
        ratio,
        min,
        max,
        goal,
        met,
      })),
    },
    null,
    2,
  )}\n`,
);
const missed = missedGoals(rows);
if (missed.length) console.log(`\n${missed.join('\n')}`);
if (failures) {
  console.error(`${failures} bench case(s) failed`);
  process.exitCode = 1;
}
