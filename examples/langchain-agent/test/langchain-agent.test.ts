import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const run = (args: string[] = [], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [entry, ...args], {
    env: { PATH: process.env.PATH, NO_COLOR: '1', ...env },
    encoding: 'utf8',
    timeout: 25_000,
  });
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;

describe('the langchain-agent example', () => {
  it('runs offline: success, a scope denial told to the model, and a revocation that stops the run', () => {
    const result = run();
    expect(result.status).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(/✓ get_customer_billing\(42\): balance [\d.]+ \w+, \d+ invoice/);
    expect(out).toMatch(/✓ get_customer\(42\): /);
    expect(out).toMatch(
      /✓ list_vault_records: denied before any request; the model was told ERR_AUTHSEC_FORBIDDEN \(needs read:records\)/,
    );
    expect(out).toMatch(
      /✓ revoked mid-run: the run stopped with AuthSecDelegationNotFoundError \(ERR_AUTHSEC_DELEGATION_NOT_FOUND\)/,
    );
    expect(out.trim().split('\n').at(-1)).toBe('All steps passed.');
    expect(out).not.toContain('✗');
    expect(`${out}${result.stderr}`).not.toMatch(JWT);
  });

  it('stays offline with OPENAI_API_KEY set but no --openai', () => {
    const result = run([], { OPENAI_API_KEY: 'sk-test' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Model: a scripted model');
    expect(result.stdout.trim().split('\n').at(-1)).toBe('All steps passed.');
    expect(`${result.stdout}${result.stderr}`).not.toMatch(JWT);
  });

  it('exits 2 with a clear message for --openai without OPENAI_API_KEY', () => {
    const result = run(['--openai']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--openai needs OPENAI_API_KEY/);
  });
});
