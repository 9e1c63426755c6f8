import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));

beforeAll(() => {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`pnpm build\` first`);
});

function runDemo(extraEnv: Record<string, string> = {}) {
  return spawnSync(process.execPath, [entry], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...extraEnv },
  });
}

describe('the offline demo', () => {
  it('tells the whole story, every step checking its claim, and exits 0', () => {
    const run = runDemo();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const out = run.stdout;
    expect(out).toMatch(/\[AuthSec SDK\] \[Mode\] LIVE/);
    expect(out).toMatch(/\[AuthSec SDK\] \[Success\] LIVE delegation token acquired\./);
    expect(out).toMatch(/same token; AuthSec saw 1 pull/);
    expect(out).toMatch(/200 with \d+ records/);
    expect(out).toMatch(/403 → AuthSecPermissionError: the API requires "billing:read"/);
    expect(out).toMatch(/AuthSecOriginNotAllowedError: refused before a byte was sent/);
    expect(out).toMatch(/the API answered 401 \(invalid_token \(revoked\)\)/);
    expect(out).toMatch(/AuthSecDelegationNotFoundError: /);
    expect(out).toMatch(/All 8 steps did what they claim\./);
    // nothing shaped like a whole JWT (three base64url segments) is printed
    expect(out).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
  });

  it('stays offline and ignores OpenAI even when OPENAI_API_KEY is set', () => {
    const run = runDemo({
      OPENAI_API_KEY: 'sk-test-not-a-real-key',
      AUTHSEC_BASE_URL: 'https://prod.api.authsec.ai',
    });
    expect(run.status).toBe(0);
    expect(run.stdout).not.toMatch(/openai|sk-test/i);
    expect(run.stdout).not.toMatch(/prod\.api\.authsec\.ai/);
  });
});
