import { inspect } from 'node:util';
import type { DemoEnvironment } from '@authsec/demo-api';
import { OpenAITestServer } from '@authsec/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthSecClient,
  AuthSecConfigError,
  AuthSecDelegationNotFoundError,
  AuthSecToolCallsError,
  createFunctionMap,
  defineFunction,
  executeToolCalls,
  isFatalAuthSecError,
  type ToolCall,
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

/** A function whose calls each wait for their own release, so concurrency is observed, not timed. */
class Gates {
  readonly started: string[] = [];
  inFlight = 0;
  peak = 0;
  readonly #open = new Map<string, () => void>();
  readonly #waiters: (() => void)[] = [];
  readonly fn = defineFunction(
    { name: 'gated', description: 'Waits to be released.' },
    async (_args, { toolCallId }) => {
      const id = String(toolCallId);
      this.inFlight += 1;
      this.peak = Math.max(this.peak, this.inFlight);
      this.started.push(id);
      const released = new Promise<void>((resolve) => this.#open.set(id, resolve));
      for (const wake of this.#waiters.splice(0)) wake();
      await released;
      this.inFlight -= 1;
      return `done ${id}`;
    },
  );

  async #until(check: () => boolean): Promise<void> {
    while (!check()) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Resolves once `count` calls are waiting at once. */
  running(count: number): Promise<void> {
    return this.#until(() => this.inFlight >= count);
  }

  /** Resolves once the call `id` has started. */
  waitStarted(id: string): Promise<void> {
    return this.#until(() => this.#open.has(id));
  }

  release(id: string): void {
    this.#open.get(id)?.();
  }
}

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

  it('runs at most `concurrency` calls at once (4 by default) and answers in the order of tool_calls', async () => {
    const gates = new Gates();
    const { functionMap } = createFunctionMap([gates.fn], { client: reader });
    const calls = Array.from({ length: 7 }, (_, i) => ({
      id: `c${i}`,
      type: 'function' as const,
      function: { name: 'gated', arguments: '{}' },
    }));

    const limited = executeToolCalls(calls, functionMap, { concurrency: 3 });
    await gates.running(3);
    expect(gates.started).toEqual(['c0', 'c1', 'c2']);
    // Finish them last-first: each free slot starts the next call, never a fourth at once.
    for (const id of ['c2', 'c1', 'c0', 'c5', 'c4', 'c3', 'c6']) {
      await gates.waitStarted(id);
      expect(gates.inFlight).toBeLessThanOrEqual(3);
      gates.release(id);
    }
    const messages = await limited;
    expect(gates.peak).toBe(3);
    expect(messages.map((m) => m.tool_call_id)).toEqual(calls.map((c) => c.id));
    expect(messages.map((m) => m.content)).toEqual(calls.map((c) => `done ${c.id}`));

    const byDefault = new Gates();
    const defaultMap = createFunctionMap([byDefault.fn], { client: reader }).functionMap;
    const all = executeToolCalls(calls, defaultMap);
    await byDefault.running(4);
    expect(byDefault.started).toEqual(['c0', 'c1', 'c2', 'c3']);
    for (const id of ['c3', 'c2', 'c1', 'c0', 'c6', 'c5', 'c4']) {
      await byDefault.waitStarted(id);
      expect(byDefault.inFlight).toBeLessThanOrEqual(4);
      byDefault.release(id);
    }
    await all;
    expect(byDefault.peak).toBe(4);
  });

  it('refuses a concurrency below 1 with a config error', async () => {
    const error = await executeToolCalls([], {}, { concurrency: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthSecConfigError);
    expect((error as Error).message).toBe(
      'Invalid AuthSec configuration: concurrency must be an integer of at least 1 (got 0)',
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

  it('after a fatal failure still runs the calls that had not started, and carries their answers', async () => {
    const revoked = await demo.authsec.createDelegatedAgent({ permissions: ['read:customers'] });
    demo.authsec.revoke(revoked.agent.clientId);
    const client = clientFor(demo, revoked.agent.clientId);
    const revokedFetch = defineFunction(
      { name: 'revoked_fetch', description: 'x', scope: 'read:customers' },
      () => 'never',
    );
    const functionMap = {
      ...createFunctionMap([fetchSecureData], { client: reader }).functionMap,
      ...createFunctionMap([revokedFetch], { client }).functionMap,
    };
    const call = (id: string, name: string, args = '{"customer_id":"42"}') => ({
      id,
      type: 'function',
      function: { name, arguments: args },
    });
    const error = await executeToolCalls(
      [call('b', 'revoked_fetch'), call('x', 'nope'), call('a', 'fetch_secure_data')],
      functionMap,
      { concurrency: 1 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthSecToolCallsError);
    const fatal = error as AuthSecToolCallsError;
    expect(fatal.unansweredToolCallIds).toEqual(['b']);
    expect(fatal.messages.map((m) => m.tool_call_id)).toEqual(['x', 'a']);
    expect(JSON.parse(fatal.messages[0]?.content ?? '')).toMatchObject({
      code: 'ERR_AUTOGEN_UNKNOWN_FUNCTION',
    });
    expect(JSON.parse(fatal.messages[1]?.content ?? '')).toMatchObject({ id: '42' });
    expect(fatal.errors.map((e) => e.code)).toEqual(['ERR_AUTHSEC_DELEGATION_NOT_FOUND']);
    expect(fatal.toJSON()).toMatchObject({ code: 'ERR_AUTHSEC_DELEGATION_NOT_FOUND' });
    await client.close();
  });

  it('stops starting calls once the signal aborts, then throws with the answers so far and the rest answered as aborted', async () => {
    const gates = new Gates();
    const { functionMap } = createFunctionMap([gates.fn], { client: reader });
    const controller = new AbortController();
    const calls = ['c0', 'c1', 'c2'].map((id) => ({
      id,
      type: 'function' as const,
      function: { name: 'gated', arguments: '{}' },
    }));
    const run = executeToolCalls(calls, functionMap, {
      concurrency: 1,
      signal: controller.signal,
    }).catch((e: unknown) => e);
    await gates.running(1);
    controller.abort();
    gates.release('c0');
    const error = (await run) as AuthSecToolCallsError;
    expect(error).toBeInstanceOf(AuthSecToolCallsError);
    expect(error.code).toBe('ERR_AUTHSEC_ABORTED');
    expect(error.messages.map((m) => m.tool_call_id)).toEqual(['c0', 'c1', 'c2']);
    expect(error.messages[0]?.content).toBe('done c0');
    for (const message of error.messages.slice(1)) {
      expect(JSON.parse(message.content)).toMatchObject({ code: 'ERR_AUTHSEC_ABORTED' });
    }
    expect(error.unansweredToolCallIds).toEqual(['c1', 'c2']);
    expect(gates.started).toEqual(['c0']);
  });

  it('answers tool calls streamed through the openai client', async () => {
    const { functionMap, tools } = createFunctionMap([fetchSecureData], { client: reader });
    llm.setReplies([
      {
        toolCalls: [
          { id: 's1', name: 'fetch_secure_data', arguments: { customer_id: '42' } },
          { id: 's2', name: 'fetch_secure_data', arguments: { customer_id: '7' } },
        ],
      },
      { content: 'Acme and Globex.' },
    ]);
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Both?' }];
    const stream = openai.chat.completions.stream({
      model: 'gpt-test',
      messages,
      tools: [...tools],
    });
    const message = (await stream.finalChatCompletion()).choices[0]?.message;
    expect(llm.requests.at(-1)?.stream).toBe(true);
    const answers = await executeToolCalls(message?.tool_calls ?? [], functionMap);
    expect(answers.map((m) => m.tool_call_id)).toEqual(['s1', 's2']);
    messages.push(message as OpenAI.ChatCompletionMessageParam, ...answers);
    // The local server refuses, as OpenAI does, a follow-up whose tool calls lack an answer.
    const next = await openai.chat.completions.create({
      model: 'gpt-test',
      messages,
      tools: [...tools],
    });
    expect(next.choices[0]?.message.content).toBe('Acme and Globex.');
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

  it('calls plain functions with object arguments too, and answers other types with a typed error', async () => {
    const functionMap = {
      add: ({ a, b }: Record<string, unknown>) => Number(a) + Number(b),
    };
    const call = (id: string, args: unknown) =>
      ({ id, type: 'function', function: { name: 'add', arguments: args } }) as ToolCall;
    const messages = await executeToolCalls(
      [call('object', { a: 1, b: 2 }), call('number', 42), call('array', [1, 2])],
      functionMap,
    );
    expect(messages[0]?.content).toBe('3');
    for (const message of messages.slice(1)) {
      expect(JSON.parse(message.content)).toEqual({
        name: 'FunctionCallError',
        code: 'ERR_AUTOGEN_INVALID_JSON',
        message: expect.stringMatching(/^The arguments must be a JSON object/),
        hint: 'Send the arguments as one JSON object, e.g. {"customer_id": "42"}.',
      });
    }
    // A function map entry takes the same: an object, or JSON text of one.
    const { functionMap: mapped } = createFunctionMap([fetchSecureData], { client: reader });
    const [bad] = await executeToolCalls(
      [
        {
          id: 'n',
          type: 'function',
          function: { name: 'fetch_secure_data', arguments: 7 },
        } as never,
      ],
      mapped,
    );
    expect(JSON.parse(bad?.content ?? '')).toMatchObject({ code: 'ERR_AUTOGEN_INVALID_JSON' });
  });

  it('redacts what a plain function returns or throws: a class instance, a thrown message', async () => {
    const token = await reader.getDelegationToken();
    class Seen {
      constructor(readonly authorization: string) {}
    }
    const functionMap = {
      instance: () => new Seen(`Bearer ${token}`),
      thrown: () => {
        throw new RangeError(`refused Bearer ${token}`);
      },
    };
    const messages = await executeToolCalls(
      [
        { id: 'i', type: 'function', function: { name: 'instance', arguments: '{}' } },
        { id: 't', type: 'function', function: { name: 'thrown', arguments: '{}' } },
      ],
      functionMap,
    );
    for (const message of messages) expectNoToken(message.content, token);
    expect(/^Bearer \[jwt eyJ/.test(JSON.parse(messages[0]?.content ?? '').authorization)).toBe(
      true,
    );
  });
});
