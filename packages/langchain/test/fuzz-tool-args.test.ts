// Property tests: whatever arguments a model picks, a tool's request stays under the API path on the allowed origin.

import { FUZZ_PARAMS, FUZZ_TIMEOUT_MS } from '@authsec/fuzz-runs';
import { AuthSecTestServer, DownstreamServer } from '@authsec/testing';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { z } from 'zod';
import {
  AuthSecClient,
  AuthSecConfigError,
  AuthSecOriginNotAllowedError,
  createAuthSecRequestTool,
  createAuthSecTool,
} from '../src/index.js';
import { expectNoToken } from './helpers.js';

const RUNS = FUZZ_PARAMS;
const PREFIX = '/v1';

let authsec: AuthSecTestServer;
let api: DownstreamServer;
let evil: DownstreamServer;
let client: AuthSecClient;
let token: string;

beforeAll(async () => {
  [authsec, api, evil] = await Promise.all([
    AuthSecTestServer.start(),
    DownstreamServer.start({ fallback: { body: { ok: true } } }),
    DownstreamServer.start({ fallback: { body: { ok: true } } }),
  ]);
  const { agent, delegation } = await authsec.createDelegatedAgent({
    permissions: ['read:customers'],
  });
  token = delegation.token;
  client = new AuthSecClient({
    baseUrl: authsec.url,
    clientId: agent.clientId,
    downstreamUrl: `${api.url}${PREFIX}`,
    maxRetries: 0,
    logLevel: 'silent',
    env: {},
  });
});
afterAll(async () => {
  await client.close();
  await Promise.all([api.close(), evil.close(), authsec.close()]);
});

/** Pieces a hostile or confused model might put into an argument. */
const piece = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.constantFrom('42', 'abc', 'caf\u00e9', '\u{1F600}', 'a b', 'x:y', '~u'),
  },
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      '..',
      '.',
      '%2e%2e',
      '%2E%2E',
      '.%2e',
      '%2f',
      '%2F',
      '%5c',
      '..%2f..%2fadmin',
      '/',
      '\\',
      '\r\n',
      '\r',
      '\n',
      'X-Injected: 1',
      '%0d%0a',
      '?admin=1',
      '#frag',
      '%',
      '%00',
      '\u0000',
      '\t',
      '\u202e',
      '\ud800',
      '\udc00',
      'https://evil.example/',
      '//evil.example',
      'EVIL',
      'API',
    ),
  },
);

/** An argument: one to four pieces, joined directly or with slashes. */
const argument = fc
  .tuple(fc.array(piece, { minLength: 1, maxLength: 4 }), fc.constantFrom('', '/'))
  .map(([pieces, glue]) => pieces.join(glue));

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** expandPath's documented refusals: empty, a `.` or `..` segment, a line break, a lone surrogate. */
function refusedSegment(value: string): boolean {
  const dotSegment = value.split(/[/\\]/).some((part) => part === '.' || part === '..');
  return value === '' || dotSegment || /[\r\n]/.test(value) || LONE_SURROGATE.test(value);
}

function resetLogs(): void {
  api.clearRequests();
  evil.clearRequests();
}

/** Nothing reached the other server, and the API heard only the agent's token. */
function expectTokenOnlyAtApi(): void {
  expect(evil.requests).toHaveLength(0);
  for (const request of api.requests) expect(request.bearer).toBe(token);
}

describe('fuzzed tool arguments', { timeout: FUZZ_TIMEOUT_MS }, () => {
  const getCustomer = () =>
    createAuthSecRequestTool({
      name: 'get_customer',
      description: 'Look up a customer by id.',
      schema: z.object({ id: z.string(), note: z.string().optional() }),
      path: '/customers/{id}',
      scope: 'read:customers',
      client,
    });

  test.prop(
    [argument, fc.option(fc.string({ unit: 'grapheme', maxLength: 12 }), { nil: undefined })],
    RUNS,
  )(
    'a path parameter becomes exactly one segment under the API path, or an InvalidToolInput answer with nothing sent',
    async (rawId, note) => {
      const id = rawId.replace('EVIL', evil.url).replace('API', api.url);
      resetLogs();
      const answer = await getCustomer().invoke(note === undefined ? { id } : { id, note });
      expectTokenOnlyAtApi();
      expectNoToken([token], answer);
      if (refusedSegment(id)) {
        const { error } = JSON.parse(answer as string);
        expect(error).toMatchObject({ name: 'InvalidToolInput' });
        expect(error.message).toContain('Path parameter "id"');
        expect(api.requests).toHaveLength(0);
        return;
      }
      expect(JSON.parse(answer as string)).toEqual({ ok: true });
      expect(api.requests).toHaveLength(1);
      const sent = api.requests[0];
      const segment = sent?.path.slice(`${PREFIX}/customers/`.length) as string;
      expect(sent?.path.startsWith(`${PREFIX}/customers/`)).toBe(true);
      // One segment: no separator survives, and decoding it gives back exactly what the model chose.
      expect(segment).not.toMatch(/[/\\]/);
      expect(decodeURIComponent(segment)).toBe(id);
      expect(sent?.query).toEqual(note === undefined ? {} : { note });
    },
  );

  const fetchPath = () =>
    createAuthSecTool(
      async ({ path }, { request }) => {
        const response = await request(path);
        return response.text();
      },
      {
        name: 'fetch_path',
        description: 'GET a path of the customer API.',
        schema: z.object({ path: z.string() }),
        client,
      },
    );

  test.prop(
    [
      fc.oneof(
        argument,
        argument.map((a) => `/${a}`),
      ),
    ],
    RUNS,
  )(
    'a path or URL passed to request() as it is: sent under the API path on the allowed origin, or refused before sending',
    async (raw) => {
      const path = raw.replace('EVIL', evil.url).replace('API', api.url);
      resetLogs();
      const outcome = await fetchPath()
        .invoke({ path })
        .then(
          (answer) => ({ answer }),
          (error: unknown) => ({ error }),
        );
      expectTokenOnlyAtApi();
      if ('error' in outcome) {
        // Refusals stop the run (a model cannot fix the allow-list), and nothing was sent.
        expect(
          outcome.error instanceof AuthSecOriginNotAllowedError ||
            outcome.error instanceof AuthSecConfigError,
        ).toBe(true);
        expect(api.requests).toHaveLength(0);
        expectNoToken([token], outcome.error);
        return;
      }
      expectNoToken([token], outcome.answer);
      // A 404 from the API is an answer too; what matters is where the request went.
      for (const request of api.requests) {
        const absolute = /^[a-z][a-z0-9+.-]*:/i.test(path) && !path.startsWith('/');
        if (!absolute)
          expect(request.path === PREFIX || request.path.startsWith(`${PREFIX}/`)).toBe(true);
        const decoded = request.path.replace(/%2e/gi, '.').replace(/%2f|%5c/gi, '/');
        if (!absolute) expect(decoded).not.toMatch(/(^|[\\/])\.\.([\\/]|$)/);
      }
    },
  );
});
