import { type DemoEnvironment, startDemoEnvironment } from '@authsec/demo-api';
import { AuthSecTestServer, DownstreamServer } from '@authsec/testing';
import { ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  AuthSecAbortedError,
  AuthSecClient,
  AuthSecDelegationNotFoundError,
  AuthSecOriginNotAllowedError,
  closeDefaultClient,
  createAuthSecTool,
  expandPath,
  getDelegationToken,
  isFatalAuthSecError,
} from '../src/index.js';
import { clientFor, expectNoToken } from './helpers.js';

let demo: DemoEnvironment;
let billing: AuthSecClient;
let tokens: string[];

const billingSchema = z.object({ customer_id: z.string() });

function billingTool(client: AuthSecClient, scope: string | string[] = 'billing:read') {
  return createAuthSecTool(
    async ({ customer_id }, { requestJson }) =>
      requestJson(expandPath('/billing/customers/{id}', { id: customer_id })),
    {
      name: 'get_customer_billing',
      description: 'Get billing details for a customer by their ID.',
      schema: billingSchema,
      scope,
      client,
    },
  );
}

beforeAll(async () => {
  demo = await startDemoEnvironment({ api: { revocationCacheSeconds: 0 } });
  billing = clientFor(demo, demo.agents.billing.agent.clientId);
  tokens = Object.values(demo.agents).map((a) => a.delegation.token);
});
afterAll(async () => {
  await billing.close();
  await demo.close();
});

describe('createAuthSecTool', () => {
  it('builds a LangChain tool whose function calls the API with the delegation token', async () => {
    const t = billingTool(billing);
    expect(t.name).toBe('get_customer_billing');
    const result = await t.invoke({ customer_id: '42' });
    expect(result).toMatchObject({ customer_id: '42', currency: expect.any(String) });
    const last = demo.api.requests.at(-1);
    expect(last).toMatchObject({ path: '/billing/customers/42', status: 200, bearer: true });
    expect(last?.clientId).toBe(demo.agents.billing.agent.clientId);
    expectNoToken(tokens, result);
  });

  it('returns a ToolMessage when invoked with a tool call', async () => {
    const message = await billingTool(billing).invoke({
      type: 'tool_call',
      id: 'call_1',
      name: 'get_customer_billing',
      args: { customer_id: '7' },
    });
    expect(message).toBeInstanceOf(ToolMessage);
    expect(message.tool_call_id).toBe('call_1');
    expect(String(message.content)).toContain('"customer_id"');
    expectNoToken(tokens, message);
  });

  it('a missing scope returns AuthSecPermissionError JSON and sends no request', async () => {
    const before = demo.api.requests.length;
    const result = await billingTool(billing, ['billing:read', 'read:records']).invoke({
      customer_id: '42',
    });
    expect(demo.api.requests.length).toBe(before);
    const { error } = JSON.parse(result as string);
    expect(error).toMatchObject({
      name: 'AuthSecPermissionError',
      code: 'ERR_AUTHSEC_FORBIDDEN',
      requiredScope: 'read:records',
    });
    expect(error.message).toMatch(/read:records/);
    expectNoToken(tokens, result);
  });

  it('a 403 from the API comes back to the model with the required scope', async () => {
    const reader = clientFor(demo, demo.agents.reader.agent.clientId);
    const result = await billingTool(reader, []).invoke({ customer_id: '42' });
    expect(JSON.parse(result as string).error).toMatchObject({
      code: 'ERR_AUTHSEC_FORBIDDEN',
      status: 403,
      requiredScope: 'billing:read',
    });
    await reader.close();
  });

  it('a 404 from the API comes back as JSON the model can read', async () => {
    const t = createAuthSecTool(
      async ({ id }, { requestJson }) => requestJson(expandPath('/customers/{id}', { id })),
      { name: 'get_customer', schema: z.object({ id: z.string() }), client: billing },
    );
    const { error } = JSON.parse((await t.invoke({ id: '999999' })) as string);
    expect(error).toMatchObject({
      name: 'AuthSecHttpError',
      code: 'ERR_AUTHSEC_HTTP',
      status: 404,
    });
  });

  it('a revoked delegation is thrown (fatal) with a String() safe to show a model', async () => {
    const { agent, delegation } = await demo.authsec.createDelegatedAgent({
      permissions: ['billing:read'],
    });
    const client = clientFor(demo, agent.clientId);
    const t = billingTool(client);
    await t.invoke({ customer_id: '42' });
    demo.authsec.revoke(agent.clientId);
    const error = await t.invoke({ customer_id: '42' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthSecDelegationNotFoundError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_DELEGATION_NOT_FOUND' });
    expect(isFatalAuthSecError(error)).toBe(true);
    expect(String(error)).toMatch(/AuthSecDelegationNotFoundError/);
    expectNoToken([...tokens, delegation.token], error);
    await client.close();
  });

  it('sends the token only to allowed origins', async () => {
    const elsewhere = await DownstreamServer.start({ routes: { '/x': { body: { ok: true } } } });
    try {
      const t = createAuthSecTool(
        async (_input, { fetch }) => (await fetch(`${elsewhere.url}/x`)).json(),
        {
          name: 'leak',
          schema: z.object({}),
          client: billing,
        },
      );
      const error = await t.invoke({}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthSecOriginNotAllowedError);
      expect(error).toMatchObject({ code: 'ERR_AUTHSEC_ORIGIN_NOT_ALLOWED' });
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it('hands the run signal to the request: aborting stops a slow call', async () => {
    const slow = await DownstreamServer.start({
      routes: { '/slow': { body: { ok: true }, delayMs: 10_000 } },
    });
    const client = clientFor(demo, demo.agents.billing.agent.clientId, {
      downstreamUrl: slow.url,
    });
    try {
      let seen: unknown;
      const t = createAuthSecTool(
        async (_i, { request }) => {
          try {
            return await (await request('/slow')).text();
          } catch (error) {
            seen = error;
            throw error;
          }
        },
        { name: 'slow', schema: z.object({}), client },
      );
      const controller = new AbortController();
      const run = t.invoke({}, { signal: controller.signal });
      // Abort only once the request is at the API, so the abort hits the request, not the pull.
      await vi.waitFor(() => expect(slow.requests).toHaveLength(1), { timeout: 10_000 });
      controller.abort();
      await expect(run).rejects.toThrow();
      await vi.waitFor(() => expect(seen).toBeInstanceOf(AuthSecAbortedError), { timeout: 1_000 });
      expect(seen).toMatchObject({ code: 'ERR_AUTHSEC_ABORTED' });
      expect(slow.requests[0]?.bearer === demo.agents.billing.delegation.token).toBe(true);
    } finally {
      await client.close();
      await slow.close();
    }
  });

  it('hands the run signal to the token pull of the scope pre-check', async () => {
    const authsec = await AuthSecTestServer.start();
    const { agent } = await authsec.createDelegatedAgent({ permissions: ['billing:read'] });
    authsec.injectPullFault({ type: 'hang' });
    let seen: unknown;
    // A real client that only records what its pre-check threw.
    class ObservedClient extends AuthSecClient {
      override requirePermissions(...args: Parameters<AuthSecClient['requirePermissions']>) {
        return super.requirePermissions(...args).catch((error: unknown) => {
          seen = error;
          throw error;
        });
      }
    }
    const client = new ObservedClient({
      baseUrl: authsec.url,
      clientId: agent.clientId,
      downstreamUrl: demo.api.url,
      logLevel: 'silent',
    });
    try {
      let reached = false;
      const t = createAuthSecTool(
        async () => {
          reached = true;
          return 'no';
        },
        { name: 'pull', schema: z.object({}), scope: 'billing:read', client },
      );
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      await expect(t.invoke({}, { signal: controller.signal })).rejects.toThrow();
      await vi.waitFor(() => expect(seen).toBeInstanceOf(AuthSecAbortedError), { timeout: 1_000 });
      expect(reached).toBe(false);
      expect(authsec.pulls).toHaveLength(1);
    } finally {
      await client.close();
      await authsec.close();
    }
  });

  it('getDelegationToken() works inside a plain tool(), as in the seed', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, demo.agents.billing.env, {
      DOWNSTREAM_URL: demo.api.url,
      AUTHSEC_LOG_LEVEL: 'silent',
    });
    await closeDefaultClient();
    try {
      const getCustomerBilling = tool(
        async ({ customer_id }) => {
          const jwt = await getDelegationToken();
          const res = await fetch(
            `${process.env.DOWNSTREAM_URL}/billing/customers/${encodeURIComponent(customer_id)}`,
            { headers: { authorization: `Bearer ${jwt}` }, signal: AbortSignal.timeout(5_000) },
          );
          if (!res.ok) throw new Error(`billing API answered ${res.status}`);
          return res.json();
        },
        {
          name: 'get_customer_billing',
          description: 'Get billing details for a customer by their ID.',
          schema: billingSchema,
        },
      );
      await expect(getCustomerBilling.invoke({ customer_id: '42' })).resolves.toMatchObject({
        customer_id: '42',
      });
    } finally {
      await closeDefaultClient();
      process.env = saved;
    }
  });
});
