import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import type { DemoEnvironment } from '@authsec/demo-api';
import { DownstreamServer, OpenAITestServer } from '@authsec/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AssistantAgent,
  AuthSecAbortedError,
  AuthSecConfigError,
  AuthSecToolCallsError,
  closeDefaultClient,
  executeToolCalls,
  getDelegationToken,
  type ToolCall,
  UserProxyAgent,
} from '../src/index.js';
import { expectNoToken, startDemo } from './helpers.js';

// This file owns the process environment (the seed's getDelegationToken() reads it): vitest runs
// each test file in its own module graph, so core's default client here is built from it.
let demo: DemoEnvironment;
let llm: OpenAITestServer;
/** An API that accepts every request and never answers it; `arrivals` hears each one. */
let silent: DownstreamServer;
let silentUrl: string;
const arrivals = new EventEmitter();
const saved = { ...process.env };

beforeAll(async () => {
  [demo, llm] = await Promise.all([startDemo(), OpenAITestServer.start()]);
  Object.assign(process.env, demo.env, { AUTHSEC_LOG_LEVEL: 'silent' });
  silent = await DownstreamServer.start({
    fallback: () => {
      arrivals.emit('arrived');
      return new Promise<never>(() => {});
    },
  });
  silentUrl = silent.url;
});
afterAll(async () => {
  // Closing drops the hung connections, so the abandoned fetches end too.
  await silent.close();
  await closeDefaultClient();
  process.env = saved;
  await Promise.all([demo.close(), llm.close()]);
});

/** The seed's function: pulls the token itself and calls the API with plain fetch, no signal. */
const seedFunctionMap = {
  fetch_secure_data: async ({ customer_id }: Record<string, unknown>) => {
    const jwt = await getDelegationToken();
    const res = await fetch(`${silentUrl}/customers/${encodeURIComponent(String(customer_id))}`, {
      headers: { authorization: `Bearer ${jwt}` },
    });
    return res.json();
  },
  ping: () => 'pong',
};

const seedCall = (id: string, name = 'fetch_secure_data'): ToolCall => ({
  id,
  type: 'function',
  function: { name, arguments: JSON.stringify({ customer_id: id }) },
});

/** Resolves once `count` more requests hang at the silent API. */
function arrived(count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const onArrived = () => {
      seen += 1;
      if (seen < count) return;
      arrivals.off('arrived', onArrived);
      resolve();
    };
    arrivals.on('arrived', onArrived);
  });
}

const abortedAnswer = {
  name: 'AuthSecAbortedError',
  code: 'ERR_AUTHSEC_ABORTED',
  message: expect.stringMatching(/cancelled/),
};

describe('aborting calls to a function that ignores the signal', () => {
  it('executeToolCalls settles within the grace period, answering every unfinished call as aborted', async () => {
    const controller = new AbortController();
    const hanging = arrived(2);
    const run = executeToolCalls(
      [seedCall('c1'), seedCall('c2'), seedCall('c3', 'ping'), seedCall('c4')],
      seedFunctionMap,
      { concurrency: 3, signal: controller.signal },
    ).catch((e: unknown) => e);
    await hanging;
    const abortedAt = performance.now();
    controller.abort();
    const error = await run;
    const elapsedMs = performance.now() - abortedAt;
    expect(error).toBeInstanceOf(AuthSecToolCallsError);
    const stopped = error as AuthSecToolCallsError;
    expect(stopped.code).toBe('ERR_AUTHSEC_ABORTED');
    expect(stopped.cause).toBeInstanceOf(AuthSecAbortedError);
    // One answer per call, in order: the finished one's result, the others aborted.
    expect(stopped.messages.map((m) => m.tool_call_id)).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect(stopped.messages[2]?.content).toBe('pong');
    for (const index of [0, 1, 3]) {
      expect(JSON.parse(stopped.messages[index]?.content ?? '')).toEqual(abortedAnswer);
    }
    expect(stopped.unansweredToolCallIds).toEqual(['c1', 'c2', 'c4']);
    // 100 ms by default, plus the scheduling of a busy machine.
    expect(elapsedMs).toBeGreaterThanOrEqual(90);
    expect(elapsedMs).toBeLessThan(1_000);
    expectNoToken(
      inspect(error, { depth: 6 }) + JSON.stringify(error),
      demo.agents.reader.delegation.token,
    );
  });

  it('takes abortGraceMs, and refuses one that is not a non-negative number', async () => {
    const controller = new AbortController();
    const hanging = arrived(1);
    const run = executeToolCalls([seedCall('g1')], seedFunctionMap, {
      signal: controller.signal,
      abortGraceMs: 0,
    }).catch((e: unknown) => e);
    await hanging;
    const abortedAt = performance.now();
    controller.abort();
    const error = (await run) as AuthSecToolCallsError;
    expect(performance.now() - abortedAt).toBeLessThan(500);
    expect(error.messages.map((m) => JSON.parse(m.content))).toEqual([abortedAnswer]);
    for (const abortGraceMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(
        executeToolCalls([seedCall('x')], seedFunctionMap, { abortGraceMs }),
      ).rejects.toBeInstanceOf(AuthSecConfigError);
      expect(() => new UserProxyAgent('user_proxy', { abortGraceMs })).toThrow(AuthSecConfigError);
    }
  });

  it('initiateChat settles within the grace period while a seed function hangs', async () => {
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: llm.baseURL, maxRetries: 0 });
    const assistant = new AssistantAgent('assistant', { llmConfig: { client, model: 'gpt-test' } });
    llm.setReplies([
      {
        toolCalls: [
          { id: 'h1', name: 'fetch_secure_data', arguments: { customer_id: '42' } },
          { id: 'h2', name: 'ping', arguments: {} },
        ],
      },
      { content: 'never asked' },
    ]);
    const controller = new AbortController();
    const hanging = arrived(1);
    const chat = new UserProxyAgent('user_proxy', { functionMap: seedFunctionMap })
      .initiateChat(assistant, { message: 'Customer 42?', signal: controller.signal })
      .catch((e: unknown) => e);
    await hanging;
    const abortedAt = performance.now();
    controller.abort();
    const error = (await chat) as AuthSecToolCallsError;
    expect(performance.now() - abortedAt).toBeLessThan(1_000);
    expect(error).toBeInstanceOf(AuthSecToolCallsError);
    expect(error.code).toBe('ERR_AUTHSEC_ABORTED');
    expect(error.messages.map((m) => [m.tool_call_id, m.content])).toEqual([
      ['h1', expect.stringContaining('ERR_AUTHSEC_ABORTED')],
      ['h2', 'pong'],
    ]);
    expect(llm.pendingReplies).toBe(1);
  });
});
