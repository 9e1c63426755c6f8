import { type DemoEnvironment, startDemoEnvironment } from '@authsec/demo-api';
import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { convertToOpenAITool } from '@langchain/core/utils/function_calling';
import { ToolNode } from '@langchain/langgraph/prebuilt';
import { createAgent } from 'langchain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type AuthSecClient,
  AuthSecDelegationNotFoundError,
  createAuthSecRequestTool,
  createAuthSecTool,
  expandPath,
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
