import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AuthSecClient } from '@authsec/core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call } from './helpers.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
let child: ChildProcessWithoutNullStreams | undefined;

beforeAll(() => {
  // The command is what developers run: test the built file (build with `pnpm --filter @authsec/demo-api... build`).
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`pnpm build\` first`);
});
afterEach(() => {
  if (child?.exitCode === null && child.signalCode === null) {
    // A detached child leads a process group of its own (pnpm and what it runs).
    if (child.spawnargs[0] === 'pnpm' && child.pid) process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  }
  child = undefined;
});

interface Started {
  proc: ChildProcessWithoutNullStreams;
  out: string;
  env: Record<string, string>;
  exit: Promise<{ code: number | null; out: string; err: string }>;
}

function start(args: string[] = [], viaPnpm = false): Promise<Started> {
  const proc = viaPnpm
    ? spawn('pnpm', args, {
        detached: true,
        cwd: repoRoot,
        env: { PATH: process.env.PATH ?? '', npm_config_update_notifier: 'false' },
      })
    : spawn(process.execPath, [cli, ...args], {
        // The demo must not pick anything up from the developer's shell.
        env: { PATH: process.env.PATH ?? '' },
      });
  child = proc;
  let out = '';
  let err = '';
  const exit = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    proc.once('close', (code) => resolve({ code, out, err })),
  );
  proc.stderr.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      out += d;
      if (out.includes('# Ctrl-C stops both.')) {
        const env: Record<string, string> = {};
        for (const line of out.split('\n')) {
          const m = /^([A-Z_]+)=(.*)$/.exec(line);
          if (m?.[1] && m[2] !== undefined) env[m[1]] = m[2];
        }
        resolve({ proc, out, env, exit });
      }
    });
    void exit.then(({ code }) => reject(new Error(`exited ${code}: ${err}`)));
  });
}

describe('authsec-demo-api command', () => {
  it('prints paste-able lines; an agent pulls with them and reads /docs; Ctrl-C exits 0', async () => {
    const { proc, out, env, exit } = await start();
    expect(env.AUTHSEC_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.DOWNSTREAM_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.DOWNSTREAM_URL).not.toBe(env.AUTHSEC_BASE_URL);
    expect(env.AUTHSEC_WORKSPACE_ID).toMatch(/^[0-9a-f-]{36}$/);
    expect(env.AUTHSEC_AGENT_CLIENT_ID).toMatch(/^[0-9a-f-]{36}$/);
    // The reader's id is live; the others are there, commented out, each after its permissions.
    expect(out).toMatch(
      /# reader agent: read:records, read:metrics, read:customers\nAUTHSEC_AGENT_CLIENT_ID=[0-9a-f-]{36}\n/,
    );
    expect(out).toMatch(
      /# billing agent: billing:read, read:customers\n# AUTHSEC_AGENT_CLIENT_ID=[0-9a-f-]{36}\n/,
    );
    expect(out).toMatch(
      /# writer agent: read:records, records:write\n# AUTHSEC_AGENT_CLIENT_ID=[0-9a-f-]{36}\n/,
    );
    expect(out.match(/^AUTHSEC_AGENT_CLIENT_ID=/gm)).toHaveLength(1);

    const client = new AuthSecClient({
      baseUrl: env.AUTHSEC_BASE_URL ?? '',
      clientId: env.AUTHSEC_AGENT_CLIENT_ID ?? '',
      mode: 'live',
      logLevel: 'silent',
      env: {},
    });
    try {
      const token = await client.getDelegationToken();
      const res = await call(`${env.DOWNSTREAM_URL}/docs`, token);
      expect(res.status).toBe(200);
      expect((res.json.docs as unknown[]).length).toBeGreaterThan(0);
      expect((await call(`${env.DOWNSTREAM_URL}/billing/customers/42`, token)).status).toBe(403);
      // A boolean, so that a failure does not print the token.
      expect(out.includes(token)).toBe(false);
    } finally {
      await client.close();
    }

    proc.kill('SIGINT');
    const { code, out: rest, err } = await exit;
    expect(code).toBe(0);
    expect(rest).toContain('# stopped');
    // The access log went to stderr, without the token.
    expect(err).toContain('GET /docs → 200');
    expect(err).toContain('GET /billing/customers/42 → 403 insufficient_scope (billing:read)');
    expect(err).not.toMatch(/eyJ/);
  });

  it('SIGTERM, even right after the lines appear, stops both with exit 0', async () => {
    const { proc, exit } = await start(['--ttl', '600']);
    proc.kill('SIGTERM');
    expect((await exit).code).toBe(0);
  });

  it('Ctrl-C signalled twice (the terminal, then pnpm forwarding it) still closes both and exits 0', async () => {
    const { proc, env, exit } = await start();
    // Keep signalling until it exits, so that later signals land while it is closing.
    const again = setInterval(() => proc.kill('SIGINT'), 1);
    proc.kill('SIGINT');
    const { code, out } = await exit.finally(() => clearInterval(again));
    expect(code).toBe(0);
    expect(out).toContain('# stopped');
    await expect(fetch(`${env.DOWNSTREAM_URL}/docs`)).rejects.toThrow();
    await expect(fetch(`${env.AUTHSEC_BASE_URL}/authsec/x`)).rejects.toThrow();
  });

  it('says how to load the printed lines: --env-file or exporting them', async () => {
    const { out } = await start();
    expect(out).toContain('node --env-file=.env app.js');
    expect(out).toContain('tsx --env-file=.env app.ts');
    expect(out).toMatch(/export them/);
    expect(out).not.toContain('Paste these into .env:');
  });

  it('the start script runs node without a POSIX-only shell builtin', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toBe('node dist/cli.js');
  });

  it('`pnpm --filter @authsec/demo-api start`: Ctrl-C closes both and exits 0 without a pnpm error', async () => {
    // pnpm runs a script through `sh -c` and forwards SIGINT to it; a POSIX sh that does not exec
    // its last command (dash) dies of that signal whatever the server does, so the workspace runs
    // scripts through pnpm's shell emulator (pnpm-workspace.yaml), which starts node directly.
    const { proc, env, exit } = await start(['--filter', '@authsec/demo-api', 'start'], true);
    expect(env.DOWNSTREAM_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Ctrl-C in a terminal signals the whole foreground process group: pnpm and the servers.
    process.kill(-(proc.pid as number), 'SIGINT');
    const { code, out, err } = await exit;
    expect(`${out}${err}`).not.toMatch(/ERR_PNPM|ELIFECYCLE|Command failed/);
    expect(out).toContain('# stopped');
    expect(code).toBe(0);
  });

  it('explains a bad flag and exits 2', async () => {
    for (const args of [['--ttl', '0'], ['--port', 'x'], ['--nope']]) {
      const proc = spawn(process.execPath, [cli, ...args]);
      let err = '';
      proc.stderr.on('data', (d) => {
        err += d;
      });
      const code = await new Promise((resolve) => proc.once('exit', resolve));
      expect(code, args.join(' ')).toBe(2);
      expect(err).toContain('Usage: authsec-demo-api');
    }
  });
});
