import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { OpenAITestServer } from '@authsec/testing';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;

function run(args: string[] = [], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [entry, ...args], {
    env: { PATH: process.env.PATH, NO_COLOR: '1', ...env },
    encoding: 'utf8',
    timeout: 90_000,
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}`, stdout: result.stdout };
}

describe('examples/autogen-agent', () => {
  it('runs the seed flow offline: a successful call and a scope denial handed to the model', () => {
    const { status, out, stdout } = run();
    expect(status, out).toBe(0);
    expect(stdout).toMatch(
      /Model: local OpenAI-compatible server http:\/\/127\.0\.0\.1:\d+ \(offline\)/,
    );
    expect(stdout).toContain('assistant calls fetch_secure_data({"customer_id":"42"})');
    expect(stdout).toMatch(/result: ok \{"id":"42","name":"Acme Logistics"/);
    expect(stdout).toContain(
      'result: error AuthSecPermissionError ERR_AUTHSEC_FORBIDDEN (needs billing:read)',
    );
    // The model's last answer quotes the denial it was handed as a tool result.
    expect(stdout).toContain(
      'assistant: Customer 42 is Acme Logistics. Their billing account is not available to me: the delegation lacks billing:read. TERMINATE',
    );
    expect(stdout).toContain('Chat ended: terminate_message');
    expect(stdout.trim().split('\n').at(-1)).toBe(
      'Done: fetch_secure_data succeeded; the billing:read denial went back to the model, and no billing request was sent.',
    );
    expect(out).not.toMatch(JWT);
  });

  it('stays offline when OPENAI_API_KEY is set without --openai', () => {
    const { status, stdout, out } = run([], { OPENAI_API_KEY: 'sk-test' });
    expect(status, out).toBe(0);
    expect(stdout).toContain('(offline)');
    expect(out).not.toMatch(JWT);
  });

  it('with --openai and OPENAI_API_KEY talks to the OpenAI API through the openai client', async () => {
    // OPENAI_BASE_URL, which the openai client reads itself, points it at a local server instead.
    await using llm = await OpenAITestServer.start({
      replies: [
        { toolCalls: [{ name: 'fetch_secure_data', arguments: { customer_id: '42' } }] },
        { content: 'Customer 42 is Acme Logistics. TERMINATE' },
      ],
    });
    // Asynchronously: the local server answers from this process.
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [entry, '--openai'], {
      env: {
        PATH: process.env.PATH,
        NO_COLOR: '1',
        OPENAI_API_KEY: 'sk-test',
        OPENAI_BASE_URL: llm.baseURL,
      },
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(stdout).toContain('Model: OpenAI (--openai, at OPENAI_BASE_URL)');
    expect(stdout).toMatch(/result: ok \{"id":"42"/);
    expect(stdout.trim().split('\n').at(-1)).toBe(
      'Done: the model answered: Customer 42 is Acme Logistics.',
    );
    expect(llm.requests.map((r) => [r.model, r.authorized])).toEqual([
      ['gpt-4o-mini', true],
      ['gpt-4o-mini', true],
    ]);
    expect(llm.requests[0]?.tools.map((t) => (t.function as { name: string }).name)).toEqual([
      'fetch_secure_data',
      'get_billing_account',
    ]);
    expect(`${stdout}${stderr}`).not.toMatch(JWT);
    expect(JSON.stringify(llm.requests.map((r) => r.body))).not.toMatch(JWT);
  });

  it('exits 2 with a clear message for --openai without OPENAI_API_KEY', () => {
    const { status, out } = run(['--openai']);
    expect(status).toBe(2);
    expect(out).toContain('--openai needs OPENAI_API_KEY');
  });
});
