import { inspect } from 'node:util';
import type { DemoEnvironment } from '@authsec/demo-api';
import { OpenAITestServer } from '@authsec/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthSecClient,
  AuthSecDelegationNotFoundError,
  AuthSecToolCallsError,
  createFunctionMap,
  defineFunction,
  executeToolCalls,
  isFatalAuthSecError,
} from '../src/index.js';
import { clientFor, expectNoToken, fetchSecureData, getBilling, startDemo } from './helpers.js';

let demo: DemoEnvironment;
let llm: OpenAITestServer;
let openai: OpenAI;
let reader: AuthSecClient;

beforeAll(async () => {
  [demo, llm] = await Promise.all([startDemo(), OpenAITestServer.start()]);
  openai = new OpenAI({ apiKey: 'sk-test', baseURL: llm.baseURL, maxRetries: 0 });
  reader = clientFor(demo, demo.agents.reader.agent.clientId);
});
afterAll(async () => {
  await reader.close();
  await Promise.all([demo.close(), llm.close()]);
});

/** Asks the local model (through the real openai client) for the scripted tool calls. */
async function toolCallsFor(
  calls: { id?: string; name: string; arguments?: string | Record<string, unknown> }[],
) {
  llm.setReplies([{ toolCalls: calls }]);
  const completion = await openai.chat.completions.create({
    model: 'gpt-test',
    messages: [{ role: 'user', content: 'go' }],
    tools: [...createFunctionMap([fetchSecureData, getBilling]).tools],
  });
  return completion.choices[0]?.message.tool_calls ?? [];
}

describe('executeToolCalls', () => {
  it('sends the tools to the model and answers each call, in order, with its JSON result', async () => {
    const { functionMap } = createFunctionMap([fetchSecureData, getBilling], { client: reader });
    const calls = await toolCallsFor([
      { name: 'fetch_secure_data', arguments: { customer_id: '42' } },
      { name: 'get_billing', arguments: { customer_id: '42' } },
      { name: 'fetch_secure_data', arguments: { customer_id: '7' } },
    ]);
    expect(
      llm.requests.at(-1)?.tools.map((tool) => (tool.function as { name: string }).name),
    ).toEqual(['fetch_secure_data', 'get_billing']);
    const messages = await executeToolCalls(calls, functionMap);
    expect(messages.map((m) => m.tool_call_id)).toEqual(calls.map((c) => c.id));
    expect(messages.map((m) => m.role)).toEqual(['tool', 'tool', 'tool']);
    expect(JSON.parse(messages[0]?.content ?? '')).toMatchObject({ id: '42' });
    expect(JSON.parse(messages[1]?.content ?? '')).toMatchObject({
      code: 'ERR_AUTHSEC_FORBIDDEN',
      requiredScope: 'billing:read',
    });
    expect(JSON.parse(messages[2]?.content ?? '')).toMatchObject({ id: '7' });
    expectNoToken(JSON.stringify(messages), demo.agents.reader.delegation.token);
  });

  it('answers an unknown function and bad JSON as tool errors', async () => {
    const { functionMap } = createFunctionMap([fetchSecureData], { client: reader });
    const calls = await toolCallsFor([
      { name: 'drop_tables', arguments: {} },
      { name: 'fetch_secure_data', arguments: '{"customer_id": 42' },
      { name: 'fetch_secure_data', arguments: '[1]' },
    ]);
    const [unknown, badJson, notObject] = (await executeToolCalls(calls, functionMap)).map((m) =>
      JSON.parse(m.content),
    );
    expect(unknown).toEqual({
      name: 'FunctionCallError',
      code: 'ERR_AUTOGEN_UNKNOWN_FUNCTION',
      message: 'There is no function named "drop_tables".',
      hint: 'Call one of: fetch_secure_data.',
    });
    expect(badJson).toMatchObject({
      code: 'ERR_AUTOGEN_INVALID_JSON',
      message: 'The arguments are not valid JSON.',
    });
    expect(notObject).toMatchObject({ code: 'ERR_AUTOGEN_INVALID_JSON' });
  });

  it('runs calls in parallel up to the limit and keeps the order of tool_calls', async () => {
    let running = 0;
    let peak = 0;
    const slow = defineFunction(
      { name: 'slow', description: 'x' },
      async (_args, { toolCallId }) => {
        running += 1;
        peak = Math.max(peak, running);
        // Later calls finish first, so order can only come from tool_calls.
        await new Promise((resolve) => setTimeout(resolve, 60 - Number(toolCallId?.slice(1)) * 8));
        running -= 1;
        return toolCallId;
      },
    );
    const { functionMap } = createFunctionMap([slow], { client: reader });
    const calls = Array.from({ length: 6 }, (_, i) => ({
      id: `c${i}`,
      type: 'function' as const,
      function: { name: 'slow', arguments: '{}' },
    }));
    const started = Date.now();
    const messages = await executeToolCalls(calls, functionMap, { concurrency: 3 });
    expect(messages.map((m) => m.content)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5']);
    expect(peak).toBe(3);
    expect(Date.now() - started).toBeLessThan(300);
    const serial = await executeToolCalls(calls.slice(0, 2), functionMap, { concurrency: 1 });
    expect(serial).toHaveLength(2);
    expect(peak).toBe(3);
    await expect(executeToolCalls(calls, functionMap, { concurrency: 0 })).rejects.toThrow(
      RangeError,
    );
  });

  it('answers a repeated tool_call_id once', async () => {
    const { functionMap } = createFunctionMap([fetchSecureData], { client: reader });
    const call = {
      id: 'same',
      type: 'function',
      function: { name: 'fetch_secure_data', arguments: '{"customer_id":"42"}' },
    };
    expect(await executeToolCalls([call, call], functionMap)).toHaveLength(1);
  });

  it('lets other calls finish after a revoked delegation, then throws with the partial results', async () => {
    const revoked = await demo.authsec.createDelegatedAgent({ permissions: ['read:customers'] });
    demo.authsec.revoke(revoked.agent.clientId);
    const client = clientFor(demo, revoked.agent.clientId);
    const readerMap = createFunctionMap([fetchSecureData], { client: reader }).functionMap;
    const revokedMap = createFunctionMap(
      [
        defineFunction(
          {
            name: 'revoked_fetch',
            description: fetchSecureData.description,
            parameters: fetchSecureData.parameters,
            scope: 'read:customers',
          },
          fetchSecureData.implementation,
        ),
      ],
      { client },
    ).functionMap;
    const functionMap = { ...readerMap, ...revokedMap };
    const calls = await toolCallsFor([
      { id: 'a', name: 'fetch_secure_data', arguments: { customer_id: '42' } },
      { id: 'b', name: 'revoked_fetch', arguments: { customer_id: '42' } },
      { id: 'c', name: 'fetch_secure_data', arguments: { customer_id: '7' } },
    ]);
    const error = await executeToolCalls(calls, functionMap).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthSecToolCallsError);
    const fatal = error as AuthSecToolCallsError;
    expect(fatal.code).toBe('ERR_AUTHSEC_DELEGATION_NOT_FOUND');
    expect(isFatalAuthSecError(fatal)).toBe(true);
    expect(fatal.cause).toBeInstanceOf(AuthSecDelegationNotFoundError);
    expect(fatal.message).toMatch(/^A function call failed and the run must stop: /);
    expect(fatal.messages.map((m) => m.tool_call_id)).toEqual(['a', 'c']);
    expect(fatal.unansweredToolCallIds).toEqual(['b']);
    expectNoToken(inspect(fatal) + JSON.stringify(fatal), demo.agents.reader.delegation.token);
    await client.close();
  });

  it('calls plain functions of a seed-style map with parsed arguments', async () => {
    const functionMap = {
      add: ({ a, b }: Record<string, unknown>) => Number(a) + Number(b),
      fail: () => {
        throw new RangeError('b must be positive');
      },
    };
    const messages = await executeToolCalls(
      [
        { id: '1', type: 'function', function: { name: 'add', arguments: '{"a":1,"b":2}' } },
        { id: '2', type: 'function', function: { name: 'fail', arguments: '' } },
      ],
      functionMap,
    );
    expect(messages[0]?.content).toBe('3');
    expect(JSON.parse(messages[1]?.content ?? '')).toMatchObject({ message: 'b must be positive' });
  });
});
