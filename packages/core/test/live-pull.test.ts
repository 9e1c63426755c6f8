import { DownstreamServer } from '@authsec/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthSecClient } from '../src/client.js';
import {
  AuthSecClientNotFoundError,
  AuthSecDelegationExpiredError,
  AuthSecDelegationNotFoundError,
  AuthSecHttpError,
  AuthSecNetworkError,
  AuthSecRateLimitedError,
  AuthSecResponseError,
  AuthSecTimeoutError,
  AuthSecUnauthenticatedError,
} from '../src/errors.js';
import { expectNoSecrets, rejection, type Setup, setup } from './support.js';

let s: Setup;
afterEach(async () => {
  await s?.close();
});

describe('the pull', () => {
  it('sends exactly the contract request: client_id in query and X-Client-ID, Accept, User-Agent', async () => {
    s = await setup();
    expect(await s.client.getDelegationToken()).toBe(s.token);
    expect(s.server.pulls).toHaveLength(1);
    const pull = s.server.pulls[0];
    expect(pull).toMatchObject({
      method: 'GET',
      path: '/authsec/uflow/sdk/delegation-token',
      query: { client_id: s.clientId },
      clientIdHeader: s.clientId,
      bearer: false,
      status: 200,
    });
    expect(pull?.headerNames).toEqual(
      expect.arrayContaining(['accept', 'x-client-id', 'user-agent']),
    );
  });

  it('every pull carries the contract headers and the session credential; a provider is asked again each pull', async () => {
    s = await setup({ session: true });
    for (let i = 0; i < 3; i++) {
      s.client.invalidate();
      await s.client.getDelegationToken();
    }
    expect(s.server.pulls).toHaveLength(3);
    for (const pull of s.server.pulls) {
      expect(pull).toMatchObject({ clientIdHeader: s.clientId, bearer: true, status: 200 });
      expect(pull.headerNames).toEqual(
        expect.arrayContaining(['accept', 'x-client-id', 'user-agent', 'authorization']),
      );
    }
    const sessions = [await s.server.createSession(), await s.server.createSession()];
    let asked = 0;
    const client = new AuthSecClient({
      baseUrl: s.server.url,
      clientId: s.clientId,
      env: {},
      logLevel: 'silent',
      sessionToken: () => (sessions[asked++ % 2] as { token: string }).token,
    });
    for (let i = 0; i < 2; i++) {
      client.invalidate();
      await client.getDelegationToken();
    }
    expect(asked).toBe(2);
    expect(s.server.pulls.slice(3).map((p) => [p.bearer, p.status])).toEqual([
      [true, 200],
      [true, 200],
    ]);
    await client.close();
  });

  it('keeps a path prefix of baseUrl', async () => {
    const api = await DownstreamServer.start({
      routes: {
        'GET /gateway/authsec/uflow/sdk/delegation-token': {
          status: 404,
          body: { error: 'Client not found' },
        },
      },
    });
    const client = new AuthSecClient({
      baseUrl: `${api.url}/gateway/`,
      clientId: '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11',
      env: {},
      logLevel: 'silent',
    });
    await expect(client.getDelegationToken()).rejects.toBeInstanceOf(AuthSecClientNotFoundError);
    expect(api.requests[0]?.url).toBe(
      '/gateway/authsec/uflow/sdk/delegation-token?client_id=6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11',
    );
    await api.close();
  });

  it('returns the token facts of every generation: tenant_id on legacy servers', async () => {
    s = await setup({
      server: { generation: 'legacy' },
      agent: { permissions: ['read:records'], audience: ['authsec-api', 'records-api'] },
    });
    const info = await s.client.getDelegationTokenInfo();
    expect(info).toMatchObject({
      token: s.token,
      permissions: ['read:records'],
      audience: ['authsec-api', 'records-api'],
      clientId: s.clientId,
      workspaceId: s.server.workspaceId,
      mode: 'live',
    });
    expect(info.spiffeId).toMatch(/^spiffe:\/\/authsec\.dev\/tenants\//);
    expect(info.jti).toBe(s.server.delegation(s.clientId)?.jti);
    expect(info.expiresAt.getTime()).toBe(
      Math.floor((s.server.delegation(s.clientId)?.expiresAtMs ?? 0) / 1000) * 1000,
    );
  });

  it('sends the session credential to newer servers, as a bearer, and reads workspace_id', async () => {
    s = await setup({ server: { generation: 'session' }, session: true });
    const info = await s.client.getDelegationTokenInfo();
    expect(info.workspaceId).toBe(s.server.workspaceId);
    expect(s.server.pulls[0]?.bearer).toBe(true);
  });

  it('401 without a session: AuthSecUnauthenticatedError whose hint names AUTHSEC_SESSION_TOKEN, no retry', async () => {
    s = await setup({ server: { generation: 'session' } });
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecUnauthenticatedError);
    expect(error).toMatchObject({
      code: 'ERR_AUTHSEC_UNAUTHENTICATED',
      status: 401,
      method: 'GET',
      path: '/authsec/uflow/sdk/delegation-token',
    });
    expect(error.message).toMatch(/401 "authorization header required"/);
    expect((error as AuthSecUnauthenticatedError).hint).toMatch(/AUTHSEC_SESSION_TOKEN/);
    expect(s.server.pulls).toHaveLength(1);
    expectNoSecrets([s.clientId], error);
  });

  it('401 with a static session from env: the hint says to renew AUTHSEC_SESSION_TOKEN, and the credential never shows', async () => {
    s = await setup({ server: { generation: 'session' } });
    const session = await s.server.createSession();
    s.server.revokeSession(session.token);
    const client = new AuthSecClient({
      baseUrl: s.server.url,
      clientId: s.clientId,
      env: { AUTHSEC_SESSION_TOKEN: session.token },
      logger: s.log,
      logLevel: 'debug',
    });
    const error = await rejection(client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecUnauthenticatedError);
    expect(error.message).toMatch(/session has been revoked/);
    expect((error as AuthSecUnauthenticatedError).hint).toMatch(
      /AUTHSEC_SESSION_TOKEN is invalid, expired or revoked/,
    );
    expect(s.server.pulls).toHaveLength(1);
    expectNoSecrets([session.token], error, s.log.text(), client);
    await client.close();
  });

  it('401 with a session provider: asks it once more with forceRefresh and retries once', async () => {
    s = await setup({ server: { generation: 'session' } });
    const stale = await s.server.createSession();
    const fresh = await s.server.createSession();
    s.server.revokeSession(stale.token);
    const calls: boolean[] = [];
    const client = new AuthSecClient({
      baseUrl: s.server.url,
      clientId: s.clientId,
      env: {},
      logLevel: 'silent',
      sessionToken: ({ forceRefresh }) => {
        calls.push(forceRefresh);
        return forceRefresh ? fresh.token : stale.token;
      },
    });
    expect(await client.getDelegationToken()).toBe(s.token);
    expect(calls).toEqual([false, true]);
    expect(s.server.pulls.map((p) => p.status)).toEqual([401, 200]);
    await client.close();
  });

  it('a provider whose fresh credential is rejected too gives up after one refresh', async () => {
    s = await setup({ server: { generation: 'session' } });
    let calls = 0;
    const client = new AuthSecClient({
      baseUrl: s.server.url,
      clientId: s.clientId,
      env: {},
      logLevel: 'silent',
      sessionToken: async () => {
        calls += 1;
        return 'not-a-session';
      },
    });
    const error = await rejection(client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecUnauthenticatedError);
    expect((error as AuthSecUnauthenticatedError).hint).toMatch(/twice/);
    expect(calls).toBe(2);
    expect(s.server.pulls).toHaveLength(2);
    await client.close();
  });

  it('a throwing session provider: AuthSecUnauthenticatedError, nothing sent', async () => {
    s = await setup({ server: { generation: 'session' } });
    const client = new AuthSecClient({
      baseUrl: s.server.url,
      clientId: s.clientId,
      env: {},
      logLevel: 'silent',
      sessionToken: () => {
        throw new Error('vault down');
      },
    });
    const error = await rejection(client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecUnauthenticatedError);
    expect(error.message).toMatch(/sessionToken function failed/);
    expect(s.server.pulls).toHaveLength(0);
    await client.close();
  });

  it('404 "Client not found" on older servers: AuthSecClientNotFoundError with the dashboard hint', async () => {
    s = await setup({ server: { generation: 'legacy' } });
    const client = new AuthSecClient({
      baseUrl: s.server.url,
      clientId: '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11',
      env: {},
      logLevel: 'silent',
    });
    const error = await rejection(client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecClientNotFoundError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_CLIENT_NOT_FOUND', status: 404 });
    expect((error as AuthSecClientNotFoundError).hint).toMatch(
      /AUTHSEC_AGENT_CLIENT_ID.*dashboard/,
    );
    expect(error.message).not.toContain('6f1c9a52');
    await client.close();
  });

  it('404 on an owner-only server for a stranger: AuthSecDelegationNotFoundError', async () => {
    s = await setup({ server: { generation: 'owner-only' } });
    const stranger = await s.server.createSession();
    const client = new AuthSecClient({
      baseUrl: s.server.url,
      clientId: s.clientId,
      sessionToken: stranger.token,
      env: {},
      logLevel: 'silent',
    });
    const error = await rejection(client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecDelegationNotFoundError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_DELEGATION_NOT_FOUND', status: 404 });
    expect((error as AuthSecDelegationNotFoundError).hint).toMatch(/admin.*delegate/);
    await client.close();
  });

  it('410: AuthSecDelegationExpiredError with expiredAt', async () => {
    s = await setup({ agent: { ttlSeconds: 120 } });
    s.clock.advance(121);
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecDelegationExpiredError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_DELEGATION_EXPIRED', status: 410 });
    expect((error as AuthSecDelegationExpiredError).expiredAt?.getTime()).toBe(
      s.server.delegation(s.clientId)?.expiresAtMs,
    );
    const again = await rejection(s.client.getDelegationToken());
    expect(again).toBeInstanceOf(AuthSecDelegationNotFoundError);
  });

  it('400 is final and its hint points at copy-paste artefacts in the client id', async () => {
    s = await setup();
    s.server.injectPullFault({
      type: 'status',
      status: 400,
      body: { error: 'Invalid client_id format' },
    });
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecHttpError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_HTTP', status: 400 });
    expect((error as AuthSecHttpError).hint).toMatch(/stray spaces, quotes or line breaks/);
    expect(s.server.pulls).toHaveLength(1);
  });
});

describe('retries and budgets', () => {
  it('retries 5xx with backoff and succeeds', async () => {
    s = await setup();
    s.server.injectPullFault({ type: 'status', status: 500 }, { times: 2 });
    expect(await s.client.getDelegationToken()).toBe(s.token);
    expect(s.server.pulls.map((p) => p.status)).toEqual([500, 500, 200]);
    expect(s.log.lines.filter((l) => l.fields?.event === 'pull.retry')).toHaveLength(2);
  });

  it('gives up after maxRetries with the last status', async () => {
    s = await setup({ client: { maxRetries: 1 } });
    s.server.injectPullFault({ type: 'html', status: 502 }, { times: 5 });
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecHttpError);
    expect(error).toMatchObject({ status: 502 });
    expect(error.message).not.toMatch(/<html>/);
    expect(s.server.pulls).toHaveLength(2);
  });

  it.each([502, 503, 504])('retries a proxy HTML %i page', async (status) => {
    s = await setup();
    s.server.injectPullFault({ type: 'html', status });
    expect(await s.client.getDelegationToken()).toBe(s.token);
    expect(s.server.pulls).toHaveLength(2);
  });

  it('honours Retry-After in seconds on a 429', async () => {
    s = await setup();
    s.server.injectPullFault({ type: 'status', status: 429, retryAfter: 1 });
    const started = performance.now();
    expect(await s.client.getDelegationToken()).toBe(s.token);
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(s.server.pulls).toHaveLength(2);
  });

  it('honours Retry-After as an HTTP date', async () => {
    s = await setup();
    s.server.injectPullFault({
      type: 'status',
      status: 429,
      retryAfter: new Date(Date.now() + 2000),
    });
    const started = performance.now();
    expect(await s.client.getDelegationToken()).toBe(s.token);
    expect(performance.now() - started).toBeGreaterThanOrEqual(500);
  });

  it('throws at once with retryAfterMs when Retry-After exceeds the time budget', async () => {
    s = await setup({ client: { totalTimeoutMs: 5_000 } });
    s.server.injectPullFault({ type: 'status', status: 429, retryAfter: 120 });
    const started = performance.now();
    const error = await rejection(s.client.getDelegationToken());
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(error).toBeInstanceOf(AuthSecRateLimitedError);
    expect(error).toMatchObject({
      code: 'ERR_AUTHSEC_RATE_LIMITED',
      status: 429,
      retryAfterMs: 120_000,
    });
    expect(s.server.pulls).toHaveLength(1);
  });

  it('a 503 whose Retry-After exceeds the time budget throws at once with retryAfterMs', async () => {
    s = await setup({ client: { totalTimeoutMs: 5_000 } });
    s.server.injectPullFault({ type: 'html', status: 503, retryAfter: 60 });
    const started = performance.now();
    const error = await rejection(s.client.getDelegationToken());
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(error).toBeInstanceOf(AuthSecHttpError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_HTTP', status: 503, retryAfterMs: 60_000 });
    expect(error.message).not.toMatch(/<html|<title/i);
    expect(s.server.pulls).toHaveLength(1);
  });

  it('a 429 still there after the retries: AuthSecRateLimitedError', async () => {
    s = await setup({ client: { maxRetries: 1 } });
    s.server.injectPullFault({ type: 'status', status: 429, retryAfter: 0 }, { times: 3 });
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecRateLimitedError);
    expect(s.server.pulls).toHaveLength(2);
  });

  it('times out a hung attempt after timeoutMs and retries it', async () => {
    s = await setup({ client: { timeoutMs: 300 } });
    s.server.injectPullFault({ type: 'hang' });
    expect(await s.client.getDelegationToken()).toBe(s.token);
    expect(s.server.pulls).toHaveLength(2);
  });

  it('AuthSecTimeoutError when every attempt times out', async () => {
    s = await setup({ client: { timeoutMs: 200, maxRetries: 1 } });
    s.server.injectPullFault({ type: 'hang' }, { times: 5 });
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecTimeoutError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_TIMEOUT', timeoutMs: 200 });
    expect(s.server.pulls).toHaveLength(2);
  });

  it('the total budget ends a call, retries included', async () => {
    s = await setup({ client: { timeoutMs: 5_000, totalTimeoutMs: 400 } });
    s.server.injectPullFault({ type: 'hang' }, { times: 5 });
    const started = performance.now();
    const error = await rejection(s.client.getDelegationToken());
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(error).toBeInstanceOf(AuthSecTimeoutError);
    expect(error.message).toMatch(/400 ms budget/);
  });

  it('retries a connection dropped mid-body', async () => {
    s = await setup();
    s.server.injectPullFault({ type: 'drop-mid-body' });
    expect(await s.client.getDelegationToken()).toBe(s.token);
    expect(s.server.pulls).toHaveLength(2);
  });

  it('AuthSecNetworkError with the code and a nothing-listening hint naming the origin when nothing listens', async () => {
    s = await setup();
    const url = s.server.url;
    await s.server.close();
    const client = new AuthSecClient({
      baseUrl: url,
      clientId: s.clientId,
      env: {},
      logLevel: 'silent',
      maxRetries: 1,
    });
    const error = await rejection(client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecNetworkError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_NETWORK' });
    expect(error.message).toMatch(/ECONNREFUSED/);
    const hint = (error as AuthSecNetworkError).hint;
    expect(hint).toContain(`Nothing is listening at ${new URL(url).origin}`);
    expect(hint).toMatch(/AUTHSEC_BASE_URL/);
    expect(error.cause).toBeUndefined();
    await client.close();
  });

  it('never follows a redirect on the pull, so the session credential stays on the baseUrl origin', async () => {
    const elsewhere = await DownstreamServer.start();
    const redirector = await DownstreamServer.start({
      routes: {
        '/authsec/uflow/sdk/delegation-token': {
          status: 307,
          headers: { location: `${elsewhere.url}/steal` },
        },
      },
    });
    const client = new AuthSecClient({
      baseUrl: redirector.url,
      clientId: '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11',
      sessionToken: 'sess-secret-123456',
      env: {},
      logLevel: 'silent',
    });
    const error = await rejection(client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecHttpError);
    expect(error).toMatchObject({ status: 307 });
    expect((error as AuthSecHttpError).message).toMatch(/redirect \(307\); not followed/);
    expect((error as AuthSecHttpError).hint).toMatch(/final server root/);
    expect(elsewhere.requests).toHaveLength(0);
    await Promise.all([client.close(), elsewhere.close(), redirector.close()]);
  });
});

describe('bad answers', () => {
  it('a 200 that is not JSON: AuthSecResponseError, not retried', async () => {
    s = await setup();
    s.server.injectPullFault({ type: 'raw', body: '<html>login</html>', contentType: 'text/html' });
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecResponseError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_BAD_RESPONSE', issues: ['body'] });
    expect(s.server.pulls).toHaveLength(1);
  });

  it('a 200 without a token: AuthSecResponseError naming the field', async () => {
    s = await setup();
    s.server.injectPullFault({ type: 'missing-token' });
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecResponseError);
    expect((error as AuthSecResponseError).issues).toContain('token');
  });

  it('a body over 1 MiB is cut off: AuthSecResponseError, not retried', async () => {
    s = await setup();
    s.server.injectPullFault({ type: 'oversize', bytes: 2 * 1024 * 1024 });
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecResponseError);
    expect(error.message).toMatch(/larger than 1048576 bytes/);
    expect(s.server.pulls).toHaveLength(1);
  });

  it('a token with another alg is refused', async () => {
    s = await setup({ agent: { overrides: { header: { alg: 'HS256' } } } });
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecResponseError);
    expect((error as AuthSecResponseError).issues).toContain('token.header.alg');
    expectNoSecrets([s.token], error, s.log.text());
  });

  it('a token for another client id is refused', async () => {
    s = await setup({
      agent: { overrides: { claims: { client_id: '11111111-1111-4111-8111-111111111111' } } },
    });
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecResponseError);
    expect((error as AuthSecResponseError).issues).toContain('token.payload.client_id');
  });

  it('a sub that differs from spiffe_id is refused', async () => {
    s = await setup({ agent: { overrides: { claims: { sub: 'spiffe://elsewhere/agent' } } } });
    const error = await rejection(s.client.getDelegationToken());
    expect((error as AuthSecResponseError).issues).toContain('spiffe_id');
  });

  it('an already-expired token is an error, never returned', async () => {
    s = await setup({
      agent: { overrides: { claims: { exp: Math.floor(Date.now() / 1000) - 10 } } },
    });
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecResponseError);
    expect((error as AuthSecResponseError).issues).toContain('token.payload.exp');
  });

  it('expiry is the earlier of expires_at and exp, never now + ttl_seconds', async () => {
    s = await setup({
      agent: {
        ttlSeconds: 3600,
        overrides: { expiresAtShiftSeconds: -600, body: { ttl_seconds: 86_400 } },
      },
    });
    const info = await s.client.getDelegationTokenInfo();
    const exp = (s.server.delegation(s.clientId)?.expiresAtMs ?? 0) - 600_000;
    expect(Math.abs(info.expiresAt.getTime() - exp)).toBeLessThan(1000);
  });

  it('accepts the minimal documented body { token, expires_at }', async () => {
    const drop = Object.fromEntries(
      [
        'spiffe_id',
        'permissions',
        'audience',
        'ttl_seconds',
        'client_id',
        'tenant_id',
        'status',
        'issued_at',
        'updated_at',
      ].map((k) => [k, undefined]),
    );
    s = await setup({ agent: { permissions: ['read:metrics'], overrides: { body: drop } } });
    const info = await s.client.getDelegationTokenInfo();
    expect(info.permissions).toEqual(['read:metrics']);
    expect(info.workspaceId).toBe(s.server.workspaceId);
  });

  it('reads null permissions and audience', async () => {
    s = await setup({ server: { nullLists: true }, agent: { permissions: ['read:records'] } });
    const info = await s.client.getDelegationTokenInfo();
    expect(info.permissions).toEqual(['read:records']);
    expect(info.audience).toEqual(['authsec-api']);
  });

  it.each([
    [0, 'Z'],
    [9, '+05:30'],
    [6, '-08:00'],
  ])('reads expires_at with %i fractional digits and offset %s', async (fractionDigits, offset) => {
    s = await setup({ server: { expiresAt: { fractionDigits, offset } } });
    const info = await s.client.getDelegationTokenInfo();
    expect(Math.floor(info.expiresAt.getTime() / 1000)).toBe(
      Math.floor((s.server.delegation(s.clientId)?.expiresAtMs ?? 0) / 1000),
    );
  });
});
