import { afterEach, describe, expect, it } from 'vitest';
import { AuthSecTestServer, closedPortUrl } from '../src/index.js';
import { call, pull } from './helpers.js';

let server: AuthSecTestServer;
let clientId: string;
afterEach(async () => {
  await server?.close();
});

async function setup() {
  server = await AuthSecTestServer.start();
  clientId = (await server.createDelegatedAgent()).agent.clientId;
}

describe('pull faults', () => {
  it('fails the next N pulls with a status, then answers normally', async () => {
    await setup();
    server.injectPullFault({ type: 'status', status: 500 }, { times: 2 });
    expect((await pull(server, clientId)).status).toBe(500);
    const second = await pull(server, clientId);
    expect(second.status).toBe(500);
    expect(second.json).toEqual({ error: 'injected 500' });
    expect((await pull(server, clientId)).status).toBe(200);
  });

  it('sends Retry-After in seconds or as an HTTP date', async () => {
    await setup();
    const date = new Date(Date.UTC(2026, 10, 25, 12, 0, 0));
    server
      .injectPullFault({ type: 'status', status: 429, retryAfter: 2 })
      .injectPullFault({ type: 'html', status: 429, retryAfter: date });
    const seconds = await pull(server, clientId);
    expect(seconds.status).toBe(429);
    expect(seconds.headers.get('retry-after')).toBe('2');
    const httpDate = await pull(server, clientId);
    expect(httpDate.headers.get('retry-after')).toBe('Wed, 25 Nov 2026 12:00:00 GMT');
    expect(httpDate.headers.get('content-type')).toBe('text/html');
  });

  it.each([502, 503, 504])('answers a proxy HTML page for %i', async (status) => {
    await setup();
    server.injectPullFault({ type: 'html', status });
    const res = await pull(server, clientId);
    expect(res.status).toBe(status);
    expect(res.text).toMatch(/^<html>/);
    expect(res.text).toContain(String(status));
  });

  it('answers a custom JSON body and headers', async () => {
    await setup();
    server.injectPullFault({
      type: 'status',
      status: 500,
      body: { error: 'db down' },
      headers: { 'x-trace': 'abc' },
    });
    const res = await pull(server, clientId);
    expect(res.json).toEqual({ error: 'db down' });
    expect(res.headers.get('x-trace')).toBe('abc');
  });

  it('answers a non-JSON 200 body', async () => {
    await setup();
    server.injectPullFault({ type: 'raw', body: 'OK' });
    const res = await pull(server, clientId);
    expect(res.status).toBe(200);
    expect(res.text).toBe('OK');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  });

  it('answers a 200 body without a token', async () => {
    await setup();
    server.injectPullFault({ type: 'missing-token' });
    const res = await pull(server, clientId);
    expect(res.status).toBe(200);
    expect(res.json).not.toHaveProperty('token');
    expect(res.json).toHaveProperty('expires_at');
  });

  it('answers an over-long body of the asked size', async () => {
    await setup();
    server.injectPullFault({ type: 'oversize', bytes: 2 * 1024 * 1024 });
    const res = await pull(server, clientId);
    expect(res.status).toBe(200);
    expect(Buffer.byteLength(res.text)).toBe(2 * 1024 * 1024);
    expect(() => JSON.parse(res.text)).not.toThrow();
  });

  it('delays a pull and then answers it normally', async () => {
    await setup();
    server.injectPullFault({ type: 'delay', ms: 150 });
    const started = performance.now();
    const res = await pull(server, clientId);
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('hangs a pull until the client gives up', async () => {
    await setup();
    server.injectPullFault({ type: 'hang' });
    const controller = new AbortController();
    let settled = false;
    const pending = fetch(server.pullUrl(clientId), { signal: controller.signal }).finally(() => {
      settled = true;
    });
    await server.waitForRequests(1, { kind: 'pull' });
    // The pull has arrived; a normal request made after it is answered while it still hangs.
    expect((await call(server.bundleUrl())).status).toBe(200);
    expect(settled).toBe(false);
    expect(server.pulls[0]?.status).toBe(0);
    controller.abort();
    await expect(pending).rejects.toThrow(/abort/i);
    expect((await pull(server, clientId)).status).toBe(200);
  });

  it('close() ends a hung pull instead of waiting for it', async () => {
    await setup();
    server.injectPullFault({ type: 'hang' });
    const pending = fetch(server.pullUrl(clientId)).then(
      () => 'answered',
      () => 'cut',
    );
    await server.waitForRequests(1, { kind: 'pull' });
    await server.close();
    expect(await pending).toBe('cut');
    expect(server.pulls[0]?.status).toBe(0);
  });

  it('close() ends a delayed pull at once instead of answering it after the delay', async () => {
    await setup();
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    server.injectPullFault({ type: 'delay', ms: 60_000 });
    const pending = fetch(server.pullUrl(clientId)).then(
      () => 'answered',
      () => 'cut',
    );
    await server.waitForRequests(1, { kind: 'pull' });
    const started = performance.now();
    await server.close();
    expect(await pending).toBe('cut');
    // Well short of the delay: the wait ended with close(), and no timer outlives the server.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(timers()).toBe(before);
  });

  it('fails the next N pulls with 429 and Retry-After, then answers normally', async () => {
    await setup();
    server.injectPullFault({ type: 'status', status: 429, retryAfter: 7 }, { times: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await pull(server, clientId);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(res.json).toEqual({ error: 'injected 429' });
    }
    const ok = await pull(server, clientId);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('retry-after')).toBeNull();
    expect(server.pulls.map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it('answers faults in the order they were queued, each for its own count', async () => {
    await setup();
    server
      .injectPullFault({ type: 'status', status: 502 }, { times: 2 })
      .injectPullFault({ type: 'missing-token' })
      .injectPullFault({ type: 'raw', status: 503, contentType: 'text/html', body: '<p>down</p>' });
    const statuses: Array<[number, string]> = [];
    for (let i = 0; i < 5; i++) {
      const res = await pull(server, clientId);
      statuses.push([res.status, typeof res.json.token]);
    }
    expect(statuses).toEqual([
      [502, 'undefined'],
      [502, 'undefined'],
      [200, 'undefined'],
      [503, 'undefined'],
      [200, 'string'],
    ]);
  });

  it('faults a pull before the session check, as a proxy in front of the service does', async () => {
    server = await AuthSecTestServer.start({ generation: 'session' });
    clientId = (await server.createDelegatedAgent()).agent.clientId;
    server.injectPullFault({ type: 'html', status: 503 });
    const res = await pull(server, clientId);
    expect(res.status).toBe(503);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect((await pull(server, clientId)).status).toBe(401);
  });

  it('drops the connection mid-body', async () => {
    await setup();
    server.injectPullFault({ type: 'drop-mid-body' });
    const res = await fetch(server.pullUrl(clientId));
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect((await pull(server, clientId)).status).toBe(200);
  });

  it('keeps faulting every pull with times: Infinity until clearFaults()', async () => {
    await setup();
    server.injectPullFault({ type: 'status', status: 503 }, { times: Number.POSITIVE_INFINITY });
    for (let i = 0; i < 3; i++) expect((await pull(server, clientId)).status).toBe(503);
    server.clearFaults();
    expect((await pull(server, clientId)).status).toBe(200);
  });

  it('rejects a fault with an impossible status or count', async () => {
    await setup();
    expect(() => server.injectPullFault({ type: 'status', status: 99 })).toThrow(RangeError);
    expect(() => server.injectPullFault({ type: 'hang' }, { times: 0 })).toThrow(RangeError);
  });
});

describe('closedPortUrl', () => {
  it('gives a loopback URL where a connection is refused at once', async () => {
    const url = await closedPortUrl();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const error = await fetch(`${url}/authsec/uflow/sdk/delegation-token`).then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: { code?: string } },
    );
    expect(error?.cause?.code).toBe('ECONNREFUSED');
  });

  it('refuses a host that is not loopback', async () => {
    await expect(closedPortUrl('0.0.0.0')).rejects.toThrow(/loopback only/);
  });
});
