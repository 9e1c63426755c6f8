import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthSecTestServer, startAuthSecServer } from '../src/index.js';
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

  it('prints no key, token or session in inspect and JSON output', async () => {
    server = await AuthSecTestServer.start();
    const { session, delegation } = await server.createDelegatedAgent();
    const shown = `${inspect(server, { depth: 10, showHidden: true })} ${JSON.stringify(server)}`;
    expect(shown).toContain(server.url);
    expect(shown).not.toContain(session.token);
    expect(shown).not.toContain(delegation.token);
    expect(shown).not.toMatch(/"d"|privateKey|BEGIN/);
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
