import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AuthSecTestServer } from '@authsec/testing';
import { afterEach, describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const WHOLE_JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;

function requireBuild(): void {
  if (!existsSync(entry)) {
    throw new Error(`${entry} is missing: run \`pnpm --filter @authsec/example-smoke... build\``);
  }
}

// spawnSync would block this process's event loop, so a server started in the test could not
// answer the child: runs that talk to one use this asynchronous version instead.
function runAsync(
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry], { env, timeout: 20_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('the smoke test, offline (no AuthSec settings)', () => {
  it('gets a token from its local server, reports it shortened and serves the second call from the cache', () => {
    requireBuild();
    const run = spawnSync(process.execPath, [entry], {
      encoding: 'utf8',
      timeout: 90_000,
      env: { PATH: process.env.PATH },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('offline, against a local AuthSec-compatible server');
    expect(run.stdout).toContain('[AuthSec SDK] [Success] LIVE delegation token acquired.');
    expect(run.stdout).toMatch(
      / {2}mode {9}LIVE \(pulled from the local test server at http:\/\/127\.0\.0\.1:\d+\)/,
    );
    expect(run.stdout).toMatch(/ {2}token {8}eyJ[\w-]{9}… \(\d+ chars; never printed whole\)/);
    expect(run.stdout).toMatch(/ {2}jti {10}[0-9a-f-]{36}\n/);
    expect(run.stdout).toMatch(/ {2}expires at {3}\d{4}-\d\d-\d\dT[\d:.]+Z \((59|60) min left\)/);
    expect(run.stdout).toContain('  permissions  read:records, read:metrics, billing:read');
    expect(run.stdout).toContain('  audience     authsec-api');
    expect(run.stdout).toMatch(/ {2}SPIFFE ID {4}spiffe:\/\/\S+/);
    expect(run.stdout).toMatch(/ {2}workspace {4}[0-9a-f-]{36}\n/);
    expect(run.stdout).toContain(
      '✓ Second getDelegationToken() call served from the cache: same token (the server saw 1 pull)',
    );
    expect(run.stdout).toContain('✓ Smoke test passed');
    expect(run.stdout).not.toMatch(WHOLE_JWT);
    expect(run.stderr).not.toMatch(WHOLE_JWT);
  });
});

describe('the smoke test, offline, with unrelated settings in the shell', () => {
  it('ignores DOWNSTREAM_URL, AUTHSEC_LOG_LEVEL and OPENAI_API_KEY and still passes', () => {
    requireBuild();
    const run = spawnSync(process.execPath, [entry], {
      encoding: 'utf8',
      timeout: 90_000,
      env: {
        PATH: process.env.PATH,
        DOWNSTREAM_URL: 'http://api.example.com',
        AUTHSEC_LOG_LEVEL: 'silent',
        OPENAI_API_KEY: 'sk-test-not-a-real-key',
      },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('offline, against a local AuthSec-compatible server');
    expect(run.stdout).toContain('[AuthSec SDK] [Success] LIVE delegation token acquired.');
    expect(run.stdout).toContain('✓ Smoke test passed');
    expect(run.stdout).not.toMatch(/api\.example\.com|sk-test/);
  });
});

describe('the smoke test against a configured server', () => {
  let server: AuthSecTestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('uses AUTHSEC_BASE_URL and AUTHSEC_AGENT_CLIENT_ID, starts no server of its own, and passes', async () => {
    requireBuild();
    server = await AuthSecTestServer.start();
    const { agent, delegation, env } = await server.createDelegatedAgent({
      permissions: ['read:metrics'],
      ttlSeconds: 1800,
    });

    const run = await runAsync({ PATH: process.env.PATH, ...env });
    const output = run.stdout + run.stderr;
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(
      'using your configuration (AUTHSEC_BASE_URL, AUTHSEC_AGENT_CLIENT_ID)',
    );
    expect(run.stdout).not.toContain('offline, against a local');
    expect(run.stdout).toContain(`  mode         LIVE (pulled from AuthSec at ${server.url})`);
    expect(run.stdout).toContain('  permissions  read:metrics\n');
    expect(run.stdout).toMatch(/ {2}expires at {3}\S+ \((29|30) min left\)/);
    expect(run.stdout).toContain('✓ Smoke test passed');
    // The SDK logs at its default level (warn): no transcript unless AUTHSEC_LOG_LEVEL asks.
    expect(run.stdout).not.toContain('[AuthSec SDK]');
    // One pull from the configured server: the second call came from the cache.
    expect(server.pulls).toHaveLength(1);
    expect(server.pulls[0]?.query.client_id).toBe(agent.clientId);
    expect(output.includes(delegation.token)).toBe(false);
    expect(output).not.toMatch(WHOLE_JWT);
  });

  it('sends AUTHSEC_SESSION_TOKEN to a server that requires a session, and logs at AUTHSEC_LOG_LEVEL', async () => {
    requireBuild();
    server = await AuthSecTestServer.start({ generation: 'session' });
    const { env, session, delegation } = await server.createDelegatedAgent({
      permissions: ['read:records'],
    });
    expect(env.AUTHSEC_SESSION_TOKEN).toBeDefined();

    const run = await runAsync({ PATH: process.env.PATH, ...env, AUTHSEC_LOG_LEVEL: 'info' });
    const output = run.stdout + run.stderr;
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(
      'using your configuration (AUTHSEC_BASE_URL, AUTHSEC_AGENT_CLIENT_ID, AUTHSEC_SESSION_TOKEN)',
    );
    expect(run.stdout).toContain('[AuthSec SDK] [Success] LIVE delegation token acquired.');
    expect(server.pulls).toHaveLength(1);
    expect(server.pulls[0]?.bearer).toBe(true);
    expect(server.pulls[0]?.status).toBe(200);
    expect(output.includes(session.token)).toBe(false);
    expect(output.includes(delegation.token)).toBe(false);
    expect(output).not.toMatch(WHOLE_JWT);
  });

  it('exits 1 with the error code and a fix when the agent was revoked', async () => {
    requireBuild();
    server = await AuthSecTestServer.start();
    const { agent } = await server.createDelegatedAgent({ permissions: ['read:records'] });
    server.revoke(agent.clientId);

    const run = await runAsync({
      PATH: process.env.PATH,
      AUTHSEC_BASE_URL: server.url,
      AUTHSEC_AGENT_CLIENT_ID: agent.clientId,
    });
    const output = run.stdout + run.stderr;
    expect(run.status).toBe(1);
    expect(output).toContain(
      'using your configuration (AUTHSEC_BASE_URL, AUTHSEC_AGENT_CLIENT_ID)',
    );
    expect(run.stderr).toMatch(/^✗ ERR_AUTHSEC_DELEGATION_NOT_FOUND: .+$/m);
    expect(run.stderr).toMatch(/^ {2}fix: .+$/m);
    expect(output).not.toContain('Smoke test passed');
    expect(output).not.toMatch(WHOLE_JWT);
    expect(server.pulls.length).toBeGreaterThanOrEqual(1);
  });
});

describe('the smoke test with other settings', () => {
  function runSync(env: NodeJS.ProcessEnv, args: string[] = []) {
    requireBuild();
    return spawnSync(process.execPath, [entry, ...args], {
      encoding: 'utf8',
      timeout: 90_000,
      env: { PATH: process.env.PATH, ...env },
    });
  }

  it('AUTHSEC_MODE=mock passes with a mock token and says plainly that nothing real was checked', () => {
    const run = runSync({ AUTHSEC_MODE: 'mock' });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('using your configuration (AUTHSEC_MODE)');
    expect(run.stdout).toContain('  mode         MOCK (a local mock JWT that no real API accepts)');
    expect(run.stdout).toContain('  SPIFFE ID    spiffe://mock.authsec.invalid/');
    expect(run.stdout).toContain('(MOCK mode: no AuthSec server was asked');
    expect(run.stdout + run.stderr).not.toMatch(WHOLE_JWT);
  });

  it('a partial configuration is a config error naming the missing variable, and starts nothing', () => {
    const run = runSync({ AUTHSEC_BASE_URL: 'http://127.0.0.1:9' });
    expect(run.status).toBe(1);
    expect(run.stdout).not.toContain('offline');
    expect(run.stderr).toMatch(/^✗ ERR_AUTHSEC_CONFIG: .*AUTHSEC_AGENT_CLIENT_ID/m);
    expect(run.stderr).toMatch(/^ {2}fix: .+$/m);
  });

  it('--help prints the usage and exits 0; an unknown flag exits 2', () => {
    const help = runSync({}, ['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: node dist\/index\.js \[--help\]/);
    const bad = runSync({}, ['--nope']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('Usage: node dist/index.js');
  });
});
