import { type DemoEnvironment, startDemoEnvironment } from '@authsec/demo-api';
import { DownstreamServer } from '@authsec/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AuthSecClient, AuthSecConfigError, createAuthSecRequestTool } from '../src/index.js';
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
      'DELETE /items/:id': { status: 204 },
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
    expect(demo.api.requests.at(-1)).toMatchObject({ path: '/customers/42', status: 200 });
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
    ['../billing/customers/42', '/customers/..%2Fbilling%2Fcustomers%2F42'],
    ['%2F..%2Fdocs', '/customers/%252F..%252Fdocs'],
    ['42?admin=1', '/customers/42%3Fadmin%3D1'],
    ['42#frag', '/customers/42%23frag'],
    ['a/b', '/customers/a%2Fb'],
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

  it.each(['..', '.', '', '42\r\nX-Injected: 1'])(
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
});
