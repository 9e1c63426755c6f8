import { type DemoEnvironment, startDemoEnvironment } from '@authsec/demo-api';
import { AuthSecTestServer, DownstreamServer } from '@authsec/testing';
import { AIMessage, type BaseMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { tool } from '@langchain/core/tools';
import { convertToOpenAITool } from '@langchain/core/utils/function_calling';
import { ToolNode } from '@langchain/langgraph/prebuilt';
import { createAgent } from 'langchain';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  AuthSecAbortedError,
  AuthSecClient,
  AuthSecConfigError,
  AuthSecDelegationNotFoundError,
  AuthSecTokenRejectedError,
  AuthSecUnauthenticatedError,
  closeDefaultClient,
  createAuthSecRequestTool,
  createAuthSecTool,
  expandPath,
  getDelegationToken,
  isFatalAuthSecError,
} from '../src/index.js';
import { authsecMiddleware } from '../src/middleware.js';
import { clientFor, expectNoToken } from './helpers.js';

let demo: DemoEnvironment;
let tokens: string[];

beforeAll(async () => {
  demo = await startDemoEnvironment({ api: { revocationCacheSeconds: 0 } });
  tokens = Object.values(demo.agents).map((a) => a.delegation.token);
});
afterAll(async () => {
  await demo.close();
});

function toolsFor(client: AuthSecClient) {
  const billing = createAuthSecTool(
    async ({ customer_id }, { requestJson }) =>
      requestJson(expandPath('/billing/customers/{id}', { id: customer_id })),
    {
      name: 'get_customer_billing',
      description: 'Get billing details for a customer by their ID.',
      schema: z.object({ customer_id: z.string() }),
      scope: 'billing:read',
      client,
    },
  );
  const records = createAuthSecRequestTool({
    name: 'list_vault_records',
    description: 'List the secure vault records.',
    schema: z.object({}),
    path: '/secure-vault/records',
    scope: 'read:records',
    client,
  });
  return [billing, records];
}

/** A fresh billing agent, so revoking it affects only one test. */
async function billingAgent() {
  const delegated = await demo.authsec.createDelegatedAgent({
    permissions: ['billing:read', 'read:customers'],
  });
  tokens.push(delegated.delegation.token);
  return { clientId: delegated.agent.clientId, client: clientFor(demo, delegated.agent.clientId) };
}

const ask = (content: string) => ({ messages: [new HumanMessage(content)] });

describe('with createAgent and a scripted model', () => {
  it('runs real tool calls: a success and a scope denial the model can read', async () => {
    const { client } = await billingAgent();
    const model = fakeModel()
      .respondWithTools([{ name: 'get_customer_billing', args: { customer_id: '42' }, id: 'c1' }])
      .respondWithTools([{ name: 'list_vault_records', args: {}, id: 'c2' }])
      .respond(new AIMessage('Customer 42 owes money; I may not read the vault.'));
    const agent = createAgent({
      model,
      tools: toolsFor(client),
      middleware: [authsecMiddleware()],
    });
    const result = await agent.invoke(ask('Billing for 42, and the vault records?'));
    const toolMessages = result.messages.filter(ToolMessage.isInstance);
    expect(toolMessages).toHaveLength(2);
    expect(JSON.parse(String(toolMessages[0]?.content))).toMatchObject({ customer_id: '42' });
    expect(JSON.parse(String(toolMessages[1]?.content)).error).toMatchObject({
      code: 'ERR_AUTHSEC_FORBIDDEN',
      requiredScope: 'read:records',
    });
    expect(result.messages.at(-1)?.content).toMatch(/Customer 42/);
    expectNoToken(tokens, result.messages, model.calls);
    await client.close();
  });

  it('without the middleware, a revoked delegation reaches the model as a safe message', async () => {
    const { client, clientId } = await billingAgent();
    const model = fakeModel()
      .respondWithTools([{ name: 'get_customer_billing', args: { customer_id: '42' }, id: 'c1' }])
      .respond(() => {
        demo.authsec.revoke(clientId);
        return new AIMessage({
          content: '',
          tool_calls: [{ name: 'get_customer_billing', args: { customer_id: '7' }, id: 'c2' }],
        });
      })
      .respond(new AIMessage('The tool failed.'));
    const agent = createAgent({ model, tools: toolsFor(client) });
    const result = await agent.invoke(ask('Billing for 42 and 7?'));
    const last = result.messages.filter(ToolMessage.isInstance).at(-1);
    expect(last?.status).toBe('error');
    expect(String(last?.content)).toMatch(/AuthSecDelegationNotFoundError/);
    expectNoToken(tokens, result.messages);
    await client.close();
  });

  it('with the middleware, a revoked delegation stops the run', async () => {
    const { client, clientId } = await billingAgent();
    const model = fakeModel()
      .respondWithTools([{ name: 'get_customer_billing', args: { customer_id: '42' }, id: 'c1' }])
      .respond(() => {
        demo.authsec.revoke(clientId);
        return new AIMessage({
          content: '',
          tool_calls: [{ name: 'get_customer_billing', args: { customer_id: '7' }, id: 'c2' }],
        });
      })
      .respond(new AIMessage('never reached'));
    const agent = createAgent({
      model,
      tools: toolsFor(client),
      middleware: [authsecMiddleware()],
    });
    const error = await agent.invoke(ask('Billing for 42 and 7?')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthSecDelegationNotFoundError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_DELEGATION_NOT_FOUND' });
    expect(model.callCount).toBe(2);
    expectNoToken(tokens, error);
    await client.close();
  });

  it('with the middleware, input that fails the schema comes back as short InvalidToolInput JSON', async () => {
    const { client } = await billingAgent();
    const model = fakeModel()
      .respondWithTools([{ name: 'get_customer_billing', args: { customer_id: 42 }, id: 'c1' }])
      .respond(new AIMessage('Sorry.'));
    const agent = createAgent({
      model,
      tools: toolsFor(client),
      middleware: [authsecMiddleware()],
    });
    const result = await agent.invoke(ask('Billing for 42?'));
    const message = result.messages.find(ToolMessage.isInstance);
    expect(message?.status).toBe('error');
    const { error } = JSON.parse(String(message?.content));
    expect(error).toMatchObject({ name: 'InvalidToolInput' });
    expect(error.message).toMatch(/did not match/);
    await client.close();
  });

  it('with the middleware, other tools keep LangChain’s message for their errors', async () => {
    const { client } = await billingAgent();
    const failing = createAuthSecTool(
      async () => {
        throw new Error('the parser broke');
      },
      { name: 'broken', description: 'Always fails.', schema: z.object({}), client },
    );
    const model = fakeModel()
      .respondWithTools([{ name: 'broken', args: {}, id: 'c1' }])
      .respond(new AIMessage('ok'));
    const agent = createAgent({ model, tools: [failing], middleware: [authsecMiddleware()] });
    const result = await agent.invoke(ask('go'));
    const message = result.messages.find(ToolMessage.isInstance);
    expect(String(message?.content)).toMatch(/the parser broke\n Please fix your mistakes\./);
    await client.close();
  });
});

describe('with bindTools and ToolNode', () => {
  it('converts to an OpenAI function tool with the schema the model sees', async () => {
    const { client } = await billingAgent();
    const [billing] = toolsFor(client);
    if (!billing) throw new Error('no tool');
    const spec = convertToOpenAITool(billing);
    expect(spec.function.name).toBe('get_customer_billing');
    expect(spec.function.parameters).toMatchObject({
      type: 'object',
      properties: { customer_id: { type: 'string' } },
      required: ['customer_id'],
    });
    const bound = fakeModel().respond(new AIMessage('hi')).bindTools([billing]);
    await expect(bound.invoke('hi')).resolves.toBeInstanceOf(AIMessage);
    await client.close();
  });

  it('runs under LangGraph’s ToolNode; handleToolErrors: false lets fatal errors through', async () => {
    const { client, clientId } = await billingAgent();
    const tools = toolsFor(client);
    const call = (id: string) =>
      new AIMessage({
        content: '',
        tool_calls: [{ name: 'get_customer_billing', args: { customer_id: '42' }, id }],
      });
    const node = new ToolNode(tools, { handleToolErrors: false });
    const ok = await node.invoke({ messages: [call('t1')] });
    expect(JSON.parse(String(ok.messages[0]?.content))).toMatchObject({ customer_id: '42' });
    demo.authsec.revoke(clientId);
    await expect(node.invoke({ messages: [call('t2')] })).rejects.toBeInstanceOf(
      AuthSecDelegationNotFoundError,
    );
    expectNoToken(tokens, ok);
    await client.close();
  });
});

/** Sets the AuthSec environment for the default client, and returns a function that restores it. */
async function useEnvironment(env: Record<string, string>): Promise<() => Promise<void>> {
  const saved = { ...process.env };
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('AUTHSEC_') || name === 'DOWNSTREAM_URL') delete process.env[name];
  }
  Object.assign(process.env, { AUTHSEC_LOG_LEVEL: 'silent' }, env);
  await closeDefaultClient();
  return async () => {
    await closeDefaultClient();
    process.env = saved;
  };
}

/** The seed's tool, in TypeScript: a plain tool() that pulls the token and calls the API itself. */
const seedTool = tool(
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
    schema: z.object({ customer_id: z.string() }),
  },
);

describe('a plain tool() with getDelegationToken(), as in the seed', () => {
  it('runs in a createAgent run; the message history never holds the token', async () => {
    const { clientId } = await billingAgent();
    const restore = await useEnvironment({
      AUTHSEC_BASE_URL: demo.authsec.url,
      AUTHSEC_AGENT_CLIENT_ID: clientId,
      DOWNSTREAM_URL: demo.api.url,
    });
    try {
      const model = fakeModel()
        .respondWithTools([{ name: 'get_customer_billing', args: { customer_id: '42' }, id: 'c1' }])
        .respond(new AIMessage('Customer 42 has a balance.'));
      const agent = createAgent({ model, tools: [seedTool], middleware: [authsecMiddleware()] });
      const result = await agent.invoke(ask('Billing for 42?'));
      const message = result.messages.find(ToolMessage.isInstance);
      expect(JSON.parse(String(message?.content))).toMatchObject({ customer_id: '42' });
      expect(demo.api.requests.at(-1)).toMatchObject({ clientId, status: 200 });
      expectNoToken(tokens, result.messages, model.calls);
    } finally {
      await restore();
    }
  });

  it('with the middleware, its fatal AuthSec error (no delegation) stops the run', async () => {
    const { clientId } = await billingAgent();
    demo.authsec.revoke(clientId);
    const restore = await useEnvironment({
      AUTHSEC_BASE_URL: demo.authsec.url,
      AUTHSEC_AGENT_CLIENT_ID: clientId,
      DOWNSTREAM_URL: demo.api.url,
    });
    try {
      const model = fakeModel()
        .respondWithTools([{ name: 'get_customer_billing', args: { customer_id: '42' }, id: 'c1' }])
        .respond(new AIMessage('never reached'));
      const agent = createAgent({ model, tools: [seedTool], middleware: [authsecMiddleware()] });
      const error = await agent.invoke(ask('Billing for 42?')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthSecDelegationNotFoundError);
      expect(model.callCount).toBe(1);
    } finally {
      await restore();
    }
  });

  it('with the middleware, a token quoted in its error text reaches the model as a marker', async () => {
    const { client } = await billingAgent();
    const leaky = tool(
      async () => {
        const jwt = await client.getDelegationToken();
        throw new Error(`upstream refused Authorization: Bearer ${jwt}`);
      },
      { name: 'leaky', description: 'Fails loudly.', schema: z.object({}) },
    );
    const model = fakeModel()
      .respondWithTools([{ name: 'leaky', args: {}, id: 'c1' }])
      .respond(new AIMessage('ok'));
    const agent = createAgent({ model, tools: [leaky], middleware: [authsecMiddleware()] });
    const result = await agent.invoke(ask('go'));
    const message = result.messages.find(ToolMessage.isInstance);
    expectNoToken(tokens, result.messages, model.calls);
    expect(/upstream refused Authorization: Bearer \[jwt eyJ/.test(String(message?.content))).toBe(
      true,
    );
    await client.close();
  });
});

interface FatalCase {
  tools: ReturnType<typeof toolsFor>;
  errorClass: abstract new (...args: never[]) => Error;
  code: string;
  done: () => Promise<void>;
}

const fatalCases: Record<string, () => Promise<FatalCase>> = {
  'a configuration error': async () => {
    const restore = await useEnvironment({ AUTHSEC_BASE_URL: demo.authsec.url });
    const tools = [
      createAuthSecTool(async () => 'unreachable', {
        name: 'get_customer_billing',
        description: 'Billing.',
        schema: z.object({ customer_id: z.string() }),
      }),
    ];
    return { tools, errorClass: AuthSecConfigError, code: 'ERR_AUTHSEC_CONFIG', done: restore };
  },
  'a revoked delegation': async () => {
    const { client, clientId } = await billingAgent();
    demo.authsec.revoke(clientId);
    return {
      tools: toolsFor(client),
      errorClass: AuthSecDelegationNotFoundError,
      code: 'ERR_AUTHSEC_DELEGATION_NOT_FOUND',
      done: () => client.close(),
    };
  },
  'a revoked session': async () => {
    const authsec = await AuthSecTestServer.start({ requireSession: true });
    const { agent, session, delegation } = await authsec.createDelegatedAgent({
      permissions: ['billing:read', 'read:records'],
    });
    tokens.push(delegation.token, session.token);
    authsec.revokeSession(session.token);
    const client = new AuthSecClient({
      baseUrl: authsec.url,
      clientId: agent.clientId,
      sessionToken: session.token,
      downstreamUrl: demo.api.url,
      logLevel: 'silent',
    });
    return {
      tools: toolsFor(client),
      errorClass: AuthSecUnauthenticatedError,
      code: 'ERR_AUTHSEC_UNAUTHENTICATED',
      done: async () => {
        await client.close();
        await authsec.close();
      },
    };
  },
  'a token the API rejects': async () => {
    const api = await DownstreamServer.start({
      routes: { 'GET /billing/customers/:id': { status: 401, body: { error: 'invalid_token' } } },
    });
    const { client: base, clientId } = await billingAgent();
    await base.close();
    const client = clientFor(demo, clientId, { downstreamUrl: api.url });
    return {
      tools: toolsFor(client),
      errorClass: AuthSecTokenRejectedError,
      code: 'ERR_AUTHSEC_TOKEN_REJECTED',
      done: async () => {
        await client.close();
        await api.close();
      },
    };
  },
};

describe('the error policy for fatal failures, with and without the middleware', () => {
  const script = () =>
    fakeModel()
      .respondWithTools([{ name: 'get_customer_billing', args: { customer_id: '42' }, id: 'c1' }])
      .respond(new AIMessage('The tool failed.'));

  it.each(Object.keys(fatalCases))('with the middleware, %s stops the run', async (name) => {
    const setup = await fatalCases[name]?.();
    if (!setup) throw new Error(`no case ${name}`);
    try {
      const model = script();
      const agent = createAgent({ model, tools: setup.tools, middleware: [authsecMiddleware()] });
      const error = await agent.invoke(ask('Billing for 42?')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(setup.errorClass);
      expect(error).toMatchObject({ code: setup.code });
      expect(isFatalAuthSecError(error)).toBe(true);
      expect(model.callCount).toBe(1);
      expectNoToken(tokens, error, String(error));
    } finally {
      await setup.done();
    }
  });

  it.each(Object.keys(fatalCases))(
    'without the middleware, %s reaches the model as a message that is safe to show',
    async (name) => {
      const setup = await fatalCases[name]?.();
      if (!setup) throw new Error(`no case ${name}`);
      try {
        const model = script();
        const agent = createAgent({ model, tools: setup.tools });
        const result = await agent.invoke(ask('Billing for 42?'));
        const message = result.messages.find(ToolMessage.isInstance);
        expect(message?.status).toBe('error');
        expect(String(message?.content)).toContain(`[${setup.code}]`);
        expect(model.callCount).toBe(2);
        expectNoToken(tokens, result.messages, model.calls);
      } finally {
        await setup.done();
      }
    },
  );
});

describe('bindTools without an agent', () => {
  it('a bound model’s tool calls run on the tools and the answers go back to the model', async () => {
    const { client } = await billingAgent();
    const tools = toolsFor(client);
    const model = fakeModel()
      .respondWithTools([
        { name: 'get_customer_billing', args: { customer_id: '42' }, id: 'b1' },
        { name: 'list_vault_records', args: {}, id: 'b2' },
      ])
      .respond(new AIMessage('Done.'));
    const bound = model.bindTools(tools);
    type Invokable = { invoke(call: unknown): Promise<BaseMessage> };
    const byName = new Map(tools.map((t) => [t.name, t as unknown as Invokable]));
    const messages: BaseMessage[] = [new HumanMessage('Billing for 42 and the vault?')];
    const ai = await bound.invoke(messages);
    messages.push(ai);
    for (const call of ai.tool_calls ?? []) {
      const t = byName.get(call.name);
      if (!t) throw new Error(`unknown tool ${call.name}`);
      messages.push(await t.invoke({ ...call, type: 'tool_call' }));
    }
    const answer = await bound.invoke(messages);
    const results = messages.filter(ToolMessage.isInstance);
    expect(results.map((m) => m.tool_call_id)).toEqual(['b1', 'b2']);
    expect(JSON.parse(String(results[0]?.content))).toMatchObject({ customer_id: '42' });
    expect(JSON.parse(String(results[1]?.content)).error).toMatchObject({
      code: 'ERR_AUTHSEC_FORBIDDEN',
      requiredScope: 'read:records',
    });
    expect(answer.content).toBe('Done.');
    expectNoToken(tokens, messages, model.calls);
    await client.close();
  });
});

describe('cancelling an agent run', () => {
  it('aborting createAgent’s signal cancels the tool’s request and rejects the run', async () => {
    const slow = await DownstreamServer.start({
      routes: { 'GET /billing/customers/:id': { body: { ok: true }, delayMs: 10_000 } },
    });
    const { clientId } = await billingAgent();
    const client = clientFor(demo, clientId, { downstreamUrl: slow.url });
    let seen: unknown;
    const billing = createAuthSecTool(
      async ({ customer_id }, { requestJson }) =>
        requestJson(expandPath('/billing/customers/{id}', { id: customer_id })).catch(
          (error: unknown) => {
            seen = error;
            throw error;
          },
        ),
      {
        name: 'get_customer_billing',
        description: 'Billing.',
        schema: z.object({ customer_id: z.string() }),
        scope: 'billing:read',
        client,
      },
    );
    try {
      const model = fakeModel()
        .respondWithTools([{ name: 'get_customer_billing', args: { customer_id: '42' }, id: 'c1' }])
        .respond(new AIMessage('never reached'));
      const agent = createAgent({ model, tools: [billing], middleware: [authsecMiddleware()] });
      const controller = new AbortController();
      const run = agent.invoke(ask('Billing for 42?'), { signal: controller.signal });
      await vi.waitFor(() => expect(slow.requests.length).toBe(1), { timeout: 10_000 });
      controller.abort();
      await expect(run).rejects.toThrow();
      await vi.waitFor(() => expect(seen).toBeInstanceOf(AuthSecAbortedError), { timeout: 2_000 });
      expect(model.callCount).toBe(1);
    } finally {
      await client.close();
      await slow.close();
    }
  });
});
