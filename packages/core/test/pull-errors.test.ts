// Proves how a failed pull becomes an error: which class, what it quotes, what it never repeats.

import { inspect } from 'node:util';
import { DownstreamServer } from '@authsec/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthSecClient } from '../src/client.js';
import { isFatalAuthSecError } from '../src/error-policy.js';
import {
  AuthSecClientNotFoundError,
  AuthSecDelegationNotFoundError,
  type AuthSecError,
  AuthSecHttpError,
  AuthSecNetworkError,
  AuthSecNotAuthSecServerError,
  AuthSecPermissionError,
  AuthSecPullForbiddenError,
  AuthSecUnauthenticatedError,
  isAuthSecError,
} from '../src/index.js';
import { requiredScopeOf } from '../src/pull-errors.js';
import { captureLogger, expectNoSecrets, rejection, type Setup, setup } from './support.js';

const ID = '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11';

let s: Setup | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
  await s?.close();
  s = undefined;
});

/** Everything an error shows: message, string, JSON and deep inspect output. */
function shown(error: Error): string {
  return [
    error.message,
    String(error),
    JSON.stringify(error),
    inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
  ].join('\n');
}

describe('a 403 on the pull', () => {
  it('a downstream missing scope stays ERR_AUTHSEC_FORBIDDEN and is not fatal', () => {
    const error = new AuthSecPermissionError('Forbidden.', {
      requiredScope: 'billing:read',
      status: 403,
    });
    expect(isFatalAuthSecError(error)).toBe(false);
    expect(
      isFatalAuthSecError(new AuthSecPullForbiddenError('No.', { requiredScope: undefined })),
    ).toBe(true);
  });
});

describe('fallbackToMockOnError', () => {
  it.each([
    ['a 403 on the pull', { type: 'status', status: 403, body: { error: 'forbidden' } }],
    ['a foreign 404', { type: 'raw', status: 404, contentType: 'text/html', body: '<h1>404</h1>' }],
  ] as const)('never papers over %s with a mock token', async (_label, fault) => {
    s = await setup({ client: { maxRetries: 0, fallbackToMockOnError: true } });
    s.server.injectPullFault(fault);
    const error = await rejection(s.client.getDelegationToken());
    expect(isFatalAuthSecError(error)).toBe(true);
  });
});

describe('requiredScope from a 403 challenge', () => {
  const challenge = (scope: string) =>
    new Headers({
      'www-authenticate': `Bearer error="insufficient_scope", scope="${scope.replace(/["\\]/g, '\\$&')}"`,
    });

  it('keeps scope-token characters (RFC 6749) up to 128 characters, space-separated', () => {
    expect(requiredScopeOf(challenge('billing:read'))).toBe('billing:read');
    expect(requiredScopeOf(challenge('read:records billing:read'))).toBe(
      'read:records billing:read',
    );
    expect(requiredScopeOf(challenge('a'.repeat(128)))).toBe('a'.repeat(128));
  });

  it.each([
    ['a 200-character echoed token', `eyJ${'x'.repeat(197)}`],
    ['129 characters', 'a'.repeat(129)],
    ['a double quote', 'read:"x"'],
    ['a backslash', 'read\\x'],
    ['a control character', 'read:\u0007x'],
    ['a tab', 'read:\tx'],
    ['non-ASCII text', 'lecture:données'],
    ['doubled spaces', 'read:a  read:b'],
  ])('is undefined for %s', (_label, scope) => {
    expect(requiredScopeOf(challenge(scope))).toBeUndefined();
  });

  it('a pull 403 echoing the session credential in scope= does not carry it', async () => {
    const session = `sess${'Q'.repeat(196)}`;
    s = await setup({ client: { maxRetries: 0, sessionToken: session } });
    s.server.injectPullFault({
      type: 'status',
      status: 403,
      headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${session}"` },
    });
    const error = await rejection(s.client.getDelegationToken());
    expect((error as AuthSecPullForbiddenError).requiredScope).toBeUndefined();
    expectNoSecrets([session], error, shown(error), s.log.text());
  });
});

describe('requiredScope from a protected API', () => {
  it('a downstream 403 echoing the delegation token in scope= carries no requiredScope and no token', async () => {
    s = await setup({ client: { maxRetries: 0 } });
    const api = await DownstreamServer.start({
      routes: {
        'GET /echo': (request) => ({
          status: 403,
          headers: {
            'www-authenticate': `Bearer error="insufficient_scope", scope="${request.bearer ?? ''}"`,
          },
        }),
      },
    });
    closers.push(() => api.close());
    const client = new AuthSecClient({
      baseUrl: s.server.url,
      clientId: s.clientId,
      downstreamUrl: api.url,
      env: {},
      logLevel: 'silent',
    });
    closers.push(() => client.close());
    const error = await rejection(client.request('/echo'));
    expect(error).toBeInstanceOf(AuthSecPermissionError);
    expect((error as AuthSecPermissionError).requiredScope).toBeUndefined();
    expect(error.message).toBe('The API refused GET /echo (403).');
    expectNoSecrets([s.token], error, shown(error));
  });
});

describe('server text in pull errors', () => {
  const sessions = ['S3ss10nOpaque20Chars', 'abcdefghijklmnopqrstuvwxyz012345'];

  it.each([400, 401, 403, 500, 502])(
    'a %i body echoing a 20- or 32-character session credential never reaches message, toJSON or the log',
    async (status) => {
      for (const session of sessions) {
        s = await setup({
          client: { maxRetries: 0, sessionToken: session, headers: { 'x-api-key': 'k3yValue9' } },
        });
        for (const text of [
          `invalid session ${session}`,
          `session ${session} revoked`,
          `bad key k3yValue9`,
        ]) {
          s.server.injectPullFault({ type: 'status', status, body: { error: text } });
          const error = await rejection(s.client.getDelegationToken());
          expect(isAuthSecError(error)).toBe(true);
          expect(shown(error)).not.toContain(session);
          expect(shown(error)).not.toContain('k3yValue9');
          expect(s.log.text()).not.toContain(session);
          expect(s.log.text()).not.toContain('k3yValue9');
        }
        await s.close();
        s = undefined;
      }
    },
  );

  it('quotes the contract’s own phrases', async () => {
    s = await setup({ client: { maxRetries: 0 } });
    const phrases: [number, string, RegExp][] = [
      [400, 'Invalid client_id format', /400 "Invalid client_id format"/],
      [
        400,
        'client_id is required (query param or X-Client-ID header)',
        /400 "client_id is required \(query param or X-Client-ID header\)"/,
      ],
      [401, 'authorization header required', /401 "authorization header required"/],
      [401, 'Invalid or expired token', /401 "Invalid or expired token"/],
      [401, 'session has been revoked', /401 "session has been revoked"/],
    ];
    for (const [status, text, expected] of phrases) {
      s.server.injectPullFault({ type: 'status', status, body: { error: text } });
      const error = await rejection(s.client.getDelegationToken());
      expect(error.message).toMatch(expected);
    }
  });

  it('does not quote text outside the contract, however harmless it looks', async () => {
    s = await setup({ client: { maxRetries: 0 } });
    s.server.injectPullFault({ type: 'status', status: 500, body: { error: 'db down' } });
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecHttpError);
    expect(error.message).toBe('AuthSec answered the pull with 500 after retries.');
  });
});

describe('a 404 that is not from AuthSec', () => {
  it('a wrong path prefix on an AuthSec host: AuthSecNotAuthSecServerError naming the base URL, fatal', async () => {
    s = await setup({ client: { maxRetries: 0 } });
    const log = captureLogger();
    const client = new AuthSecClient({
      baseUrl: `${s.server.url}/wrong-prefix`,
      clientId: s.clientId,
      env: {},
      logger: log,
      logLevel: 'debug',
    });
    closers.push(() => client.close());
    const error = await rejection(client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecNotAuthSecServerError);
    expect(error).toMatchObject({
      name: 'AuthSecNotAuthSecServerError',
      code: 'ERR_AUTHSEC_NOT_AUTHSEC_SERVER',
      status: 404,
    });
    expect(error.message).toBe(
      `No AuthSec server at ${s.server.url}/wrong-prefix: the pull got a 404 body AuthSec never sends.`,
    );
    expect((error as AuthSecError).hint).toMatch(/AUTHSEC_BASE_URL/);
    expect(error.message).not.toMatch(/delegation|admin/i);
    expect(isFatalAuthSecError(error)).toBe(true);
    expect(shown(error)).not.toContain(s.clientId);
    expect(log.text()).toMatch(/No AuthSec server at/);
  });

  it.each([
    [
      'an HTML page',
      { type: 'raw', status: 404, contentType: 'text/html', body: '<h1>Not Found</h1>' },
    ],
    ['an empty body', { type: 'raw', status: 404, contentType: 'text/plain', body: '' }],
    [
      'JSON with an unknown error',
      { type: 'status', status: 404, body: { message: 'Cannot GET' } },
    ],
  ] as const)('%s: AuthSecNotAuthSecServerError', async (_label, fault) => {
    s = await setup({ client: { maxRetries: 0 } });
    s.server.injectPullFault(fault);
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecNotAuthSecServerError);
    expect(error.message).toContain(`at ${s.server.url}:`);
  });

  it('another web server entirely: AuthSecNotAuthSecServerError', async () => {
    const other = await DownstreamServer.start({});
    closers.push(() => other.close());
    const client = new AuthSecClient({
      baseUrl: other.url,
      clientId: ID,
      env: {},
      logLevel: 'silent',
    });
    closers.push(() => client.close());
    const error = await rejection(client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecNotAuthSecServerError);
  });

  it('the contract’s 404 bodies keep their own errors', async () => {
    s = await setup({ client: { maxRetries: 0 } });
    s.server.revoke(s.clientId);
    expect(await rejection(s.client.getDelegationToken())).toBeInstanceOf(
      AuthSecDelegationNotFoundError,
    );
    s.server.injectPullFault({
      type: 'status',
      status: 404,
      body: { error: 'Client not found', details: 'no such client' },
    });
    expect(await rejection(s.client.getDelegationToken())).toBeInstanceOf(
      AuthSecClientNotFoundError,
    );
  });
});

describe('a pull that cannot reach AuthSec', () => {
  it('a refused connection names ECONNREFUSED in the message', async () => {
    s = await setup({ client: { maxRetries: 0 } });
    const url = s.server.url;
    await s.server.close();
    const error = await rejection(s.client.getDelegationToken());
    expect(error.message).toBe(`Could not reach AuthSec at ${url} (ECONNREFUSED).`);
    expect((error as AuthSecNetworkError).hint).toBe(
      `Nothing is listening at ${url}: check the host and port in AUTHSEC_BASE_URL, and that the server is running.`,
    );
    expect(error).not.toBeInstanceOf(AuthSecUnauthenticatedError);
  });

  it('a port fetch refuses to use (no system code) says why: bad port', async () => {
    const client = new AuthSecClient({
      baseUrl: 'http://127.0.0.1:6000',
      clientId: '6f1c9a52-1b06-4a5e-962b-83175906954a',
      env: {},
      logLevel: 'silent',
      maxRetries: 0,
    });
    const error = await rejection(client.getDelegationToken());
    await client.close();
    expect(error).toBeInstanceOf(AuthSecNetworkError);
    expect(error.message).toBe('Could not reach AuthSec at http://127.0.0.1:6000 (bad port).');
  });
});
