// Runs a built example as `pnpm demo` does (node dist/index.js in its folder), capturing what it printed and the secrets it used.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { redact } from '@authsec/core';
import { SecretSet } from './secrets.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RECORDER = fileURLToPath(new URL('./record-secrets.mjs', import.meta.url));

/** What one run printed and the secrets it used. */
export interface ExampleRun {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Secrets the example's processes held in their environment or that crossed their servers. */
  readonly secrets: SecretSet;
}

/** How to run an example. */
export interface RunExampleOptions {
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

/**
 * Runs `examples/<name>/dist/index.js` with the secret recorder preloaded (forked workers inherit
 * it through `execArgv`), and resolves when it exits.
 * @param name - the folder under `examples/`
 * @param options - arguments, extra environment, and a timeout after which the run is killed
 * @returns its exit, output and secrets
 * @throws Error when the example is not built or did not exit in time
 */
export async function runExample(name: string, options: RunExampleOptions): Promise<ExampleRun> {
  const cwd = join(ROOT, 'examples', name);
  const entry = join(cwd, 'dist/index.js');
  if (!existsSync(entry)) {
    throw new Error(`${entry} is missing: run \`pnpm turbo run build --filter=./examples/*\``);
  }
  const dir = mkdtempSync(join(tmpdir(), 'authsec-leaks-'));
  const secretsFile = join(dir, 'secrets.jsonl');
  const recorder = pathToFileURL(RECORDER);
  recorder.searchParams.set('out', secretsFile);
  try {
    const child = spawn(
      process.execPath,
      ['--import', recorder.href, entry, ...(options.args ?? [])],
      {
        cwd,
        // Nothing from the shell that runs the tests: only what the example needs and what the test sets.
        env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group, so a run that hangs can be stopped with everything it started.
        detached: true,
      },
    );
    const output = { stdout: '', stderr: '' };
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream].setEncoding('utf8').on('data', (chunk: string) => {
        output[stream] += chunk;
      });
    }
    const { status, signal } = await new Promise<{
      status: number | null;
      signal: NodeJS.Signals | null;
    }>((resolve, reject) => {
      const timer = setTimeout(() => {
        // The whole group: the example's forked workers and its redis-server too.
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        const sofar = String(redact(`${output.stdout}${output.stderr}`)).slice(-3000);
        const command = [name, ...(options.args ?? [])].join(' ');
        reject(new Error(`${command} did not exit within ${options.timeoutMs} ms:\n${sofar}`));
      }, options.timeoutMs);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('close', (code, sig) => {
        clearTimeout(timer);
        resolve({ status: code, signal: sig });
      });
    });
    const secrets = new SecretSet();
    if (existsSync(secretsFile)) {
      for (const line of readFileSync(secretsFile, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const { kind, value } = JSON.parse(line) as { kind: string; value: string };
        secrets.add(kind, value);
      }
    }
    return { status, signal, ...output, secrets };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
