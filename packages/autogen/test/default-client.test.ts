import type { DemoEnvironment } from '@authsec/demo-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthSecToolCallsError,
  closeDefaultClient,
  createFunctionMap,
  defineFunction,
  executeToolCalls,
  getDefaultClient,
  getDelegationToken,
} from '../src/index.js';
import { fetchSecureData, startDemo } from './helpers.js';

// This file owns the process environment: vitest runs each test file in its own module graph,
// so core's default client here is built from what these tests set.
let demo: DemoEnvironment;
const saved = { ...process.env };

beforeAll(async () => {
  demo = await startDemo();
});
afterAll(async () => {
  await closeDefaultClient();
  process.env = saved;
  await demo.close();
});

describe("core's default client", () => {
  it('is what functions use when no client is given, sharing one token cache with getDelegationToken()', async () => {
    await closeDefaultClient();
    Object.assign(process.env, demo.env, { AUTHSEC_LOG_LEVEL: 'silent' });
    const pullsBefore = demo.authsec.pulls.length;
    const { functionMap } = createFunctionMap([fetchSecureData]);
    const content = await functionMap.fetch_secure_data?.({ customer_id: '42' });
    expect(JSON.parse(content ?? '')).toMatchObject({ id: '42' });
    expect(demo.authsec.pulls.length).toBe(pullsBefore + 1);
    // The same cache: neither a second map nor the module-level call pulls again.
    await createFunctionMap([fetchSecureData]).functionMap.fetch_secure_data?.({
      customer_id: '7',
    });
    const token = await getDelegationToken();
    expect(token === demo.agents.reader.delegation.token).toBe(true);
    expect(demo.authsec.pulls.length).toBe(pullsBefore + 1);
    expect(getDefaultClient()).toBe(getDefaultClient());
  });

  it('is not built for a function that needs no AuthSec, and a bad environment stops the run', async () => {
    await closeDefaultClient();
    process.env.AUTHSEC_BASE_URL = demo.authsec.url;
    delete process.env.AUTHSEC_AGENT_CLIENT_ID;
    const ping = defineFunction({ name: 'ping', description: 'Answers pong.' }, () => 'pong');
    const { functionMap } = createFunctionMap([ping, fetchSecureData]);
    expect(await functionMap.ping?.({})).toBe('pong');
    const error = await executeToolCalls(
      [
        {
          id: 'a',
          type: 'function',
          function: { name: 'fetch_secure_data', arguments: '{"customer_id":"42"}' },
        },
        { id: 'b', type: 'function', function: { name: 'ping', arguments: '{}' } },
      ],
      functionMap,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthSecToolCallsError);
    const fatal = error as AuthSecToolCallsError;
    expect(fatal.code).toBe('ERR_AUTHSEC_CONFIG');
    expect(fatal.message).toContain('AUTHSEC_AGENT_CLIENT_ID');
    expect(fatal.messages).toEqual([{ role: 'tool', tool_call_id: 'b', content: 'pong' }]);
    expect(fatal.unansweredToolCallIds).toEqual(['a']);
  });
});
