// `pnpm demo`: builds what the examples use (saying what it builds), then the offline story and each
// framework example, one after another. Exits non-zero if any part fails. Never passes --openai: the
// demo is offline whatever the environment holds.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

await build();
const PARTS = [
  [
    'examples/demo',
    'AuthSec end to end: pull, cache, authorized requests, scope, origin, revocation',
  ],
  ['examples/llamaindex-rag', 'LlamaIndex.TS: secure ingestion and clearance-aware retrieval'],
  ['examples/langchain-agent', 'LangChain.js: an agent with delegation-aware tools'],
  ['examples/autogen-agent', 'AutoGen-style agents: a function map over OpenAI tool calls'],
].filter(([dir]) => existsSync(join(root, dir, 'package.json')));

for (const [index, [dir, title]] of PARTS.entries()) {
  const entry = join(root, dir, 'dist/index.js');
  const rule = '═'.repeat(Math.max(10, 96 - title.length));
  console.log(`\n══ Part ${index + 1} of ${PARTS.length}: ${title} ${rule}\n`);
  if (!existsSync(entry)) {
    console.error(`${entry} is missing: run \`pnpm build\` (pnpm demo builds the examples first).`);
    process.exit(1);
  }
  const run = spawnSync(process.execPath, [entry], { cwd: join(root, dir), stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`\n${dir} failed (exit ${run.status ?? run.signal}).`);
    process.exit(1);
  }
}
console.log(`\nAll ${PARTS.length} parts of the demo ran offline and did what they claim.`);

/**
 * Builds the examples and the packages they use, saying what it builds as it goes: on a fresh clone
 * this takes a minute or two, and a silent minute looks like a hang. A cached build prints one line.
 */
async function build() {
  const started = Date.now();
  console.log(
    'Building the packages the demo uses (a minute or two on a fresh clone, instant after)…',
  );
  const turboBin = join(root, 'node_modules/.bin/turbo');
  const args = ['run', 'build', '--filter=./examples/*', '--log-order=stream'];
  const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1' };
  const turbo = spawn(turboBin, [...args, '--output-logs=hash-only'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
  });
  let pending = '';
  let built = 0;
  turbo.stdout.setEncoding('utf8');
  turbo.stdout.on('data', (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const miss = /^(\S+):build: cache miss/.exec(line);
      if (miss) {
        built += 1;
        console.log(`  building ${miss[1]}`);
      }
    }
  });
  const code = await new Promise((resolve) => turbo.on('close', (status) => resolve(status ?? 1)));
  if (code !== 0) {
    // hash-only shows no logs: build again to show the errors (what succeeded is cached).
    spawnSync(turboBin, [...args, '--output-logs=errors-only'], {
      cwd: root,
      stdio: 'inherit',
      env,
    });
    console.error(
      '\nThe build failed (errors above). Fix it, or run `pnpm build` to see every log.',
    );
    process.exit(1);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    built ? `Built ${built} package(s) in ${seconds} s.` : 'Everything was already built.',
  );
}
