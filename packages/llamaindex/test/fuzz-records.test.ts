// Property tests: any JSON an API answers becomes the right Documents or a typed error; next links stay on the allowed origin.

import { FUZZ_PARAMS, FUZZ_TIMEOUT_MS } from '@authsec/fuzz-runs';
import { AuthSecTestServer, DownstreamServer } from '@authsec/testing';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthSecClient,
  AuthSecConfigError,
  AuthSecOriginNotAllowedError,
  AuthSecReader,
  AuthSecResponseError,
  type DelegationTokenInfo,
  isAuthSecError,
} from '../src/index.js';

const RUNS = FUZZ_PARAMS;

let authsec: AuthSecTestServer;
let api: DownstreamServer;
let evil: DownstreamServer;
let reader: AuthSecReader;
let token: string;
let info: DelegationTokenInfo;
/** What GET /records answers in the current run. */
let answer = '[]';

beforeAll(async () => {
  [authsec, api, evil] = await Promise.all([
    AuthSecTestServer.start(),
    DownstreamServer.start({
      routes: {
        'GET /records': () => ({ headers: { 'content-type': 'application/json' }, body: answer }),
      },
      // Any other page on the API: one more record, and the end.
      fallback: { body: { records: [{ id: 'elsewhere' }] } },
    }),
    DownstreamServer.start({ fallback: { body: { records: [{ id: 'evil' }] } } }),
  ]);
  const { agent, delegation } = await authsec.createDelegatedAgent({
    permissions: ['read:records'],
  });
  token = delegation.token;
  const client = new AuthSecClient({
    baseUrl: authsec.url,
    clientId: agent.clientId,
    downstreamUrl: api.url,
    maxRetries: 0,
    logLevel: 'silent',
    env: {},
  });
  reader = new AuthSecReader({ client });
  info = await client.getDelegationTokenInfo();
});
afterAll(async () => {
  await reader.client.close();
  await Promise.all([api.close(), evil.close(), authsec.close()]);
});

/** Loads with `body` as the API's answer; returns the Documents or the error thrown. */
async function load(body: string, pagination: boolean) {
  answer = body;
  api.clearRequests();
  evil.clearRequests();
  const result = await reader
    .loadData({ endpoint: 'records', pagination, maxPages: 3 })
    .catch((error: unknown) => error);
  // Wherever the pages led, the token went only to the API.
  expect(evil.requests.filter((r) => r.authorization !== undefined)).toHaveLength(0);
  for (const request of api.requests) expect(request.bearer).toBe(token);
  if (result instanceof Error) {
    expect(isAuthSecError(result)).toBe(true);
    expect(`${String(result)}${JSON.stringify(result)}`).not.toContain(token);
  }
  return result;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where the reader documents it finds the records. */
function documentedRecords(body: unknown): unknown[] | undefined {
  if (Array.isArray(body)) return body;
  if (!isObject(body)) return undefined;
  for (const key of ['records', 'data', 'items']) if (Array.isArray(body[key])) return body[key];
  const arrays = Object.values(body).filter(Array.isArray);
  return arrays.length === 1 ? arrays[0] : undefined;
}

const record = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.dictionary(
      fc.oneof(
        fc.string({ maxLength: 8 }),
        fc.constantFrom(
          'id',
          'clearance',
          'clearance_required',
          'spiffe_id',
          'permissions',
          'token_jti',
          'source_endpoint',
          'authsec_mode',
          '__proto__',
          'toString',
          'constructor',
        ),
      ),
      fc.jsonValue({ maxDepth: 2 }),
      { maxKeys: 6 },
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

const recordsBody = fc.oneof(
  fc.array(record, { maxLength: 6 }).map((list) => ({ shape: 'array', body: list as unknown })),
  fc
    .tuple(
      fc.constantFrom('records', 'data', 'items', 'metrics'),
      fc.array(record, { maxLength: 6 }),
    )
    .map(([key, list]) => ({ shape: key, body: { [key]: list, total: list.length } as unknown })),
  fc.jsonValue({ maxDepth: 3 }).map((body) => ({ shape: 'any', body })),
);

const SECURITY = [
  'source_endpoint',
  'ingestion_auth',
  'spiffe_id',
  'token_jti',
  'permissions',
  'authsec_mode',
];

describe('fuzzed API answers to AuthSecReader.loadData()', { timeout: FUZZ_TIMEOUT_MS }, () => {
  test.prop([recordsBody], RUNS)(
    'any JSON: one Document per record, security metadata from the token alone, or AuthSecResponseError when there is no list',
    async ({ body }) => {
      const result = await load(JSON.stringify(body), false);
      const records = documentedRecords(body);
      if (records === undefined) {
        expect(result).toBeInstanceOf(AuthSecResponseError);
        expect((result as AuthSecResponseError).issues).toEqual(['records']);
        return;
      }
      expect(result).not.toBeInstanceOf(Error);
      const documents = result as Awaited<ReturnType<AuthSecReader['loadData']>>;
      expect(documents).toHaveLength(records.length);
      expect(new Set(documents.map((d) => d.id_)).size).toBe(documents.length);
      documents.forEach((document, index) => {
        const source = records[index];
        const { metadata } = document;
        expect(document.id_.startsWith('records#')).toBe(true);
        expect(typeof document.text).toBe('string');
        // Provenance comes from the token, whatever the record claims about itself.
        expect(metadata).toMatchObject({
          source_endpoint: 'records',
          ingestion_auth: 'AuthSec AI Verified',
          spiffe_id: info.spiffeId,
          token_jti: info.jti,
          permissions: 'read:records',
          authsec_mode: 'live',
          record_index: index,
        });
        for (const value of Object.values(metadata)) {
          expect(value === null || ['string', 'number', 'boolean'].includes(typeof value)).toBe(
            true,
          );
        }
        const id = isObject(source) ? source.id : undefined;
        if (typeof id === 'string' || typeof id === 'number') {
          expect(metadata.record_id).toBe(String(id));
        } else expect(metadata.record_id).toBeUndefined();
        if (isObject(source)) {
          for (const key of Object.keys(source)) {
            const lifted = ['id', 'clearance', 'clearance_required'].includes(key);
            if (!lifted) expect(document.text).toContain(`${key}: `);
          }
        }
        for (const key of SECURITY) expect(document.excludedLlmMetadataKeys).toContain(key);
      });
    },
  );

  const href = fc.oneof(
    fc.constantFrom(
      '/page2',
      'page2?x=1',
      '../../page2',
      '//evil.example/x',
      'http://[',
      'http://[::1',
      'https://:99999/',
      'javascript:alert(1)',
      'data:text/plain,hi',
      'blob:http://127.0.0.1/x',
      '\\\\evil\\x',
      'http://user:pw@127.0.0.1/',
      '/records',
      'records',
      ' ',
      '%zz',
      'http://exa mple.com/',
    ),
    fc.constant('EVIL'),
    fc.string({ maxLength: 20 }),
  );

  test.prop(
    [
      fc.oneof(href, fc.jsonValue({ maxDepth: 1 })),
      fc.constantFrom('next', 'links.next', 'next_cursor', 'nextCursor'),
    ],
    {
      ...RUNS,
      // Found by this property: a next link that is no URL made new URL() throw a TypeError.
      examples: [
        ['http://[', 'next'],
        ['https://:99999/', 'links.next'],
      ],
    },
  )(
    'any next link or cursor: the pages of the allowed origin, or a typed error; the token never leaves',
    async (value, where) => {
      const next = value === 'EVIL' ? `${evil.url}/page` : value;
      const body: Record<string, unknown> = { records: [{ id: 'first' }] };
      if (where === 'links.next') body.links = { next };
      else body[where] = next;
      const result = await load(JSON.stringify(body), true);
      if (result instanceof Error) {
        expect(
          result instanceof AuthSecOriginNotAllowedError ||
            result instanceof AuthSecResponseError ||
            result instanceof AuthSecConfigError,
        ).toBe(true);
        return;
      }
      const documents = result as Awaited<ReturnType<AuthSecReader['loadData']>>;
      expect(documents[0]?.metadata.record_id).toBe('first');
      expect(documents.length).toBeGreaterThanOrEqual(1);
      expect(documents.length).toBeLessThanOrEqual(3);
    },
  );

  it('never follows a page to another origin with the token, even when told to', async () => {
    const result = await load(JSON.stringify({ records: [], next: `${evil.url}/page` }), true);
    expect(result).toBeInstanceOf(AuthSecOriginNotAllowedError);
    expect(evil.requests).toHaveLength(0);
  });
});
