// Every tool result, message history and Document the adapters produce, on success and on error paths: no secret in any.

import * as autogen from '@authsec/autogen';
import * as langchain from '@authsec/langchain';
import { authsecMiddleware } from '@authsec/langchain/middleware';
import * as llamaindex from '@authsec/llamaindex';
import {
  type DelegatedAgent,
  DownstreamServer,
  OpenAITestServer,
  type ScriptedReply,
} from '@authsec/testing';
import { AIMessage, type BaseMessage, HumanMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { MetadataMode } from '@llamaindex/core/schema';
import { createAgent } from 'langchain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type LeakEnvironment, startLeakEnvironment } from '../support/environment.js';
import { expectNoLeak } from '../support/secrets.js';
import { showEveryWay } from '../support/show.js';

let env: LeakEnvironment;
/** An API that echoes what it received (bearer, headers) in its answers, and refuses with 401 and 403. */
let hostile: DownstreamServer;
const closers: Array<() => Promise<unknown> | unknown> = [];

/** What a hostile API sends back: everything the request carried, in a success and in refusals. */
function echo(request: {
  authorization: string | undefined;
  bearer: string | undefined;
  headers: Record<string, string>;
}) {
  return {
    authorization: request.authorization,
    seen: request.bearer,
    note: `you sent ${request.authorization}`,
    'x-api-key': request.headers['x-api-key'],
  };
}

beforeAll(async () => {
  env = await startLeakEnvironment();
  closers.push(() => env.close());
  hostile = await DownstreamServer.start({
    routes: {
      'GET /echo': (request) => ({
        status: 200,
        body: { records: [{ id: 'r1', content: 'echo', ...echo(request) }] },
      }),
      'GET /unauthorized': (request) => ({
        status: 401,
        headers: {
          'www-authenticate': `Bearer error="invalid_token", error_description="bad ${request.bearer}"`,
        },
        body: { error: 'invalid_token', ...echo(request) },
      }),
      'GET /forbidden': (request) => ({
        status: 403,
        headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="read:records"' },
        body: { error: 'insufficient_scope', ...echo(request) },
      }),
    },
  });
  closers.push(() => hostile.close());
}, 120_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

/** A client of one agent, with a session credential and a gateway key, against `downstreamUrl`. */
function clientOf(
  which: 'reader' | 'billing' | DelegatedAgent,
  downstreamUrl: string,
): langchain.AuthSecClient {
  const agent = typeof which === 'string' ? env.demo.agents[which] : which;
  const client = new langchain.AuthSecClient({
    baseUrl: env.demo.authsec.url,
    clientId: agent.agent.clientId,
    sessionToken: agent.session.token,
    downstreamUrl,
    headers: { 'x-api-key': env.apiKey },
    logLevel: 'silent',
    env: {},
  });
  closers.push(() => client.close());
  return client;
}

/** A new agent with read:records, for a test that revokes it. */
async function freshAgent(): Promise<DelegatedAgent> {
  const agent = await env.demo.authsec.createDelegatedAgent({ permissions: ['read:records'] });
  env.secrets.add('fresh agent delegation token', agent.delegation.token);
  env.secrets.add('fresh agent session credential', agent.session.token);
  return agent;
}

function expectNoLeakAnyWay(where: string, value: unknown): void {
  for (const [how, text] of showEveryWay(value))
    expectNoLeak(`${where}: ${how}`, text, env.secrets);
}

async function caught(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure, it succeeded');
}

/** A LangChain tool that GETs `path` with `client`. */
const tool = (name: string, path: string, c: langchain.AuthSecClient, scope?: string) =>
  langchain.createAuthSecRequestTool({
    name,
    description: `GET ${path}`,
    schema: z.object({}),
    path,
    client: c,
    ...(scope !== undefined && { scope }),
  });

describe('LangChain: createAgent with fakeModel() and AuthSec tools', () => {
  it('tool results and the whole message history hold no secret: success, scope denied, 403 and an echoing API', async () => {
    const client = clientOf('reader', env.demo.api.url);
    const hostileClient = clientOf('reader', hostile.url);
    const echoTool = langchain.createAuthSecTool(
      async (_args, { requestJson }) => requestJson('/echo'),
      {
        name: 'echo_custom',
        description: 'A custom tool returning what the API echoed.',
        schema: z.object({}),
        client: hostileClient,
      },
    );
    const tools = [
      tool('records', '/secure-vault/records', client, 'read:records'),
      tool('billing_scoped', '/billing/customers/42', client, 'billing:read'),
      tool('billing_unscoped', '/billing/customers/42', client),
      tool('echo', '/echo', hostileClient),
      tool('forbidden', '/forbidden', hostileClient),
      echoTool,
    ];
    const model = fakeModel()
      .respondWithTools(tools.map((t, i) => ({ name: t.name, args: {}, id: `call_${i}` })))
      .respond(new AIMessage('Done.'));
    const agent = createAgent({ model, tools, middleware: [authsecMiddleware()] });
    const { messages } = (await agent.invoke({
      messages: [new HumanMessage('Call every tool once.')],
    })) as { messages: BaseMessage[] };
    const results = messages.filter((m) => m.getType() === 'tool');
    expect(results).toHaveLength(tools.length);
    // The echo reached the tool: the hostile API did send the secrets back.
    expect(hostile.requests.some((r) => r.path === '/echo' && r.bearer !== undefined)).toBe(true);
    // The echoed token reached the tools and came out as core's marker.
    const echoed = results.filter((m) => m.name === 'echo' || m.name === 'echo_custom');
    expect(echoed).toHaveLength(2);
    for (const message of echoed) expect(String(message.content)).toContain('[jwt eyJ');
    for (const message of results)
      expectNoLeak(`tool result ${message.name}`, String(message.content), env.secrets);
    expectNoLeak('the message history as JSON', JSON.stringify(messages), env.secrets);
    expectNoLeakAnyWay('the message history', messages);
  });

  it('a token revoked mid-run stops the run with an error that holds no secret', async () => {
    const writer = await freshAgent();
    const client = clientOf(writer, env.demo.api.url);
    const records = tool('records', '/secure-vault/records', client, 'read:records');
    env.secrets.add('writer pulled token', await client.getDelegationToken());
    const model = fakeModel()
      .respond(() => {
        env.demo.authsec.revoke(writer.agent.clientId);
        return new AIMessage({
          content: '',
          tool_calls: [{ name: 'records', args: {}, id: 'call_r' }],
        });
      })
      .respond(new AIMessage('never'));
    const agent = createAgent({ model, tools: [records], middleware: [authsecMiddleware()] });
    const error = await caught(() =>
      agent.invoke({ messages: [new HumanMessage('Read the vault.')] }),
    );
    expect(langchain.isFatalAuthSecError(error)).toBe(true);
    expectNoLeakAnyWay('the revoked-token error', error);
  });
});

describe('LangChain: a 401 from an API that echoes the token', () => {
  it('stops the run with an error that holds neither the echoed body nor the challenge', async () => {
    const unauthorized = langchain.createAuthSecRequestTool({
      name: 'unauthorized',
      description: 'GET /unauthorized',
      schema: z.object({}),
      path: '/unauthorized',
      client: clientOf('reader', hostile.url),
    });
    const model = fakeModel()
      .respondWithTools([{ name: 'unauthorized', args: {}, id: 'call_u' }])
      .respond(new AIMessage('never'));
    const agent = createAgent({ model, tools: [unauthorized], middleware: [authsecMiddleware()] });
    const error = await caught(() => agent.invoke({ messages: [new HumanMessage('Call it.')] }));
    expect(langchain.isFatalAuthSecError(error)).toBe(true);
    expectNoLeakAnyWay('the 401 error', error);
  });
});

describe('AutoGen-style agents against the local OpenAI-compatible server', () => {
  it('chat history, tool messages and what the model was sent hold no secret', async () => {
    const client = clientOf('billing', env.demo.api.url);
    const hostileClient = clientOf('billing', hostile.url);
    const get = (name: string, path: string, scope?: string) =>
      autogen.defineFunction(
        {
          name,
          description: `GET ${path}`,
          parameters: z.object({}),
          ...(scope !== undefined && { scope }),
        },
        (_args, { requestJson }) => requestJson(path),
      );
    const functions = [
      get('customer', '/customers/42', 'read:customers'),
      get('records_scoped', '/secure-vault/records', 'read:records'),
      get('records_unscoped', '/secure-vault/records'),
    ];
    const hostileFunctions = [get('echo', '/echo'), get('forbidden', '/forbidden')];
    const names = [...functions, ...hostileFunctions].map((f) => f.name);
    const script = (request: { messages: readonly Record<string, unknown>[] }): ScriptedReply =>
      request.messages.some((m) => m.role === 'tool')
        ? { content: 'All answered. TERMINATE' }
        : { toolCalls: names.map((name) => ({ name, arguments: {} })) };
    const llm = await OpenAITestServer.start({ replies: script });
    closers.push(() => llm.close());
    const own = autogen.createFunctionMap(functions, { client });
    const theirs = autogen.createFunctionMap(hostileFunctions, { client: hostileClient });
    const assistant = new autogen.AssistantAgent('assistant', {
      llmConfig: {
        config_list: [{ model: 'scripted', api_key: env.openAiKey, base_url: llm.baseURL }],
        tools: [...own.tools, ...theirs.tools],
      },
    });
    const userProxy = new autogen.UserProxyAgent('user_proxy', {
      humanInputMode: 'NEVER',
      functionMap: { ...own.functionMap, ...theirs.functionMap },
    });
    const result = await userProxy.initiateChat(assistant, {
      message: 'Call every function once.',
    });
    const toolMessages = result.chatHistory.filter((m) => m.role === 'tool');
    expect(toolMessages).toHaveLength(names.length);
    expect(hostile.requests.some((r) => r.path === '/echo')).toBe(true);
    const echoed = toolMessages.find((m) => m.content.includes('"seen"'));
    expect(echoed?.content).toContain('[jwt eyJ');
    for (const message of toolMessages)
      expectNoLeak('a tool message', message.content, env.secrets);
    expectNoLeakAnyWay('the chat result', result);
    expectNoLeakAnyWay('the user proxy and the assistant', [userProxy, assistant]);
    // What reached the model, as the model received it.
    expect(llm.requests.length).toBeGreaterThanOrEqual(2);
    expectNoLeak('the requests the model received', JSON.stringify(llm.requests), env.secrets);
  });

  it('a 401 from an API that echoes the token stops the run with an error that holds no secret', async () => {
    const { functionMap } = autogen.createFunctionMap(
      [
        autogen.defineFunction(
          { name: 'unauthorized', description: 'GET /unauthorized', parameters: z.object({}) },
          (_args, { requestJson }) => requestJson('/unauthorized'),
        ),
      ],
      { client: clientOf('reader', hostile.url) },
    );
    const error = await caught(() =>
      autogen.executeToolCalls(
        [{ id: 'call_1', type: 'function', function: { name: 'unauthorized', arguments: '{}' } }],
        functionMap,
      ),
    );
    expect(error).toBeInstanceOf(autogen.AuthSecToolCallsError);
    expectNoLeakAnyWay('the 401 error', error);
  });

  it('a revoked token stops the run with an error that holds no secret, nor do the answered calls in it', async () => {
    const writer = await freshAgent();
    const client = clientOf(writer, env.demo.api.url);
    // A token pulled and used, then revoked: the API refuses it, AuthSec has none for the agent.
    env.secrets.add('fresh agent pulled token', await client.getDelegationToken());
    const { functionMap } = autogen.createFunctionMap(
      [
        autogen.defineFunction(
          {
            name: 'records',
            description: 'The vault records.',
            parameters: z.object({}),
            scope: 'read:records',
          },
          (_args, { requestJson }) => requestJson('/secure-vault/records'),
        ),
      ],
      { client },
    );
    env.demo.authsec.revoke(writer.agent.clientId);
    const error = await caught(() =>
      autogen.executeToolCalls(
        [{ id: 'call_1', type: 'function', function: { name: 'records', arguments: '{}' } }],
        functionMap,
      ),
    );
    expect(autogen.isAuthSecError(error)).toBe(true);
    expectNoLeakAnyWay('the stopped run', error);
  });
});

describe('LlamaIndex: the reader and its Documents', () => {
  it('Documents (text, metadata, toJSON, content with metadata) hold no secret, even from an API that echoes them', async () => {
    const reader = new llamaindex.AuthSecReader({ client: clientOf('reader', env.demo.api.url) });
    const echoing = new llamaindex.AuthSecReader({ client: clientOf('reader', hostile.url) });
    const documents = [
      ...(await reader.loadData({ endpoint: 'secure-vault/records', scope: 'read:records' })),
      ...(await echoing.loadData({ endpoint: 'echo' })),
    ];
    expect(documents.length).toBeGreaterThan(1);
    const echoed = documents.find((d) => d.id_.startsWith('echo#'));
    expect(echoed?.text).toContain('Bearer [jwt eyJ');
    for (const document of documents) {
      const where = `Document ${document.id_}`;
      expectNoLeak(`${where} text`, document.text, env.secrets);
      expectNoLeak(`${where} metadata`, JSON.stringify(document.metadata), env.secrets);
      expectNoLeak(`${where} toJSON`, JSON.stringify(document.toJSON()), env.secrets);
      expectNoLeak(
        `${where} with all metadata`,
        document.getContent(MetadataMode.ALL),
        env.secrets,
      );
      expectNoLeakAnyWay(where, document);
    }
  });

  it('errors of a 403, a 401 from an echoing API, a scope not delegated and a revoked token hold no secret', async () => {
    const billing = new llamaindex.AuthSecReader({ client: clientOf('billing', env.demo.api.url) });
    const echoing = new llamaindex.AuthSecReader({ client: clientOf('billing', hostile.url) });
    const errors = [
      await caught(() => billing.loadData({ endpoint: 'secure-vault/records' })),
      await caught(() =>
        billing.loadData({ endpoint: 'secure-vault/records', scope: 'read:records' }),
      ),
      await caught(() => echoing.loadData({ endpoint: 'unauthorized' })),
      await caught(() => echoing.loadData({ endpoint: 'forbidden' })),
    ];
    const writer = await freshAgent();
    const writerReader = new llamaindex.AuthSecReader({
      client: clientOf(writer, env.demo.api.url),
    });
    await writerReader.loadData({ endpoint: 'secure-vault/records' });
    env.demo.authsec.revoke(writer.agent.clientId);
    errors.push(await caught(() => writerReader.loadData({ endpoint: 'secure-vault/records' })));
    for (const [i, error] of errors.entries()) {
      expect(llamaindex.isAuthSecError(error), `error ${i}`).toBe(true);
      expectNoLeakAnyWay(`loadData error ${i} (${(error as Error).name})`, error);
    }
  });
});
