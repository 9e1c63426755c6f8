import { type DemoEnvironment, startDemoEnvironment } from '@authsec/demo-api';
import { DownstreamServer } from '@authsec/testing';
import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import type { ToolRunnableConfig } from '@langchain/core/tools';
import { Command, isCommand } from '@langchain/langgraph';
import { createAgent } from 'langchain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type AuthSecClient,
  createAuthSecRequestTool,
  createAuthSecTool,
  expandPath,
} from '../src/index.js';
import { authsecMiddleware } from '../src/middleware.js';
import { clientFor, expectNoToken } from './helpers.js';

let demo: DemoEnvironment;
let echo: DownstreamServer;
let echoing: AuthSecClient;
let tokens: string[];

/** What the echo API answers: the request's Authorization header, twice. */
interface Echoed {
  authorization: string;
  note: string;
}

beforeAll(async () => {
  demo = await startDemoEnvironment();
  tokens = Object.values(demo.agents).map((a) => a.delegation.token);
  echo = await DownstreamServer.start({
    routes: {
      'GET /echo': (req) => ({
        body: { authorization: req.authorization, note: `you sent ${req.authorization}` },
      }),
    },
  });
  echoing = clientFor(demo, demo.agents.billing.agent.clientId, { downstreamUrl: echo.url });
});
afterAll(async () => {
  await echoing.close();
  await echo.close();
  await demo.close();
});

const ask = (content: string) => ({ messages: [new HumanMessage(content)] });
const call = (name: string, id: string, args: Record<string, unknown> = {}) =>
  ({ type: 'tool_call', id, name, args }) as const;

class Echo {
  constructor(readonly seen: Echoed) {}
}

/** A tool over the echo API whose function shapes the echoed answer with `shape`. */
function echoTool(
  name: string,
  shape: (seen: Echoed, config: ToolRunnableConfig) => unknown,
  responseFormat?: 'content_and_artifact',
) {
  return createAuthSecTool(
    async (_input, { requestJson, config }) => shape(await requestJson<Echoed>('/echo'), config),
    {
      name,
      schema: z.object({}),
      client: echoing,
      ...(responseFormat === undefined ? {} : { responseFormat }),
    },
  );
}

describe('what an AuthSec tool returns is redacted, whatever its shape', () => {
  it('a token the API echoes inside a class instance, Map, array or nested object never reaches the ToolMessage', async () => {
    const shapes: Record<string, (seen: Echoed) => unknown> = {
      instance: (seen) => new Echo(seen),
      map: (seen) => new Map<string, unknown>([['seen', seen]]),
      nested: (seen) => ({ list: [{ deep: new Echo(seen), when: new Date(0) }], text: seen.note }),
      array: (seen) => [seen.note, new Echo(seen)],
    };
    for (const [name, shape] of Object.entries(shapes)) {
      const t = echoTool(name, shape);
      const message = await t.invoke(call(name, `c_${name}`));
      expect(message).toBeInstanceOf(ToolMessage);
      expectNoToken(tokens, message, message.content);
      const direct = await t.invoke({});
      expectNoToken(tokens, direct);
    }
    // The model still reads what it was given, with the token as a marker.
    const message = await echoTool('instance', shapes.instance as never).invoke(call('x', 'c1'));
    expect(JSON.parse(String(message.content))).toMatchObject({
      seen: { authorization: expect.stringMatching(/^Bearer \[jwt eyJ/) },
    });
    // A Map stays a Map for a direct call.
    expect(await echoTool('map', shapes.map as never).invoke({})).toBeInstanceOf(Map);
    expect(echo.requests.every((r) => tokens.includes(r.bearer ?? ''))).toBe(true);
  });

  it('a returned ToolMessage or Command keeps its type, with the token replaced in its content', async () => {
    const asMessage = echoTool(
      'as_message',
      (seen, config) =>
        new ToolMessage({
          content: seen.note,
          tool_call_id: String(config.toolCall?.id),
          artifact: new Echo(seen),
        }),
    );
    const message = await asMessage.invoke(call('as_message', 'm1'));
    expect(message).toBeInstanceOf(ToolMessage);
    expect(message.tool_call_id).toBe('m1');
    expect(/^you sent Bearer \[jwt eyJ/.test(String(message.content))).toBe(true);
    expectNoToken(tokens, message);

    const asCommand = echoTool(
      'as_command',
      (seen, config) =>
        new Command({
          update: {
            messages: [
              new ToolMessage({ content: seen.note, tool_call_id: String(config.toolCall?.id) }),
            ],
            lastEcho: seen,
          },
        }),
    );
    const command = await asCommand.invoke(call('as_command', 'k1'));
    expect(isCommand(command)).toBe(true);
    const update = (command as Command).update as { messages: ToolMessage[]; lastEcho: Echoed };
    expect(update.messages[0]).toBeInstanceOf(ToolMessage);
    expect(update.messages[0]?.tool_call_id).toBe('k1');
    expect(/^Bearer \[jwt eyJ/.test(update.lastEcho.authorization)).toBe(true);
    expectNoToken(tokens, command);
  });

  it('with content_and_artifact, both the content and the artifact are redacted, still a pair', async () => {
    const t = echoTool('pair', (seen) => [seen.note, new Echo(seen)], 'content_and_artifact');
    const message = await t.invoke(call('pair', 'p1'));
    expect(message).toBeInstanceOf(ToolMessage);
    expect(/^you sent Bearer \[jwt eyJ/.test(String(message.content))).toBe(true);
    expect(message.artifact).toMatchObject({ seen: { authorization: expect.any(String) } });
    expectNoToken(tokens, message, message.artifact);
  });

  it('an error fn throws that quotes the echoed token reaches the model as a marker, without the middleware', async () => {
    const leaky = echoTool('leaky', (seen) => {
      throw new Error(`upstream refused: ${seen.note}`);
    });
    const model = fakeModel()
      .respondWithTools([{ name: 'leaky', args: {}, id: 'c1' }])
      .respond(new AIMessage('The tool failed.'));
    const agent = createAgent({ model, tools: [leaky] });
    const result = await agent.invoke(ask('go'));
    const message = result.messages.find(ToolMessage.isInstance);
    expect(message?.status).toBe('error');
    expect(/upstream refused: you sent Bearer \[jwt eyJ/.test(String(message?.content))).toBe(true);
    expectNoToken(tokens, result.messages, model.calls);
    // A direct call rejects with the same error, its message and stack redacted.
    const error = await leaky.invoke({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(/^upstream refused: you sent Bearer \[jwt eyJ/.test((error as Error).message)).toBe(
      true,
    );
    expectNoToken(tokens, error, (error as Error).stack);
  });
});

describe('failures the model can fix are ToolMessages with status error', () => {
  it('a 403, a 404 and a refused path parameter come back with status error in a createAgent run', async () => {
    const reader = clientFor(demo, demo.agents.reader.agent.clientId);
    const billing = createAuthSecTool(
      async ({ customer_id }, { requestJson }) =>
        requestJson(expandPath('/billing/customers/{id}', { id: customer_id })),
      { name: 'get_billing', schema: z.object({ customer_id: z.string() }), client: reader },
    );
    const customer = createAuthSecTool(
      async ({ id }, { requestJson }) => requestJson(expandPath('/customers/{id}', { id })),
      { name: 'get_customer', schema: z.object({ id: z.string() }), client: reader },
    );
    const byPath = createAuthSecRequestTool({
      name: 'get_customer_by_path',
      description: 'Look up a customer.',
      schema: z.object({ id: z.string() }),
      path: '/customers/{id}',
      client: reader,
    });
    try {
      for (const middleware of [[], [authsecMiddleware()]]) {
        const model = fakeModel()
          .respondWithTools([
            { name: 'get_billing', args: { customer_id: '42' }, id: 'c403' },
            { name: 'get_customer', args: { id: '999999' }, id: 'c404' },
            { name: 'get_customer_by_path', args: { id: '..' }, id: 'cdot' },
            { name: 'get_customer', args: { id: '42' }, id: 'cok' },
          ])
          .respond(new AIMessage('Done.'));
        const agent = createAgent({ model, tools: [billing, customer, byPath], middleware });
        const result = await agent.invoke(ask('go'));
        const byId = new Map(
          result.messages.filter(ToolMessage.isInstance).map((m) => [m.tool_call_id, m]),
        );
        expect(byId.get('c403')?.status).toBe('error');
        expect(JSON.parse(String(byId.get('c403')?.content)).error).toMatchObject({
          code: 'ERR_AUTHSEC_FORBIDDEN',
          status: 403,
        });
        expect(byId.get('c404')?.status).toBe('error');
        expect(JSON.parse(String(byId.get('c404')?.content)).error).toMatchObject({
          code: 'ERR_AUTHSEC_HTTP',
          status: 404,
        });
        expect(byId.get('cdot')?.status).toBe('error');
        expect(JSON.parse(String(byId.get('cdot')?.content)).error).toMatchObject({
          name: 'InvalidToolInput',
        });
        expect(byId.get('cok')?.status).toBe('success');
        expectNoToken(tokens, result.messages);
      }
    } finally {
      await reader.close();
    }
  });
});
