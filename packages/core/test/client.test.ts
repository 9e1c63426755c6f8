// Proves AuthSecClient's public surface: token info, printing without secrets, headers, fetch and construction.

import { inspect } from 'node:util';
import { AuthSecTestServer } from '@authsec/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthSecClient } from '../src/client.js';
import { AuthSecConfigError, AuthSecError, isAuthSecError } from '../src/errors.js';
import { captureLogger, expectNoSecrets, type Setup, setup } from './support.js';

const PULL_PATH = '/authsec/uflow/sdk/delegation-token';

let s: Setup | undefined;
const extra: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await s?.close();
  s = undefined;
  await Promise.all(extra.splice(0).map((thing) => thing.close()));
});

/** A fetch that is the real global fetch, counting the URLs it is asked for. */
function recordingFetch() {
  const urls: string[] = [];
  const wrapped: typeof fetch = (input, init) => {
    urls.push(input instanceof Request ? input.url : String(input));
    return fetch(input, init);
  };
  return { fetch: wrapped, urls };
}

/** Calls `make` and returns what it threw synchronously, failing when it did not throw. */
function thrown(make: () => unknown): Error {
  let result: unknown;
  try {
    result = make();
  } catch (error) {
    return error as Error;
  }
  throw new Error(`expected a synchronous throw, got ${String(result)}`);
}

/** A session-generation server, one delegated agent, and a static session credential for it. */
async function sessionServer() {
  const server = await AuthSecTestServer.start({ generation: 'session' });
  extra.push(server);
  const { agent, delegation, session } = await server.createDelegatedAgent();
  return { server, clientId: agent.clientId, token: delegation.token, sessionToken: session.token };
}

describe('getDelegationTokenInfo()', () => {
  it('returns the token with its expiry, permissions, audience, SPIFFE ID, client id, workspace id, jti and live mode', async () => {
    s = await setup({
      agent: {
        permissions: ['read:records', 'billing:read'],
        audience: ['authsec-api', 'records-api'],
      },
    });
    const info = await s.client.getDelegationTokenInfo();
    const record = s.server.delegation(s.clientId);
    expect(info.token).toBe(s.token);
    expect(info.expiresAt).toBeInstanceOf(Date);
    expect(info.expiresAt.getTime()).toBe(Math.floor((record?.expiresAtMs ?? 0) / 1000) * 1000);
    expect(info.permissions).toEqual(['read:records', 'billing:read']);
    expect(info.audience).toEqual(['authsec-api', 'records-api']);
    expect(info.spiffeId).toMatch(new RegExp(`^spiffe://authsec\\.dev/tenants/.+/${s.clientId}$`));
    expect(info.clientId).toBe(s.clientId);
    expect(info.workspaceId).toBe(s.server.workspaceId);
    expect(info.jti).toBe(record?.jti);
    expect(info.mode).toBe('live');
    expect(await s.client.getDelegationToken()).toBe(info.token);
  });

  it('keeps token readable but not enumerable, and freezes the info', async () => {
    s = await setup();
    const info = await s.client.getDelegationTokenInfo();
    expect(info.token).toBe(s.token);
    expect(Object.keys(info)).not.toContain('token');
    expect(Object.getOwnPropertyDescriptor(info, 'token')?.enumerable).toBe(false);
    expect({ ...info }).not.toHaveProperty('token');
    expect(Object.isFrozen(info)).toBe(true);
  });

  it('JSON.stringify(info) and util.inspect(info) show the jti but never the token or its signature', async () => {
    s = await setup();
    const info = await s.client.getDelegationTokenInfo();
    const jti = s.server.delegation(s.clientId)?.jti ?? 'missing';
    const json = JSON.stringify(info);
    const shown = inspect(info, { depth: 10 });
    expect(JSON.parse(json)).toMatchObject({ jti, clientId: s.clientId, mode: 'live' });
    expect(JSON.parse(json)).not.toHaveProperty('token');
    expect(shown).toContain(jti);
    expect(shown).toMatch(/^DelegationTokenInfo /);
    expectNoSecrets([s.token], json, shown, info);
  });

  it('returns the very same info object on cache hits, and a new one after a refresh', async () => {
    s = await setup({ agent: { ttlSeconds: 3600 } });
    const first = await s.client.getDelegationTokenInfo();
    const second = await s.client.getDelegationTokenInfo();
    expect(second).toBe(first);
    expect(s.server.pulls).toHaveLength(1);
    s.clock.advance(3600 - 30);
    const next = await s.server.delegate(s.clientId);
    const refreshed = await s.client.getDelegationTokenInfo();
    expect(refreshed).not.toBe(first);
    expect(refreshed.jti).toBe(next.jti);
    expect(await s.client.getDelegationTokenInfo()).toBe(refreshed);
  });
});

describe('mode', () => {
  it('is live when baseUrl and clientId are configured, without making a request', async () => {
    s = await setup();
    expect(s.client.mode).toBe('live');
    expect(s.server.requests).toHaveLength(0);
  });

  it('is mock when mode is mock, even with a live configuration', async () => {
    s = await setup({ client: { mode: 'mock' } });
    expect(s.client.mode).toBe('mock');
    expect((await s.client.getDelegationTokenInfo()).mode).toBe('mock');
    expect(s.server.requests).toHaveLength(0);
  });
});

describe('printing the client', () => {
  it('JSON.stringify(client) is a config summary: mode, baseUrl, clientId, sessionToken set, cached jti', async () => {
    const { server, clientId, token, sessionToken } = await sessionServer();
    const client = new AuthSecClient({
      baseUrl: `${server.url}/`,
      clientId,
      sessionToken,
      env: {},
      logLevel: 'silent',
    });
    extra.push(client);
    expect(JSON.parse(JSON.stringify(client))).toEqual({
      mode: 'live',
      baseUrl: server.url,
      clientId,
      allowedOrigins: [],
      sessionToken: 'set',
      closed: false,
      cachedToken: null,
    });
    const info = await client.getDelegationTokenInfo();
    expect(JSON.parse(JSON.stringify(client))).toMatchObject({
      sessionToken: 'set',
      cachedToken: { jti: info.jti, expiresAt: info.expiresAt.toISOString() },
    });
    expectNoSecrets([token, sessionToken], JSON.stringify(client));
  });

  it('util.inspect(client) shows the same summary and never the token or the session credential', async () => {
    const { server, clientId, token, sessionToken } = await sessionServer();
    const client = new AuthSecClient({
      baseUrl: server.url,
      clientId,
      sessionToken,
      env: {},
      logLevel: 'silent',
    });
    extra.push(client);
    const info = await client.getDelegationTokenInfo();
    const shown = inspect(client, { depth: 10, showHidden: true });
    expect(shown).toMatch(/^AuthSecClient /);
    for (const part of [
      '"mode":"live"',
      server.url,
      clientId,
      '"sessionToken":"set"',
      info.jti ?? 'missing',
    ]) {
      expect(shown).toContain(part);
    }
    expectNoSecrets([token, sessionToken], shown, inspect({ nested: { client } }, { depth: 10 }));
  });

  it('String(client) shows the config summary and never the token or the session credential', async () => {
    const { server, clientId, token, sessionToken } = await sessionServer();
    const client = new AuthSecClient({
      baseUrl: server.url,
      clientId,
      sessionToken,
      env: {},
      logLevel: 'silent',
    });
    extra.push(client);
    const info = await client.getDelegationTokenInfo();
    const shown = String(client);
    expectNoSecrets([token, sessionToken], shown, `${client}`);
    for (const part of ['live', server.url, clientId, 'set', info.jti ?? 'missing']) {
      expect(shown).toContain(part);
    }
  });

  it('says sessionToken: provider for a function, set for an env credential and none without one', async () => {
    const { server, clientId, sessionToken } = await sessionServer();
    const base = { baseUrl: server.url, clientId, logLevel: 'silent' } as const;
    const provider = new AuthSecClient({ ...base, env: {}, sessionToken: () => sessionToken });
    const fromEnv = new AuthSecClient({ ...base, env: { AUTHSEC_SESSION_TOKEN: sessionToken } });
    const none = new AuthSecClient({ ...base, env: {} });
    extra.push(provider, fromEnv, none);
    expect(provider.toJSON().sessionToken).toBe('provider');
    expect(fromEnv.toJSON().sessionToken).toBe('set');
    expect(none.toJSON().sessionToken).toBe('none');
    await provider.getDelegationToken();
    await fromEnv.getDelegationToken();
    expectNoSecrets([sessionToken], provider, fromEnv, JSON.stringify([provider, fromEnv]));
  });
});

describe('the headers option', () => {
  it('sends extra headers on the pull', async () => {
    s = await setup({
      client: { headers: { 'X-Request-Source': 'agent-7', 'x-trace-id': 'abc' } },
    });
    await s.client.getDelegationToken();
    expect(s.server.requests).toHaveLength(1);
    expect(s.server.requests[0]?.headerNames).toEqual(
      expect.arrayContaining(['x-request-source', 'x-trace-id', 'accept', 'x-client-id']),
    );
  });

  it.each([
    'Authorization',
    'authorization',
    'X-Client-ID',
    'x-client-id',
    'Accept',
    'Host',
    'Cookie',
  ])(
    'refuses the reserved header %s at construction with AuthSecConfigError, without echoing its value',
    (name) => {
      const secret = 'sess-header-secret-0123456789';
      const log = captureLogger();
      const error = thrown(
        () =>
          new AuthSecClient({
            baseUrl: 'https://prod.api.authsec.ai',
            clientId: '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11',
            headers: { [name]: `Bearer ${secret}` },
            logger: log,
            env: {},
          }),
      );
      expect(error).toBeInstanceOf(AuthSecConfigError);
      expect(error).toMatchObject({ code: 'ERR_AUTHSEC_CONFIG', name: 'AuthSecConfigError' });
      expect(error.message).toContain(`headers must not set '${name}'`);
      expect((error as AuthSecConfigError).problems).toHaveLength(1);
      expect(log.lines).toHaveLength(0);
      expectNoSecrets([secret], error, log.text());
    },
  );
});

describe('the fetch option', () => {
  it('makes every pull through the injected fetch, and none on cache hits', async () => {
    const recorder = recordingFetch();
    s = await setup({ agent: { ttlSeconds: 3600 }, client: { fetch: recorder.fetch } });
    expect(await s.client.getDelegationToken()).toBe(s.token);
    expect(await s.client.getDelegationToken()).toBe(s.token);
    expect(recorder.urls).toEqual([`${s.server.url}${PULL_PATH}?client_id=${s.clientId}`]);
    s.client.invalidate();
    await s.client.getDelegationToken();
    expect(recorder.urls).toHaveLength(2);
    expect(s.server.pulls).toHaveLength(2);
  });
});

describe('construction', () => {
  it('makes no request: not through fetch, not to the server', async () => {
    const recorder = recordingFetch();
    s = await setup({ client: { fetch: recorder.fetch } });
    const another = new AuthSecClient({
      baseUrl: s.server.url,
      clientId: s.clientId,
      fetch: recorder.fetch,
      env: {},
      logLevel: 'silent',
    });
    extra.push(another);
    expect(another.mode).toBe('live');
    expect(another.toJSON().cachedToken).toBeNull();
    inspect(another);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(recorder.urls).toHaveLength(0);
    expect(s.server.requests).toHaveLength(0);
  });

  it('throws AuthSecConfigError synchronously for bad config, listing every problem without echoing secrets', () => {
    const secrets = ['pw-secret-0123456789', 'query-secret-0123456789', 'sess-secret-0123456789'];
    const log = captureLogger();
    const error = thrown(
      () =>
        new AuthSecClient({
          baseUrl: `https://agent:${secrets[0]}@prod.api.authsec.ai/?token=${secrets[1]}`,
          clientId: 'not-a-uuid',
          sessionToken: `Bearer ${secrets[2]}`,
          maxRetries: -1,
          logger: log,
          env: {},
        }),
    );
    expect(error).toBeInstanceOf(AuthSecConfigError);
    expect(error).toBeInstanceOf(AuthSecError);
    expect(isAuthSecError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_CONFIG', name: 'AuthSecConfigError' });
    const problems = (error as AuthSecConfigError).problems;
    expect(problems).toHaveLength(5);
    expect(error.message).toMatch(/^Invalid AuthSec configuration:\n {2}- /);
    expect(error.message).toMatch(/user name or password/);
    expect(error.message).toMatch(/query string/);
    expect(error.message).toMatch(/clientId is invalid.*AUTHSEC_AGENT_CLIENT_ID/);
    expect(error.message).toMatch(
      /sessionToken must be the bare credential.*AUTHSEC_SESSION_TOKEN/,
    );
    expect(error.message).toMatch(/maxRetries/);
    expect((error as AuthSecConfigError).hint).toMatch(/README/);
    expect(log.lines).toHaveLength(0);
    expectNoSecrets(secrets, error, log.text());
  });
});
