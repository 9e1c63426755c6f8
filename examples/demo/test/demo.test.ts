import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { DemoStepError, type RunDemoOptions, runDemo } from '../run-demo.js';

const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
// A whole JWT, or any long base64url run (a JWT's payload or signature printed on its own).
const WHOLE_JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;
const LONG_BASE64URL = /[\w-]{60,}/;

beforeAll(() => {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`pnpm build\` first`);
});

function runBuiltDemo(extraEnv: Record<string, string> = {}) {
  return spawnSync(process.execPath, [entry], {
    encoding: 'utf8',
    timeout: 90_000,
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...extraEnv },
  });
}

describe('the offline demo, built and run as `pnpm demo` runs it', () => {
  it('tells the whole story, every step checking its claim, and exits 0', () => {
    const run = runBuiltDemo();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const out = run.stdout;
    expect(out).toMatch(/\[AuthSec SDK\] \[Mode\] LIVE/);
    expect(out).toMatch(/\[AuthSec SDK\] \[Success\] LIVE delegation token acquired\./);
    // The SDK prints the token shortened: its first 12 characters, then an ellipsis.
    expect(out).toMatch(/eyJ[\w-]{9}…/);
    expect(out).toMatch(/same token; AuthSec saw 1 pull/);
    expect(out).toMatch(/200 with \d+ records/);
    expect(out).toContain(
      'the API: 403, WWW-Authenticate: Bearer realm="demo-api", error="insufficient_scope", scope="billing:read"',
    );
    expect(out).toContain(
      'the SDK: AuthSecPermissionError (ERR_AUTHSEC_FORBIDDEN), requiredScope "billing:read"',
    );
    expect(out).toMatch(/AuthSecOriginNotAllowedError: refused before a byte was sent/);
    expect(out).toMatch(/the API answered 401 \(invalid_token \(revoked\)\)/);
    expect(out).toMatch(/AuthSecDelegationNotFoundError \(ERR_AUTHSEC_DELEGATION_NOT_FOUND\): /);
    expect(out.trim().split('\n').at(-1)).toBe(
      'All 8 steps did what they claim. No account, key or network was used.',
    );
    expect(out).not.toMatch(WHOLE_JWT);
    expect(out).not.toMatch(LONG_BASE64URL);
  });

  it('stays offline and ignores OpenAI and AuthSec settings in the environment', () => {
    const run = runBuiltDemo({
      OPENAI_API_KEY: 'sk-test-not-a-real-key',
      AUTHSEC_BASE_URL: 'https://prod.api.authsec.ai',
      AUTHSEC_AGENT_CLIENT_ID: '00000000-0000-4000-8000-000000000000',
      AUTHSEC_MODE: 'mock',
      AUTHSEC_LOG_LEVEL: 'silent',
      DOWNSTREAM_URL: 'https://api.example.com',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/\[AuthSec SDK\] \[Mode\] LIVE/);
    expect(run.stdout).not.toMatch(/openai|sk-test|prod\.api\.authsec\.ai|api\.example\.com/i);
    expect(run.stdout).not.toMatch(LONG_BASE64URL);
  });
});

describe('runDemo: a step that does not do what it claims fails the demo', () => {
  async function failure(options: RunDemoOptions) {
    const lines: string[] = [];
    const error = await runDemo({ ...options, logLevel: 'silent', print: (l) => lines.push(l) })
      .then(() => undefined)
      .catch((e: unknown) => e);
    return { error, lines };
  }

  it('an API that does not check revocation: step 8 fails, the success line never prints', async () => {
    const { error, lines } = await failure({ environment: { api: { checkRevocation: false } } });
    expect(error).toBeInstanceOf(DemoStepError);
    expect((error as Error).message).toBe(
      'Step 8 did not do what it claims: the SDK throws AuthSecDelegationNotFoundError (it succeeded)',
    );
    expect(lines.join('\n')).not.toMatch(/did what they claim/);
  });

  it('an API that reuses a revocation answer for 10 s: step 8 fails too', async () => {
    const { error } = await failure({ environment: { api: { revocationCacheSeconds: 10 } } });
    expect(error).toBeInstanceOf(DemoStepError);
    expect((error as Error).message).toMatch(/^Step 8 did not do what it claims/);
  });

  it('an API for another audience: the authorized request fails with the SDK error, no success printed', async () => {
    // The API refuses the token with 401; the SDK re-pulls, gets the same token and says so.
    const { error, lines } = await failure({ environment: { api: { audience: 'orders-api' } } });
    expect((error as { code?: unknown }).code).toBe('ERR_AUTHSEC_TOKEN_REJECTED');
    expect(lines.join('\n')).not.toMatch(/200 with/);
  });
});
