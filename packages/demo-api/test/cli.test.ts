import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AuthSecClient } from '@authsec/core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call } from './helpers.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let child: ChildProcessWithoutNullStreams | undefined;

beforeAll(() => {
  // The command is what developers run: test the built file (build with `pnpm --filter @authsec/demo-api... build`).
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`pnpm build\` first`);
});
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

interface Started {
  proc: ChildProcessWithoutNullStreams;
  out: string;
  env: Record<string, string>;
  exit: Promise<{ code: number | null; out: string; err: string }>;
}

function start(args: string[] = []): Promise<Started> {
  const proc = spawn(process.execPath, [cli, ...args], {
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
