// `pnpm demo`: the offline story, then each framework example, one after another. Exits non-zero
// if any part fails. Never passes --openai: the demo is offline whatever the environment holds.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
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
