// Proves mock mode end to end: when it starts, what it says, what its tokens are, and the mock fallback.

import { inspect } from 'node:util';
import { AuthSecTestServer } from '@authsec/testing';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JSONWebKeySet,
  jwtVerify,
} from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthSecClient } from '../src/client.js';
import {
  AuthSecClientNotFoundError,
  AuthSecConfigError,
  AuthSecDelegationExpiredError,
  AuthSecDelegationNotFoundError,
  AuthSecError,
  AuthSecPullForbiddenError,
  AuthSecUnauthenticatedError,
} from '../src/errors.js';
import { MOCK_CLIENT_ID, MOCK_ISSUER, MOCK_WORKSPACE_ID } from '../src/mock-source.js';
import {
  captureLogger,
  expectNoSecrets,
  manualClock,
  rejection,
  type Setup,
  setup,
} from './support.js';

const ID = '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11';

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

/** Builds a client and closes it after the test. */
function client(options: ConstructorParameters<typeof AuthSecClient>[0]): AuthSecClient {
  const made = new AuthSecClient(options);
  extra.push(made);
  return made;
}

/** Calls `make` and returns what it threw synchronously, failing when it did not throw. */
function thrown(make: () => unknown): Error {
  try {
    make();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a synchronous throw');
}

function modeLines(log: ReturnType<typeof captureLogger>) {
  return log.lines.filter((line) => line.fields?.event === 'client.mode');
}

function fallbackLines(log: ReturnType<typeof captureLogger>) {
  return log.lines.filter((line) => line.message.startsWith('[AuthSec SDK] [MOCK FALLBACK]'));
}

describe('auto mock: nothing configured', () => {
  it('runs in mock mode and warns once how to go live', () => {
    const log = captureLogger();
    const mock = client({ env: {}, logger: log });
    expect(mock.mode).toBe('mock');
    expect(log.lines).toHaveLength(1);
    const [line] = modeLines(log);
    expect(line?.level).toBe('warn');
    expect(line?.message).toMatch(/^\[AuthSec SDK\] \[Mode\] MOCK: /);
    expect(line?.message).toContain('AUTHSEC_BASE_URL');
    expect(line?.message).toContain('AUTHSEC_AGENT_CLIENT_ID');
    expect(line?.message).toContain('AUTHSEC_MODE=mock');
    expect(line?.message).toMatch(/no real API accepts/);
  });

  it('hands out an RS256 JWT issued by spiffe://mock.authsec.invalid, with info.mode mock', async () => {
    const mock = client({ env: {}, logLevel: 'silent' });
    const info = await mock.getDelegationTokenInfo();
    expect(info.mode).toBe('mock');
    expect(info.token.split('.')).toHaveLength(3);
    expect(decodeProtectedHeader(info.token)).toEqual({ alg: 'RS256', typ: 'JWT' });
    const claims = decodeJwt(info.token);
    expect(claims.iss).toBe(MOCK_ISSUER);
    expect(MOCK_ISSUER).toBe('spiffe://mock.authsec.invalid');
    expect(claims).toMatchObject({ mock: true, client_id: MOCK_CLIENT_ID, jti: info.jti });
    expect(info).toMatchObject({ clientId: MOCK_CLIENT_ID, workspaceId: MOCK_WORKSPACE_ID });
    expect(await mock.getDelegationToken()).toBe(info.token);
  });

  it('makes no network call: the injected fetch is never called', async () => {
    const recorder = recordingFetch();
    const mock = client({ env: {}, logLevel: 'silent', fetch: recorder.fetch });
    await mock.getDelegationToken();
    mock.invalidate();
    await mock.getDelegationTokenInfo();
    expect(recorder.urls).toEqual([]);
  });

  it('treats blank env values as nothing configured', () => {
    const log = captureLogger();
    const mock = client({
      env: { AUTHSEC_BASE_URL: '  ', AUTHSEC_AGENT_CLIENT_ID: '' },
      logger: log,
    });
    expect(mock.mode).toBe('mock');
    expect(modeLines(log)[0]?.level).toBe('warn');
  });
});

describe('mock on purpose', () => {
  it('mode: mock announces itself at info, not warn', () => {
    const log = captureLogger();
    const mock = client({ mode: 'mock', env: {}, logger: log, logLevel: 'debug' });
    expect(mock.mode).toBe('mock');
    expect(log.lines.filter((line) => line.level === 'warn')).toHaveLength(0);
    const [line] = modeLines(log);
    expect(line?.level).toBe('info');
    expect(line?.message).toMatch(/^\[AuthSec SDK\] \[Mode\] MOCK \(asked for\)/);
  });

  it('AUTHSEC_MODE=mock says nothing at the default level', () => {
    const log = captureLogger();
    const mock = client({ env: { AUTHSEC_MODE: 'MOCK' }, logger: log });
    expect(mock.mode).toBe('mock');
    expect(log.lines).toHaveLength(0);
  });

  it('honours mock.permissions, mock.audience and mock.ttlSeconds', async () => {
    const clock = manualClock(Date.parse('2030-01-02T03:04:05.000Z'));
    const mock = client({
      mode: 'mock',
      env: {},
      logLevel: 'silent',
      clock: clock.now,
      mock: {
        permissions: ['read:metrics'],
        audience: ['records-api', 'authsec-api'],
        ttlSeconds: 900,
      },
    });
    const info = await mock.getDelegationTokenInfo();
    expect(info.permissions).toEqual(['read:metrics']);
    expect(info.audience).toEqual(['records-api', 'authsec-api']);
    expect(info.expiresAt.toISOString()).toBe('2030-01-02T03:19:05.000Z');
    const claims = decodeJwt(info.token);
    expect(claims).toMatchObject({
      permissions: ['read:metrics'],
      aud: ['records-api', 'authsec-api'],
      iat: Date.parse('2030-01-02T03:04:05.000Z') / 1000,
      exp: Date.parse('2030-01-02T03:19:05.000Z') / 1000,
    });
  });

  it('puts the configured client id into mock tokens', async () => {
    const mock = client({ mode: 'mock', clientId: ID, env: {}, logLevel: 'silent' });
    const info = await mock.getDelegationTokenInfo();
    expect(info.clientId).toBe(ID);
    expect(decodeJwt(info.token).client_id).toBe(ID);
  });

  it('refuses a mock.ttlSeconds outside 1 to 86400 at construction', () => {
    const error = thrown(
      () => new AuthSecClient({ mode: 'mock', env: {}, mock: { ttlSeconds: 0 } }),
    );
    expect(error).toBeInstanceOf(AuthSecConfigError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_CONFIG' });
    expect(error.message).toMatch(/ttlSeconds must be a whole number of seconds from 1 to 86400/);
    expectNoSecrets([], error);
  });
});

describe('mock tokens are cached like live ones', () => {
  it('serves the same token until the refresh margin, then mints a new one', async () => {
    const clock = manualClock();
    const log = captureLogger();
    const mock = client({
      mode: 'mock',
      env: {},
      clock: clock.now,
      logger: log,
      logLevel: 'debug',
      mock: { ttlSeconds: 600 },
      refreshMarginSeconds: 60,
    });
    const first = await mock.getDelegationTokenInfo();
    expect(await mock.getDelegationTokenInfo()).toBe(first);
    clock.advance(600 - 61);
    expect(await mock.getDelegationToken()).toBe(first.token);
    const pulls = log.lines.filter((line) => line.fields?.event === 'token.pull');
    expect(pulls).toHaveLength(1);
    expect(pulls[0]?.message).toMatch(/Minting a mock delegation token/);
    clock.advance(2);
    const second = await mock.getDelegationTokenInfo();
    expect(second.token).not.toBe(first.token);
    expect(second.jti).not.toBe(first.jti);
    expect(second.mode).toBe('mock');
    expect(second.expiresAt.getTime()).toBe(Math.floor(clock.now() / 1000) * 1000 + 600_000);
  });
});

describe('mock tokens never pass for real ones', () => {
  it('a mock token fails verification against a real server’s bundle, which a live token passes', async () => {
    const server = await AuthSecTestServer.start();
    extra.push(server);
    const { delegation } = await server.createDelegatedAgent();
    const jwks = (await (await fetch(server.bundleUrl())).json()) as JSONWebKeySet;
    const keys = createLocalJWKSet(jwks);
    await expect(jwtVerify(delegation.token, keys)).resolves.toMatchObject({
      protectedHeader: { alg: 'RS256' },
    });
    const mock = client({ env: {}, logLevel: 'silent' });
    const token = await mock.getDelegationToken();
    await expect(jwtVerify(token, keys)).rejects.toMatchObject({
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    });
    await expect(
      jwtVerify(token, keys, { issuer: `spiffe://${server.workspaceId}` }),
    ).rejects.toThrow();
  });
});

describe('fallbackToMockOnError', () => {
  it('a live 500 yields a mock token with a [MOCK FALLBACK] warning, every time', async () => {
    s = await setup({ client: { fallbackToMockOnError: true, maxRetries: 0 } });
    s.server.injectPullFault({ type: 'status', status: 500 }, { times: 2 });
    const first = await s.client.getDelegationTokenInfo();
    const second = await s.client.getDelegationTokenInfo();
    for (const info of [first, second]) {
      expect(info.mode).toBe('mock');
      expect(decodeJwt(info.token).iss).toBe(MOCK_ISSUER);
      expect(info.clientId).toBe(s.clientId);
    }
    expect(first.token).not.toBe(second.token);
    expect(s.server.pulls.map((pull) => pull.status)).toEqual([500, 500]);
    const warnings = fallbackLines(s.log);
    expect(warnings).toHaveLength(2);
    for (const warning of warnings) {
      expect(warning.level).toBe('warn');
      expect(warning.message).toMatch(/handing out a MOCK token.*real APIs reject/);
      expect(warning.fields).toMatchObject({
        event: 'token.mock_fallback',
        code: 'ERR_AUTHSEC_HTTP',
      });
    }
    expect(s.client.mode).toBe('live');
    expectNoSecrets([s.token, first.token, second.token], s.log.text());
  });

  it('goes back to the live token as soon as AuthSec answers again', async () => {
    s = await setup({ client: { fallbackToMockOnError: true, maxRetries: 0 } });
    s.server.injectPullFault({ type: 'status', status: 503 });
    expect((await s.client.getDelegationTokenInfo()).mode).toBe('mock');
    const info = await s.client.getDelegationTokenInfo();
    expect(info.mode).toBe('live');
    expect(info.token).toBe(s.token);
    expect(fallbackLines(s.log)).toHaveLength(1);
  });

  it('falls back when AuthSec cannot be reached at all', async () => {
    s = await setup();
    const url = s.server.url;
    await s.server.close();
    const log = captureLogger();
    const live = client({
      baseUrl: url,
      clientId: s.clientId,
      env: {},
      logger: log,
      maxRetries: 0,
      fallbackToMockOnError: true,
    });
    const info = await live.getDelegationTokenInfo();
    expect(info.mode).toBe('mock');
    expect(fallbackLines(log)[0]?.fields).toMatchObject({ code: 'ERR_AUTHSEC_NETWORK' });
  });

  it('never replaces a still-valid live token: a failed refresh serves the cached live token', async () => {
    s = await setup({
      agent: { ttlSeconds: 3600 },
      client: { fallbackToMockOnError: true, maxRetries: 0 },
    });
    await s.client.getDelegationToken();
    s.clock.advance(3600 - 30);
    s.server.injectPullFault({ type: 'status', status: 500 });
    const info = await s.client.getDelegationTokenInfo();
    expect(info.mode).toBe('live');
    expect(info.token).toBe(s.token);
    expect(fallbackLines(s.log)).toHaveLength(0);
  });

  it.each([
    [401, AuthSecUnauthenticatedError, 'ERR_AUTHSEC_UNAUTHENTICATED', /refused the pull with 401/],
    [
      403,
      AuthSecPullForbiddenError,
      'ERR_AUTHSEC_PULL_FORBIDDEN',
      /refused to hand this agent its delegation token \(403\)/,
    ],
    [
      404,
      AuthSecDelegationNotFoundError,
      'ERR_AUTHSEC_DELEGATION_NOT_FOUND',
      /no active delegation/,
    ],
    [410, AuthSecDelegationExpiredError, 'ERR_AUTHSEC_DELEGATION_EXPIRED', /has expired \(410\)/],
  ] as const)(
    'a live %i never falls back: it throws',
    async (status, errorClass, code, message) => {
      s = await setup({ client: { fallbackToMockOnError: true, maxRetries: 0 } });
      s.server.injectPullFault({
        type: 'status',
        status,
        // AuthSec's own 404 body: another body is a foreign server (AuthSecNotAuthSecServerError).
        ...(status === 404 && { body: { error: 'No active delegation token found' } }),
      });
      const error = await rejection(s.client.getDelegationToken());
      expect(error).toBeInstanceOf(errorClass);
      expect(error).toBeInstanceOf(AuthSecError);
      expect(error).toMatchObject({ code, status });
      expect(error.message).toMatch(message);
      expect(fallbackLines(s.log)).toHaveLength(0);
      expect(s.server.pulls).toHaveLength(1);
      expectNoSecrets([s.token], error, s.log.text());
      // The client id is no secret, but an error has no business repeating it.
      expectNoSecrets([s.clientId], error);
    },
  );

  it('a 404 "Client not found" from a legacy server never falls back', async () => {
    s = await setup({ server: { generation: 'legacy' } });
    const log = captureLogger();
    const unknown = client({
      baseUrl: s.server.url,
      clientId: ID,
      env: {},
      logger: log,
      logLevel: 'debug',
      fallbackToMockOnError: true,
    });
    const error = await rejection(unknown.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecClientNotFoundError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_CLIENT_NOT_FOUND', status: 404 });
    expect(error.message).toMatch(/does not know this agent client id/);
    expect(fallbackLines(log)).toHaveLength(0);
    expectNoSecrets([ID], error);
    expectNoSecrets([s.token], log.text());
  });
});

describe('NODE_ENV=production', () => {
  it('refuses fallbackToMockOnError with AuthSecConfigError', () => {
    const secret = 'sess-prod-secret-0123456789';
    const log = captureLogger();
    const error = thrown(
      () =>
        new AuthSecClient({
          baseUrl: 'https://prod.api.authsec.ai',
          clientId: ID,
          sessionToken: secret,
          fallbackToMockOnError: true,
          logger: log,
          env: { NODE_ENV: 'production' },
        }),
    );
    expect(error).toBeInstanceOf(AuthSecConfigError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_CONFIG' });
    expect(error.message).toMatch(/fallbackToMockOnError is not allowed with NODE_ENV=production/);
    expect(log.lines).toHaveLength(0);
    expectNoSecrets([secret], error, inspect(error), log.text());
  });

  it('never starts auto mock: nothing configured is an AuthSecConfigError naming the env vars', () => {
    const log = captureLogger();
    const error = thrown(() => new AuthSecClient({ logger: log, env: { NODE_ENV: 'production' } }));
    expect(error).toBeInstanceOf(AuthSecConfigError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_CONFIG' });
    expect(error.message).toMatch(/No AuthSec configuration while NODE_ENV=production/);
    expect(error.message).toMatch(/AUTHSEC_BASE_URL and AUTHSEC_AGENT_CLIENT_ID/);
    expect(log.lines).toHaveLength(0);
    expectNoSecrets([], error);
  });

  it('refuses mode: mock unless allowMockInProduction is set', () => {
    const error = thrown(
      () =>
        new AuthSecClient({ mode: 'mock', logLevel: 'silent', env: { NODE_ENV: 'production' } }),
    );
    expect(error).toBeInstanceOf(AuthSecConfigError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_CONFIG' });
    expect(error.message).toMatch(/allowMockInProduction/);
    const allowed = client({
      mode: 'mock',
      allowMockInProduction: true,
      logLevel: 'silent',
      env: { NODE_ENV: 'production' },
    });
    expect(allowed.mode).toBe('mock');
  });

  it('mock allowed in production still warns at the default level', () => {
    const log = captureLogger();
    const allowed = client({
      mode: 'mock',
      allowMockInProduction: true,
      logger: log,
      env: { NODE_ENV: 'production' },
    });
    expect(allowed.mode).toBe('mock');
    expect(log.lines.map((line) => [line.level, line.message])).toEqual([
      [
        'warn',
        '[AuthSec SDK] [Mode] MOCK while NODE_ENV=production (allowMockInProduction): tokens are local mock JWTs no real API accepts.',
      ],
    ]);
  });
});
