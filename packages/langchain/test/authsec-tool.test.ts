import { type DemoEnvironment, startDemoEnvironment } from '@authsec/demo-api';
import { AuthSecTestServer, DownstreamServer } from '@authsec/testing';
import { ToolMessage } from '@langchain/core/messages';
import { RunnableLambda } from '@langchain/core/runnables';
import { DynamicStructuredTool, tool } from '@langchain/core/tools';
import { RunCollectorCallbackHandler } from '@langchain/core/tracers/run_collector';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  AuthSecAbortedError,
  AuthSecClient,
  AuthSecConfigError,
  AuthSecDelegationNotFoundError,
  AuthSecOriginNotAllowedError,
  AuthSecStructuredTool,
  AuthSecTokenRejectedError,
  type AuthSecToolContext,
  AuthSecUnauthenticatedError,
  closeDefaultClient,
  createAuthSecTool,
  expandPath,
  getDefaultClient,
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

  it('is a DynamicStructuredTool subclass, nothing patched on the instance', () => {
    const t = billingTool(billing);
    expect(t).toBeInstanceOf(AuthSecStructuredTool);
    expect(t).toBeInstanceOf(DynamicStructuredTool);
    expect(Object.hasOwn(t, 'call')).toBe(false);
    expect(Object.hasOwn(t, 'invoke')).toBe(false);
    expect(t.schema).toBe(billingSchema);
    expect(t.description).toBe('Get billing details for a customer by their ID.');
  });

  it('runs its function as tool() does: a runnable given its config is a child of the tool run', async () => {
    const t = createAuthSecTool(
      async ({ customer_id }, { config }) =>
        RunnableLambda.from((id: string) => `seen ${id}`).invoke(customer_id, config),
      { name: 'nested', description: 'Nests a runnable.', schema: billingSchema, client: billing },
    );
    const collector = new RunCollectorCallbackHandler();
    const result = await t.invoke({ customer_id: '9' }, { callbacks: [collector] });
    expect(result).toBe('seen 9');
    const [run] = collector.tracedRuns;
    expect(run?.name).toBe('nested');
    expect(run?.run_type).toBe('tool');
    expect(run?.child_runs?.map((child) => child.run_type)).toEqual(['chain']);
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
      const run = t.invoke({}, { signal: controller.signal });
      // Abort only once the pull is at the (hanging) server, so the abort hits the pull.
      await vi.waitFor(() => expect(authsec.pulls).toHaveLength(1), { timeout: 10_000 });
      controller.abort();
      await expect(run).rejects.toThrow();
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

/** Runs `body` with the given AuthSec environment and a fresh default client, then restores both. */
async function withEnvironment(env: Record<string, string>, body: () => Promise<void>) {
  const saved = { ...process.env };
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('AUTHSEC_') || name === 'DOWNSTREAM_URL') delete process.env[name];
  }
  Object.assign(process.env, { AUTHSEC_LOG_LEVEL: 'silent' }, env);
  await closeDefaultClient();
  try {
    await body();
  } finally {
    await closeDefaultClient();
    process.env = saved;
  }
}

describe('createAuthSecTool: the client, the context and the output', () => {
  it("with no client, uses core's shared default client: the same token cache as getDelegationToken()", async () => {
    const { agent } = await demo.authsec.createDelegatedAgent({ permissions: ['billing:read'] });
    await withEnvironment(
      {
        AUTHSEC_BASE_URL: demo.authsec.url,
        AUTHSEC_AGENT_CLIENT_ID: agent.clientId,
        DOWNSTREAM_URL: demo.api.url,
      },
      async () => {
        const pulls = () => demo.authsec.pulls.filter((p) => p.query.client_id === agent.clientId);
        const t = createAuthSecTool(
          async ({ customer_id }, { requestJson }) =>
            requestJson(expandPath('/billing/customers/{id}', { id: customer_id })),
          { name: 'get_customer_billing', schema: billingSchema, scope: 'billing:read' },
        );
        const token = await getDelegationToken();
        expect(pulls()).toHaveLength(1);
        await expect(t.invoke({ customer_id: '42' })).resolves.toMatchObject({
          customer_id: '42',
        });
        expect(pulls()).toHaveLength(1);
        expect(demo.api.requests.at(-1)?.clientId).toBe(agent.clientId);
        expect((await getDefaultClient().getDelegationToken()) === token).toBe(true);
      },
    );
  });

  it('with no client and a partial environment, throws AuthSecConfigError naming the variable (fatal)', async () => {
    await withEnvironment({ AUTHSEC_BASE_URL: demo.authsec.url }, async () => {
      let reached = false;
      const t = createAuthSecTool(
        async () => {
          reached = true;
          return 'no';
        },
        { name: 'needs_config', schema: z.object({}) },
      );
      const error = await t.invoke({}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthSecConfigError);
      expect(error).toMatchObject({ code: 'ERR_AUTHSEC_CONFIG' });
      expect(String(error)).toMatch(/AUTHSEC_AGENT_CLIENT_ID/);
      expect(isFatalAuthSecError(error)).toBe(true);
      expect(reached).toBe(false);
    });
  });

  it('input that does not match the schema comes back as InvalidToolInput JSON, and fn never runs', async () => {
    let reached = false;
    const t = createAuthSecTool(
      async ({ id }) => {
        reached = true;
        return id;
      },
      { name: 'get_customer', schema: z.object({ id: z.string() }), client: billing },
    );
    // An `id` among the arguments is the customer's, not a tool call id.
    const direct = await t.invoke({ id: 42 } as never);
    expect(typeof direct).toBe('string');
    const { error } = JSON.parse(direct as string);
    expect(error).toMatchObject({ name: 'InvalidToolInput', hint: expect.any(String) });
    expect(error.message).toMatch(/did not match expected schema/);
    expect(error.message).toMatch(/id/);

    const message = await t.invoke({
      type: 'tool_call',
      id: 'call_9',
      name: 'get_customer',
      args: { id: 42 },
    } as never);
    expect(message).toBeInstanceOf(ToolMessage);
    expect(message).toMatchObject({ tool_call_id: 'call_9', status: 'error' });
    expect(JSON.parse(String(message.content)).error.name).toBe('InvalidToolInput');
    expect(reached).toBe(false);
  });

  it('the context carries requests, the signal and the config, but no token however printed', async () => {
    let seen: AuthSecToolContext | undefined;
    const t = createAuthSecTool(
      async ({ customer_id }, context) => {
        seen = context;
        return context.requestJson(expandPath('/billing/customers/{id}', { id: customer_id }));
      },
      { name: 'get_customer_billing', schema: billingSchema, client: billing },
    );
    const controller = new AbortController();
    await t.invoke({ customer_id: '42' }, { signal: controller.signal });
    expect(seen?.signal).toBe(controller.signal);
    expect(seen?.config.signal).toBe(controller.signal);
    expect(Object.isFrozen(seen)).toBe(true);
    expectNoToken(tokens, seen, seen?.config);
  });

  it('context.fetch returns an error status as a Response, without throwing', async () => {
    const t = createAuthSecTool(
      async (_input, { fetch }) => {
        const response = await fetch(`${demo.api.url}/customers/999999`);
        return { status: response.status };
      },
      { name: 'probe', schema: z.object({}), client: billing },
    );
    await expect(t.invoke({})).resolves.toEqual({ status: 404 });
  });

  it('an API that echoes the Authorization header cannot hand the token to the model', async () => {
    const echo = await DownstreamServer.start({
      routes: {
        'GET /echo': (req) => ({
          body: { authorization: req.authorization, note: `you sent ${req.authorization}` },
        }),
      },
    });
    const client = clientFor(demo, demo.agents.billing.agent.clientId, {
      downstreamUrl: echo.url,
    });
    try {
      const asObject = createAuthSecTool(async (_i, { requestJson }) => requestJson('/echo'), {
        name: 'echo_json',
        schema: z.object({}),
        client,
      });
      const asText = createAuthSecTool(async (_i, { request }) => (await request('/echo')).text(), {
        name: 'echo_text',
        schema: z.object({}),
        client,
      });
      const object = (await asObject.invoke({})) as { authorization: string; note: string };
      const text = (await asText.invoke({})) as string;
      // The API did get the token; the model gets a marker.
      expect(echo.requests[0]?.bearer === demo.agents.billing.delegation.token).toBe(true);
      expectNoToken(tokens, object, text);
      expect(/^Bearer \[jwt eyJ/.test(object.authorization)).toBe(true);
      expect(/you sent Bearer \[jwt eyJ/.test(object.note)).toBe(true);
      expect(/\[jwt eyJ/.test(text)).toBe(true);
    } finally {
      await client.close();
      await echo.close();
    }
  });

  it('with responseFormat content_and_artifact, a failure is the content of the pair', async () => {
    const t = createAuthSecTool(
      async ({ id }, { requestJson }) => {
        const customer = await requestJson(expandPath('/customers/{id}', { id }));
        return ['found', customer];
      },
      {
        name: 'get_customer',
        schema: z.object({ id: z.string() }),
        responseFormat: 'content_and_artifact',
        client: billing,
      },
    );
    const ok = await t.invoke({
      type: 'tool_call',
      id: 'a1',
      name: 'get_customer',
      args: { id: '42' },
    });
    expect(ok).toMatchObject({ content: 'found', artifact: { id: '42' } });
    const missing = await t.invoke({
      type: 'tool_call',
      id: 'a2',
      name: 'get_customer',
      args: { id: '999999' },
    });
    expect(JSON.parse(String(missing.content)).error).toMatchObject({ status: 404 });
  });
});

describe('createAuthSecTool: fatal failures stop the call', () => {
  it('a revoked session on a newer server throws AuthSecUnauthenticatedError', async () => {
    const authsec = await AuthSecTestServer.start({ requireSession: true });
    const { agent, session } = await authsec.createDelegatedAgent({
      permissions: ['billing:read'],
    });
    const client = new AuthSecClient({
      baseUrl: authsec.url,
      clientId: agent.clientId,
      sessionToken: session.token,
      downstreamUrl: demo.api.url,
      logLevel: 'silent',
    });
    try {
      authsec.revokeSession(session.token);
      const t = createAuthSecTool(async () => 'no', {
        name: 'pull',
        schema: z.object({}),
        scope: 'billing:read',
        client,
      });
      const error = await t.invoke({}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthSecUnauthenticatedError);
      expect(error).toMatchObject({ code: 'ERR_AUTHSEC_UNAUTHENTICATED', status: 401 });
      expect(isFatalAuthSecError(error)).toBe(true);
      expectNoToken([session.token, ...tokens], error);
    } finally {
      await client.close();
      await authsec.close();
    }
  });

  it('a token the API rejects (401) throws AuthSecTokenRejectedError', async () => {
    const api = await DownstreamServer.start({
      routes: {
        'GET /x': {
          status: 401,
          headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
          body: { error: 'invalid_token' },
        },
      },
    });
    const client = clientFor(demo, demo.agents.billing.agent.clientId, { downstreamUrl: api.url });
    try {
      const t = createAuthSecTool(async (_i, { requestJson }) => requestJson('/x'), {
        name: 'x',
        schema: z.object({}),
        client,
      });
      const error = await t.invoke({}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthSecTokenRejectedError);
      expect(error).toMatchObject({ code: 'ERR_AUTHSEC_TOKEN_REJECTED' });
      expect(isFatalAuthSecError(error)).toBe(true);
      expectNoToken(tokens, error);
    } finally {
      await client.close();
      await api.close();
    }
  });
});
