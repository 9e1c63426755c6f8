import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type DemoEnvironment, startDemoEnvironment } from '@authsec/demo-api';
import { DownstreamServer } from '@authsec/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  AuthSecAbortedError,
  AuthSecClient,
  AuthSecConfigError,
  AuthSecOriginNotAllowedError,
  createAuthSecRequestTool,
} from '../src/index.js';
import { clientFor, expectNoToken } from './helpers.js';

let demo: DemoEnvironment;
let api: DownstreamServer;
let reader: AuthSecClient;
let echo: AuthSecClient;
let tokens: string[];

beforeAll(async () => {
  demo = await startDemoEnvironment();
  api = await DownstreamServer.start({
    routes: {
      'GET /customers/:id': (req) => ({ body: { id: req.params.id, query: req.query } }),
      'GET /big': { body: 'x'.repeat(100_000) },
      'GET /emoji': { body: `a${'😀'.repeat(50)}` },
      'GET /search': { body: { ok: true } },
      'GET /echo': (req) => ({ body: `${'-'.repeat(30)}${req.authorization}` }),
      'DELETE /items/:id': { status: 204 },
      '/items/:id': (req) => ({ body: { method: req.method, id: req.params.id, json: req.json } }),
    },
  });
  reader = clientFor(demo, demo.agents.reader.agent.clientId);
  echo = clientFor(demo, demo.agents.reader.agent.clientId, { downstreamUrl: api.url });
  tokens = Object.values(demo.agents).map((a) => a.delegation.token);
});
afterAll(async () => {
  await reader.close();
  await echo.close();
  await api.close();
  await demo.close();
});

const customerSchema = z.object({ id: z.string(), expand: z.string().optional() });

describe('createAuthSecRequestTool', () => {
  it('GETs the protected API with the path filled in and returns its JSON text', async () => {
    const t = createAuthSecRequestTool({
      name: 'get_customer',
      description: 'Look up a customer by ID.',
      schema: z.object({ id: z.string() }),
      path: '/customers/{id}',
      scope: 'read:customers',
      client: reader,
    });
    const result = await t.invoke({ id: '42' });
    expect(JSON.parse(result as string)).toMatchObject({ id: '42', name: expect.any(String) });
    expect(demo.api.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/customers/42',
      status: 200,
      bearer: true,
    });
    expectNoToken(tokens, result);
  });

  it('maps the other input fields to the query for GET', async () => {
    const t = createAuthSecRequestTool({
      name: 'get_customer',
      description: 'Look up a customer.',
      schema: customerSchema,
      path: '/customers/{id}',
      client: echo,
    });
    await t.invoke({ id: '7', expand: 'invoices' });
    expect(api.requests.at(-1)).toMatchObject({
      path: '/customers/7',
      query: { expand: 'invoices' },
    });
  });

  it.each([
    ['%2F..%2Fdocs', '/customers/%252F..%252Fdocs'],
    ['42?admin=1', '/customers/42%3Fadmin%3D1'],
    ['42#frag', '/customers/42%23frag'],
    ['a/b', '/customers/a%2Fb'],
    ['..%2F..%2Fadmin', '/customers/..%252F..%252Fadmin'],
    ['%2e%2e', '/customers/%252e%252e'],
    ['..a/b..', '/customers/..a%2Fb..'],
    ['a b', '/customers/a%20b'],
    ['42\u0000', '/customers/42%00'],
    ['42\t', '/customers/42%09'],
    ['https://evil.example/', '/customers/https%3A%2F%2Fevil.example%2F'],
    ['42;admin', '/customers/42%3Badmin'],
  ])('encodes the path parameter %j as one segment', async (id, expected) => {
    const t = createAuthSecRequestTool({
      name: 'get_customer',
      description: 'Look up a customer.',
      schema: customerSchema,
      path: '/customers/{id}',
      client: echo,
    });
    const before = api.requests.length;
    const result = JSON.parse((await t.invoke({ id })) as string);
    const sent = api.requests.at(-1);
    expect(api.requests.length).toBe(before + 1);
    expect(sent?.url.split('?')[0]).toBe(expected);
    expect(sent?.query).toEqual({});
    expect(result.id).toBe(id);
  });

  it.each([
    '..',
    '.',
    '',
    '../billing/customers/42',
    'a/../../admin',
    '..\\..\\admin',
    '42/..',
    '42\r\nX-Injected: 1',
    '42\rX-Injected: 1',
    '42\nX-Injected: 1',
    '\n',
  ])(
    'refuses the path parameter %j with an InvalidToolInput result and sends nothing',
    async (id) => {
      const t = createAuthSecRequestTool({
        name: 'get_customer',
        description: 'Look up a customer.',
        schema: customerSchema,
        path: '/customers/{id}',
        client: echo,
      });
      const before = api.requests.length;
      const { error } = JSON.parse((await t.invoke({ id })) as string);
      expect(error).toMatchObject({ name: 'InvalidToolInput' });
      expect(error.message).toMatch(/Path parameter "id"/);
      expect(api.requests.length).toBe(before);
    },
  );

  it('refuses writing methods unless allowWrite is true', () => {
    const options = {
      name: 'create_record',
      description: 'Create a record.',
      schema: z.object({ title: z.string(), content: z.string() }),
      path: '/secure-vault/records',
      method: 'POST' as const,
    };
    let error: unknown;
    try {
      createAuthSecRequestTool(options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AuthSecConfigError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_CONFIG' });
    expect(String(error)).toMatch(/allowWrite: true/);
    expect(() => createAuthSecRequestTool({ ...options, allowWrite: true })).not.toThrow();
  });

  it('POSTs the other input fields as the JSON body when allowed to write', async () => {
    const writer = clientFor(demo, demo.agents.writer.agent.clientId);
    const t = createAuthSecRequestTool({
      name: 'create_record',
      description: 'Create a record in the secure vault.',
      schema: z.object({ title: z.string(), content: z.string() }),
      path: '/secure-vault/records',
      method: 'POST',
      allowWrite: true,
      scope: 'records:write',
      client: writer,
    });
    const created = JSON.parse((await t.invoke({ title: 'Q3 plan', content: 'Draft' })) as string);
    expect(created).toMatchObject({
      title: 'Q3 plan',
      content: 'Draft',
      owner: writer.toJSON().clientId,
    });
    expect(demo.api.requests.at(-1)).toMatchObject({ method: 'POST', status: 201 });
    await writer.close();
  });

  it('answers an empty response with its status', async () => {
    const t = createAuthSecRequestTool({
      name: 'delete_item',
      description: 'Delete an item.',
      schema: z.object({ id: z.string() }),
      path: '/items/{id}',
      method: 'DELETE',
      allowWrite: true,
      client: echo,
    });
    expect(await t.invoke({ id: '1' })).toBe('{"status":204}');
  });

  it('cuts the response to maxResponseChars with a marker', async () => {
    const t = createAuthSecRequestTool({
      name: 'big',
      description: 'A big answer.',
      schema: z.object({}),
      path: '/big',
      maxResponseChars: 1_000,
      client: echo,
    });
    const result = (await t.invoke({})) as string;
    expect(result.startsWith('x'.repeat(1_000))).toBe(true);
    expect(result).toMatch(/\n…\[truncated: first 1000 (of \d+ )?characters shown\]$/);
    expect(result.length).toBeLessThan(1_100);
  });

  it('rejects a path parameter the schema lacks and a bad maxResponseChars in one config error', () => {
    let error: unknown;
    try {
      createAuthSecRequestTool({
        name: 'x',
        description: 'x',
        schema: z.object({ id: z.string() }),
        path: '/customers/{customer}',
        maxResponseChars: 0,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AuthSecConfigError);
    expect(String(error)).toMatch(/\{customer\}/);
    expect(String(error)).toMatch(/maxResponseChars/);
  });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE'] as const)(
    'refuses %s without allowWrite: true, naming the method and the fix',
    (method) => {
      let error: unknown;
      try {
        createAuthSecRequestTool({
          name: 'write_item',
          description: 'Writes.',
          schema: z.object({ id: z.string() }),
          path: '/items/{id}',
          method,
          client: echo,
        });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AuthSecConfigError);
      expect(String(error)).toMatch(new RegExp(`uses ${method}, which writes`));
      expect(String(error)).toMatch(/allowWrite: true/);
    },
  );

  it('refuses an unknown method as a config error', () => {
    expect(() =>
      createAuthSecRequestTool({
        name: 'x',
        description: 'x',
        schema: z.object({}),
        path: '/x',
        method: 'TRACE' as never,
        client: echo,
      }),
    ).toThrow(/method TRACE is not supported/);
  });

  it.each([
    ['PUT', { id: '1', title: 'a' }],
    ['PATCH', { id: '2', title: 'b' }],
  ] as const)('%s sends the other fields as the JSON body', async (method, input) => {
    const t = createAuthSecRequestTool({
      name: 'update_item',
      description: 'Update an item.',
      schema: z.object({ id: z.string(), title: z.string() }),
      path: '/items/{id}',
      method,
      allowWrite: true,
      client: echo,
    });
    const answer = JSON.parse((await t.invoke(input)) as string);
    expect(answer).toEqual({ method, id: input.id, json: { title: input.title } });
    expect(api.requests.at(-1)?.query).toEqual({});
  });

  it('custom query and body mappings replace the defaults', async () => {
    const search = createAuthSecRequestTool({
      name: 'search',
      description: 'Search.',
      schema: z.object({ text: z.string(), limit: z.number().optional() }),
      path: '/search',
      query: ({ text, limit }) => ({ q: text, limit: limit ?? 10 }),
      client: echo,
    });
    await search.invoke({ text: 'a&b=c' });
    expect(api.requests.at(-1)?.url).toBe('/search?q=a%26b%3Dc&limit=10');

    const rename = createAuthSecRequestTool({
      name: 'rename_item',
      description: 'Rename.',
      schema: z.object({ id: z.string(), title: z.string() }),
      path: '/items/{id}',
      method: 'POST',
      allowWrite: true,
      body: ({ title }) => ({ name: title.trim() }),
      client: echo,
    });
    const answer = JSON.parse((await rename.invoke({ id: '9', title: ' New ' })) as string);
    expect(answer).toEqual({ method: 'POST', id: '9', json: { name: 'New' } });
  });

  it('maps query values: arrays repeated, objects as JSON, absent fields left out', async () => {
    const t = createAuthSecRequestTool({
      name: 'search',
      description: 'Search.',
      schema: z.object({
        tags: z.array(z.string()),
        filter: z.object({ plan: z.string() }),
        active: z.boolean(),
        page: z.number().optional(),
      }),
      path: '/search',
      client: echo,
    });
    await t.invoke({ tags: ['a', 'b'], filter: { plan: 'pro' }, active: false });
    const query = new URLSearchParams(api.requests.at(-1)?.url.split('?')[1]);
    expect(query.getAll('tags')).toEqual(['a', 'b']);
    expect(query.get('filter')).toBe('{"plan":"pro"}');
    expect(query.get('active')).toBe('false');
    expect(query.has('page')).toBe(false);
  });

  it('DELETE sends the other fields as the query and no body', async () => {
    const t = createAuthSecRequestTool({
      name: 'delete_item',
      description: 'Delete.',
      schema: z.object({ id: z.string(), reason: z.string() }),
      path: '/items/{id}',
      method: 'DELETE',
      allowWrite: true,
      client: echo,
    });
    expect(await t.invoke({ id: '3', reason: 'dup' })).toBe('{"status":204}');
    expect(api.requests.at(-1)).toMatchObject({
      method: 'DELETE',
      path: '/items/3',
      query: { reason: 'dup' },
      body: '',
    });
  });

  it('HEAD answers with the status alone', async () => {
    const t = createAuthSecRequestTool({
      name: 'customer_exists',
      description: 'Whether a customer exists.',
      schema: z.object({ id: z.string() }),
      path: '/customers/{id}',
      method: 'HEAD',
      client: echo,
    });
    expect(await t.invoke({ id: '5' })).toBe('{"status":200}');
    expect(api.requests.at(-1)).toMatchObject({ method: 'HEAD', path: '/customers/5' });
  });

  it('a number path parameter is sent as its text', async () => {
    const t = createAuthSecRequestTool({
      name: 'get_customer',
      description: 'Look up a customer.',
      schema: z.object({ id: z.number().int() }),
      path: '/customers/{id}',
      client: echo,
    });
    await t.invoke({ id: 7 });
    expect(api.requests.at(-1)?.url).toBe('/customers/7');
  });

  it('an optional path parameter the model left out is InvalidToolInput, not a fatal config error', async () => {
    const t = createAuthSecRequestTool({
      name: 'get_customer',
      description: 'Look up a customer.',
      schema: z.object({ id: z.string().optional() }),
      path: '/customers/{id}',
      client: echo,
    });
    const before = api.requests.length;
    const { error } = JSON.parse((await t.invoke({})) as string);
    expect(error).toMatchObject({
      name: 'InvalidToolInput',
      message: 'Path parameter "id" is required.',
    });
    expect(api.requests.length).toBe(before);
  });

  it('a path parameter with a lone surrogate is InvalidToolInput and sends nothing', async () => {
    const t = createAuthSecRequestTool({
      name: 'get_customer',
      description: 'Look up a customer.',
      schema: customerSchema,
      path: '/customers/{id}',
      client: echo,
    });
    const before = api.requests.length;
    const { error } = JSON.parse((await t.invoke({ id: '42\ud800' })) as string);
    expect(error).toMatchObject({ name: 'InvalidToolInput' });
    expect(api.requests.length).toBe(before);
  });

  it("a 404 and a 403 from the API come back as the errors' JSON", async () => {
    const getCustomer = createAuthSecRequestTool({
      name: 'get_customer',
      description: 'Look up a customer.',
      schema: z.object({ id: z.string() }),
      path: '/customers/{id}',
      client: reader,
    });
    const notFound = JSON.parse((await getCustomer.invoke({ id: '999999' })) as string);
    expect(notFound.error).toMatchObject({ code: 'ERR_AUTHSEC_HTTP', status: 404 });
    const billing = createAuthSecRequestTool({
      name: 'get_customer_billing',
      description: 'Billing of a customer.',
      schema: z.object({ id: z.string() }),
      path: '/billing/customers/{id}',
      client: reader,
    });
    const forbidden = JSON.parse((await billing.invoke({ id: '42' })) as string);
    expect(forbidden.error).toMatchObject({
      name: 'AuthSecPermissionError',
      code: 'ERR_AUTHSEC_FORBIDDEN',
      status: 403,
      requiredScope: 'billing:read',
    });
    expectNoToken(tokens, notFound, forbidden);
  });

  it('cuts the response to 20000 characters by default', async () => {
    const t = createAuthSecRequestTool({
      name: 'big',
      description: 'A big answer.',
      schema: z.object({}),
      path: '/big',
      client: echo,
    });
    const result = (await t.invoke({})) as string;
    const [kept, marker] = result.split('\n');
    expect(kept?.length).toBe(20_000);
    expect(kept === 'x'.repeat(20_000)).toBe(true);
    expect(marker).toMatch(/^…\[truncated: first 20000 (of \d+ )?characters shown\]$/);
  });

  it('never cuts a character in half', async () => {
    const t = createAuthSecRequestTool({
      name: 'emoji',
      description: 'Emoji.',
      schema: z.object({}),
      path: '/emoji',
      maxResponseChars: 4,
      client: echo,
    });
    const result = (await t.invoke({})) as string;
    // `a😀😀…`: four UTF-16 units would end inside the second emoji.
    expect(result.split('\n')[0]).toBe('a😀');
    expect(result).toMatch(/first 3 /);
    expect(/[\ud800-\udbff](?![\udc00-\udfff])/u.test(result)).toBe(false);
  });

  it('stops reading an endless answer once the cap is reached', async () => {
    // A raw server: it streams without a Content-Length and never ends on its own.
    let closed!: () => void;
    const gone = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const endless = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = 'z'.repeat(16 * 1024);
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) {}
        if (!res.destroyed) res.once('drain', pump);
      };
      res.on('close', closed);
      pump();
    });
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve));
    const client = clientFor(demo, demo.agents.reader.agent.clientId, {
      downstreamUrl: `http://127.0.0.1:${(endless.address() as AddressInfo).port}`,
    });
    try {
      const t = createAuthSecRequestTool({
        name: 'endless',
        description: 'Never ends.',
        schema: z.object({}),
        path: '/stream',
        maxResponseChars: 1_000,
        client,
      });
      const result = (await t.invoke({})) as string;
      const [kept, marker] = result.split('\n');
      expect(kept).toBe('z'.repeat(1_000));
      // The total is unknown: the tool stopped reading.
      expect(marker).toBe('…[truncated: first 1000 characters shown]');
      await gone;
    } finally {
      await client.close();
      await new Promise((resolve) => endless.close(resolve));
    }
  });

  it('hands the run signal to its request: aborting stops a slow call', async () => {
    const slow = await DownstreamServer.start({
      routes: { 'GET /slow/:id': { body: { ok: true }, delayMs: 10_000 } },
    });
    let seen: unknown;
    // A real client that only records what its request threw.
    class ObservedClient extends AuthSecClient {
      override request(...args: Parameters<AuthSecClient['request']>) {
        return super.request(...args).catch((error: unknown) => {
          seen = error;
          throw error;
        });
      }
    }
    const client = new ObservedClient({
      baseUrl: demo.authsec.url,
      clientId: demo.agents.reader.agent.clientId,
      downstreamUrl: slow.url,
      logLevel: 'silent',
    });
    try {
      const t = createAuthSecRequestTool({
        name: 'slow',
        description: 'Slow.',
        schema: z.object({ id: z.string() }),
        path: '/slow/{id}',
        client,
      });
      const controller = new AbortController();
      const run = t.invoke({ id: '1' }, { signal: controller.signal });
      await vi.waitFor(() => expect(slow.requests.length).toBe(1), { timeout: 10_000 });
      controller.abort();
      await expect(run).rejects.toThrow();
      await vi.waitFor(() => expect(seen).toBeInstanceOf(AuthSecAbortedError), { timeout: 2_000 });
    } finally {
      await client.close();
      await slow.close();
    }
  });

  it('an absolute path on an origin that is not allowed throws before anything is sent (fatal)', async () => {
    const elsewhere = await DownstreamServer.start({
      routes: { '/x/:id': { body: { ok: true } } },
    });
    try {
      const t = createAuthSecRequestTool({
        name: 'elsewhere',
        description: 'Another origin.',
        schema: z.object({ id: z.string() }),
        path: `${elsewhere.url}/x/{id}`,
        client: echo,
      });
      const error = await t.invoke({ id: '1' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthSecOriginNotAllowedError);
      expect(error).toMatchObject({ code: 'ERR_AUTHSEC_ORIGIN_NOT_ALLOWED' });
      expect(elsewhere.requests.length).toBe(0);
      expectNoToken(tokens, error);
    } finally {
      await elsewhere.close();
    }
  });

  it('a token the API echoes is replaced whole, even where the response is cut', async () => {
    const t = createAuthSecRequestTool({
      name: 'echo',
      description: 'Echo.',
      schema: z.object({}),
      path: '/echo',
      maxResponseChars: 60,
      client: echo,
    });
    const result = (await t.invoke({})) as string;
    expectNoToken(tokens, result);
    const token = demo.agents.reader.delegation.token;
    // Not even the start of the token's payload: the cut falls inside the marker.
    expect(result.includes(token.split('.')[1]?.slice(0, 10) ?? token)).toBe(false);
    expect(/^-{30}Bearer \[jwt eyJ/.test(result)).toBe(true);
  });
});
