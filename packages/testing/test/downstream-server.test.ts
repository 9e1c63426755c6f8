import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { DownstreamServer, startDownstreamServer } from '../src/downstream-server.js';

const TOKEN = 'tok-7f3a9c-secret';

describe('DownstreamServer routing', () => {
  it('answers 404 JSON naming the method and path when no route matches', async () => {
    await using server = await startDownstreamServer();
    const response = await fetch(`${server.url}/missing?x=1`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ error: 'no route for GET /missing' });
  });

  it('uses a custom fallback when given', async () => {
    await using server = await startDownstreamServer({ fallback: { status: 418, body: 'teapot' } });
    const response = await fetch(`${server.url}/anything`, { method: 'POST' });
    expect(response.status).toBe(418);
    expect(await response.text()).toBe('teapot');
  });

  it('answers an exact route with a default 200', async () => {
    await using server = await startDownstreamServer({
      routes: { 'GET /me': { body: { id: 'u1' } } },
    });
    const response = await fetch(`${server.url}/me`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: 'u1' });
    expect((await fetch(`${server.url}/me/`)).status).toBe(404);
  });

  it('prefers a method-specific route over an any-method route over a :param pattern', async () => {
    await using server = await startDownstreamServer({
      routes: {
        '/items/:id': { body: 'pattern' },
        '/items/1': { body: 'any' },
        'GET /items/1': { body: 'get' },
      },
    });
    expect(await (await fetch(`${server.url}/items/1`)).text()).toBe('get');
    expect(await (await fetch(`${server.url}/items/1`, { method: 'DELETE' })).text()).toBe('any');
    expect(await (await fetch(`${server.url}/items/2`)).text()).toBe('pattern');
  });

  it('rejects a method-specific route for another method', async () => {
    await using server = await startDownstreamServer({ routes: { 'POST /only': { body: 'ok' } } });
    const response = await fetch(`${server.url}/only`);
    expect(response.status).toBe(404);
  });

  it('extracts decoded :param values for handlers and records them', async () => {
    await using server = await startDownstreamServer({
      routes: {
        'GET /users/:user/repos/:repo': (request) => ({ body: request.params }),
      },
    });
    const response = await fetch(`${server.url}/users/a%20b/repos/r%2F1`);
    expect(await response.json()).toEqual({ user: 'a b', repo: 'r/1' });
    expect(server.requests[0]?.params).toEqual({ user: 'a b', repo: 'r/1' });
    expect((await fetch(`${server.url}/users/a/repos`)).status).toBe(404);
  });

  it('answers 400 JSON, not the route, when a :param segment has a malformed percent-escape', async () => {
    const handler = vi.fn(() => ({ body: { ok: true } }));
    await using server = await startDownstreamServer({ routes: { 'GET /customers/:id': handler } });
    const response = await fetch(`${server.url}/customers/%E0%A4%A`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: 'malformed percent-escape in GET /customers/%E0%A4%A',
    });
    expect(handler).not.toHaveBeenCalled();
    expect(server.requests[0]?.params).toEqual({});
    // A path that no route's shape fits still gets the fallback.
    expect((await fetch(`${server.url}/nowhere/%E0%A4%A`)).status).toBe(404);
  });

  it('adds and replaces routes after start', async () => {
    await using server = await startDownstreamServer();
    server.route('GET /late', { body: 'first' }).route('get /late', { body: 'second' });
    expect(await (await fetch(`${server.url}/late`)).text()).toBe('second');
  });

  it('throws on a route key that is not METHOD /path or /path', async () => {
    await using server = await startDownstreamServer();
    expect(() => server.route('no-slash', {})).toThrow(TypeError);
    await expect(startDownstreamServer({ routes: { 'GET x': {} } })).rejects.toThrow(TypeError);
  });
});

describe('DownstreamServer answers', () => {
  it('sends strings as text/plain and other bodies as JSON unless a content type is given', async () => {
    await using server = await startDownstreamServer({
      routes: {
        '/text': { body: 'hello' },
        '/json': { body: [1, { a: true }] },
        '/html': { body: '<p>x</p>', headers: { 'Content-Type': 'text/html' } },
        '/empty': { status: 204 },
      },
    });
    const text = await fetch(`${server.url}/text`);
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await text.text()).toBe('hello');
    const json = await fetch(`${server.url}/json`);
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(await json.json()).toEqual([1, { a: true }]);
    const html = await fetch(`${server.url}/html`);
    expect(html.headers.get('content-type')).toBe('text/html');
    expect(await html.text()).toBe('<p>x</p>');
    const empty = await fetch(`${server.url}/empty`);
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
  });

  it('sends custom headers such as WWW-Authenticate and Retry-After', async () => {
    const challenge = 'Bearer realm="api", error="invalid_token"';
    await using server = await startDownstreamServer({
      routes: {
        '/protected': {
          status: 401,
          headers: { 'WWW-Authenticate': challenge, 'Retry-After': '3' },
          body: { error: 'invalid_token' },
        },
      },
    });
    const response = await fetch(`${server.url}/protected`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(challenge);
    expect(response.headers.get('retry-after')).toBe('3');
  });

  it('answers a 302 with Location that a manual-redirect client sees unfollowed', async () => {
    await using server = await startDownstreamServer({
      routes: { '/go': { status: 302, headers: { Location: 'http://elsewhere.test/landing' } } },
    });
    const response = await fetch(`${server.url}/go`, {
      redirect: 'manual',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('http://elsewhere.test/landing');
    expect(server.requests).toHaveLength(1);
  });

  it('answers HEAD with headers only, using the GET route', async () => {
    await using server = await startDownstreamServer({
      routes: { 'GET /doc': { body: 'abcdef' } },
    });
    const response = await fetch(`${server.url}/doc`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('6');
    expect(await response.text()).toBe('');
  });

  it('answers respondOnce entries in queue order, then falls back to the route', async () => {
    await using server = await startDownstreamServer({
      routes: { 'GET /flaky': { body: 'route' } },
    });
    server
      .respondOnce('/flaky', { status: 503, body: 'first' })
      .respondOnce('/flaky', () => ({ status: 429, body: 'second' }));
    const first = await fetch(`${server.url}/flaky`);
    const second = await fetch(`${server.url}/flaky`);
    const third = await fetch(`${server.url}/flaky`);
    expect([first.status, await first.text()]).toEqual([503, 'first']);
    expect([second.status, await second.text()]).toEqual([429, 'second']);
    expect([third.status, await third.text()]).toEqual([200, 'route']);
  });

  it('falls back to the default 404 once a respondOnce queue without a route is used up', async () => {
    await using server = await startDownstreamServer();
    server.respondOnce('POST /once', { body: 'once' });
    expect((await fetch(`${server.url}/once`, { method: 'POST' })).status).toBe(200);
    expect((await fetch(`${server.url}/once`, { method: 'POST' })).status).toBe(404);
  });

  it('waits delayMs before answering', async () => {
    await using server = await startDownstreamServer({ routes: { '/slow': { delayMs: 50 } } });
    const started = performance.now();
    const response = await fetch(`${server.url}/slow`);
    expect(response.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(40);
  });

  it('answers 500 when a handler throws, without leaking request headers', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await using server = await startDownstreamServer({
        routes: {
          '/boom': () => {
            throw new Error('kaboom');
          },
          '/async-boom': async () => Promise.reject(new Error('async kaboom')),
        },
      });
      for (const path of ['/boom', '/async-boom']) {
        const response = await fetch(`${server.url}${path}`, {
          headers: { authorization: `Bearer ${TOKEN}`, 'x-api-key': 'key-secret-42' },
        });
        expect(response.status).toBe(500);
        const text = await response.text();
        expect(JSON.parse(text)).toEqual({ error: 'handler failed' });
        expect(text).not.toContain(TOKEN);
      }
      const printed = inspect(logged.mock.calls, { depth: 10 });
      expect(printed).not.toContain(TOKEN);
      expect(printed).not.toContain('key-secret-42');
    } finally {
      logged.mockRestore();
    }
  });

  it('answers 413 to a body over maxBodyBytes and records it without the body', async () => {
    await using server = await startDownstreamServer({
      maxBodyBytes: 16,
      routes: { 'POST /upload': { body: 'stored' } },
    });
    const big = await fetch(`${server.url}/upload`, { method: 'POST', body: 'x'.repeat(17) });
    expect(big.status).toBe(413);
    const small = await fetch(`${server.url}/upload`, { method: 'POST', body: 'x'.repeat(16) });
    expect(small.status).toBe(200);
    expect(server.requestsTo('/upload').map((request) => request.body.length)).toEqual([0, 16]);
  });
});

describe('DownstreamServer recording', () => {
  it('records method, path, query, headers, authorization, bearer, body and json', async () => {
    await using server = await startDownstreamServer({ routes: { 'POST /api/items': {} } });
    await fetch(`${server.url}/api/items?a=1&b=2&a=3`, {
      method: 'POST',
      headers: {
        Authorization: `bearer ${TOKEN}`,
        'Content-Type': 'application/json',
        'X-Trace-Id': 'trace-1',
      },
      body: JSON.stringify({ name: 'widget' }),
    });
    const [request] = server.requests;
    expect(request).toMatchObject({
      method: 'POST',
      path: '/api/items',
      url: '/api/items?a=1&b=2&a=3',
      query: { a: '3', b: '2' },
      authorization: `bearer ${TOKEN}`,
      bearer: TOKEN,
      body: '{"name":"widget"}',
      json: { name: 'widget' },
    });
    expect(request?.headers['x-trace-id']).toBe('trace-1');
    expect(Object.keys(request?.headers ?? {}).every((name) => name === name.toLowerCase())).toBe(
      true,
    );
    expect(request?.at).toBeInstanceOf(Date);
  });

  it('records no bearer for a missing or non-Bearer Authorization and no json for text', async () => {
    await using server = await startDownstreamServer();
    await fetch(`${server.url}/a`);
    await fetch(`${server.url}/b`, {
      method: 'PUT',
      headers: { authorization: 'Basic dXNlcjpwdw==' },
      body: 'not json',
    });
    const [plain, basic] = server.requests;
    expect(plain).toMatchObject({ authorization: undefined, bearer: undefined, body: '' });
    expect(plain?.json).toBeUndefined();
    expect(basic).toMatchObject({ authorization: 'Basic dXNlcjpwdw==', bearer: undefined });
    expect(basic?.body).toBe('not json');
    expect(basic?.json).toBeUndefined();
  });

  it('filters recorded requests by exact path with requestsTo', async () => {
    await using server = await startDownstreamServer();
    await fetch(`${server.url}/one?x=1`);
    await fetch(`${server.url}/two`);
    await fetch(`${server.url}/one`);
    expect(server.requestsTo('/one').map((request) => request.url)).toEqual(['/one?x=1', '/one']);
    expect(server.requestsTo('/on')).toEqual([]);
  });

  it('forgets recorded requests on clearRequests', async () => {
    await using server = await startDownstreamServer();
    await fetch(`${server.url}/x`);
    const snapshot = server.requests;
    server.clearRequests();
    expect(server.requests).toEqual([]);
    expect(snapshot).toHaveLength(1);
    await fetch(`${server.url}/y`);
    expect(server.requests.map((request) => request.path)).toEqual(['/y']);
  });
});

describe('DownstreamServer lifecycle and safety', () => {
  it('listens on 127.0.0.1 with url and origin equal and no trailing slash', async () => {
    await using server = await DownstreamServer.start();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.origin).toBe(server.url);
  });

  it('refuses a non-loopback host unless allowNonLoopbackHost is set', async () => {
    await expect(startDownstreamServer({ host: '0.0.0.0' })).rejects.toThrow(
      /allowNonLoopbackHost/,
    );
    await expect(startDownstreamServer({ host: '192.168.1.10' })).rejects.toThrow(
      /allowNonLoopbackHost/,
    );
  });

  it('accepts localhost and ::1 as loopback hosts', async () => {
    await using local = await startDownstreamServer({ host: 'localhost' });
    expect((await fetch(`${local.url}/x`)).status).toBe(404);
    await using ipv6 = await startDownstreamServer({ host: '::1' });
    expect(ipv6.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    expect((await fetch(`${ipv6.url}/x`)).status).toBe(404);
  });

  it('keeps tokens out of util.inspect and JSON.stringify summaries', async () => {
    await using server = await startDownstreamServer({ routes: { 'GET /me': {} } });
    await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(server.requests[0]?.bearer).toBe(TOKEN);
    const inspected = inspect(server, { depth: 10 });
    const json = JSON.stringify(server);
    expect(inspected).not.toContain(TOKEN);
    expect(json).not.toContain(TOKEN);
    expect(JSON.parse(json)).toEqual({ url: server.url, routes: ['GET /me'], requests: 1 });
    expect(inspected).toContain('GET /me');
  });

  it('closes idempotently and stops answering', async () => {
    const server = await startDownstreamServer();
    await fetch(`${server.url}/x`);
    await Promise.all([server.close(), server.close()]);
    await server.close();
    await expect(fetch(`${server.url}/x`)).rejects.toThrow();
  });

  it('closes on await using, even with a delayed answer pending', async () => {
    let url = '';
    let pending: Promise<unknown> = Promise.resolve();
    {
      await using server = await startDownstreamServer({
        routes: { '/slow': { delayMs: 10_000 } },
      });
      url = server.url;
      pending = fetch(`${url}/slow`).catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await pending).toBeInstanceOf(Error);
    await expect(fetch(`${url}/x`)).rejects.toThrow();
  });

  it('closes through Symbol.asyncDispose called directly', async () => {
    const server = await startDownstreamServer();
    await server[Symbol.asyncDispose]();
    await expect(fetch(`${server.url}/x`)).rejects.toThrow();
  });
});
