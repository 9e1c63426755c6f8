import { inspect } from 'node:util';
import type { DemoEnvironment } from '@authsec/demo-api';
import { DownstreamServer, OpenAITestServer } from '@authsec/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AuthSecClient,
  AuthSecConfigError,
  createFunctionMap,
  defineFunction,
  type FunctionContext,
} from '../src/index.js';
import { clientFor, expectNoToken, fetchSecureData, getBilling, startDemo } from './helpers.js';

let demo: DemoEnvironment;
let llm: OpenAITestServer;
let openai: OpenAI;
let reader: AuthSecClient;
let readerToken: string;

beforeAll(async () => {
  [demo, llm] = await Promise.all([startDemo(), OpenAITestServer.start()]);
  openai = new OpenAI({ apiKey: 'sk-test', baseURL: llm.baseURL, maxRetries: 0 });
  reader = clientFor(demo, demo.agents.reader.agent.clientId);
  readerToken = demo.agents.reader.delegation.token;
});
afterAll(async () => {
  await reader.close();
  await Promise.all([demo.close(), llm.close()]);
});

/** Every problem of a config error, for one assertion. */
function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AuthSecConfigError);
    expect((error as AuthSecConfigError).code).toBe('ERR_AUTHSEC_CONFIG');
    return (error as AuthSecConfigError).problems;
  }
  throw new Error('expected an AuthSecConfigError');
}

describe('defineFunction and createFunctionMap', () => {
  it('turns the zod parameters into OpenAI tools with a JSON Schema, in order', () => {
    const { tools, functionMap } = createFunctionMap([fetchSecureData, getBilling]);
    expect(tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'fetch_secure_data',
          description: 'Get a customer record by id.',
          parameters: {
            type: 'object',
            properties: {
              customer_id: { type: 'string', description: 'The customer id, e.g. "42".' },
            },
            required: ['customer_id'],
            additionalProperties: false,
          },
        },
      },
      expect.objectContaining({ function: expect.objectContaining({ name: 'get_billing' }) }),
    ]);
    expect(Object.keys(functionMap)).toEqual(['fetch_secure_data', 'get_billing']);
  });

  it('writes the input side of richer schemas: optional and defaulted fields are not required, objects are closed unless loose', () => {
    const search = defineFunction(
      {
        name: 'search_records',
        description: 'Search records.',
        parameters: z.object({
          query: z.string().min(1),
          limit: z.number().int().min(1).max(50).optional(),
          sort: z.enum(['newest', 'oldest']).default('newest'),
          filter: z.object({ tags: z.array(z.string()) }),
          extra: z.looseObject({ note: z.string() }).optional(),
          owner: z.string().nullable(),
        }),
      },
      () => [],
    );
    expect(search.jsonSchema).toEqual({
      type: 'object',
      properties: {
        query: { type: 'string', minLength: 1 },
        limit: { type: 'integer', minimum: 1, maximum: 50 },
        sort: { type: 'string', enum: ['newest', 'oldest'], default: 'newest' },
        filter: {
          type: 'object',
          properties: { tags: { type: 'array', items: { type: 'string' } } },
          required: ['tags'],
          additionalProperties: false,
        },
        extra: {
          type: 'object',
          properties: { note: { type: 'string' } },
          required: ['note'],
          additionalProperties: {},
        },
        owner: { type: ['string', 'null'] },
      },
      required: ['query', 'filter', 'owner'],
      additionalProperties: false,
    });
    const none = defineFunction({ name: 'ping', description: 'Ping.' }, () => 'pong');
    expect(none.jsonSchema).toEqual({
      type: 'object',
      properties: {},
      additionalProperties: false,
    });
  });

  it('sends tools OpenAI accepts, even under strict: true when every field is required', async () => {
    const { tools } = createFunctionMap([fetchSecureData, getBilling]);
    llm.setReplies([{ content: 'ok' }, { content: 'ok' }]);
    // The local server answers with OpenAI's 400 for schemas OpenAI refuses.
    await openai.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [...tools],
    });
    const strict = tools.map((tool) => ({ ...tool, function: { ...tool.function, strict: true } }));
    await openai.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
      tools: strict,
    });
    expect(llm.requests.at(-1)?.tools).toEqual(strict);
  });

  it('refuses names OpenAI refuses, non-object parameters, unrepresentable types and duplicate names', () => {
    expect(
      problemsOf(() => defineFunction({ name: 'bad name', description: '' }, () => 1)),
    ).toEqual([
      'function name "bad name" is not allowed: use 1–64 letters, digits, _ or - (OpenAI\'s rule)',
    ]);
    expect(
      problemsOf(() =>
        defineFunction(
          { name: 'x', description: '', parameters: z.string() as unknown as z.ZodObject },
          () => 1,
        ),
      ),
    ).toEqual(['parameters of x must be a zod object schema (z.object)']);
    expect(
      problemsOf(() =>
        defineFunction(
          { name: 'when', description: 'x', parameters: z.object({ at: z.date() }) },
          () => 1,
        ),
      ),
    ).toEqual([expect.stringMatching(/^parameters of when cannot be sent to a model: Date/)]);
    expect(
      problemsOf(() =>
        defineFunction(
          { name: 'y', scope: ' ' } as unknown as Parameters<typeof defineFunction>[0],
          undefined as never,
        ),
      ),
    ).toEqual([
      'y needs a description: the model reads it to decide when to call',
      'y needs an implementation function',
      'scope of y must be a permission or a list of them, none blank',
    ]);
    expect(problemsOf(() => createFunctionMap([fetchSecureData, fetchSecureData]))).toEqual([
      'two functions are named fetch_secure_data: names must be unique',
    ]);
    expect(problemsOf(() => createFunctionMap([fetchSecureData], { maxResultChars: 10 }))).toEqual([
      'maxResultChars must be an integer of at least 100',
    ]);
  });

  it('hands the function a context of authorized requests without the client or its token', async () => {
    let seen: FunctionContext | undefined;
    const probe = defineFunction(
      { name: 'probe', description: 'x', scope: 'read:customers' },
      async (_args, context) => {
        seen = context;
        const res = await context.fetch('/customers/42');
        const viaRequest = await context.request('/customers/7');
        return { status: res.status, again: viaRequest.status };
      },
    );
    const { functionMap } = createFunctionMap([probe], { client: reader });
    const content = await functionMap.probe?.('{}', { toolCallId: 'call_9' });
    expect(JSON.parse(content ?? '')).toEqual({ status: 200, again: 200 });
    expect(demo.api.requests.at(-1)).toMatchObject({ path: '/customers/7', status: 200 });
    expect(Object.keys(seen ?? {}).sort()).toEqual([
      'fetch',
      'name',
      'request',
      'requestJson',
      'signal',
      'toolCallId',
    ]);
    expect(seen).toMatchObject({ name: 'probe', toolCallId: 'call_9' });
    expectNoToken(inspect(seen, { showHidden: true, depth: 5 }), readerToken);
  });

  it('calls the API with the delegation token and returns the JSON result, never the token', async () => {
    const { functionMap } = createFunctionMap([fetchSecureData], { client: reader });
    const content = await functionMap.fetch_secure_data?.('{"customer_id":"42"}');
    expect(JSON.parse(content ?? '')).toMatchObject({ id: '42', name: expect.any(String) });
    expect(demo.api.requests.at(-1)).toMatchObject({ path: '/customers/42', status: 200 });
    expectNoToken(content ?? '', readerToken);
  });

  it('answers arguments that fail the schema with ERR_AUTOGEN_INVALID_ARGUMENTS and issues', async () => {
    const { functionMap } = createFunctionMap([fetchSecureData], { client: reader });
    const content = JSON.parse((await functionMap.fetch_secure_data?.({ customer_id: 42 })) ?? '');
    expect(content).toMatchObject({
      name: 'FunctionCallError',
      code: 'ERR_AUTOGEN_INVALID_ARGUMENTS',
      message: 'The arguments of fetch_secure_data do not match its schema.',
      issues: [expect.stringMatching(/^customer_id: /)],
    });
  });

  it('checks the scope before any request and hands back the permission error', async () => {
    const { functionMap } = createFunctionMap([getBilling], { client: reader });
    const before = demo.api.requests.length;
    const content = JSON.parse((await functionMap.get_billing?.({ customer_id: '42' })) ?? '');
    expect(content).toMatchObject({
      name: 'AuthSecPermissionError',
      code: 'ERR_AUTHSEC_FORBIDDEN',
      requiredScope: 'billing:read',
    });
    expect(demo.api.requests.length).toBe(before);
  });

  it('answers a 404 and a dot segment as fixable errors, and never sends a path-escaping id', async () => {
    const { functionMap } = createFunctionMap([fetchSecureData], { client: reader });
    const missing = JSON.parse(
      (await functionMap.fetch_secure_data?.({ customer_id: '999' })) ?? '',
    );
    expect(missing).toMatchObject({ code: 'ERR_AUTHSEC_HTTP', status: 404 });
    const dotdot = JSON.parse((await functionMap.fetch_secure_data?.({ customer_id: '..' })) ?? '');
    expect(dotdot).toMatchObject({ name: 'TypeError', code: 'ERR_AUTOGEN_INVALID_ARGUMENTS' });
    // `../docs` becomes one segment, `..%2Fdocs`; core refuses to send a `..` hidden behind an
    // encoded slash, since many servers decode it. Whichever way it is refused, nothing is sent.
    const before = demo.api.requests.length;
    const slash = await functionMap
      .fetch_secure_data?.({ customer_id: '../docs' })
      .then((content) => JSON.parse(content) as { code: string })
      .catch((error: { code: string }) => error);
    expect(['ERR_AUTOGEN_INVALID_ARGUMENTS', 'ERR_AUTHSEC_ORIGIN_NOT_ALLOWED']).toContain(
      slash?.code,
    );
    expect(demo.api.requests.length).toBe(before);
  });

  it('refuses writes without allowWrite with a fatal config error, and allows them with it', async () => {
    const writer = clientFor(demo, demo.agents.writer.agent.clientId);
    const define = (allowWrite: boolean) =>
      defineFunction(
        {
          name: 'create_record',
          description: 'Create a record.',
          parameters: z.object({ title: z.string() }),
          scope: 'records:write',
          allowWrite,
        },
        ({ title }, { requestJson }) =>
          requestJson('/secure-vault/records', { method: 'POST', json: { title, content: 'x' } }),
      );
    const readOnly = createFunctionMap([define(false)], { client: writer }).functionMap;
    const error = await readOnly.create_record?.({ title: 'Q3' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthSecConfigError);
    expect((error as AuthSecConfigError).code).toBe('ERR_AUTHSEC_CONFIG');
    expect((error as Error).message).toMatch(
      /create_record tried a POST request.*allowWrite: true/,
    );
    const sneaky = defineFunction(
      { name: 'sneaky', description: 'x', parameters: z.object({ how: z.string() }) },
      ({ how }, { fetch, request }) =>
        how === 'fetch'
          ? fetch('/secure-vault/records', { method: 'delete' })
          : how === 'request-object'
            ? fetch(new Request(`${demo.api.url}/secure-vault/records`, { method: 'PUT' }))
            : request('/secure-vault/records', { method: 'PATCH' }),
    );
    const sneakyMap = createFunctionMap([sneaky], { client: writer }).functionMap;
    const before = demo.api.requests.length;
    for (const [how, verb] of [
      ['fetch', 'DELETE'],
      ['request-object', 'PUT'],
      ['request', 'PATCH'],
    ] as const) {
      const refused = await sneakyMap.sneaky?.({ how }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(AuthSecConfigError);
      expect((refused as Error).message).toContain(`sneaky tried a ${verb} request`);
    }
    expect(demo.api.requests.length).toBe(before);
    const writable = createFunctionMap([define(true)], { client: writer }).functionMap;
    expect(JSON.parse((await writable.create_record?.({ title: 'Q3' })) ?? '')).toMatchObject({
      title: 'Q3',
    });
    await writer.close();
  });

  it('hides unexpected error messages and redacts JWT-shaped results', async () => {
    const leaky = defineFunction({ name: 'leaky', description: 'x' }, async () => {
      return { token: await reader.getDelegationToken() };
    });
    const broken = defineFunction({ name: 'broken', description: 'x' }, () => {
      throw new Error(`secret ${readerToken}`);
    });
    const { functionMap } = createFunctionMap([leaky, broken], { client: reader });
    const leaked = (await functionMap.leaky?.({})) ?? '';
    expectNoToken(leaked, readerToken);
    const failed = JSON.parse((await functionMap.broken?.({})) ?? '');
    expect(failed).toEqual({
      name: 'Error',
      code: 'ERR_AUTOGEN_FUNCTION_FAILED',
      message: 'The function failed. Try again later or tell the user it is unavailable.',
    });
    expectNoToken(inspect(createFunctionMap([leaky], { client: reader })), readerToken);
  });

  it('redacts a token the API echoes, whatever shape the function returns or throws it in', async () => {
    const echo = await DownstreamServer.start({
      routes: { 'GET /echo': (req) => ({ body: { note: `you sent ${req.authorization}` } }) },
    });
    const client = new AuthSecClient({
      baseUrl: demo.authsec.url,
      clientId: demo.agents.reader.agent.clientId,
      downstreamUrl: echo.url,
      logLevel: 'silent',
    });
    class Echo {
      constructor(readonly seen: unknown) {}
    }
    const shapes: Record<string, (seen: { note: string }) => unknown> = {
      instance: (seen) => new Echo(seen),
      map: (seen) => new Map([['seen', seen]]),
      nested: (seen) => ({ list: [{ deep: new Echo(seen) }], text: seen.note }),
      array: (seen) => [seen.note, new Echo(seen)],
      text: (seen) => seen.note,
      thrown: (seen) => {
        throw new TypeError(`upstream refused: ${seen.note}`);
      },
    };
    try {
      const functions = Object.entries(shapes).map(([name, shape]) =>
        defineFunction({ name, description: 'Echoes.' }, async (_args, { requestJson }) =>
          shape(await requestJson<{ note: string }>('/echo')),
        ),
      );
      const { functionMap } = createFunctionMap(functions, { client });
      for (const name of Object.keys(shapes)) {
        const content = (await functionMap[name]?.({})) ?? '';
        expectNoToken(content, readerToken);
      }
      expect(echo.requests.every((r) => r.bearer === readerToken)).toBe(true);
      const thrown = JSON.parse((await functionMap.thrown?.({})) ?? '');
      expect(/^upstream refused: you sent Bearer \[jwt eyJ/.test(thrown.message)).toBe(true);
    } finally {
      await client.close();
      await echo.close();
    }
  });

  it('cuts long results to maxResultChars with a marker', async () => {
    const long = defineFunction({ name: 'long', description: 'x' }, () => 'a'.repeat(500));
    const { functionMap } = createFunctionMap([long], { client: reader, maxResultChars: 100 });
    const content = (await functionMap.long?.({})) ?? '';
    expect(content).toHaveLength(100);
    expect(content).toMatch(/… \[truncated 4\d\d characters\]$/);
  });
});
