// Property tests: whatever tool calls a model sends, requests stay under the API path on the allowed origin.

import { FUZZ_PARAMS, FUZZ_TIMEOUT_MS } from '@authsec/fuzz-runs';
import { AuthSecTestServer, DownstreamServer } from '@authsec/testing';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { z } from 'zod';
import {
  AuthSecClient,
  AuthSecToolCallsError,
  createFunctionMap,
  defineFunction,
  executeToolCalls,
  expandPath,
  type FunctionMap,
} from '../src/index.js';
import { expectNoToken } from './helpers.js';

const RUNS = FUZZ_PARAMS;
const API_PATH = '/v1';

let servers: { authsec: AuthSecTestServer; api: DownstreamServer; other: DownstreamServer };
let client: AuthSecClient;
let token: string;
let functionMap: FunctionMap;

beforeAll(async () => {
  const [authsec, api, other] = await Promise.all([
    AuthSecTestServer.start(),
    DownstreamServer.start({ fallback: { body: { ok: true } } }),
    DownstreamServer.start({ fallback: { body: { ok: true } } }),
  ]);
  servers = { authsec, api, other };
  const delegated = await authsec.createDelegatedAgent({ permissions: ['read:customers'] });
  token = delegated.delegation.token;
  client = new AuthSecClient({
    baseUrl: authsec.url,
    clientId: delegated.agent.clientId,
    downstreamUrl: `${api.url}${API_PATH}`,
    maxRetries: 0,
    logLevel: 'silent',
    env: {},
  });
  const getCustomer = defineFunction(
    {
      name: 'get_customer',
      description: 'Get a customer record by id.',
      parameters: z.object({ customer_id: z.string() }),
      scope: 'read:customers',
    },
    ({ customer_id }, { requestJson }) =>
      requestJson(expandPath('/customers/{id}', { id: customer_id })),
  );
  const getPath = defineFunction(
    {
      name: 'get_path',
      description: 'GET a path of the customer API.',
      parameters: z.object({ path: z.string() }),
    },
    ({ path }, { requestJson }) => requestJson(path),
  );
  ({ functionMap } = createFunctionMap([getCustomer, getPath], { client }));
});
afterAll(async () => {
  await client.close();
  const { authsec, api, other } = servers;
  await Promise.all([api.close(), other.close(), authsec.close()]);
});

/** What a model might write into a string argument, hostile or confused. */
const fragment = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom('7', 'xyz', '\u00fcber', '\u{1F680}', 'p q', 'k:v') },
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      '..',
      '.',
      '%2e%2e',
      '.%2E',
      '%2f',
      '%5C',
      '..%5c..%5cadmin',
      '/',
      '\\',
      '\r\n',
      '\n',
      '\r',
      'Set-Cookie: a=1',
      '%0a',
      '?x=1',
      '#top',
      '%',
      '%00',
      '\u0000',
      '\t',
      '\u2028',
      '\ud83d',
      '\ude80',
      'https://elsewhere.example/',
      '//elsewhere.example',
      'OTHER',
      'SELF',
    ),
  },
);

/** A string argument built of fragments, with `OTHER`/`SELF` standing for the two servers' URLs. */
const text = fc
  .tuple(fc.array(fragment, { minLength: 1, maxLength: 4 }), fc.constantFrom('', '/'), fc.boolean())
  .map(([parts, glue, lead]) => `${lead ? '/' : ''}${parts.join(glue)}`);

function urls(value: string): string {
  return value.replace('OTHER', servers.other.url).replace('SELF', servers.api.url);
}

const LONE_HALF = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The values expandPath documents as refused: empty, `.`/`..` segments, line breaks, lone surrogates. */
function refused(value: string): boolean {
  const dots = value.split(/[/\\]/).some((part) => part === '.' || part === '..');
  return value === '' || dots || /[\r\n]/.test(value) || LONE_HALF.test(value);
}

/** Runs one tool call; returns its content, or the error the batch threw. */
async function call(name: string, args: string) {
  servers.api.clearRequests();
  servers.other.clearRequests();
  const toolCall = { id: 'call_1', type: 'function' as const, function: { name, arguments: args } };
  const result = await executeToolCalls([toolCall], functionMap).then(
    (messages) => ({ content: messages[0]?.content as string }),
    (error: unknown) => ({ error }),
  );
  // The other server never hears a thing; the API hears only the agent's token.
  expect(servers.other.requests).toHaveLength(0);
  for (const request of servers.api.requests) expect(request.bearer).toBe(token);
  expectNoToken('content' in result ? result.content : String(result.error), token);
  return result;
}

describe('fuzzed tool calls', { timeout: FUZZ_TIMEOUT_MS }, () => {
  test.prop([text], RUNS)(
    'a path parameter: exactly one segment under the API path, or ERR_AUTOGEN_INVALID_ARGUMENTS with nothing sent',
    async (raw) => {
      const id = urls(raw);
      const result = await call('get_customer', JSON.stringify({ customer_id: id }));
      expect(result).toHaveProperty('content');
      const content = JSON.parse((result as { content: string }).content);
      if (refused(id)) {
        expect(content).toMatchObject({ code: 'ERR_AUTOGEN_INVALID_ARGUMENTS' });
        expect(content.message).toContain('Path parameter "id"');
        expect(servers.api.requests).toHaveLength(0);
        return;
      }
      expect(content).toEqual({ ok: true });
      expect(servers.api.requests).toHaveLength(1);
      const path = servers.api.requests[0]?.path as string;
      const prefix = `${API_PATH}/customers/`;
      expect(path.startsWith(prefix)).toBe(true);
      expect(path.slice(prefix.length)).not.toMatch(/[/\\]/);
      expect(decodeURIComponent(path.slice(prefix.length))).toBe(id);
    },
  );

  test.prop(
    [
      fc.oneof(
        { weight: 3, arbitrary: text.map((t) => JSON.stringify({ customer_id: urls(t) })) },
        { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)) },
      ),
    ],
    RUNS,
  )(
    'any arguments text: an answer, or ERR_AUTOGEN_INVALID_JSON / ERR_AUTOGEN_INVALID_ARGUMENTS for the model; never a crash',
    async (args) => {
      const result = await call('get_customer', args);
      expect(result).toHaveProperty('content');
      const content = JSON.parse((result as { content: string }).content);
      if (servers.api.requests.length === 1) {
        expect(content).toEqual({ ok: true });
        return;
      }
      expect(servers.api.requests).toHaveLength(0);
      expect(['ERR_AUTOGEN_INVALID_JSON', 'ERR_AUTOGEN_INVALID_ARGUMENTS']).toContain(content.code);
    },
  );

  test.prop([text], RUNS)(
    'a path or URL passed to requestJson() as it is: under the API path on the allowed origin, or the run stops with nothing sent',
    async (raw) => {
      const path = urls(raw);
      const result = await call('get_path', JSON.stringify({ path }));
      const absolute = !path.startsWith('/') && /^[a-z][a-z0-9+.-]*:/i.test(path);
      if ('error' in result) {
        // A refused target is fatal: no model can widen the allow-list.
        expect(result.error).toBeInstanceOf(AuthSecToolCallsError);
        const error = result.error as AuthSecToolCallsError;
        expect(['ERR_AUTHSEC_ORIGIN_NOT_ALLOWED', 'ERR_AUTHSEC_CONFIG']).toContain(error.code);
        expect(error.unansweredToolCallIds).toEqual(['call_1']);
        expect(servers.api.requests).toHaveLength(0);
        return;
      }
      for (const request of servers.api.requests) {
        if (absolute) continue;
        expect(request.path === API_PATH || request.path.startsWith(`${API_PATH}/`)).toBe(true);
        const decoded = request.path.replace(/%2e/gi, '.').replace(/%2f|%5c/gi, '/');
        expect(decoded).not.toMatch(/(^|[\\/])\.\.([\\/]|$)/);
      }
    },
  );
});
