import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AuthSecClient } from '../src/client.js';
import type { AuthSecClientOptions } from '../src/config.js';
import {
  AuthSecConfigError,
  AuthSecDelegationNotFoundError,
  AuthSecHttpError,
  AuthSecOriginNotAllowedError,
  AuthSecPermissionError,
  AuthSecResponseError,
  AuthSecTimeoutError,
  AuthSecTokenRejectedError,
} from '../src/errors.js';
import type { StandardSchemaV1 } from '../src/standard-schema.js';
import { apiWorld } from './api-world.js';
import { captureLogger, expectNoSecrets, manualClock, rejection } from './support.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function world(options: { client?: Partial<AuthSecClientOptions> } = {}) {
  const log = captureLogger();
  const w = await apiWorld({
    api: { routes: { '/api/docs': { body: { docs: [] } } } },
    client: { logger: log, logLevel: 'debug', ...options.client },
  });
  return { ...w, log };
}

describe('client.fetch and client.request: where the token goes', () => {
  it('joins relative paths onto downstreamUrl, keeping its path, and sends the bearer', async () => {
    const w = await world();
    const res = await w.client.fetch('/docs?x=1');
    expect(res.status).toBe(200);
    expect(w.api.requests[0]).toMatchObject({
      path: '/api/docs',
      query: { x: '1' },
      bearer: w.token,
    });
    await w.client.fetch('docs');
    expect(w.api.requests[1]?.path).toBe('/api/docs');
  });

  it("allows '..' that stays under the base path, and an encoded slash with no '..'", async () => {
    const w = await world();
    expect((await w.client.fetch('/records/../docs')).status).toBe(200);
    await w.client.fetch('/files/a%2Fb');
    expect(w.api.requests.map((r) => r.path)).toEqual(['/api/docs', '/api/files/a%2Fb']);
  });

  it('an invalid absolute URL is a config error that shows neither credentials nor the query', async () => {
    const w = await world();
    const error = await rejection(
      w.client.fetch('https://agent:s3cret-pass-word@[bad/x?api_key=q-secret-value'),
    );
    expect(error).toBeInstanceOf(AuthSecConfigError);
    expect(error.message).toMatch(/'https:\/\/\[bad\/x' is not a valid URL/);
    expectNoSecrets(['s3cret-pass-word', 'q-secret-value'], error, w.log.text());
    expect(w.authsec.pulls).toHaveLength(0);
  });

  it('returns the Response for every status from fetch()', async () => {
    const w = await world();
    const res = await w.client.fetch('/missing');
    expect(res.status).toBe(404);
  });

  it.each([
    ['../admin'],
    ['%2e%2e/admin'],
    ['/docs/../../admin'],
    ['//evil.example/x'],
    ['\\\\evil.example\\x'],
    // Servers that decode %2F and %5C into separators would climb out with these.
    ['docs/..%2f..%2fadmin'],
    ['..%5Cadmin'],
    ['%2e%2e%2Fadmin'],
  ])('refuses %j, which leaves the base path, before anything is sent', async (path) => {
    const w = await world();
    const error = await rejection(w.client.fetch(path));
    expect(error).toBeInstanceOf(AuthSecOriginNotAllowedError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_ORIGIN_NOT_ALLOWED' });
    expect(w.api.requests).toHaveLength(0);
    expect(w.authsec.pulls).toHaveLength(0);
  });

  it('a relative path without downstreamUrl is a config error naming DOWNSTREAM_URL; AuthSec is never a target', async () => {
    const w = await world({ client: { downstreamUrl: undefined as never } });
    const bare = new AuthSecClient({
      baseUrl: w.authsec.url,
      clientId: w.agent.clientId,
      env: {},
      logLevel: 'silent',
    });
    closers.push(() => bare.close());
    const error = await rejection(bare.request('/docs'));
    expect(error).toBeInstanceOf(AuthSecConfigError);
    expect(error.message).toMatch(/DOWNSTREAM_URL/);
    const direct = await rejection(
      bare.fetch(`${w.authsec.url}/authsec/uflow/sdk/delegation-token`),
    );
    expect(direct).toBeInstanceOf(AuthSecOriginNotAllowedError);
    expect(w.authsec.pulls).toHaveLength(0);
  });

  it('refuses an origin that is not allowed, naming it, before the token is pulled or sent', async () => {
    const w = await world();
    const error = await rejection(w.client.fetch(`${w.other.url}/steal`));
    expect(error).toBeInstanceOf(AuthSecOriginNotAllowedError);
    expect((error as AuthSecOriginNotAllowedError).origin).toBe(w.other.url);
    expect((error as AuthSecOriginNotAllowedError).hint).toMatch(/AUTHSEC_ALLOWED_ORIGINS/);
    expect(w.other.requests).toHaveLength(0);
    expect(w.authsec.pulls).toHaveLength(0);
  });

  it('refuses userinfo in a URL (https://allowed@evil)', async () => {
    const w = await world();
    const sneaky = w.api.url.replace('http://', 'http://user:pw@');
    const error = await rejection(w.client.fetch(`${sneaky}/api/docs`));
    expect(error).toBeInstanceOf(AuthSecOriginNotAllowedError);
    expect(error.message).toMatch(/user name or password/);
    expect(error.message).not.toMatch(/pw/);
    expect(w.api.requests).toHaveLength(0);
  });

  it('refuses plain http off loopback, even when listed', async () => {
    const w = await world();
    expect(
      () =>
        new AuthSecClient({ mode: 'mock', allowedOrigins: ['http://api.example.com'], env: {} }),
    ).toThrow(/plain http, allowed only for localhost/);
    expect(
      () =>
        new AuthSecClient({ mode: 'mock', allowedOrigins: ['http://api.localhost:8080'], env: {} }),
    ).toThrow(/plain http, allowed only for localhost/);
    const client = new AuthSecClient({
      mode: 'mock',
      allowedOrigins: ['https://api.example.com'],
      env: {},
      logLevel: 'silent',
    });
    closers.push(() => client.close());
    expect(await rejection(client.fetch('http://api.example.com/x'))).toBeInstanceOf(
      AuthSecOriginNotAllowedError,
    );
    expect(w.api.requests).toHaveLength(0);
  });

  it('normalises allowed origins: host case, IDN, default port; no wildcards or paths', () => {
    const client = new AuthSecClient({
      mode: 'mock',
      env: {},
      logLevel: 'silent',
      allowedOrigins: [
        'https://API.Example.com:443',
        'https://bücher.example',
        'https://api.example.com/',
      ],
    });
    expect(client.toJSON().allowedOrigins).toEqual([
      'https://api.example.com',
      'https://xn--bcher-kva.example',
    ]);
    expect(
      () => new AuthSecClient({ mode: 'mock', env: {}, allowedOrigins: ['https://*.example.com'] }),
    ).toThrow(/wildcard/);
    expect(
      () =>
        new AuthSecClient({
          mode: 'mock',
          env: {},
          allowedOrigins: ['https://api.example.com/v1'],
        }),
    ).toThrow(/list the origin only/);
    void client.close();
  });

  it('reads AUTHSEC_ALLOWED_ORIGINS (comma-separated) and DOWNSTREAM_URL from env', async () => {
    const w = await world();
    const client = new AuthSecClient({
      logLevel: 'silent',
      env: {
        AUTHSEC_BASE_URL: w.authsec.url,
        AUTHSEC_AGENT_CLIENT_ID: w.agent.clientId,
        DOWNSTREAM_URL: `${w.api.url}/api`,
        AUTHSEC_ALLOWED_ORIGINS: ` ${w.api.url} , ${w.other.url}`,
      },
    });
    closers.push(() => client.close());
    expect((await client.fetch('/docs')).status).toBe(200);
    expect((await client.fetch(`${w.other.url}/ok`)).status).toBe(404);
    expect(w.other.requests[0]?.bearer).toBe(w.token);
  });

  it('follows a same-origin redirect with the token, and a cross-origin one without it', async () => {
    const w = await world();
    w.api.route('GET /api/moved', { status: 302, headers: { location: '/api/docs' } });
    w.api.route('GET /api/away', { status: 307, headers: { location: `${w.other.url}/landing` } });
    w.other.route('GET /landing', { body: 'hello' });
    expect((await w.client.fetch('/moved')).status).toBe(200);
    expect(w.api.requestsTo('/api/docs')[0]?.bearer).toBe(w.token);
    const res = await w.client.fetch('/away');
    expect(await res.text()).toBe('hello');
    expect(w.other.requests[0]?.authorization).toBeUndefined();
  });

  it("honours fetch's redirect option: manual returns the 3xx, error throws, neither follows", async () => {
    const w = await world();
    w.api.route('GET /api/away', { status: 307, headers: { location: `${w.other.url}/landing` } });
    const res = await w.client.fetch('/away', { redirect: 'manual' });
    expect(res.status).toBe(307);
    expect(res.headers.get('location')).toBe(`${w.other.url}/landing`);
    const fromRequest = await w.client.fetch(
      new Request(`${w.api.url}/api/away`, { redirect: 'manual' }),
    );
    expect(fromRequest.status).toBe(307);
    const error = await rejection(w.client.fetch('/away', { redirect: 'error' }));
    expect(error).toBeInstanceOf(AuthSecHttpError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_HTTP', status: 307, path: '/api/away' });
    expect(w.other.requests).toHaveLength(0);
  });

  it('never carries the token across origins even when the other origin is allowed', async () => {
    const w = await world();
    const client = new AuthSecClient({
      baseUrl: w.authsec.url,
      clientId: w.agent.clientId,
      downstreamUrl: `${w.api.url}/api`,
      allowedOrigins: [w.api.url, w.other.url],
      env: {},
      logLevel: 'silent',
    });
    closers.push(() => client.close());
    w.api.route('GET /api/away', { status: 302, headers: { location: `${w.other.url}/x` } });
    await client.fetch('/away');
    expect(w.other.requests[0]?.authorization).toBeUndefined();
  });

  it('turns a POST into a GET on 303 and drops the body', async () => {
    const w = await world();
    w.api.route('POST /api/submit', { status: 303, headers: { location: '/api/docs' } });
    await w.client.fetch('/submit', {
      method: 'POST',
      body: JSON.stringify({ a: 1 }),
      headers: { 'content-type': 'application/json' },
    });
    const followed = w.api.requestsTo('/api/docs')[0];
    expect(followed?.method).toBe('GET');
    expect(followed?.body).toBe('');
  });

  it('takes a Request as input', async () => {
    const w = await world();
    const res = await w.client.fetch(
      new Request(`${w.api.url}/api/docs`, { headers: { 'x-trace': '1' } }),
    );
    expect(res.status).toBe(200);
    expect(w.api.requests[0]).toMatchObject({
      bearer: w.token,
      headers: expect.objectContaining({ 'x-trace': '1' }),
    });
  });
});

describe('after a downstream 401', () => {
  it('concurrent 401s cause one re-pull, and each request is retried once with the re-delegated token', async () => {
    const w = await world();
    await w.client.getDelegationToken();
    const next = await w.authsec.delegate(w.agent.clientId);
    w.api.route('GET /api/records', (req) =>
      req.bearer === next.token ? { body: { ok: true } } : { status: 401 },
    );
    const results = await Promise.all(
      Array.from({ length: 10 }, () => w.client.requestJson('/records')),
    );
    expect(results).toEqual(Array.from({ length: 10 }, () => ({ ok: true })));
    expect(w.authsec.pulls).toHaveLength(2);
    expect(w.api.requests.filter((r) => r.bearer === w.token)).toHaveLength(10);
    expect(w.api.requests.filter((r) => r.bearer === next.token)).toHaveLength(10);
  });

  it('the same token back from AuthSec: AuthSecTokenRejectedError, and later 401s throw without pulling', async () => {
    const w = await world();
    w.api.route('GET /api/records', {
      status: 401,
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    });
    const error = await rejection(w.client.request('/records'));
    expect(error).toBeInstanceOf(AuthSecTokenRejectedError);
    expect(error).toMatchObject({
      code: 'ERR_AUTHSEC_TOKEN_REJECTED',
      status: 401,
      method: 'GET',
      path: '/api/records',
    });
    expect(error.message).toMatch(/AuthSec has no newer one/);
    expect((error as AuthSecTokenRejectedError).hint).toMatch(/re-delegate/);
    expect(w.authsec.pulls).toHaveLength(2);
    const again = await rejection(w.client.fetch('/records'));
    expect(again).toBeInstanceOf(AuthSecTokenRejectedError);
    expect(w.authsec.pulls).toHaveLength(2);
    expectNoSecrets([w.token], error, again, w.log.text());
  });

  it('the forced re-pull ignores the 15 s same-token pause', async () => {
    // A margin as long as the token: every call is a refresh, so the second call sets the pause.
    const w = await world({ client: { refreshMarginSeconds: 3600 } });
    await w.client.getDelegationToken();
    await w.client.getDelegationToken();
    expect(w.authsec.pulls).toHaveLength(2);
    await w.client.getDelegationToken();
    expect(w.authsec.pulls).toHaveLength(2);
    w.api.route('GET /api/records', { status: 401 });
    const error = await rejection(w.client.request('/records'));
    expect(error).toBeInstanceOf(AuthSecTokenRejectedError);
    expect(w.authsec.pulls).toHaveLength(3);
  });

  it('re-pulls for the same rejected token again only after 15 s', async () => {
    const clock = manualClock();
    const w = await world({ client: { clock: clock.now } });
    w.api.route('GET /api/records', { status: 401 });
    const jti = w.authsec.delegation(w.agent.clientId)?.jti;
    const first = await rejection(w.client.request('/records'));
    expect(first).toBeInstanceOf(AuthSecTokenRejectedError);
    expect((first as AuthSecTokenRejectedError).jti).toBe(jti);
    expect(w.authsec.pulls).toHaveLength(2);
    clock.advance(14);
    expect(await rejection(w.client.request('/records'))).toBeInstanceOf(AuthSecTokenRejectedError);
    expect(w.authsec.pulls).toHaveLength(2);
    clock.advance(2);
    expect(await rejection(w.client.request('/records'))).toBeInstanceOf(AuthSecTokenRejectedError);
    expect(w.authsec.pulls).toHaveLength(3);
  });

  it('concurrent 401s with a token AuthSec will not renew: one re-pull, every request rejected', async () => {
    const w = await world();
    await w.client.getDelegationToken();
    w.api.route('GET /api/records', { status: 401 });
    const errors = await Promise.all(
      Array.from({ length: 10 }, () => rejection(w.client.request('/records'))),
    );
    for (const error of errors) expect(error).toBeInstanceOf(AuthSecTokenRejectedError);
    expect(w.authsec.pulls).toHaveLength(2);
    expect(w.api.requestsTo('/api/records')).toHaveLength(10);
  });

  it('after a revocation, the re-pull fails with AuthSecDelegationNotFoundError', async () => {
    const w = await world();
    await w.client.getDelegationToken();
    w.authsec.revoke(w.agent.clientId);
    w.api.route('GET /api/records', { status: 401 });
    const error = await rejection(w.client.request('/records'));
    expect(error).toBeInstanceOf(AuthSecDelegationNotFoundError);
  });

  it('a body that cannot be sent again is not retried: fetch returns the 401', async () => {
    const w = await world();
    await w.client.getDelegationToken();
    await w.authsec.delegate(w.agent.clientId);
    w.api.route('POST /api/upload', { status: 401 });
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data'));
        controller.close();
      },
    });
    const res = await w.client.fetch('/upload', {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(401);
    expect(w.api.requestsTo('/api/upload')).toHaveLength(1);
    expect(w.authsec.pulls).toHaveLength(2);
  });
});

describe('client.request and client.requestJson', () => {
  it('403 with insufficient_scope: AuthSecPermissionError naming the required scope', async () => {
    const w = await world();
    w.api.route('GET /api/billing/customers/:id', {
      status: 403,
      headers: {
        'www-authenticate': 'Bearer realm="api", error="insufficient_scope", scope="billing:read"',
      },
      body: { error: 'insufficient_scope' },
    });
    const error = await rejection(
      w.client.request('/billing/customers/42', { query: { secret: 'q-value-123' } }),
    );
    expect(error).toBeInstanceOf(AuthSecPermissionError);
    expect(error).toMatchObject({
      code: 'ERR_AUTHSEC_FORBIDDEN',
      status: 403,
      requiredScope: 'billing:read',
      path: '/api/billing/customers/42',
    });
    expect(error.message).toMatch(/lacks the "billing:read" permission/);
    expect((error as AuthSecPermissionError).toJSON()).toMatchObject({
      requiredScope: 'billing:read',
    });
    expectNoSecrets(['q-value-123', w.token], error, w.log.text());
  });

  it.each([
    ['Bearer scope="billing:read", error="insufficient_scope"', 'billing:read'],
    ['Bearer error=insufficient_scope, scope="records:write"', 'records:write'],
    [
      'Bearer error="insufficient_scope", error_description="needs scope=\\"admin\\"", scope="read:metrics"',
      'read:metrics',
    ],
    ['Bearer error="insufficient_scope", error_scope="nope"', undefined],
    ['Bearer error="invalid_token", scope="billing:read"', undefined],
    ['Bearer realm="api"', undefined],
  ])('reads requiredScope from the RFC 6750 challenge %s', async (challenge, scope) => {
    const w = await world();
    w.api.route('GET /api/x', { status: 403, headers: { 'www-authenticate': challenge } });
    const error = await rejection(w.client.request('/x'));
    expect(error).toBeInstanceOf(AuthSecPermissionError);
    expect((error as AuthSecPermissionError).requiredScope).toBe(scope);
  });

  it('a 503 whose Retry-After is longer than the time left: AuthSecHttpError with retryAfterMs', async () => {
    const w = await world({ client: { totalTimeoutMs: 2_000 } });
    w.api.route('GET /api/x', { status: 503, headers: { 'retry-after': '120' } });
    const error = await rejection(w.client.request('/x'));
    expect(error).toBeInstanceOf(AuthSecHttpError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_HTTP', status: 503, retryAfterMs: 120_000 });
    expect(w.api.requestsTo('/api/x')).toHaveLength(1);
  });

  it('other statuses: AuthSecHttpError with status, method and the path only', async () => {
    const w = await world();
    const error = await rejection(w.client.request('/nope', { query: { token: 'abc' } }));
    expect(error).toBeInstanceOf(AuthSecHttpError);
    expect(error).toMatchObject({ status: 404, method: 'GET', path: '/api/nope' });
    expect(error.message).not.toMatch(/abc|\?/);
  });

  it('adds query params (arrays repeat) and JSON bodies', async () => {
    const w = await world();
    w.api.route('POST /api/records', (req) => ({
      status: 201,
      body: { got: req.json, tags: req.url },
    }));
    const res = await w.client.request('/records', {
      method: 'post',
      query: { tag: ['a', 'b'], limit: 5, skip: undefined },
      json: { title: 'x' },
    });
    expect(res.status).toBe(201);
    const seen = w.api.requestsTo('/api/records')[0];
    expect(seen?.url).toBe('/api/records?tag=a&tag=b&limit=5');
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(seen?.json).toEqual({ title: 'x' });
  });

  it('retries an idempotent request after 503 and 429, honouring Retry-After', async () => {
    const w = await world();
    w.api
      .respondOnce('GET /api/docs', { status: 503 })
      .respondOnce('GET /api/docs', { status: 429, headers: { 'retry-after': '0' } });
    expect(await w.client.requestJson('/docs')).toEqual({ docs: [] });
    expect(w.api.requestsTo('/api/docs')).toHaveLength(3);
    expect(w.log.lines.filter((l) => l.fields?.event === 'request.retry')).toHaveLength(2);
  });

  it('does not retry a POST unless asked', async () => {
    const w = await world();
    w.api.respondOnce('POST /api/records', { status: 503 });
    w.api.route('POST /api/records', { status: 201, body: {} });
    expect(
      await rejection(w.client.request('/records', { method: 'POST', json: {} })),
    ).toBeInstanceOf(AuthSecHttpError);
    expect(w.api.requestsTo('/api/records')).toHaveLength(1);
    w.api.respondOnce('POST /api/records', { status: 503 });
    expect(
      (await w.client.request('/records', { method: 'POST', json: {}, retry: true })).status,
    ).toBe(201);
  });

  it('times out an attempt after timeoutMs', async () => {
    const w = await world({ client: { maxRetries: 0 } });
    w.api.route('GET /api/slow', { delayMs: 1_000, body: {} });
    const error = await rejection(w.client.request('/slow', { timeoutMs: 100 }));
    expect(error).toBeInstanceOf(AuthSecTimeoutError);
    expect(error).toMatchObject({ method: 'GET', path: '/api/slow' });
  });

  it('validates a JSON answer with a zod schema, naming field paths, never values', async () => {
    const w = await world();
    w.api.route('GET /api/customers/42', {
      body: { id: 42, name: 'Ada', email: 'secret-mail@example.com' },
    });
    const schema = z.object({ id: z.number(), name: z.string(), email: z.email() });
    expect(await w.client.requestJson('/customers/42', { schema })).toEqual({
      id: 42,
      name: 'Ada',
      email: 'secret-mail@example.com',
    });
    const wrong = z.object({ id: z.string(), email: z.number() });
    const error = await rejection(w.client.requestJson('/customers/42', { schema: wrong }));
    expect(error).toBeInstanceOf(AuthSecResponseError);
    expect((error as AuthSecResponseError).issues).toEqual(['id', 'email']);
    expect(error.message).not.toMatch(/secret-mail|Ada/);
  });

  it('accepts a hand-written async Standard Schema v1: its value is returned, its issues become AuthSecResponseError issues', async () => {
    const w = await world();
    w.api.route('GET /api/customers/7', { body: { id: 7, tags: ['secret-tag'] } });
    const ids: StandardSchemaV1<unknown, number> = {
      '~standard': {
        version: 1,
        vendor: 'hand-written',
        validate: async (value) => {
          const id = (value as { id?: unknown }).id;
          return typeof id === 'number' ? { value: id * 10 } : { issues: [{ message: 'no id' }] };
        },
      },
    };
    expect(await w.client.requestJson('/customers/7', { schema: ids })).toBe(70);
    const failing: StandardSchemaV1<unknown, never> = {
      '~standard': {
        version: 1,
        vendor: 'hand-written',
        validate: () => ({
          issues: [
            { message: 'bad', path: ['tags', 0] },
            { message: 'bad', path: [{ key: 'id' }] },
            { message: 'bad' },
          ],
        }),
      },
    };
    const error = await rejection(w.client.requestJson('/customers/7', { schema: failing }));
    expect(error).toBeInstanceOf(AuthSecResponseError);
    expect(error).toMatchObject({
      code: 'ERR_AUTHSEC_BAD_RESPONSE',
      status: 200,
      path: '/api/customers/7',
    });
    expect((error as AuthSecResponseError).issues).toEqual(['tags.0', 'id', '(root)']);
    expect(error.message).not.toMatch(/secret-tag/);
  });

  it('a body that is not JSON: AuthSecResponseError', async () => {
    const w = await world();
    w.api.route('GET /api/page', {
      body: '<html></html>',
      headers: { 'content-type': 'text/html' },
    });
    expect(await rejection(w.client.requestJson('/page'))).toBeInstanceOf(AuthSecResponseError);
  });
});
