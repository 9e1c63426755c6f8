import type { DemoEnvironment } from '@authsec/demo-api';
import { OpenAITestServer } from '@authsec/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssistantAgent,
  type AuthSecClient,
  AuthSecToolCallsError,
  createFunctionMap,
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
      JSON.stringify(llm.requests.map((r) => r.body)),
      demo.agents.reader.delegation.token,
    );
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

  it('refuses a human input mode without getHumanInput', () => {
    expect(() => new UserProxyAgent('u', { humanInputMode: 'ALWAYS' })).toThrow(
      'humanInputMode ALWAYS needs a getHumanInput function.',
    );
    expect(() => new AssistantAgent('a', {} as never)).toThrow(TypeError);
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
});
