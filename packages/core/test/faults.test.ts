// The fault matrix: every way AuthSec, the network, the clock or a protected API can fail a call,
// each with its guarantee: the call ends within its bound with the right typed error or a valid
// token, retries are counted and bounded, no expired token is returned, no rejection goes
// unhandled, and nothing keeps the process alive after close(). Redis stopped mid-run is proven in
// packages/redis/test/outage.test.ts ("Redis stopped mid-run: …").

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  AuthSecTestServer,
  closedPortUrl,
  type DownstreamRequest,
  type DownstreamResponse,
  DownstreamServer,
} from '@authsec/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuthSecClientOptions } from '../src/client.js';
import { AuthSecClient } from '../src/client.js';
import {
  AuthSecClosedError,
  AuthSecDelegationExpiredError,
  AuthSecDelegationNotFoundError,
  type AuthSecError,
  AuthSecHttpError,
  AuthSecNetworkError,
  AuthSecRateLimitedError,
  AuthSecResponseError,
  AuthSecTimeoutError,
  AuthSecTokenRejectedError,
} from '../src/errors.js';
import { MemoryTokenStore } from '../src/token-store.js';
import { createDelegationTokenVerifier } from '../src/verify.js';
import { captureLogger, expectNoSecrets, manualClock, type Setup, setup } from './support.js';

/** What a busy 2-core machine may add to a call's own bound (scheduling, GC, other suites). */
const SLACK_MS = 3_000;

// Every rejection in this file must be handled by the code under test or the test itself.
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => {
  unhandled.push(reason);
};
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

let s: Setup | undefined;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await s?.close();
  s = undefined;
  // Node reports an unhandled rejection after the microtasks drain: give it a macrotask turn.
  await new Promise((resolve) => setImmediate(resolve));
  expect(unhandled.map(String)).toEqual([]);
});

/** Starts a server, a delegated agent and a client (support.ts), closed after the test. */
async function start(options?: Parameters<typeof setup>[0]): Promise<Setup> {
  s = await setup(options);
  return s;
}

/** A silent live client of `server` for `clientId`, closed after the test. */
function clientOf(
  server: AuthSecTestServer,
  clientId: string,
  options: Partial<AuthSecClientOptions>,
): AuthSecClient {
  const client = new AuthSecClient({
    baseUrl: server.url,
    clientId,
    logLevel: 'silent',
    env: {},
    ...options,
  });
  closers.push(() => client.close());
  return client;
}

/** Runs a call, measuring it, and asserts it settled within `boundMs` (plus the machine's slack). */
async function within<T>(
  boundMs: number,
  call: () => Promise<T>,
): Promise<{ value?: T; error?: Error; ms: number }> {
  const started = performance.now();
  let outcome: { value?: T; error?: Error };
  try {
    outcome = { value: await call() };
  } catch (error) {
    outcome = { error: error as Error };
  }
  const ms = performance.now() - started;
  expect(ms, `the call took ${Math.round(ms)} ms, bound ${boundMs} ms`).toBeLessThan(
    boundMs + SLACK_MS,
  );
  return { ...outcome, ms };
}

/** The error is the class's own (class and code), says what to do, and shows no secret. */
function expectTyped<E extends AuthSecError>(
  error: Error | undefined,
  type: (new (...args: never[]) => E) & { code: string },
  message: RegExp,
  secrets: string[] = [],
): asserts error is E {
  expect(error).toBeInstanceOf(type);
  expect((error as AuthSecError).code).toBe(type.code);
  expect(error?.message).toMatch(message);
  expectNoSecrets(secrets, error);
}

/** The JWT's own `exp` is still ahead of `now`: what a caller gets is never expired. */
function expectUnexpired(token: string | undefined, now: number): void {
  const payload = JSON.parse(
    Buffer.from(String(token).split('.')[1] ?? '', 'base64url').toString('utf8'),
  ) as { exp: number };
  expect(payload.exp * 1000).toBeGreaterThan(now);
}

function retries(log: ReturnType<typeof captureLogger>): number {
  return log.lines.filter((line) => line.fields?.event === 'pull.retry').length;
}

/** A protected API on `/records` that verifies the bearer with core's verifier on `clock`. */
async function verifyingApi(
  server: AuthSecTestServer,
  clock: () => number,
  options: { checkRevocation?: boolean; onRequest?: () => Promise<void> | void } = {},
) {
  const verifier = createDelegationTokenVerifier({
    baseUrl: server.url,
    workspaceId: server.workspaceId,
    audience: 'authsec-api',
    clock,
    clockToleranceSeconds: 0,
    env: {},
    ...(options.checkRevocation && { checkRevocation: true, revocationCacheSeconds: 0 }),
  });
  const seen: string[] = [];
  const api = await DownstreamServer.start({
    routes: {
      'GET /records': async (request: DownstreamRequest): Promise<DownstreamResponse> => {
        seen.push(request.bearer ?? '');
        await options.onRequest?.();
        try {
          await verifier.verify(request.bearer ?? '');
          return { body: { records: [1, 2, 3] } };
        } catch {
          return { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } };
        }
      },
    },
  });
  closers.push(() => api.close());
  return { api, seen };
}

describe('AuthSec unreachable or slow', () => {
  it('AuthSec down (connection refused): AuthSecNetworkError naming ECONNREFUSED after maxRetries retries, within totalTimeoutMs', async () => {
    const log = captureLogger();
    const client = new AuthSecClient({
      baseUrl: await closedPortUrl(),
      clientId: '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11',
      maxRetries: 2,
      totalTimeoutMs: 5_000,
      logger: log,
      logLevel: 'info',
      env: {},
    });
    closers.push(() => client.close());
    const { error } = await within(5_000, () => client.getDelegationToken());
    expectTyped(error, AuthSecNetworkError, /ECONNREFUSED/);
    expect(error.hint).toMatch(/Nothing is listening/);
    expect(retries(log)).toBe(2);
  });

  it('AuthSec hanging: AuthSecTimeoutError after maxRetries + 1 attempts of timeoutMs each', async () => {
    const t = await start({ client: { timeoutMs: 300, maxRetries: 1, totalTimeoutMs: 5_000 } });
    const server = t.server;
    server.injectPullFault({ type: 'hang' }, { times: Number.POSITIVE_INFINITY });
    const { error } = await within(5_000, () => t.client.getDelegationToken());
    expectTyped(error, AuthSecTimeoutError, /did not answer within 300 ms \(2 attempts\)/);
    expect(error).toMatchObject({ timeoutMs: 300 });
    expect(server.pulls).toHaveLength(2);
    expect(retries(t.log)).toBe(1);
  });

  it('AuthSec hanging past the whole budget: AuthSecTimeoutError at totalTimeoutMs, retries included', async () => {
    const t = await start({ client: { timeoutMs: 5_000, maxRetries: 2, totalTimeoutMs: 600 } });
    t.server.injectPullFault({ type: 'hang' }, { times: Number.POSITIVE_INFINITY });
    const { error } = await within(600, () => t.client.getDelegationToken());
    expectTyped(error, AuthSecTimeoutError, /exceeded its 600 ms budget/);
    expect(t.server.pulls).toHaveLength(1);
  });

  it('AuthSec slower than timeoutMs: the slow attempt is abandoned and retried, and the call returns a valid token', async () => {
    const t = await start({ client: { timeoutMs: 300, maxRetries: 2, totalTimeoutMs: 10_000 } });
    t.server.injectPullFault({ type: 'delay', ms: 10_000 });
    const { value, ms } = await within(10_000, () => t.client.getDelegationToken());
    expect(value).toBe(t.token);
    expectUnexpired(value, t.clock.now());
    // Not the slow answer: the retry't.
    expect(ms).toBeLessThan(10_000);
    expect(t.server.pulls).toHaveLength(2);
    expect(retries(t.log)).toBe(1);
  });

  it('connection dropped mid-body once: retried, and the call returns a valid token', async () => {
    const t = await start({ client: { maxRetries: 2 } });
    t.server.injectPullFault({ type: 'drop-mid-body' });
    const { value } = await within(30_000, () => t.client.getDelegationToken());
    expect(value).toBe(t.token);
    expectUnexpired(value, t.clock.now());
    expect(t.server.pulls).toHaveLength(2);
  });

  it('connection dropped mid-body on every attempt: AuthSecNetworkError after maxRetries + 1 attempts', async () => {
    const t = await start({ client: { maxRetries: 2, totalTimeoutMs: 10_000 } });
    t.server.injectPullFault({ type: 'drop-mid-body' }, { times: Number.POSITIVE_INFINITY });
    const { error } = await within(10_000, () => t.client.getDelegationToken());
    expectTyped(error, AuthSecNetworkError, /AuthSec/);
    expect(t.server.pulls).toHaveLength(3);
    expect(retries(t.log)).toBe(2);
  });
  it.each([
    ['without', undefined],
    ['with', () => new MemoryTokenStore()],
  ])(
    'a session provider that never answers, %s a shared store: AuthSecTimeoutError within timeoutMs + totalTimeoutMs, nothing sent',
    async (_, store) => {
      const t = await start({ server: { generation: 'session' } });
      const client = clientOf(t.server, t.clientId, {
        sessionToken: () => new Promise<string>(() => undefined),
        timeoutMs: 500,
        totalTimeoutMs: 1_500,
        ...(store && { store: store() }),
      });
      // The store's key needs the credential too: that wait is bounded by timeoutMs, the pull's by
      // totalTimeoutMs.
      const { error } = await within(500 + 1_500, () => client.getDelegationToken());
      expectTyped(error, AuthSecTimeoutError, /1500 ms budget/);
      expect(t.server.pulls).toHaveLength(0);
    },
  );
});

describe('AuthSec failing', () => {
  it('5xx storm: AuthSecHttpError with the last status after maxRetries + 1 pulls, within totalTimeoutMs', async () => {
    const t = await start({ client: { maxRetries: 3, totalTimeoutMs: 10_000 } });
    t.server
      .injectPullFault({ type: 'status', status: 500 })
      .injectPullFault({ type: 'html', status: 502 })
      .injectPullFault({ type: 'status', status: 503 })
      .injectPullFault({ type: 'html', status: 504 }, { times: Number.POSITIVE_INFINITY });
    const { error } = await within(10_000, () => t.client.getDelegationToken());
    expectTyped(error, AuthSecHttpError, /504/);
    expect(error).toMatchObject({ status: 504 });
    expect(error.message).not.toMatch(/<html|<title/i);
    expect(t.server.pulls.map((pull) => pull.status)).toEqual([500, 502, 503, 504]);
  });

  it('5xx storm during a refresh: the still-valid cached token is served, and AuthSec is not asked again for 15 s', async () => {
    const t = await start({ agent: { ttlSeconds: 3600 }, client: { maxRetries: 2 } });
    expect(await t.client.getDelegationToken()).toBe(t.token);
    t.clock.advance(3600 - 30); // inside the 60 s refresh margin, still valid
    t.server.injectPullFault({ type: 'status', status: 503 }, { times: Number.POSITIVE_INFINITY });
    const { value } = await within(30_000, () => t.client.getDelegationToken());
    expect(value).toBe(t.token);
    expectUnexpired(value, t.clock.now());
    expect(t.server.pulls).toHaveLength(1 + 3);
    expect(t.log.lines.filter((l) => l.fields?.event === 'token.stale')).toHaveLength(1);
    // Bounded: no pull while the storm goes on, until the pause ends.
    for (let i = 0; i < 5; i++) expect(await t.client.getDelegationToken()).toBe(t.token);
    expect(t.server.pulls).toHaveLength(1 + 3);
    // Past expiry it is never served: the storm's error instead.
    t.clock.advance(31);
    const { error } = await within(30_000, () => t.client.getDelegationToken());
    expectTyped(error, AuthSecHttpError, /503/, [t.token]);
  });

  it('5xx storm at the protected API: AuthSecHttpError after maxRetries + 1 attempts, one pull, within totalTimeoutMs', async () => {
    const t = await start();
    const api = await DownstreamServer.start({ routes: { '/records': { status: 503 } } });
    closers.push(() => api.close());
    const client = clientOf(t.server, t.clientId, {
      downstreamUrl: api.url,
      maxRetries: 2,
      totalTimeoutMs: 10_000,
    });
    const { error } = await within(10_000, () => client.requestJson('/records'));
    expectTyped(error, AuthSecHttpError, /503/, [t.token]);
    expect(error).toMatchObject({ status: 503 });
    expect(api.requestsTo('/records')).toHaveLength(3);
    expect(t.server.pulls).toHaveLength(1);
  });

  it('429 with Retry-After in seconds: waits that long once, then a valid token', async () => {
    const t = await start();
    t.server.injectPullFault({ type: 'status', status: 429, retryAfter: 1 });
    const { value, ms } = await within(1_000, () => t.client.getDelegationToken());
    expect(value).toBe(t.token);
    expectUnexpired(value, t.clock.now());
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(t.server.pulls.map((pull) => pull.status)).toEqual([429, 200]);
  });

  it('429 with Retry-After as an HTTP date: waits until then once, then a valid token', async () => {
    const t = await start();
    // HTTP dates have whole seconds: 2 s ahead is a wait of 1–2 t.
    const until = new Date(Date.now() + 2_000);
    t.server.injectPullFault({ type: 'html', status: 429, retryAfter: until });
    const { value } = await within(2_000, () => t.client.getDelegationToken());
    expect(value).toBe(t.token);
    expect(Date.now()).toBeGreaterThanOrEqual(Math.floor(until.getTime() / 1000) * 1000 - 50);
    expect(t.server.pulls.map((pull) => pull.status)).toEqual([429, 200]);
  });

  it('429 whose Retry-After (seconds or date) exceeds the budget: AuthSecRateLimitedError at once with retryAfterMs', async () => {
    const t = await start({ client: { totalTimeoutMs: 5_000 } });
    t.server
      .injectPullFault({ type: 'status', status: 429, retryAfter: 120 })
      .injectPullFault({ type: 'status', status: 429, retryAfter: new Date(Date.now() + 600_000) });
    for (const expected of [120_000, 600_000]) {
      const { error } = await within(1_000, () => t.client.getDelegationToken());
      expectTyped(error, AuthSecRateLimitedError, /asked to wait/);
      expect(Math.abs((error.retryAfterMs ?? 0) - expected)).toBeLessThan(2_000);
    }
    expect(t.server.pulls).toHaveLength(2);
  });
});

describe('AuthSec answering nonsense', () => {
  it('a non-JSON 200 body: AuthSecResponseError, not retried', async () => {
    const t = await start();
    t.server.injectPullFault({ type: 'raw', body: 'OK token follows' });
    const { error } = await within(30_000, () => t.client.getDelegationToken());
    expectTyped(error, AuthSecResponseError, /not JSON/);
    expect(t.server.pulls).toHaveLength(1);
  });

  it('an HTML 200 page (a portal or proxy): AuthSecResponseError that quotes no HTML, not retried', async () => {
    const t = await start();
    t.server.injectPullFault({
      type: 'raw',
      contentType: 'text/html',
      body: '<html><head><title>Sign in</title></head><body>session=abc</body></html>',
    });
    const { error } = await within(30_000, () => t.client.getDelegationToken());
    expectTyped(error, AuthSecResponseError, /not JSON/);
    expect(`${error.message} ${error.hint}`).not.toMatch(/<html|Sign in|session=abc/);
    expect(error.hint).toMatch(/AUTHSEC_BASE_URL/);
    expect(t.server.pulls).toHaveLength(1);
  });

  it('an oversized body: AuthSecResponseError, the read stops at the cap, not retried', async () => {
    const t = await start();
    t.server.injectPullFault({ type: 'oversize', bytes: 8 * 1024 * 1024 });
    const { error } = await within(30_000, () => t.client.getDelegationToken());
    expectTyped(error, AuthSecResponseError, /MiB|bytes|large/i);
    expect(t.server.pulls).toHaveLength(1);
  });
});

describe('expiry and clocks', () => {
  it('expires_at in the past (exp still ahead): AuthSecResponseError, the token is never returned or cached', async () => {
    const t = await start({
      agent: { ttlSeconds: 3600, overrides: { expiresAtShiftSeconds: -7200 } },
    });
    for (let call = 1; call <= 2; call++) {
      const { error } = await within(30_000, () => t.client.getDelegationToken());
      expectTyped(error, AuthSecResponseError, /expired/i, [t.token]);
      expect(error.issues).toContain('expires_at');
      expect(t.server.pulls).toHaveLength(call);
    }
    expectNoSecrets([t.token], t.log.text());
  });

  it('expires_at later than exp: exp wins, and the token is refreshed before exp', async () => {
    const t = await start({
      agent: { ttlSeconds: 3600, overrides: { expiresAtShiftSeconds: 1800 } },
    });
    const info = await t.client.getDelegationTokenInfo();
    const exp = t.server.delegation(t.clientId)?.expiresAtMs ?? 0;
    expect(Math.abs(info.expiresAt.getTime() - exp)).toBeLessThan(1_000);
    t.clock.advance(3600 - 30); // inside the margin before exp, long before expires_at
    const next = await t.server.delegate(t.clientId, { ttlSeconds: 3600 });
    expect(await t.client.getDelegationToken()).toBe(next.token);
    expect(t.server.pulls).toHaveLength(2);
  });

  it('expires_at earlier than exp: expires_at wins, and the old token is never served past it', async () => {
    const t = await start({
      agent: { ttlSeconds: 3600, overrides: { expiresAtShiftSeconds: -1800 } },
    });
    const info = await t.client.getDelegationTokenInfo();
    const expiresAt = (t.server.delegation(t.clientId)?.expiresAtMs ?? 0) - 1_800_000;
    expect(Math.abs(info.expiresAt.getTime() - expiresAt)).toBeLessThan(1_000);
    // AuthSec hands back the same row: served until expires_at, then an error, never the token.
    t.clock.advance(1800 + 1);
    const { error } = await within(30_000, () => t.client.getDelegationToken());
    expectTyped(error, AuthSecResponseError, /expired/i, [t.token]);
  });

  it('client clock ahead of AuthSec by more than the lifetime: AuthSecResponseError, the token is never returned', async () => {
    const t = await start({ agent: { ttlSeconds: 3600 } });
    t.clock.advance(2 * 3600); // the client's clock only: the server keeps its own
    const serverClock = Date.now;
    const server = await AuthSecTestServer.start({ clock: serverClock });
    closers.push(() => server.close());
    const { agent, delegation } = await server.createDelegatedAgent({ ttlSeconds: 3600 });
    const client = clientOf(server, agent.clientId, { clock: t.clock.now });
    const { error } = await within(30_000, () => client.getDelegationToken());
    expectTyped(error, AuthSecResponseError, /expired/i, [delegation.token]);
    expect(server.pulls).toHaveLength(1);
  });

  it('client clock ahead by less than the lifetime: a valid token, refreshed early by the client’s clock', async () => {
    const clientClock = manualClock(Date.now() + 50 * 60_000);
    const server = await AuthSecTestServer.start();
    closers.push(() => server.close());
    const { agent, delegation } = await server.createDelegatedAgent({ ttlSeconds: 3600 });
    const client = clientOf(server, agent.clientId, { clock: clientClock.now });
    const { value } = await within(30_000, () => client.getDelegationToken());
    expect(value).toBe(delegation.token);
    expectUnexpired(value, clientClock.now());
    // Ten minutes left by the client's clock: inside the margin 9 min from now, re-pulled then.
    clientClock.advance(9.5 * 60);
    const next = await server.delegate(agent.clientId, { ttlSeconds: 3600 });
    expect(await client.getDelegationToken()).toBe(next.token);
    expect(server.pulls).toHaveLength(2);
  });

  it('client clock behind AuthSec: expiry is the token’s exp, and once AuthSec’s clock passes it the API’s 401 ends in AuthSecDelegationExpiredError', async () => {
    const serverClock = manualClock(Date.now() + 10 * 60_000);
    const clientClock = manualClock(Date.now());
    const server = await AuthSecTestServer.start({ clock: serverClock.now });
    closers.push(() => server.close());
    const { agent, delegation } = await server.createDelegatedAgent({ ttlSeconds: 3600 });
    const { api } = await verifyingApi(server, serverClock.now);
    const client = clientOf(server, agent.clientId, {
      clock: clientClock.now,
      downstreamUrl: api.url,
    });
    const info = await client.getDelegationTokenInfo();
    expect(info.expiresAt.getTime()).toBe(Math.floor(delegation.expiresAtMs / 1000) * 1000);
    expect(await client.requestJson('/records')).toEqual({ records: [1, 2, 3] });
    // Both clocks move on an hour: AuthSec's is past exp, the client's 10 min short of it.
    serverClock.advance(3600);
    clientClock.advance(3600);
    const { error } = await within(30_000, () => client.requestJson('/records'));
    expectTyped(error, AuthSecDelegationExpiredError, /expired/i, [delegation.token]);
    // The rejected token is dropped: the next call pulls (AuthSec now says 404), never serves it.
    const again = await within(30_000, () => client.getDelegationToken());
    expectTyped(again.error, AuthSecDelegationNotFoundError, /./, [delegation.token]);
    expect(server.pulls).toHaveLength(3);
  });

  it('the token expires during a request: the API’s 401 brings one re-pull, and the retry carries the re-delegated token', async () => {
    const t = await start({ agent: { ttlSeconds: 600 } });
    const first = t.token;
    let expireNow = true;
    const { api, seen } = await verifyingApi(t.server, t.clock.now, {
      onRequest: async () => {
        if (!expireNow) return;
        expireNow = false;
        // The request took the token past its exp; an admin re-delegated meanwhile.
        t.clock.advance(600 + 1);
        await t.server.delegate(t.clientId, { ttlSeconds: 600 });
      },
    });
    const client = clientOf(t.server, t.clientId, { clock: t.clock.now, downstreamUrl: api.url });
    const { value } = await within(30_000, () => client.requestJson('/records'));
    expect(value).toEqual({ records: [1, 2, 3] });
    const second = t.server.delegation(t.clientId)?.token;
    expect(seen).toEqual([first, second]);
    expect(t.server.pulls).toHaveLength(2);
    const token = await client.getDelegationToken();
    expect(token).toBe(second);
    expectUnexpired(token, t.clock.now());
  });

  it('the token expires during a request and nobody re-delegates: AuthSecDelegationExpiredError, the expired token never served again', async () => {
    const t = await start({ agent: { ttlSeconds: 600 } });
    const { api } = await verifyingApi(t.server, t.clock.now, {
      onRequest: () => t.clock.advance(600 + 1),
    });
    const client = clientOf(t.server, t.clientId, { clock: t.clock.now, downstreamUrl: api.url });
    const { error } = await within(30_000, () => client.requestJson('/records'));
    expectTyped(error, AuthSecDelegationExpiredError, /expired/i, [t.token]);
    const again = await within(30_000, () => client.getDelegationToken());
    expectTyped(again.error, AuthSecDelegationNotFoundError, /./, [t.token]);
  });
});

describe('revocation and a rejecting API', () => {
  it('revocation between two calls: the API’s 401 brings a re-pull that ends in AuthSecDelegationNotFoundError, and the revoked token is never served again', async () => {
    const t = await start();
    const { api, seen } = await verifyingApi(t.server, t.clock.now, { checkRevocation: true });
    const client = clientOf(t.server, t.clientId, { clock: t.clock.now, downstreamUrl: api.url });
    expect(await client.requestJson('/records')).toEqual({ records: [1, 2, 3] });
    expect(t.server.revoke(t.clientId)).toBe(true);
    const { error } = await within(30_000, () => client.requestJson('/records'));
    expectTyped(error, AuthSecDelegationNotFoundError, /./, [t.token]);
    expect(seen).toEqual([t.token, t.token]);
    const again = await within(30_000, () => client.getDelegationToken());
    expectTyped(again.error, AuthSecDelegationNotFoundError, /./, [t.token]);
    expect(t.server.pulls).toHaveLength(3);
  });

  it('a downstream API answering 401 forever: one re-pull, then AuthSecTokenRejectedError; later calls within 15 s pull no more', async () => {
    const t = await start();
    const api = await DownstreamServer.start({ routes: { '/records': { status: 401 } } });
    closers.push(() => api.close());
    const client = clientOf(t.server, t.clientId, { clock: t.clock.now, downstreamUrl: api.url });
    for (let call = 1; call <= 5; call++) {
      const { error } = await within(30_000, () => client.requestJson('/records'));
      expectTyped(error, AuthSecTokenRejectedError, /rejected the delegation token/, [t.token]);
    }
    // The first call's pull and its one forced re-pull; each call sent once (the same token back).
    expect(t.server.pulls).toHaveLength(2);
    expect(api.requestsTo('/records')).toHaveLength(5);
  });
});

describe('close()', () => {
  it('close() while the shared store hangs: the pending call ends at once with AuthSecClosedError, no outage warning', async () => {
    const t = await start({ client: { timeoutMs: 20_000 } });
    let reached: () => void = () => undefined;
    const storeRead = new Promise<void>((resolve) => {
      reached = resolve;
    });
    /** A store that never answers a read, as a Redis that stopped responding. */
    class HangingStore extends MemoryTokenStore {
      override get(): Promise<string | undefined> {
        reached();
        return new Promise(() => undefined);
      }
    }
    const log = captureLogger();
    const client = clientOf(t.server, t.clientId, {
      store: new HangingStore(),
      logger: log,
      logLevel: 'debug',
      timeoutMs: 20_000,
    });
    const pending = client.getDelegationToken();
    await storeRead;
    // Far below the store's 20 s call limit: close() ends the wait, not the limit.
    const { error } = await within(0, async () => {
      await client.close();
      return pending;
    });
    expectTyped(error, AuthSecClosedError, /closed/i);
    expect(log.lines.filter((line) => line.fields?.event === 'store.unavailable')).toEqual([]);
    expect(t.server.pulls).toHaveLength(0);
  });

  it('no timer or socket keeps the process alive after close(): a process that pulled, requested and verified exits on its own, with a pull, a request and a store read in flight', async () => {
    const server = await AuthSecTestServer.start();
    const hanging = await AuthSecTestServer.start();
    hanging.injectPullFault({ type: 'hang' }, { times: Number.POSITIVE_INFINITY });
    let slowArrived: () => void = () => undefined;
    const slowSeen = new Promise<void>((resolve) => {
      slowArrived = resolve;
    });
    const api = await DownstreamServer.start({
      routes: {
        'GET /records': { body: { records: [1] } },
        'GET /slow': () => {
          slowArrived();
          return { delayMs: 120_000, body: {} };
        },
      },
    });
    closers.push(
      () => server.close(),
      () => hanging.close(),
      () => api.close(),
    );
    const { agent } = await server.createDelegatedAgent();
    const script = fileURLToPath(new URL('./fixtures/close-exits.mjs', import.meta.url));
    const env = {
      baseUrl: server.url,
      hangingBaseUrl: hanging.url,
      clientId: agent.clientId,
      downstreamUrl: api.url,
      workspaceId: server.workspaceId,
    };
    const child = spawn(process.execPath, [script, JSON.stringify(env)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => {
      child.once('exit', (code) => resolve({ code, at: Date.now() }));
    });
    // A process that does not exit is killed, and the test fails showing what it printed.
    let killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    try {
      // Both in flight: the hung pull at the hanging server, the slow request at the API.
      await Promise.race([
        Promise.all([hanging.waitForRequests(1, { kind: 'pull', timeoutMs: 30_000 }), slowSeen]),
        exited.then(() => {
          throw new Error(`the script ended early:\n${stdout}\n${stderr}`);
        }),
      ]);
      child.stdin.end('close\n');
      clearTimeout(killer);
      killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const { code, at } = await exited;
      expect(stderr).toBe('');
      expect(
        code,
        `the process did not exit on its own after close(); it printed:\n${stdout}`,
      ).toBe(0);
      const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
        records: unknown;
        sub: string;
        pendingPull: string;
        pendingRequest: string;
        pendingStoreRead: string;
        resources: string[];
        closedAt: number;
      };
      expect(report).toMatchObject({
        records: { records: [1] },
        sub: agent.spiffeId,
        pendingPull: 'ERR_AUTHSEC_CLOSED',
        pendingRequest: 'ERR_AUTHSEC_CLOSED',
        pendingStoreRead: 'ERR_AUTHSEC_CLOSED',
      });
      // It exits on its own, at once: no timer, socket or listener of core held the loop. (Idle
      // keep-alive sockets may still be listed as resources: fetch unrefs them, so they hold nothing.)
      expect(
        at - report.closedAt,
        `exit took ${at - report.closedAt} ms after close(); active resources then: ${report.resources.join(', ')}`,
      ).toBeLessThan(SLACK_MS);
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
  }, 90_000);
});
