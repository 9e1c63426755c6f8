import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, decodeJwt } from './helpers.js';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let child: ChildProcessWithoutNullStreams | undefined;

beforeAll(() => {
  // The command line is what users run: test the built file (pnpm test builds it first).
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`pnpm build\` first`);
});
afterEach(() => {
  if (child?.exitCode === null && child.signalCode === null) {
    // Detached children lead a process group of their own (pnpm and its script).
    if (child.spawnargs[0] === 'pnpm' && child.pid) process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  }
  child = undefined;
});

function start(
  args: string[],
  how: {
    command?: string;
    detached?: boolean;
    cwd?: string;
    env?: Record<string, string>;
  } = {},
): Promise<Record<string, string>> {
  child = spawn(how.command ?? process.execPath, how.command ? args : [cli, ...args], {
    ...(how.detached && { detached: true }),
    ...(how.cwd && { cwd: how.cwd }),
    env: { ...process.env, npm_config_update_notifier: 'false', ...how.env },
  });
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

  it('takes the generation, ttl, audience and ids from flags', async () => {
    const clientId = '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11';
    const workspaceId = '3b481361-2f3f-4074-90e1-4b9766a2d7f2';
    const env = await start([
      '--owner-only',
      '--ttl',
      '900',
      '--audience',
      'authsec-api, records-api',
      '--permissions',
      'read:metrics',
      '--client-id',
      clientId,
      '--workspace-id',
      workspaceId,
    ]);
    expect(env.__out).toContain('(owner-only generation)');
    expect(env.AUTHSEC_AGENT_CLIENT_ID).toBe(clientId);
    expect(env.AUTHSEC_WORKSPACE_ID).toBe(workspaceId);
    expect(env.__out).toContain('# permissions: read:metrics');
    const url = `${env.AUTHSEC_BASE_URL}/authsec/uflow/sdk/delegation-token?client_id=${clientId}`;
    const res = await call(url, {
      headers: { authorization: `Bearer ${env.AUTHSEC_SESSION_TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      workspace_id: workspaceId,
      ttl_seconds: 900,
      audience: ['authsec-api', 'records-api'],
    });
    const { payload } = decodeJwt(String(res.json.token));
    expect(Number(payload.exp) - Number(payload.iat)).toBe(900);
  });

  it('keeps the latest 1000 request records by default; --max-recorded-requests or the environment changes that', async () => {
    const byDefault = await start([]);
    expect(byDefault.__out).toContain('# request log: keeps the latest 1000 requests');
    child?.kill('SIGKILL');
    const fromEnv = await start([], { env: { AUTHSEC_TESTING_MAX_RECORDED_REQUESTS: '50' } });
    expect(fromEnv.__out).toContain('# request log: keeps the latest 50 requests');
    child?.kill('SIGKILL');
    const fromFlag = await start(['--max-recorded-requests', '7'], {
      env: { AUTHSEC_TESTING_MAX_RECORDED_REQUESTS: '50' },
    });
    expect(fromFlag.__out).toContain('# request log: keeps the latest 7 requests');
    const bad = await exitOf(
      spawn(process.execPath, [cli], {
        env: { ...process.env, AUTHSEC_TESTING_MAX_RECORDED_REQUESTS: 'lots' },
      }),
    );
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(
      /AUTHSEC_TESTING_MAX_RECORDED_REQUESTS must be a whole number of at least 1/,
    );
  });

  it('writes expires_at as the service does by default, and with 9 fraction digits on --fraction-digits 9', async () => {
    const byDefault = await start([]);
    const url = (env: Record<string, string>) =>
      `${env.AUTHSEC_BASE_URL}/authsec/uflow/sdk/delegation-token?client_id=${env.AUTHSEC_AGENT_CLIENT_ID}`;
    const serviceShape = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,5}[1-9])?Z$/;
    expect(String((await call(url(byDefault))).json.expires_at)).toMatch(serviceShape);
    child?.kill('SIGKILL');
    const nanos = await start(['--fraction-digits', '9']);
    expect(String((await call(url(nanos))).json.expires_at)).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/,
    );
  });

  it('says how to load the printed lines: --env-file or exporting them', async () => {
    const env = await start([]);
    expect(env.__out).toContain('node --env-file=.env app.js');
    expect(env.__out).toContain('tsx --env-file=.env app.ts');
    expect(env.__out).toMatch(/export them/);
    expect(env.__out).not.toContain('Paste these into .env:');
  });

  it('listens on the port it is given', async () => {
    const probe = await import('node:net').then(
      ({ createServer }) =>
        new Promise<number>((resolve) => {
          const s = createServer().listen(0, '127.0.0.1', () => {
            const { port } = s.address() as { port: number };
            s.close(() => resolve(port));
          });
        }),
    );
    const env = await start(['--port', String(probe)]);
    expect(env.AUTHSEC_BASE_URL).toBe(`http://127.0.0.1:${probe}`);
  });

  it.each([
    [['--client-id', 'agent-1'], /--client-id must be a UUID/],
    [['--workspace-id', ' 3b481361-2f3f-4074-90e1-4b9766a2d7f2'], /--workspace-id must be a UUID/],
    [['--ttl', '86401'], /--ttl must be a whole number of seconds from 1 to 86400/],
    [['--port', 'http'], /--port must be 0–65535/],
    [
      ['--max-recorded-requests', '0'],
      /--max-recorded-requests must be a whole number of at least 1/,
    ],
    [['--fraction-digits', '10'], /--fraction-digits must be a whole number from 0 to 9/],
  ])('refuses %j with exit 2 and says why', async (args, message) => {
    const { code, err, out } = await exitOf(spawn(process.execPath, [cli, ...args]));
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(out).not.toContain('AUTHSEC_BASE_URL=');
  });

  it('never prints the private key', async () => {
    const env = await start(['--session']);
    expect(env.__out).not.toMatch(/PRIVATE KEY|"d"\s*:|"p"\s*:|"q"\s*:/);
    const bundle = await call(
      `${env.AUTHSEC_BASE_URL}/authsec/spiresvc/v1/jwt/bundle?workspace_id=${env.AUTHSEC_WORKSPACE_ID}`,
    );
    const [key] = (bundle.json as { keys: Array<Record<string, unknown>> }).keys;
    expect(Object.keys(key ?? {}).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
  });

  it('the package bin is an executable file with a node shebang that runs on its own', async () => {
    const pkg = JSON.parse(readFileSync(`${pkgDir}package.json`, 'utf8')) as {
      bin: Record<string, string>;
    };
    const bin = fileURLToPath(
      new URL(pkg.bin['authsec-testing'] ?? '', new URL('../', import.meta.url)),
    );
    // A committed launcher (dist/ does not exist at install time, when the bin is linked).
    expect(bin).toBe(join(pkgDir, 'bin/authsec-testing.js'));
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(() => accessSync(bin, constants.X_OK)).not.toThrow();
    const env = await start([], { command: bin });
    expect(env.AUTHSEC_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const proc = child as ChildProcessWithoutNullStreams;
    const done = exitOf(proc);
    proc.kill('SIGTERM');
    expect((await done).code).toBe(0);
  });

  it('the bin launcher says to build first when dist/cli.js is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'authsec-testing-bin-'));
    try {
      const launcher = join(dir, 'bin/authsec-testing.js');
      mkdirSync(join(dir, 'bin'));
      copyFileSync(join(pkgDir, 'bin/authsec-testing.js'), launcher);
      copyFileSync(join(pkgDir, 'package.json'), join(dir, 'package.json'));
      const run = spawnSync(process.execPath, [launcher], { encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('dist/cli.js is missing');
      expect(run.stderr).toContain('pnpm build');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the start script runs node without a POSIX-only shell builtin such as exec', () => {
    const pkg = JSON.parse(readFileSync(`${pkgDir}package.json`, 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toBe('node dist/cli.js');
  });

  it('Ctrl-C signalled again and again while it closes still exits 0', async () => {
    const env = await start([]);
    const proc = child as ChildProcessWithoutNullStreams;
    const done = exitOf(proc);
    const again = setInterval(() => proc.kill('SIGINT'), 1);
    proc.kill('SIGINT');
    const { code, out } = await done.finally(() => clearInterval(again));
    expect(code).toBe(0);
    expect(out).toContain('# stopped');
    await expect(fetch(`${env.AUTHSEC_BASE_URL}/authsec/x`)).rejects.toThrow();
  });

  it('`pnpm --filter @authsec/testing start` runs it, and Ctrl-C stops it cleanly with exit 0', async () => {
    // pnpm runs a script through `sh -c` and forwards SIGINT to it; a POSIX sh that does not exec
    // its last command (dash) dies of that signal whatever the server does, so the workspace runs
    // scripts through pnpm's shell emulator (pnpm-workspace.yaml), which starts node directly.
    const env = await start(['--filter', '@authsec/testing', 'start'], {
      command: 'pnpm',
      detached: true,
      cwd: repoRoot,
    });
    expect(env.AUTHSEC_AGENT_CLIENT_ID).toMatch(/^[0-9a-f-]{36}$/);
    const res = await call(
      `${env.AUTHSEC_BASE_URL}/authsec/uflow/sdk/delegation-token?client_id=${env.AUTHSEC_AGENT_CLIENT_ID}`,
    );
    expect(res.status).toBe(200);
    const proc = child as ChildProcessWithoutNullStreams;
    const done = exitOf(proc);
    // Ctrl-C in a terminal signals the whole foreground process group: pnpm and the server.
    process.kill(-(proc.pid as number), 'SIGINT');
    const { code, out, err } = await done;
    expect(`${out}${err}`).not.toMatch(/ERR_PNPM|ELIFECYCLE|Command failed/);
    expect(out).toContain('# stopped');
    expect(code).toBe(0);
    await expect(fetch(`${env.AUTHSEC_BASE_URL}/authsec/x`)).rejects.toThrow();
  });

  it('refuses a non-loopback host without --allow-non-loopback', async () => {
    const { code, err } = await exitOf(spawn(process.execPath, [cli, '--host', '0.0.0.0']));
    expect(code).toBe(1);
    expect(err).toMatch(/loopback only/);
  });
});
