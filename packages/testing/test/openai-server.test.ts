import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAITestServer } from '../src/index.js';

const headers = { authorization: 'Bearer sk-test', 'content-type': 'application/json' };

function complete(server: OpenAITestServer, body: unknown, init: RequestInit = {}) {
  return fetch(`${server.baseURL}/chat/completions`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    ...init,
  });
}

const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
const hi = [{ role: 'user', content: 'hi' }];

describe('OpenAITestServer', () => {
  let server: OpenAITestServer;
  beforeAll(async () => {
    server = await OpenAITestServer.start();
  });
  afterAll(() => server.close());

  it('answers queued replies in order with tool_calls whose arguments are JSON strings', async () => {
    server.setReplies([
      {
        toolCalls: [
          { name: 'lookup', arguments: { id: '42' } },
          { id: 'c9', name: 'x', arguments: '{bad' },
        ],
      },
      { content: 'Done.' },
    ]);
    const first = await (
      await complete(server, { model: 'm', messages: [{ role: 'user', content: 'hi' }], tools })
    ).json();
    expect(first.object).toBe('chat.completion');
    expect(first.choices[0].finish_reason).toBe('tool_calls');
    const calls = first.choices[0].message.tool_calls;
    expect(calls[0]).toMatchObject({
      type: 'function',
      function: { name: 'lookup', arguments: '{"id":"42"}' },
    });
    expect(calls[0].id).toMatch(/^call_\d+$/);
    expect(calls[1]).toMatchObject({ id: 'c9', function: { arguments: '{bad' } });
    const second = await (await complete(server, { model: 'm', messages: hi })).json();
    expect(second.choices[0]).toMatchObject({
      finish_reason: 'stop',
      message: { role: 'assistant', content: 'Done.' },
    });
    expect(second.choices[0].message.tool_calls).toBeUndefined();
    expect(server.pendingReplies).toBe(0);
  });

  it('records each request with its messages and tools', async () => {
    server.clearRequests();
    server.setReplies([{ content: 'ok' }]);
    await complete(server, {
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hello' }],
      tools,
    });
    const [request] = server.requests;
    expect(request).toMatchObject({ model: 'gpt-test', stream: false, authorized: true, tools });
    expect(request?.messages).toEqual([{ role: 'user', content: 'hello' }]);
  });

  it('computes replies with a function of the request', async () => {
    server.setReplies((request) => ({ content: `seen ${request.messages.length}` }));
    const body = await (await complete(server, { model: 'm', messages: [...hi, ...hi] })).json();
    expect(body.choices[0].message.content).toBe('seen 2');
  });

  it('rejects a request without Authorization with 401 and records nothing', async () => {
    server.clearRequests();
    const res = await fetch(`${server.baseURL}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: hi }),
    });
    expect(res.status).toBe(401);
    expect((await res.json()).error.message).toMatch(/API key/);
    expect(server.requests).toHaveLength(0);
  });

  it('answers 500 when the script has run out, and scripted statuses as OpenAI errors', async () => {
    server.setReplies([{ status: 429, errorMessage: 'slow down' }]);
    const limited = await complete(server, { model: 'm', messages: hi });
    expect(limited.status).toBe(429);
    expect((await limited.json()).error.message).toBe('slow down');
    const empty = await complete(server, { model: 'm', messages: hi });
    expect(empty.status).toBe(500);
    expect((await empty.json()).error.message).toMatch(/no scripted reply left/);
  });

  it('answers 400 for a body without model or messages and 404 for other paths', async () => {
    expect((await complete(server, { messages: hi })).status).toBe(400);
    expect((await complete(server, 'not an object')).status).toBe(400);
    const other = await fetch(`${server.baseURL}/embeddings`, {
      method: 'POST',
      headers,
      body: '{}',
    });
    expect(other.status).toBe(404);
  });

  it('streams a reply as server-sent events ending with [DONE]', async () => {
    server.setReplies([{ toolCalls: [{ id: 'c1', name: 'lookup', arguments: { id: 7 } }] }]);
    const res = await complete(server, { model: 'm', messages: hi, stream: true });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = (await res.text())
      .trim()
      .split('\n\n')
      .map((line) => line.replace(/^data: /, ''));
    expect(events.at(-1)).toBe('[DONE]');
    const first = JSON.parse(events[0] ?? '');
    expect(first.object).toBe('chat.completion.chunk');
    expect(first.choices[0].delta.tool_calls[0]).toMatchObject({
      index: 0,
      id: 'c1',
      function: { arguments: '{"id":7}' },
    });
    expect(JSON.parse(events[1] ?? '').choices[0].finish_reason).toBe('tool_calls');
  });

  it('answers what OpenAI refuses with its 400, without using a reply', async () => {
    server.setReplies([{ content: 'never sent' }]);
    const call = { id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{}' } };
    const asked = { role: 'assistant', content: null, tool_calls: [call] };
    const answer = { role: 'tool', tool_call_id: 'c1', content: '{}' };
    const refused = async (body: Record<string, unknown>) => {
      const res = await complete(server, { model: 'm', ...body });
      expect(res.status).toBe(400);
      const { error } = await res.json();
      expect(error.type).toBe('invalid_request_error');
      return `${error.param} ${error.message}`;
    };
    expect(await refused({ messages: [] })).toMatch(/^messages .*empty array/);
    expect(await refused({ messages: [...hi, asked, ...hi] })).toBe(
      "messages.[1].role An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: c1",
    );
    expect(await refused({ messages: [...hi, asked] })).toMatch(/did not have response .*: c1$/);
    expect(await refused({ messages: [...hi, answer] })).toMatch(
      /^messages\[1\]\.role .*role 'tool' must be a response to a preceding message with 'tool_calls'/,
    );
    expect(await refused({ messages: [...hi, asked, answer, answer] })).toMatch(/role 'tool'/);
    expect(
      await refused({ messages: [{ role: 'user', content: 'x', name: 'user proxy' }] }),
    ).toMatch(/^messages\[0\]\.name "user proxy" does not match/);
    expect(await refused({ messages: [{ role: 'robot', content: 'x' }] })).toMatch(/role/);
    const tool = (fn: Record<string, unknown>) => ({
      messages: hi,
      tools: [{ type: 'function', function: fn }],
    });
    expect(await refused(tool({ name: 'has space' }))).toMatch(/^tools\[0\]\.function\.name /);
    expect(await refused(tool({ name: 'x', parameters: { type: 'string' } }))).toBe(
      `tools[0].function.parameters Invalid schema for function 'x': schema must be a JSON Schema of 'type: "object"', got 'type: "string"'.`,
    );
    const open = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
    expect(await refused(tool({ name: 'x', strict: true, parameters: open }))).toMatch(
      /In context=\(\), 'additionalProperties' is required to be supplied and to be false/,
    );
    const optional = { ...open, required: [], additionalProperties: false };
    expect(await refused(tool({ name: 'x', strict: true, parameters: optional }))).toMatch(
      /including every key in properties. Missing 'a'/,
    );
    const nested = {
      type: 'object',
      properties: { list: { type: 'array', items: { type: 'object', properties: {} } } },
      required: ['list'],
      additionalProperties: false,
    };
    expect(await refused(tool({ name: 'x', strict: true, parameters: nested }))).toMatch(
      /In context=\('properties', 'list', 'items'\), 'additionalProperties'/,
    );
    expect(server.pendingReplies).toBe(1);

    const ok = await complete(server, {
      model: 'm',
      messages: [...hi, asked, answer],
      tools: [
        {
          type: 'function',
          function: {
            name: 'x',
            strict: true,
            parameters: { ...open, additionalProperties: false },
          },
        },
      ],
    });
    expect(ok.status).toBe(200);
    expect(server.pendingReplies).toBe(0);
  });

  it('accepts anything shaped like a request with validate: false', async () => {
    await using loose = await OpenAITestServer.start({
      validate: false,
      replies: [{ content: 'ok' }],
    });
    const res = await complete(loose, {
      model: 'm',
      messages: [{ role: 'tool', tool_call_id: 'nothing', content: 'x' }],
    });
    expect(res.status).toBe(200);
  });

  it('refuses to listen beyond loopback unless allowed, and inspects without contents', async () => {
    await expect(OpenAITestServer.start({ host: '0.0.0.0' })).rejects.toThrow(/loopback only/);
    expect(inspect(server)).toMatch(/url: 'http:\/\/127\.0\.0\.1:\d+'/);
    expect(JSON.stringify(server)).not.toMatch(/messages/);
  });
});
