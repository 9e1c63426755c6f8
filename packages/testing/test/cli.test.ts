import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call } from './helpers.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let child: ChildProcessWithoutNullStreams | undefined;

beforeAll(() => {
  // The command line is what users run: test the built file (pnpm test builds it first).
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`pnpm build\` first`);
});
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

function start(args: string[]): Promise<Record<string, string>> {
  child = spawn(process.execPath, [cli, ...args]);
  const proc = child;
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stderr.on('data', (d) => {
      err += d;
    });
    proc.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Authorization: Bearer')) {
        const env: Record<string, string> = {};
        for (const line of out.split('\n')) {
          const m = /^([A-Z_]+)=(.*)$/.exec(line);
          if (m?.[1] && m[2] !== undefined) env[m[1]] = m[2];
        }
        env.__out = out;
        resolve(env);
      }
    });
    proc.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
}

function exitOf(
  proc: ChildProcessWithoutNullStreams,
): Promise<{ code: number | null; out: string; err: string }> {
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => {
    out += d;
  });
  proc.stderr.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, out, err })));
}

describe('authsec-testing command', () => {
  it('prints the env lines of a delegated agent; a pull with them succeeds; Ctrl-C exits 0', async () => {
    const env = await start(['--permissions', 'read:records,billing:read']);
    expect(env.AUTHSEC_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.AUTHSEC_AGENT_CLIENT_ID).toMatch(/^[0-9a-f-]{36}$/);
    expect(env.AUTHSEC_WORKSPACE_ID).toMatch(/^[0-9a-f-]{36}$/);
    expect(env).not.toHaveProperty('AUTHSEC_SESSION_TOKEN');
    expect(env.__out).toContain('# permissions: read:records, billing:read');
    const res = await call(
      `${env.AUTHSEC_BASE_URL}/authsec/uflow/sdk/delegation-token?client_id=${env.AUTHSEC_AGENT_CLIENT_ID}`,
    );
    expect(res.status).toBe(200);
    expect(res.json.permissions).toEqual(['read:records', 'billing:read']);
    expect(env.__out).not.toContain(String(res.json.token));
    const proc = child as ChildProcessWithoutNullStreams;
    const done = exitOf(proc);
    proc.kill('SIGINT');
    const { code, out } = await done;
    expect(code).toBe(0);
    expect(out).toContain('# stopped');
  });

  it('--session starts a session generation and prints the session token to use', async () => {
    const env = await start(['--session']);
    expect(env.AUTHSEC_SESSION_TOKEN).toBeTruthy();
    const url = `${env.AUTHSEC_BASE_URL}/authsec/uflow/sdk/delegation-token?client_id=${env.AUTHSEC_AGENT_CLIENT_ID}`;
    expect((await call(url)).status).toBe(401);
    expect(
      (await call(url, { headers: { authorization: `Bearer ${env.AUTHSEC_SESSION_TOKEN}` } }))
        .status,
    ).toBe(200);
  });

  it('explains a bad flag and exits 2', async () => {
    const proc = spawn(process.execPath, [cli, '--generation', 'v9']);
    const { code, err } = await exitOf(proc);
    expect(code).toBe(2);
    expect(err).toMatch(/--generation must be one of legacy, session, owner-only/);
    const unknown = await exitOf(spawn(process.execPath, [cli, '--nope']));
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/Usage: authsec-testing/);
  });

  it('refuses a non-loopback host without --allow-non-loopback', async () => {
    const { code, err } = await exitOf(spawn(process.execPath, [cli, '--host', '0.0.0.0']));
    expect(code).toBe(1);
    expect(err).toMatch(/loopback only/);
  });
});
