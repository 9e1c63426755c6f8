// Proves the module-level getDelegationToken(): built from process.env on first use, rebuilt after close.

import { AuthSecTestServer } from '@authsec/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { expectNoSecrets, rejection } from './support.js';

type Core = typeof import('../src/index.js');

let core: Core;
let saved: Record<string, string | undefined>;
let consoleText: () => string;
const servers: AuthSecTestServer[] = [];

/** Every console line the default client wrote, joined. */
function spyOnConsole(): () => string {
  const calls = (['error', 'warn', 'info', 'debug', 'log'] as const).map(
    (level) => vi.spyOn(console, level).mockImplementation(() => {}).mock.calls,
  );
  return () =>
    calls
      .flat()
      .map((args) => args.map(String).join(' '))
      .join('\n');
}

beforeEach(async () => {
  saved = { ...process.env };
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('AUTHSEC_') || name === 'NO_COLOR') delete process.env[name];
  }
  consoleText = spyOnConsole();
  // A fresh module graph per test, so no default client survives from another test.
  vi.resetModules();
  core = await import('../src/index.js');
});

afterEach(async () => {
  await core.closeDefaultClient();
  for (const name of Object.keys(process.env)) {
    if (!(name in saved)) delete process.env[name];
  }
  Object.assign(process.env, saved);
  vi.restoreAllMocks();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A legacy server with one delegated agent; `env` holds AUTHSEC_BASE_URL and AUTHSEC_AGENT_CLIENT_ID. */
async function agentServer() {
  const server = await AuthSecTestServer.start();
  servers.push(server);
  const { agent, delegation, env } = await server.createDelegatedAgent();
  return { server, clientId: agent.clientId, token: delegation.token, env };
}

describe('getDelegationToken() (module level)', () => {
  it('builds its client from process.env at the first call, not at import', async () => {
    const { server, clientId, token, env } = await agentServer();
    // The module is imported already, with no AuthSec variable set: nothing happened yet.
    expect(consoleText()).toBe('');
    Object.assign(process.env, env);
    expect(await core.getDelegationToken()).toBe(token);
    expect(server.pulls).toHaveLength(1);
    expect(server.pulls[0]?.query).toMatchObject({ client_id: clientId });
    expect(await core.getDelegationToken()).toBe(token);
    expect(server.pulls).toHaveLength(1);
    expect(consoleText()).toBe('');
  });

  it('shares one pull among concurrent first callers', async () => {
    const { server, token, env } = await agentServer();
    Object.assign(process.env, env);
    server.injectPullFault({ type: 'delay', ms: 100 });
    const tokens = await Promise.all(Array.from({ length: 20 }, () => core.getDelegationToken()));
    expect(new Set(tokens)).toEqual(new Set([token]));
    expect(server.pulls).toHaveLength(1);
  });

  it('rejects with AuthSecConfigError for a bad environment, and the next call after fixing it succeeds', async () => {
    const { server, clientId, token, env } = await agentServer();
    const secret = 'sess-env-secret-0123456789';
    process.env.AUTHSEC_BASE_URL = 'http://authsec.example.com';
    process.env.AUTHSEC_AGENT_CLIENT_ID = clientId;
    process.env.AUTHSEC_SESSION_TOKEN = `Bearer ${secret}`;
    const error = await rejection(core.getDelegationToken());
    expect(error).toBeInstanceOf(core.AuthSecConfigError);
    expect(core.isAuthSecError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_CONFIG', name: 'AuthSecConfigError' });
    expect(error.message).toMatch(/baseUrl must use https:\/\/.*AUTHSEC_BASE_URL/);
    expect(error.message).toMatch(/AUTHSEC_SESSION_TOKEN/);
    expect((error as InstanceType<Core['AuthSecConfigError']>).problems).toHaveLength(2);
    expect(server.requests).toHaveLength(0);
    expectNoSecrets([secret], error, consoleText());

    Object.assign(process.env, env);
    delete process.env.AUTHSEC_SESSION_TOKEN;
    expect(await core.getDelegationToken()).toBe(token);
    expect(server.pulls).toHaveLength(1);
  });

  it('keeps the client it built: later changes to process.env do not reach it', async () => {
    const first = await agentServer();
    const second = await agentServer();
    Object.assign(process.env, first.env);
    expect(await core.getDelegationToken()).toBe(first.token);
    Object.assign(process.env, second.env);
    expect(await core.getDelegationToken()).toBe(first.token);
    expect(second.server.requests).toHaveLength(0);
  });

  it('closeDefaultClient() makes the next call rebuild from process.env as it is then', async () => {
    const first = await agentServer();
    const second = await agentServer();
    Object.assign(process.env, first.env);
    expect(await core.getDelegationToken()).toBe(first.token);
    Object.assign(process.env, second.env);
    await core.closeDefaultClient();
    expect(await core.getDelegationToken()).toBe(second.token);
    expect(first.server.pulls).toHaveLength(1);
    expect(second.server.pulls).toHaveLength(1);
  });

  it('closeDefaultClient() before any call, or twice, does nothing', async () => {
    await expect(core.closeDefaultClient()).resolves.toBeUndefined();
    await expect(core.closeDefaultClient()).resolves.toBeUndefined();
    expect(consoleText()).toBe('');
  });

  it('runs in auto mock mode, with the console warning, when process.env has no AuthSec settings', async () => {
    const token = await core.getDelegationToken();
    expect(token.split('.')).toHaveLength(3);
    const text = consoleText();
    expect(text).toMatch(/\[AuthSec SDK\] \[Mode\] MOCK: .*AUTHSEC_BASE_URL/);
    expectNoSecrets([token], text);
  });
});

describe('getDefaultClient()', () => {
  it('returns one client, the one getDelegationToken() uses, so they share one cache', async () => {
    const { server, token, env } = await agentServer();
    Object.assign(process.env, env);
    const client = core.getDefaultClient();
    expect(client).toBeInstanceOf(core.AuthSecClient);
    expect(core.getDefaultClient()).toBe(client);
    expect(client.mode).toBe('live');
    expect((await client.getDelegationToken()) === token).toBe(true);
    expect((await core.getDelegationToken()) === token).toBe(true);
    expect((await core.getDefaultClient().getDelegationTokenInfo()).token === token).toBe(true);
    expect(server.pulls).toHaveLength(1);
  });

  it('is built on its first call from process.env as it is then, not at import', async () => {
    const { server, clientId, env } = await agentServer();
    Object.assign(process.env, env);
    const client = core.getDefaultClient();
    expect(client.toJSON()).toMatchObject({ mode: 'live', baseUrl: server.url, clientId });
    expect(server.requests).toHaveLength(0);
  });

  it('throws AuthSecConfigError for a bad environment, and builds the client once it is fixed', async () => {
    const { server, token, env } = await agentServer();
    process.env.AUTHSEC_BASE_URL = env.AUTHSEC_BASE_URL;
    const error = (() => {
      try {
        core.getDefaultClient();
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected getDefaultClient() to throw');
    })();
    expect(error).toBeInstanceOf(core.AuthSecConfigError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_CONFIG' });
    expect(error.message).toMatch(
      /clientId is missing: pass `clientId` or set AUTHSEC_AGENT_CLIENT_ID/,
    );
    Object.assign(process.env, env);
    expect((await core.getDefaultClient().getDelegationToken()) === token).toBe(true);
    expect(server.pulls).toHaveLength(1);
  });

  it('after closeDefaultClient() returns a new client; the old one is closed', async () => {
    const { env } = await agentServer();
    Object.assign(process.env, env);
    const first = core.getDefaultClient();
    await core.closeDefaultClient();
    const second = core.getDefaultClient();
    expect(second).not.toBe(first);
    expect(first.toJSON()).toMatchObject({ closed: true });
    expect(second.toJSON()).toMatchObject({ closed: false });
    const error = await rejection(first.getDelegationToken());
    expect(error).toBeInstanceOf(core.AuthSecClosedError);
  });

  it('is a mock client, with the console warning, when process.env has no AuthSec settings', async () => {
    const client = core.getDefaultClient();
    expect(client.mode).toBe('mock');
    expect(consoleText()).toMatch(/\[AuthSec SDK\] \[Mode\] MOCK: .*AUTHSEC_BASE_URL/);
  });
});
