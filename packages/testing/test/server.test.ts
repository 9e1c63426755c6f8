import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthSecTestServer, PULL_PATH, startAuthSecServer } from '../src/index.js';
import { bearer, call, pull } from './helpers.js';

let server: AuthSecTestServer;
afterEach(async () => {
  await server?.close();
});

describe('AuthSecTestServer', () => {
  it('binds to 127.0.0.1 on a free port by default', async () => {
    server = await startAuthSecServer();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.baseUrl).toBe(server.url);
  });

  it('refuses a non-loopback host unless asked explicitly', async () => {
    await expect(AuthSecTestServer.start({ host: '0.0.0.0' })).rejects.toThrow(
      /refuses to listen on '0\.0\.0\.0'.*allowNonLoopbackHost: true/,
    );
    await expect(AuthSecTestServer.start({ host: '10.1.2.3' })).rejects.toThrow(/loopback only/);
  });

  it('accepts localhost and ::1', async () => {
    server = await AuthSecTestServer.start({ host: '::1' });
    expect(server.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    const { agent } = await server.createDelegatedAgent();
    expect((await pull(server, agent.clientId)).status).toBe(200);
  });

  it('records each request: kind, method, path, query, header names and whether a bearer was sent', async () => {
    server = await AuthSecTestServer.start({ generation: 'session' });
    const { agent, session } = await server.createDelegatedAgent();
    await pull(server, agent.clientId, bearer(session.token));
    await call(server.bundleUrl());
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect(first).toMatchObject({
      kind: 'pull',
      method: 'GET',
      path: '/authsec/uflow/sdk/delegation-token',
      query: { client_id: agent.clientId },
      bearer: true,
      clientIdHeader: agent.clientId,
      status: 200,
    });
    expect(first?.headerNames).toEqual(
      expect.arrayContaining(['accept', 'x-client-id', 'authorization']),
    );
    expect(second).toMatchObject({ kind: 'bundle', bearer: false, status: 200 });
    expect(server.pulls).toHaveLength(1);
    // the record keeps no credential
    expect(JSON.stringify(server.requests)).not.toContain(session.token);
    server.clearRequests();
    expect(server.requests).toHaveLength(0);
  });

  it('records the path exactly as sent, so a doubled slash from a base URL shows', async () => {
    server = await AuthSecTestServer.start();
    const { agent } = await server.createDelegatedAgent();
    const res = await call(
      `${server.url}//authsec/uflow/sdk/delegation-token?client_id=${agent.clientId}`,
    );
    expect(res.status).toBe(404);
    expect(server.requests[0]).toMatchObject({
      kind: 'other',
      path: '//authsec/uflow/sdk/delegation-token',
      query: { client_id: agent.clientId },
      status: 404,
    });
    expect(server.pulls).toHaveLength(0);
  });

  it('records header names in the order sent and no bearer for another scheme', async () => {
    server = await AuthSecTestServer.start();
    const { agent } = await server.createDelegatedAgent();
    await call(server.pullUrl(agent.clientId), {
      headers: { 'X-Client-ID': agent.clientId, Authorization: 'Basic dTpw', Accept: 'text/html' },
    });
    const [record] = server.requests;
    expect(record?.bearer).toBe(false);
    const names = record?.headerNames ?? [];
    expect(names.every((name) => name === name.toLowerCase())).toBe(true);
    expect(names.indexOf('x-client-id')).toBeLessThan(names.indexOf('authorization'));
    expect(names.indexOf('authorization')).toBeLessThan(names.indexOf('accept'));
    expect(JSON.stringify(record)).not.toContain('dTpw');
  });

  it('waitForRequests resolves at once when enough requests are recorded, else when they arrive', async () => {
    server = await AuthSecTestServer.start();
    const { agent } = await server.createDelegatedAgent();
    await expect(server.waitForRequests(0)).resolves.toEqual([]);
    const waiting = server.waitForRequests(2, { kind: 'pull' });
    await call(server.bundleUrl());
    await pull(server, agent.clientId);
    await pull(server, agent.clientId);
    const pulls = await waiting;
    expect(pulls.map((r) => r.kind)).toEqual(['pull', 'pull']);
    expect(await server.waitForRequests(3)).toHaveLength(3);
  });

  it('waitForRequests fails after timeoutMs saying how many arrived, and when the server closes', async () => {
    server = await AuthSecTestServer.start();
    await expect(server.waitForRequests(1, { kind: 'pull', timeoutMs: 20 })).rejects.toThrow(
      /waited 20 ms for 1 pull request\(s\) but 0 arrived/,
    );
    const pending = server.waitForRequests(1);
    await server.close();
    await expect(pending).rejects.toThrow(/closed/);
    await expect(server.waitForRequests(1)).rejects.toThrow(/closed/);
    await expect(server.waitForRequests(-1)).rejects.toThrow(RangeError);
  });

  it('keeps only the latest maxRecordedRequests records, oldest first, and counts every request', async () => {
    server = await AuthSecTestServer.start({ maxRecordedRequests: 3 });
    const { agent } = await server.createDelegatedAgent();
    for (let i = 0; i < 5; i += 1) await call(`${server.url}/other-${i}`);
    await pull(server, agent.clientId);
    expect(server.requests.map((r) => r.path)).toEqual(['/other-3', '/other-4', PULL_PATH]);
    expect(server.pulls).toHaveLength(1);
    expect(server.requestCount).toBe(6);
    expect(server.toJSON()).toMatchObject({ requests: 6, maxRecordedRequests: 3 });
    // Counted requests, not kept records: 6 arrived although only 3 are kept.
    await expect(server.waitForRequests(6, { timeoutMs: 50 })).resolves.toHaveLength(3);
    const later = server.waitForRequests(8, { timeoutMs: 2000 });
    await call(`${server.url}/other-5`);
    await call(`${server.url}/other-6`);
    expect((await later).map((r) => r.path)).toEqual([PULL_PATH, '/other-5', '/other-6']);
    server.clearRequests();
    expect(server.requests).toEqual([]);
    expect(server.requestCount).toBe(0);
    await expect(server.waitForRequests(1, { timeoutMs: 20 })).rejects.toThrow(/but 0 arrived/);
  });

  it('keeps 1000 records by default and refuses a limit below 1', async () => {
    server = await AuthSecTestServer.start();
    expect(server.maxRecordedRequests).toBe(1000);
    await Promise.all(Array.from({ length: 1005 }, (_, i) => call(`${server.url}/n/${i}`)));
    expect(server.requests).toHaveLength(1000);
    expect(server.requestCount).toBe(1005);
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      await expect(AuthSecTestServer.start({ maxRecordedRequests: bad })).rejects.toThrow(
        /maxRecordedRequests must be a whole number of at least 1/,
      );
    }
    const unbounded = await AuthSecTestServer.start({ maxRecordedRequests: Infinity });
    await unbounded.close();
  });

  it('prints no key, token or session in inspect and JSON output', async () => {
    server = await AuthSecTestServer.start();
    const { session, delegation } = await server.createDelegatedAgent();
    const shown = `${inspect(server, { depth: 10, showHidden: true })} ${JSON.stringify(server)}`;
    expect(shown).toContain(server.url);
    expect(shown).not.toContain(session.token);
    expect(shown).not.toContain(delegation.token);
    expect(shown).not.toMatch(/"d"|privateKey|BEGIN/);
  });

  it('keeps session and delegation tokens readable but out of JSON and inspect output', async () => {
    server = await AuthSecTestServer.start({ generation: 'session' });
    const { session, delegation, env } = await server.createDelegatedAgent();
    expect(session.token.split('.')).toHaveLength(3);
    expect(env.AUTHSEC_SESSION_TOKEN === session.token).toBe(true);
    for (const shown of [
      JSON.stringify(session),
      inspect(session),
      JSON.stringify(delegation),
      inspect(delegation),
    ]) {
      expect(shown).not.toContain(session.token.split('.')[2] ?? 'x');
      expect(shown).not.toContain(delegation.token.split('.')[2] ?? 'x');
    }
    expect(JSON.parse(JSON.stringify(session))).toMatchObject({ userId: session.userId });
  });

  it('close() is idempotent and works through Symbol.asyncDispose', async () => {
    const disposable = await AuthSecTestServer.start();
    const url = disposable.url;
    {
      await using s = disposable;
      expect(s.url).toBe(url);
    }
    await disposable.close();
    await expect(fetch(`${url}/authsec/x`)).rejects.toThrow();
  });

  it('rejects an agent or workspace id that is not a UUID', async () => {
    server = await AuthSecTestServer.start();
    expect(() => server.createAgent({ clientId: 'agent-1' })).toThrow(/clientId must be a UUID/);
    await expect(server.createWorkspace('ws')).rejects.toThrow(/workspaceId must be a UUID/);
    await expect(server.delegate('6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11')).rejects.toThrow(
      /Client not found/,
    );
  });
});
