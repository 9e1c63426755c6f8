// Proves an AutoGen run stops on AuthSec refusing the pull (403), after one pull, not one per tool call.

import type { DemoEnvironment } from '@authsec/demo-api';
import { OpenAITestServer } from '@authsec/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssistantAgent,
  AuthSecToolCallsError,
  createFunctionMap,
  isFatalAuthSecError,
  UserProxyAgent,
} from '../src/index.js';
import { clientFor, fetchSecureData, startDemo } from './helpers.js';

let demo: DemoEnvironment;
let llm: OpenAITestServer;

beforeAll(async () => {
  [demo, llm] = await Promise.all([startDemo(), OpenAITestServer.start()]);
});
afterAll(async () => {
  await Promise.all([demo.close(), llm.close()]);
});

describe('a 403 on the token pull', () => {
  it('stops the chat with ERR_AUTHSEC_PULL_FORBIDDEN after one pull, instead of feeding it to the model', async () => {
    const agent = await demo.authsec.createDelegatedAgent({ permissions: ['read:customers'] });
    const client = clientFor(demo, agent.agent.clientId);
    demo.authsec.injectPullFault(
      { type: 'status', status: 403, body: { error: 'forbidden' } },
      { times: 50 },
    );
    const pullsBefore = demo.authsec.pulls.length;
    const call = { name: 'fetch_secure_data', arguments: { customer_id: '42' } };
    llm.setReplies(() => ({ toolCalls: [call, call] }));
    const assistant = new AssistantAgent('assistant', {
      llmConfig: {
        client: new OpenAI({ apiKey: 'sk-test', baseURL: llm.baseURL, maxRetries: 0 }),
        model: 'gpt-test',
      },
    });
    const userProxy = new UserProxyAgent('user_proxy', {
      functionMap: createFunctionMap([fetchSecureData], { client }),
    });
    const error = await userProxy
      .initiateChat(assistant, { message: 'Customer 42?' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthSecToolCallsError);
    expect((error as AuthSecToolCallsError).code).toBe('ERR_AUTHSEC_PULL_FORBIDDEN');
    expect(isFatalAuthSecError(error)).toBe(true);
    // Both tool calls of the round share one pull; no later round pulls again.
    expect(demo.authsec.pulls.length - pullsBefore).toBe(1);
    demo.authsec.clearFaults();
    await client.close();
  });
});
