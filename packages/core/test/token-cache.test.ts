import { afterEach, describe, expect, it } from 'vitest';
import { AuthSecClient } from '../src/client.js';
import {
  AuthSecAbortedError,
  AuthSecClosedError,
  AuthSecDelegationExpiredError,
  AuthSecDelegationNotFoundError,
  AuthSecHttpError,
  AuthSecPullForbiddenError,
  AuthSecUnauthenticatedError,
} from '../src/errors.js';
import { rejection, type Setup, setup } from './support.js';

let s: Setup;
afterEach(async () => {
  await s?.close();
});

describe('the token cache', () => {
  it('serves from memory until the refresh margin: no second pull, no log line', async () => {
    s = await setup({ agent: { ttlSeconds: 3600 } });
    await s.client.getDelegationToken();
    const lines = s.log.lines.length;
    for (let i = 0; i < 100; i++) expect(await s.client.getDelegationToken()).toBe(s.token);
    s.clock.advance(3600 - 61);
    expect(await s.client.getDelegationToken()).toBe(s.token);
    expect(s.server.pulls).toHaveLength(1);
    expect(s.log.lines.length).toBe(lines);
  });

  it('1000 concurrent cold callers make exactly one pull', async () => {
    s = await setup();
    s.server.injectPullFault({ type: 'delay', ms: 100 });
    const tokens = await Promise.all(
      Array.from({ length: 1000 }, () => s.client.getDelegationToken()),
    );
    expect(new Set(tokens)).toEqual(new Set([s.token]));
    expect(s.server.pulls).toHaveLength(1);
  });

  it('refreshes inside the margin and serves the re-delegated token', async () => {
    s = await setup({ agent: { ttlSeconds: 3600 }, client: { refreshMarginSeconds: 120 } });
    await s.client.getDelegationToken();
    const next = await s.server.delegate(s.clientId);
    s.clock.advance(3600 - 119);
    const info = await s.client.getDelegationTokenInfo();
    expect(info.jti).toBe(next.jti);
    expect(info.token).toBe(next.token);
    expect(s.server.pulls).toHaveLength(2);
  });

  it('the same token back: keeps serving it, warns once, pulls again at most every 15 s', async () => {
    s = await setup({ agent: { ttlSeconds: 3600 } });
    const before = await s.client.getDelegationTokenInfo();
    s.clock.advance(3600 - 50);
    expect(await s.client.getDelegationToken()).toBe(s.token);
    expect(s.server.pulls).toHaveLength(2);
    // the same token keeps the same info object
    expect(await s.client.getDelegationTokenInfo()).toBe(before);
    const warnings = () => s.log.lines.filter((l) => l.fields?.event === 'token.same');
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]?.level).toBe('warn');
    expect(warnings()[0]?.message).toMatch(/admin re-delegates/);
    s.clock.advance(10);
    expect(await s.client.getDelegationToken()).toBe(s.token);
    expect(s.server.pulls).toHaveLength(2);
    s.clock.advance(6);
    expect(await s.client.getDelegationToken()).toBe(s.token);
    expect(s.server.pulls).toHaveLength(3);
    expect(warnings()).toHaveLength(1);
  });

  it('a token shorter-lived than the margin is still pulled at most every 15 s', async () => {
    s = await setup({ agent: { ttlSeconds: 30 } });
    for (let i = 0; i < 10; i++) await s.client.getDelegationToken();
    expect(s.server.pulls).toHaveLength(2);
  });

  it('serves the cached token with a warning while a refresh fails transiently, then backs off', async () => {
    s = await setup({ agent: { ttlSeconds: 3600 }, client: { maxRetries: 1 } });
    await s.client.getDelegationToken();
    s.clock.advance(3600 - 30);
    s.server.injectPullFault({ type: 'status', status: 503 }, { times: 2 });
    expect(await s.client.getDelegationToken()).toBe(s.token);
    expect(s.server.pulls).toHaveLength(3);
    const stale = s.log.lines.find((l) => l.fields?.event === 'token.stale');
    expect(stale?.level).toBe('warn');
    expect(stale?.fields?.code).toBe('ERR_AUTHSEC_HTTP');
    s.clock.advance(5);
    expect(await s.client.getDelegationToken()).toBe(s.token);
    expect(s.server.pulls).toHaveLength(3);
  });

  it('a transient failure with no valid token left is thrown', async () => {
    s = await setup({ agent: { ttlSeconds: 3600 }, client: { maxRetries: 0 } });
    await s.client.getDelegationToken();
    s.clock.advance(3601);
    s.server.injectPullFault({ type: 'status', status: 500 });
    expect(await rejection(s.client.getDelegationToken())).toBeInstanceOf(AuthSecHttpError);
  });

  it('a 404 after revocation clears the cache: the old token is never served again', async () => {
    s = await setup({ agent: { ttlSeconds: 3600 } });
    await s.client.getDelegationToken();
    s.server.revoke(s.clientId);
    s.clock.advance(3600 - 30);
    expect(await rejection(s.client.getDelegationToken())).toBeInstanceOf(
      AuthSecDelegationNotFoundError,
    );
    s.clock.advance(-3000);
    // back inside the fresh window: a cached token would be served without a pull, so this proves it is gone
    expect(await rejection(s.client.getDelegationToken())).toBeInstanceOf(
      AuthSecDelegationNotFoundError,
    );
    expect(s.server.pulls).toHaveLength(3);
  });

  it('a 401 from AuthSec clears the cache: the old token is never served again', async () => {
    s = await setup({ server: { generation: 'session' }, agent: { ttlSeconds: 3600 } });
    const session = await s.server.createSession();
    const client = new AuthSecClient({
      baseUrl: s.server.url,
      clientId: s.clientId,
      sessionToken: session.token,
      clock: s.clock.now,
      logLevel: 'silent',
      env: {},
    });
    try {
      expect((await client.getDelegationToken()) === s.token).toBe(true);
      s.server.revokeSession(session.token);
      s.clock.advance(3600 - 30);
      expect(await rejection(client.getDelegationToken())).toBeInstanceOf(
        AuthSecUnauthenticatedError,
      );
      expect(client.toJSON().cachedToken).toBeNull();
      s.clock.advance(-3000);
      // back inside the fresh window: a cached token would be served without a pull
      expect(await rejection(client.getDelegationToken())).toBeInstanceOf(
        AuthSecUnauthenticatedError,
      );
      expect(s.server.pulls.map((p) => p.status)).toEqual([200, 401, 401]);
    } finally {
      await client.close();
    }
  });

  it('a 403 from AuthSec is final: not retried, and no stale token is served through it', async () => {
    s = await setup({ agent: { ttlSeconds: 3600 } });
    await s.client.getDelegationToken();
    s.clock.advance(3600 - 30);
    s.server.injectPullFault({
      type: 'status',
      status: 403,
      body: { error: 'forbidden' },
      headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="agents:pull"' },
    });
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecPullForbiddenError);
    expect(error).toMatchObject({
      code: 'ERR_AUTHSEC_PULL_FORBIDDEN',
      requiredScope: 'agents:pull',
    });
    expect(s.server.pulls).toHaveLength(2);
  });

  it('a 410 clears the cache', async () => {
    s = await setup({ agent: { ttlSeconds: 120 }, client: { refreshMarginSeconds: 0 } });
    await s.client.getDelegationToken();
    s.clock.advance(121);
    expect(await rejection(s.client.getDelegationToken())).toBeInstanceOf(
      AuthSecDelegationExpiredError,
    );
    expect(s.client.toJSON().cachedToken).toBeNull();
  });

  it('invalidate() forgets the token: the next call pulls', async () => {
    s = await setup();
    await s.client.getDelegationToken();
    s.client.invalidate();
    await s.client.getDelegationToken();
    expect(s.server.pulls).toHaveLength(2);
  });

  it('a caller whose signal aborts leaves; the shared pull goes on for the others', async () => {
    s = await setup();
    s.server.injectPullFault({ type: 'delay', ms: 300 });
    const controller = new AbortController();
    const leaving = s.client.getDelegationToken({ signal: controller.signal });
    const staying = s.client.getDelegationToken();
    setTimeout(() => controller.abort(), 50);
    const error = await rejection(leaving);
    expect(error).toBeInstanceOf(AuthSecAbortedError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_ABORTED' });
    expect(await staying).toBe(s.token);
    expect(s.server.pulls).toHaveLength(1);
  });

  it('an already-aborted signal rejects at once', async () => {
    s = await setup();
    const error = await rejection(s.client.getDelegationToken({ signal: AbortSignal.abort() }));
    expect(error).toBeInstanceOf(AuthSecAbortedError);
  });

  it('close() aborts a pull in flight and refuses later calls', async () => {
    s = await setup();
    s.server.injectPullFault({ type: 'hang' });
    const pending = s.client.getDelegationToken();
    await s.server.waitForRequests(1, { kind: 'pull' }); // the pull is at the server, unanswered
    await s.client.close();
    const error = await rejection(pending);
    expect(error).toBeInstanceOf(AuthSecClosedError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_CLOSED' });
    expect(await rejection(s.client.getDelegationToken())).toBeInstanceOf(AuthSecClosedError);
    await s.client.close();
  });

  it('Symbol.asyncDispose closes the client', async () => {
    s = await setup();
    {
      await using client = new AuthSecClient({
        baseUrl: s.server.url,
        clientId: s.clientId,
        env: {},
        logLevel: 'silent',
      });
      expect(await client.getDelegationToken()).toBe(s.token);
      expect(client.toJSON().closed).toBe(false);
    }
  });
});
