import { inspect } from 'node:util';
import { type DemoEnvironment, startDemoEnvironment } from '@authsec/demo-api';
import { DownstreamServer } from '@authsec/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthSecClient,
  AuthSecDelegationNotFoundError,
  type AuthSecError,
  AuthSecHttpError,
  AuthSecPermissionError,
  AuthSecReader,
  AuthSecTokenRejectedError,
  isAuthSecError,
} from '../src/index.js';

let demo: DemoEnvironment;
let api: DownstreamServer;
let reader: AuthSecReader;
let token: string;

beforeAll(async () => {
  demo = await startDemoEnvironment();
  api = await DownstreamServer.start({
    routes: {
      'GET /forbidden': {
        status: 403,
        body: { error: 'insufficient_scope', required_scope: 'read:records' },
      },
      'GET /gone': { status: 404, body: { error: 'not_found', detail: 'secret-body-detail' } },
      'GET /rejects': { status: 401, body: { error: 'invalid_token' } },
      'GET /busy': { status: 503, headers: { 'retry-after': '3600' }, body: { error: 'busy' } },
    },
  });
  reader = new AuthSecReader({
    client: new AuthSecClient({
      baseUrl: demo.env.AUTHSEC_BASE_URL ?? '',
      clientId: demo.env.AUTHSEC_AGENT_CLIENT_ID ?? '',
      downstreamUrl: api.url,
      logLevel: 'silent',
    }),
  });
  token = await reader.client.getDelegationToken();
});

afterAll(async () => {
  await reader.client.close();
  await api.close();
  await demo.close();
});

async function caught(promise: Promise<unknown>): Promise<AuthSecError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isAuthSecError(error)).toBe(true);
  const printed = [inspect(error, { depth: 8 }), String(error), JSON.stringify(error)].join('\n');
  expect(printed.includes(token)).toBe(false);
  expect(printed.includes(token.split('.')[2] ?? token)).toBe(false);
  expect(printed).not.toContain('api_key');
  expect(printed).not.toContain('k-123');
  expect(printed).not.toContain('secret-body-detail');
  return error as AuthSecError;
}

describe('errors from the API', () => {
  it('a 403 though the token holds the scope is AuthSecPermissionError naming endpoint and scope', async () => {
    const error = await caught(
      reader.loadData({ endpoint: 'forbidden?api_key=k-123', scope: 'read:records' }),
    );
    expect(error).toBeInstanceOf(AuthSecPermissionError);
    expect(error.code).toBe('ERR_AUTHSEC_FORBIDDEN');
    expect(error.status).toBe(403);
    expect(error.message).toMatch(/^Could not load forbidden with scope read:records: /);
    expect(error.cause).toBeInstanceOf(AuthSecPermissionError);
    expect(api.requestsTo('/forbidden')).toHaveLength(1);
  });

  it('a 404 is AuthSecHttpError naming endpoint and scope, without the body', async () => {
    const error = await caught(
      reader.loadData({ endpoint: 'gone?api_key=k-123', scope: ['read:records', 'read:metrics'] }),
    );
    expect(error).toBeInstanceOf(AuthSecHttpError);
    expect(error.code).toBe('ERR_AUTHSEC_HTTP');
    expect(error.status).toBe(404);
    expect(error.path).toBe('/gone');
    expect(error.message).toMatch(/^Could not load gone with scope read:records, read:metrics: /);
    expect(error.toJSON()).toMatchObject({ code: 'ERR_AUTHSEC_HTTP' });
  });

  it('a 503 keeps retryAfterMs (and every other field) while naming the endpoint', async () => {
    const error = await caught(reader.loadData({ endpoint: 'busy', scope: 'read:records' }));
    expect(error).toBeInstanceOf(AuthSecHttpError);
    expect(error.message).toMatch(/^Could not load busy with scope read:records: /);
    const original = error.cause as AuthSecHttpError;
    expect(original).toBeInstanceOf(AuthSecHttpError);
    expect(original.retryAfterMs).toBe(3_600_000);
    expect((error as AuthSecHttpError).retryAfterMs).toBe(3_600_000);
    expect({ ...error, message: undefined }).toStrictEqual({ ...original, message: undefined });
  });

  it('a 401 with no newer token is AuthSecTokenRejectedError naming the endpoint', async () => {
    const error = await caught(reader.loadData({ endpoint: 'rejects', scope: 'read:records' }));
    expect(error).toBeInstanceOf(AuthSecTokenRejectedError);
    expect(error.code).toBe('ERR_AUTHSEC_TOKEN_REJECTED');
    expect(error.message).toMatch(/^Could not load rejects with scope read:records: /);
  });

  it("leaves the token pull's own errors as core made them", async () => {
    const orphan = demo.authsec.createAgent({ name: 'No delegation' });
    const client = new AuthSecClient({
      baseUrl: demo.env.AUTHSEC_BASE_URL ?? '',
      clientId: orphan.clientId,
      downstreamUrl: api.url,
      logLevel: 'silent',
    });
    try {
      const error = await caught(
        new AuthSecReader({ client }).loadData({ endpoint: 'gone', scope: 'read:records' }),
      );
      expect(error).toBeInstanceOf(AuthSecDelegationNotFoundError);
      expect(error.message).not.toMatch(/^Could not load/);
      expect(api.requestsTo('/gone')).toHaveLength(1);
    } finally {
      await client.close();
    }
  });
});
