import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
// A whole JWT, or any long base64 run (a token part or a store key printed on its own).
const WHOLE_JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;
const LONG_BASE64 = /[\w+/-]{40,}/;

beforeAll(() => {
  if (!existsSync(entry)) {
    throw new Error(`${entry} is missing: run \`pnpm --filter @authsec/example-fleet... build\``);
  }
});

// Asynchronous, with a generous limit: the example forks 8 processes on a busy 2-core machine.
function runExample(
  args: string[] = [],
  env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '' },
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], { env, timeout: 80_000 });
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

describe('the fleet example', () => {
  it('4 processes sharing Redis pull once per refresh, where the same fleet without a store pulls 4 times', async () => {
    const run = await runExample([], {
      PATH: process.env.PATH ?? '',
      // Settings a shell may hold change nothing: the example is offline and reads none of them.
      AUTHSEC_BASE_URL: 'https://prod.api.authsec.ai',
      AUTHSEC_STORE_KEY: 'not-a-key',
      REDIS_URL: 'redis://192.0.2.1:6379',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const out = run.stdout;
    expect(out).toMatch(/^AuthSec fleet example: 4 worker processes × 25 concurrent callers/);
    expect(out).toMatch(/Redis: redis-server started for this run on 127\.0\.0\.1:\d+/);
    const lines = out.split('\n');
    const shared = lines.indexOf(
      'With RedisTokenStore (the 4 processes share one token through Redis):',
    );
    const alone = lines.indexOf('Without a shared store (each process keeps its own token):');
    expect(shared).toBeGreaterThanOrEqual(0);
    expect(alone).toBeGreaterThan(shared);
    const steps = (from: number) => lines.slice(from + 1, from + 4);
    for (const [i, line] of steps(shared).entries()) {
      expect(line).toMatch(
        new RegExp(
          `^ {2}${['start', 'refresh 1', 'refresh 2'][i]} +100 calls in 4 processes → 1 pull {3}\\(token jti [0-9a-f]{8}…\\)$`,
        ),
      );
    }
    for (const line of steps(alone)) {
      expect(line).toMatch(/100 calls in 4 processes → 4 pulls {3}\(token jti [0-9a-f]{8}…\)$/);
    }
    // Each refresh hands out a new token (a new jti): the fleet really refreshed.
    const jtis = steps(shared).map((line) => /jti ([0-9a-f]{8})/.exec(line)?.[1]);
    expect(new Set(jtis).size).toBe(3);
    expect(out).toContain('Pulls per refresh: 1 with Redis, 4 without (one per process).');
    expect(out.trim().split('\n').at(-1)).toBe('✓ One pull per refresh for the whole fleet.');
    expect(out).not.toMatch(WHOLE_JWT);
    expect(out).not.toMatch(LONG_BASE64);
    expect(out).not.toContain('192.0.2.1');
  });

  it('--workers and --callers size the fleet', async () => {
    const run = await runExample(['--workers', '2', '--callers', '5']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('10 calls in 2 processes → 1 pull');
    expect(run.stdout).toContain('10 calls in 2 processes → 2 pulls');
    expect(run.stdout).toContain('Pulls per refresh: 1 with Redis, 2 without (one per process).');
  });

  it('without redis-server installed it exits 1 with how to install it', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-redis-'));
    try {
      const run = await runExample([], { PATH: empty });
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(
        /^✗ redis-server is not installed: .*apt-get install .*redis-server/m,
      );
      expect(run.stdout).not.toContain('pull');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('--help prints the usage and exits 0; a bad flag exits 2 with the usage', async () => {
    const help = await runExample(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: node dist\/index\.js \[--workers 4\]/);
    const bad = await runExample(['--workers', '0']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--workers must be 1 to 64');
    expect(bad.stderr).toContain('Usage: node dist/index.js');
  });
});
