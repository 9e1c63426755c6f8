import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { OpenAITestServer } from '@authsec/testing';
import { afterEach, describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built example without blocking this process, so a local model server can answer it. */
function run(args: string[] = [], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], {
      env: { PATH: process.env.PATH, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 90_000,
    });
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

/** Fails without printing the text, which would show the token it found. */
function expectNoJwt(what: string, text: string): void {
  expect(JWT.test(text), `${what} holds a JWT-shaped string`).toBe(false);
}

let llm: OpenAITestServer | undefined;
afterEach(async () => {
  await llm?.close();
  llm = undefined;
});

describe('the langchain-agent example', () => {
  it('runs offline: success, a scope denial told to the model, and a revocation that stops the run', async () => {
    const result = await run();
    // First, so a later failure that prints the output cannot print a token.
    expectNoJwt('the output', `${result.stdout}${result.stderr}`);
    expect(result.status).toBe(0);
    const out = result.stdout;
    expect(out).toContain('Model: a scripted model from @langchain/core/testing');
    expect(out).toMatch(/✓ get_customer_billing\(42\): balance [\d.]+ \w+, \d+ invoice/);
    expect(out).toMatch(/✓ get_customer\(42\): /);
    expect(out).toMatch(
      /✓ list_vault_records: denied before any request; the model was told ERR_AUTHSEC_FORBIDDEN \(needs read:records\)/,
    );
    expect(out).toMatch(
      /✓ revoked mid-run: the run stopped with AuthSecDelegationNotFoundError \(ERR_AUTHSEC_DELEGATION_NOT_FOUND\)/,
    );
    expect(out).toMatch(/✓ no token in the message history \(\d+ messages\)/);
    expect(out.trim().split('\n').at(-1)).toBe('All steps passed.');
    expect(out).not.toContain('✗');
  });

  it('stays offline with OPENAI_API_KEY set but no --openai: the model server gets no request', async () => {
    llm = await OpenAITestServer.start({ replies: [{ content: 'never asked' }] });
    const result = await run([], { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: llm.baseURL });
    expectNoJwt('the output', `${result.stdout}${result.stderr}`);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Model: a scripted model');
    expect(result.stdout.trim().split('\n').at(-1)).toBe('All steps passed.');
    expect(llm.requests.length).toBe(0);
  });

  it('with --openai, ChatOpenAI drives the same tools; no token ever reaches the model', async () => {
    llm = await OpenAITestServer.start({
      replies: [
        {
          toolCalls: [
            { id: 'call_1', name: 'get_customer_billing', arguments: { customer_id: '42' } },
            { id: 'call_2', name: 'get_customer', arguments: { id: '42' } },
            { id: 'call_3', name: 'list_vault_records', arguments: {} },
          ],
        },
        { content: 'Customer 42 owes money; the vault is off limits.' },
        {
          toolCalls: [
            { id: 'call_4', name: 'get_customer_billing', arguments: { customer_id: '7' } },
          ],
        },
        { content: 'This answer must never be produced.' },
      ],
    });
    const result = await run(['--openai'], {
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: llm.baseURL,
      OPENAI_MODEL: 'gpt-4o-mini',
    });
    const requests = llm.requests;
    expectNoJwt('the output', `${result.stdout}${result.stderr}`);
    expectNoJwt('the requests to the model', JSON.stringify(requests));
    expect(result.status).toBe(0);
    const out = result.stdout;
    expect(out).toContain('Model: ChatOpenAI (gpt-4o-mini).');
    expect(out).toContain('✓ the model answered: Customer 42 owes money');
    expect(out).toContain('(scope denial returned to the model: yes)');
    expect(out).toMatch(/✓ no token in the message history \(\d+ messages\)/);
    expect(out).toMatch(
      /✓ after revocation the run stopped with AuthSecDelegationNotFoundError \(ERR_AUTHSEC_DELEGATION_NOT_FOUND\)/,
    );
    expect(out.trim().split('\n').at(-1)).toBe('All steps passed.');

    // What the model saw: the three tools and their results.
    expect(requests.length).toBe(3);
    expect(requests.every((r) => r.authorized)).toBe(true);
    const toolNames = requests[0]?.tools.map(
      (t) => (t as { function?: { name?: string } }).function?.name,
    );
    expect(toolNames).toEqual(['get_customer_billing', 'get_customer', 'list_vault_records']);
    const results = requests[1]?.messages.filter((m) => m.role === 'tool') ?? [];
    expect(results.map((m) => m.tool_call_id)).toEqual(['call_1', 'call_2', 'call_3']);
    expect(JSON.parse(String(results[0]?.content))).toMatchObject({ customer_id: '42' });
    expect(JSON.parse(String(results[2]?.content)).error).toMatchObject({
      code: 'ERR_AUTHSEC_FORBIDDEN',
      requiredScope: 'read:records',
    });
  });

  it('exits 2 with a clear message for --openai without OPENAI_API_KEY', async () => {
    const result = await run(['--openai']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--openai needs OPENAI_API_KEY/);
  });
});
