import { inspect } from 'node:util';
import type { DemoEnvironment } from '@authsec/demo-api';
import { OpenAITestServer } from '@authsec/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssistantAgent,
  AuthSecAbortedError,
  type AuthSecClient,
  AuthSecConfigError,
  AuthSecDelegationNotFoundError,
  AuthSecResponseError,
  AuthSecToolCallsError,
  createFunctionMap,
  defineFunction,
  type HumanInputRequest,
  UserProxyAgent,
} from '../src/index.js';
import { clientFor, expectNoToken, fetchSecureData, getBilling, startDemo } from './helpers.js';

let demo: DemoEnvironment;
let llm: OpenAITestServer;
let reader: AuthSecClient;
let assistant: AssistantAgent;

const fetch42 = { name: 'fetch_secure_data', arguments: { customer_id: '42' } };

beforeAll(async () => {
  [demo, llm] = await Promise.all([startDemo(), OpenAITestServer.start()]);
  reader = clientFor(demo, demo.agents.reader.agent.clientId);
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: llm.baseURL, maxRetries: 0 });
  assistant = new AssistantAgent('assistant', { llmConfig: { client, model: 'gpt-test' } });
});
afterAll(async () => {
  await reader.close();
  await Promise.all([demo.close(), llm.close()]);
});

function proxy(options: ConstructorParameters<typeof UserProxyAgent>[1] = {}) {
  return new UserProxyAgent('user_proxy', {
    functionMap: createFunctionMap([fetchSecureData, getBilling], { client: reader }),
    ...options,
  });
}

describe('UserProxyAgent.initiateChat', () => {
  it("runs the seed's flow: tool call, result, answer; the tools reach the model", async () => {
    llm.clearRequests();
    llm.setReplies([{ toolCalls: [fetch42] }, { content: 'Customer 42 is Acme. TERMINATE' }]);
    const result = await proxy().initiateChat(assistant, { message: 'Get data for customer 42.' });
    expect(result.terminationReason).toBe('terminate_message');
    expect(result.summary).toBe('Customer 42 is Acme.');
    expect(result.chatHistory.map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'assistant',
    ]);
    const [first, second] = llm.requests;
    expect(first?.messages[0]).toMatchObject({ role: 'system' });
    expect(first?.tools).toHaveLength(2);
    // The model saw the tool result answering its own call.
    const toolMessage = second?.messages.find((m) => m.role === 'tool');
    expect(toolMessage?.tool_call_id).toBe(
      (result.chatHistory[1] as { tool_calls: { id: string }[] }).tool_calls[0]?.id,
    );
    expect(JSON.parse(String(toolMessage?.content))).toMatchObject({ id: '42' });
    expectNoToken(
      JSON.stringify(llm.requests.map((r) => r.body)) + JSON.stringify(result),
      demo.agents.reader.delegation.token,
    );
  });

  it('NEVER answers on its own and never asks, even with getHumanInput', async () => {
    llm.setReplies([{ toolCalls: [fetch42] }, { content: 'Done.' }]);
    let asked = 0;
    const result = await proxy({
      humanInputMode: 'NEVER',
      getHumanInput: () => {
        asked += 1;
        return 'exit';
      },
    }).initiateChat(assistant, { message: 'go' });
    expect(asked).toBe(0);
    expect(result).toMatchObject({ terminationReason: 'no_tool_calls', humanInputs: [] });
  });

  it('stops after 10 rounds of tool calls by default', async () => {
    llm.clearRequests();
    llm.setReplies(() => ({ toolCalls: [fetch42] }));
    const result = await proxy().initiateChat(assistant, { message: 'loop' });
    expect(result.terminationReason).toBe('max_consecutive_auto_reply');
    expect(result.chatHistory.filter((m) => m.role === 'tool')).toHaveLength(10);
    expect(llm.requests).toHaveLength(11);
  });

  it('hands a scope denial back to the model and ends when it answers without tool calls', async () => {
    llm.setReplies([
      { toolCalls: [{ name: 'get_billing', arguments: { customer_id: '42' } }] },
      { content: 'I may not read billing data.' },
    ]);
    const result = await proxy().initiateChat(assistant, { message: 'Billing for 42?' });
    expect(result.terminationReason).toBe('no_tool_calls');
    expect(JSON.parse((result.chatHistory[2] as { content: string }).content)).toMatchObject({
      code: 'ERR_AUTHSEC_FORBIDDEN',
      requiredScope: 'billing:read',
    });
  });

  it('stops after maxConsecutiveAutoReply rounds of tool calls', async () => {
    llm.setReplies(() => ({ toolCalls: [fetch42] }));
    const result = await proxy({ maxConsecutiveAutoReply: 2 }).initiateChat(assistant, {
      message: 'loop',
    });
    expect(result.terminationReason).toBe('max_consecutive_auto_reply');
    expect(result.chatHistory.filter((m) => m.role === 'tool')).toHaveLength(2);
    expect(result.chatHistory.filter((m) => m.role === 'assistant')).toHaveLength(3);
  });

  it('ALWAYS asks before each reply: empty runs the calls, text declines them, exit ends', async () => {
    llm.setReplies([{ toolCalls: [fetch42] }, { toolCalls: [fetch42] }, { content: 'ok' }]);
    const inputs = ['', 'No, do not.', 'exit'];
    const asked: HumanInputRequest[] = [];
    const result = await proxy({
      humanInputMode: 'ALWAYS',
      getHumanInput: (request) => {
        asked.push(request);
        return inputs.shift() ?? 'exit';
      },
    }).initiateChat(assistant, { message: 'go' });
    expect(result.terminationReason).toBe('human_exit');
    expect(result.humanInputs).toEqual(['', 'No, do not.', 'exit']);
    expect(asked[0]?.prompt).toMatch(/run the tool calls/);
    const roles = result.chatHistory.map((m) => m.role);
    expect(roles).toEqual(['user', 'assistant', 'tool', 'assistant', 'tool', 'user', 'assistant']);
    expect(JSON.parse((result.chatHistory[4] as { content: string }).content)).toMatchObject({
      code: 'ERR_AUTOGEN_DECLINED',
    });
  });

  it('TERMINATE asks only when the chat would end, and text continues it', async () => {
    llm.setReplies([{ toolCalls: [fetch42] }, { content: 'Done.' }, { content: 'Still done.' }]);
    const inputs = ['Also say hi.', ''];
    let asked = 0;
    const result = await proxy({
      humanInputMode: 'TERMINATE',
      getHumanInput: () => {
        asked += 1;
        return inputs.shift() ?? '';
      },
    }).initiateChat(assistant, { message: 'go' });
    expect(asked).toBe(2);
    expect(result.terminationReason).toBe('no_tool_calls');
    expect(result.summary).toBe('Still done.');
  });

  it('TERMINATE asks at the limit too, and exit ends the chat', async () => {
    llm.setReplies(() => ({ toolCalls: [fetch42] }));
    const asked: string[] = [];
    const result = await proxy({
      humanInputMode: 'TERMINATE',
      maxConsecutiveAutoReply: 1,
      getHumanInput: ({ prompt }) => {
        asked.push(prompt);
        return 'exit';
      },
    }).initiateChat(assistant, { message: 'go' });
    expect(asked).toEqual(["Reply to assistant: press enter to end, type a message, or 'exit'."]);
    expect(result.terminationReason).toBe('human_exit');
    expect(result.chatHistory.filter((m) => m.role === 'tool')).toHaveLength(1);
  });

  it('answers every pending tool call before a human message, even after TERMINATE', async () => {
    llm.clearRequests();
    llm.setReplies([
      { content: 'Fetching, then TERMINATE', toolCalls: [fetch42] },
      { content: 'Hi!' },
    ]);
    const inputs = ['Say hi first.', ''];
    const result = await proxy({
      humanInputMode: 'TERMINATE',
      getHumanInput: () => inputs.shift() ?? '',
    }).initiateChat(assistant, { message: 'go' });
    // The local server refuses unanswered tool calls with OpenAI's 400, so the second turn proves it.
    expect(result.summary).toBe('Hi!');
    expect(result.chatHistory.map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'user',
      'assistant',
    ]);
  });

  it('refuses bad agent options with one config error listing every problem', () => {
    const problems = (make: () => unknown) => {
      const error = (() => {
        try {
          make();
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(AuthSecConfigError);
      return (error as AuthSecConfigError).problems;
    };
    expect(
      problems(
        () =>
          new UserProxyAgent('user proxy', {
            humanInputMode: 'ALWAYS',
            maxConsecutiveAutoReply: -1,
            concurrency: 0,
          }),
      ),
    ).toEqual([
      'UserProxyAgent name "user proxy" is not allowed: use 1–64 characters without spaces or <|\\/>, e.g. user_proxy (OpenAI\'s rule for a message name)',
      'humanInputMode ALWAYS needs a getHumanInput function: pass getHumanInput, or use humanInputMode NEVER',
      'maxConsecutiveAutoReply must be an integer of at least 0',
      'concurrency must be an integer of at least 1',
    ]);
    expect(
      problems(() => new UserProxyAgent('u', { humanInputMode: 'SOMETIMES' as never })),
    ).toEqual(['humanInputMode "SOMETIMES" is unknown: use NEVER, ALWAYS or TERMINATE']);
    expect(problems(() => new AssistantAgent('a', {} as never))).toEqual([
      'llmConfig is missing: pass { config_list: [{ model, api_key, base_url }] } or { client, model }',
    ]);
    expect(problems(() => new AssistantAgent('a', { llmConfig: { config_list: [] } }))).toEqual([
      'llmConfig.config_list is empty: give it one entry, { model, api_key, base_url }',
    ]);
    expect(
      problems(
        () =>
          new AssistantAgent('a', {
            llmConfig: { config_list: [{ model: ' ', base_url: 'localhost:8000' }] },
          }),
      ),
    ).toEqual([
      'llmConfig.config_list[0].model is missing: name the model, e.g. gpt-4o-mini',
      'llmConfig.config_list[0].base_url must be an http(s) URL, e.g. http://127.0.0.1:8000/v1',
    ]);
    expect(
      problems(() => new AssistantAgent('a', { llmConfig: { client: {} as never, model: '' } })),
    ).toEqual([
      'llmConfig.client must have chat.completions.create, like an OpenAI client',
      'llmConfig.model is missing: name the model, e.g. gpt-4o-mini',
    ]);
  });

  it('keeps the API key out of inspect and JSON, and refuses an answer without a message', async () => {
    const keyed = new AssistantAgent('assistant', {
      llmConfig: { config_list: [{ model: 'm', api_key: 'sk-secret-key', base_url: llm.baseURL }] },
    });
    llm.setReplies([{ content: 'ok' }]);
    await keyed.generateReply([{ role: 'user', content: 'hi' }]);
    const shown = inspect(keyed, { showHidden: true, depth: 10 }) + JSON.stringify(keyed);
    expect(shown.includes('sk-secret-key')).toBe(false);

    // Any object with chat.completions.create is a client; this one answers without a message.
    const empty = { chat: { completions: { create: async () => ({ choices: [] }) } } };
    const error = await new AssistantAgent('assistant', {
      llmConfig: { client: empty, model: 'm' },
    })
      .generateReply([{ role: 'user', content: 'hi' }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthSecResponseError);
    expect((error as AuthSecResponseError).code).toBe('ERR_AUTHSEC_BAD_RESPONSE');
    expect((error as Error).message).toMatch(/^The model answered without a message: /);
  });

  it('names both places an API key can come from when config_list has none', async () => {
    const saved = process.env.OPENAI_API_KEY;
    delete process.env.OPENAI_API_KEY;
    try {
      const keyless = new AssistantAgent('assistant', {
        llmConfig: { config_list: [{ model: 'gpt-test', base_url: llm.baseURL }] },
      });
      const error = await keyless.generateReply([{ role: 'user', content: 'hi' }]).catch((e) => e);
      expect(error).toBeInstanceOf(AuthSecConfigError);
      expect((error as Error).message).toBe(
        'Invalid AuthSec configuration: llmConfig.config_list[0].api_key is missing: pass `api_key` or set `OPENAI_API_KEY`',
      );
    } finally {
      if (saved !== undefined) process.env.OPENAI_API_KEY = saved;
    }
  });

  it('stops with a typed abort error wherever the signal aborts', async () => {
    const controller = new AbortController();
    const abortNow = defineFunction({ name: 'abort_now', description: 'x' }, () => {
      controller.abort();
      return 'aborted';
    });
    llm.setReplies([
      {
        toolCalls: [
          { id: 'x1', name: 'abort_now' },
          { id: 'x2', ...fetch42 },
        ],
      },
    ]);
    const error = await new UserProxyAgent('user_proxy', {
      functionMap: createFunctionMap([abortNow, fetchSecureData], { client: reader }),
      concurrency: 1,
    })
      .initiateChat(assistant, { message: 'go', signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthSecToolCallsError);
    expect((error as AuthSecToolCallsError).code).toBe('ERR_AUTHSEC_ABORTED');
    expect((error as AuthSecToolCallsError).unansweredToolCallIds).toEqual(['x2']);

    // While the model is thinking: the openai client's own abort error becomes AuthSecAbortedError.
    const during = new AbortController();
    llm.setReplies(() => {
      during.abort();
      return { content: 'late' };
    });
    await expect(
      proxy().initiateChat(assistant, { message: 'go', signal: during.signal }),
    ).rejects.toBeInstanceOf(AuthSecAbortedError);
    const before = new AbortController();
    before.abort();
    await expect(
      proxy().initiateChat(assistant, { message: 'go', signal: before.signal }),
    ).rejects.toBeInstanceOf(AuthSecAbortedError);
  });

  it('stops the chat with AuthSecToolCallsError when the delegation is revoked', async () => {
    const agent = await demo.authsec.createDelegatedAgent({ permissions: ['read:customers'] });
    demo.authsec.revoke(agent.agent.clientId);
    const client = clientFor(demo, agent.agent.clientId);
    llm.setReplies([{ toolCalls: [fetch42] }, { content: 'never asked' }]);
    const userProxy = new UserProxyAgent('user_proxy', {
      functionMap: createFunctionMap([fetchSecureData], { client }),
    });
    const error = await userProxy
      .initiateChat(assistant, { message: 'go' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthSecToolCallsError);
    expect((error as AuthSecToolCallsError).code).toBe('ERR_AUTHSEC_DELEGATION_NOT_FOUND');
    expect(llm.pendingReplies).toBe(1);
    expectNoToken(inspect(error) + String(error), agent.delegation.token);
    await client.close();
  });

  it("accepts the seed's config_list form and sends its api_key", async () => {
    llm.clearRequests();
    llm.setReplies([{ content: 'hello' }]);
    const seedAssistant = new AssistantAgent('assistant', {
      llmConfig: {
        config_list: [{ model: 'gpt-seed', api_key: 'sk-seed', base_url: llm.baseURL }],
      },
    });
    const result = await proxy().initiateChat(seedAssistant, { message: 'hi' });
    expect(result.summary).toBe('hello');
    expect(llm.requests[0]?.model).toBe('gpt-seed');
  });

  it("works with the openai client's own runTools, as the README shows", async () => {
    const { functionMap, tools } = createFunctionMap([fetchSecureData], { client: reader });
    llm.setReplies([{ toolCalls: [fetch42] }, { content: 'Acme.' }]);
    const openai = new OpenAI({ apiKey: 'sk-test', baseURL: llm.baseURL, maxRetries: 0 });
    const runner = openai.chat.completions.runTools({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'Customer 42?' }],
      tools: tools.map((tool) => ({
        type: 'function' as const,
        function: {
          ...tool.function,
          // biome-ignore lint/style/noNonNullAssertion: every tool has its function, as in the README
          function: (args: string) => functionMap[tool.function.name]!(args),
        },
      })),
    });
    expect(await runner.finalContent()).toBe('Acme.');
    const toolMessage = runner.messages.find((m) => m.role === 'tool');
    expect(JSON.parse(String(toolMessage?.content))).toMatchObject({ id: '42' });
  });

  it('stops runTools on a fatal error: it rejects with the AuthSec error as cause', async () => {
    const agent = await demo.authsec.createDelegatedAgent({ permissions: ['read:customers'] });
    demo.authsec.revoke(agent.agent.clientId);
    const client = clientFor(demo, agent.agent.clientId);
    const { functionMap, tools } = createFunctionMap([fetchSecureData], { client });
    llm.clearRequests();
    llm.setReplies([{ toolCalls: [fetch42] }, { content: 'never asked' }]);
    const openai = new OpenAI({ apiKey: 'sk-test', baseURL: llm.baseURL, maxRetries: 0 });
    const runner = openai.chat.completions.runTools({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'Customer 42?' }],
      tools: tools.map((tool) => ({
        type: 'function' as const,
        function: {
          ...tool.function,
          // biome-ignore lint/style/noNonNullAssertion: every tool has its function, as in the README
          function: (args: string) => functionMap[tool.function.name]!(args),
        },
      })),
    });
    const error = await runner.finalContent().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.OpenAIError);
    expect((error as Error).cause).toBeInstanceOf(AuthSecDelegationNotFoundError);
    expect(llm.requests).toHaveLength(1);
    expect(llm.pendingReplies).toBe(1);
    await client.close();
  });
});
