import { inspect } from 'node:util';
import type { DemoEnvironment } from '@authsec/demo-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type AuthSecClient,
  AuthSecConfigError,
  createFunctionMap,
  defineFunction,
} from '../src/index.js';
import { clientFor, expectNoToken, fetchSecureData, getBilling, startDemo } from './helpers.js';

let demo: DemoEnvironment;
let reader: AuthSecClient;
let readerToken: string;

beforeAll(async () => {
  demo = await startDemo();
  reader = clientFor(demo, demo.agents.reader.agent.clientId);
  readerToken = demo.agents.reader.delegation.token;
});
afterAll(async () => {
  await reader.close();
  await demo.close();
});

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
          },
        },
      },
      expect.objectContaining({ function: expect.objectContaining({ name: 'get_billing' }) }),
    ]);
    expect(Object.keys(functionMap)).toEqual(['fetch_secure_data', 'get_billing']);
  });

  it('refuses names OpenAI refuses, non-object parameters and duplicate names', () => {
    expect(() => defineFunction({ name: 'bad name', description: '' }, () => 1)).toThrow(TypeError);
    expect(() =>
      defineFunction(
        { name: 'x', description: '', parameters: z.string() as unknown as z.ZodObject },
        () => 1,
      ),
    ).toThrow(/zod object/);
    expect(() => createFunctionMap([fetchSecureData, fetchSecureData])).toThrow(/unique/);
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

  it('answers a 404 and a path-escaping id as fixable errors', async () => {
    const { functionMap } = createFunctionMap([fetchSecureData], { client: reader });
    const missing = JSON.parse(
      (await functionMap.fetch_secure_data?.({ customer_id: '999' })) ?? '',
    );
    expect(missing).toMatchObject({ code: 'ERR_AUTHSEC_HTTP', status: 404 });
    const dotdot = JSON.parse((await functionMap.fetch_secure_data?.({ customer_id: '..' })) ?? '');
    expect(dotdot).toMatchObject({ name: 'TypeError', code: 'ERR_AUTOGEN_INVALID_ARGUMENTS' });
    const slash = JSON.parse(
      (await functionMap.fetch_secure_data?.({ customer_id: '../docs' })) ?? '',
    );
    expect(slash).toMatchObject({ status: 404 });
    expect(demo.api.requests.at(-1)?.path).toBe('/customers/..%2Fdocs');
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
    const writable = createFunctionMap([define(true)], { client: writer }).functionMap;
    expect(JSON.parse((await writable.create_record?.({ title: 'Q3' })) ?? '')).toMatchObject({
      title: 'Q3',
    });
    await writer.close();
  });

  it('hides unexpected error messages and redacts JWT-shaped results', async () => {
    const leaky = defineFunction({ name: 'leaky', description: 'x' }, async (_args, { client }) => {
      return { token: await client.getDelegationToken() };
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

  it('cuts long results to maxResultChars with a marker', async () => {
    const long = defineFunction({ name: 'long', description: 'x' }, () => 'a'.repeat(500));
    const { functionMap } = createFunctionMap([long], { maxResultChars: 100 });
    const content = (await functionMap.long?.({})) ?? '';
    expect(content).toHaveLength(100);
    expect(content).toMatch(/… \[truncated 4\d\d characters\]$/);
  });
});
