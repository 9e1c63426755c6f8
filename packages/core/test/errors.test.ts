// Proves the AuthSec error family: codes, names, toJSON/toString, the cross-copy marker, and what pull errors carry.

import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthSecClient } from '../src/client.js';
import { isFatalAuthSecError } from '../src/error-policy.js';
import * as core from '../src/index.js';
import {
  AuthSecAbortedError,
  AuthSecClientNotFoundError,
  AuthSecClosedError,
  AuthSecConfigError,
  AuthSecDelegationExpiredError,
  AuthSecDelegationNotFoundError,
  AuthSecError,
  type AuthSecErrorCode,
  type AuthSecErrorOptions,
  AuthSecHttpError,
  AuthSecNetworkError,
  AuthSecNotAuthSecServerError,
  AuthSecOriginNotAllowedError,
  AuthSecPermissionError,
  AuthSecPullForbiddenError,
  AuthSecRateLimitedError,
  AuthSecResponseError,
  AuthSecTimeoutError,
  AuthSecTokenError,
  AuthSecTokenRejectedError,
  AuthSecUnauthenticatedError,
  isAuthSecError,
} from '../src/index.js';
import { captureLogger, expectNoSecrets, rejection, type Setup, setup } from './support.js';

const PULL_PATH = '/authsec/uflow/sdk/delegation-token';
const ID = '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11';

interface Case {
  make: (options: AuthSecErrorOptions) => AuthSecError;
  /** Fields a subclass adds to toJSON(). */
  extra?: Record<string, unknown>;
  code: AuthSecErrorCode;
  message: string;
}

/** One constructor call per class exported from src/index.ts, with the code it must carry. */
const CASES: Record<string, Case> = {
  AuthSecError: {
    make: (o) => new AuthSecError('Base failure.', { code: 'ERR_AUTHSEC_HTTP', ...o }),
    code: 'ERR_AUTHSEC_HTTP',
    message: 'Base failure.',
  },
  AuthSecConfigError: {
    make: (o) => AuthSecConfigError.fromProblems(['baseUrl is missing'], o),
    code: 'ERR_AUTHSEC_CONFIG',
    message: 'Invalid AuthSec configuration: baseUrl is missing',
  },
  AuthSecNetworkError: {
    make: (o) => new AuthSecNetworkError('Could not reach AuthSec.', o),
    code: 'ERR_AUTHSEC_NETWORK',
    message: 'Could not reach AuthSec.',
  },
  AuthSecTimeoutError: {
    make: (o) => new AuthSecTimeoutError('Too slow.', { timeoutMs: 1500, ...o }),
    code: 'ERR_AUTHSEC_TIMEOUT',
    message: 'Too slow.',
  },
  AuthSecAbortedError: {
    make: (o) => new AuthSecAbortedError('Aborted.', o),
    code: 'ERR_AUTHSEC_ABORTED',
    message: 'Aborted.',
  },
  AuthSecClosedError: {
    make: (o) => new AuthSecClosedError(undefined, o),
    code: 'ERR_AUTHSEC_CLOSED',
    message: 'This AuthSecClient is closed.',
  },
  AuthSecHttpError: {
    make: (o) => new AuthSecHttpError('Bad gateway.', o),
    code: 'ERR_AUTHSEC_HTTP',
    message: 'Bad gateway.',
  },
  AuthSecRateLimitedError: {
    make: (o) => new AuthSecRateLimitedError('Slow down.', { retryAfterMs: 2000, ...o }),
    code: 'ERR_AUTHSEC_RATE_LIMITED',
    message: 'Slow down.',
  },
  AuthSecUnauthenticatedError: {
    make: (o) => new AuthSecUnauthenticatedError('No session.', o),
    code: 'ERR_AUTHSEC_UNAUTHENTICATED',
    message: 'No session.',
  },
  AuthSecPermissionError: {
    make: (o) => new AuthSecPermissionError('Forbidden.', { requiredScope: 'billing:read', ...o }),
    extra: { requiredScope: 'billing:read' },
    code: 'ERR_AUTHSEC_FORBIDDEN',
    message: 'Forbidden.',
  },
  AuthSecPullForbiddenError: {
    make: (o) =>
      new AuthSecPullForbiddenError('Pull refused.', { requiredScope: 'agents:pull', ...o }),
    extra: { requiredScope: 'agents:pull' },
    code: 'ERR_AUTHSEC_PULL_FORBIDDEN',
    message: 'Pull refused.',
  },
  AuthSecNotAuthSecServerError: {
    make: (o) =>
      new AuthSecNotAuthSecServerError('Not AuthSec.', { baseUrl: 'https://example.com', ...o }),
    code: 'ERR_AUTHSEC_NOT_AUTHSEC_SERVER',
    message: 'Not AuthSec.',
  },
  AuthSecClientNotFoundError: {
    make: (o) => new AuthSecClientNotFoundError('Unknown client.', o),
    code: 'ERR_AUTHSEC_CLIENT_NOT_FOUND',
    message: 'Unknown client.',
  },
  AuthSecDelegationNotFoundError: {
    make: (o) => new AuthSecDelegationNotFoundError('No delegation.', o),
    code: 'ERR_AUTHSEC_DELEGATION_NOT_FOUND',
    message: 'No delegation.',
  },
  AuthSecDelegationExpiredError: {
    make: (o) => new AuthSecDelegationExpiredError('Expired.', { expiredAt: new Date(0), ...o }),
    code: 'ERR_AUTHSEC_DELEGATION_EXPIRED',
    message: 'Expired.',
  },
  AuthSecResponseError: {
    make: (o) => new AuthSecResponseError('Bad body.', { issues: ['token'], ...o }),
    code: 'ERR_AUTHSEC_BAD_RESPONSE',
    message: 'Bad body.',
  },
  AuthSecTokenError: {
    make: (o) => new AuthSecTokenError('The token has expired.', { reason: 'expired', ...o }),
    extra: { reason: 'expired' },
    code: 'ERR_AUTHSEC_TOKEN_INVALID',
    message: 'The token has expired.',
  },
  AuthSecTokenRejectedError: {
    make: (o) =>
      new AuthSecTokenRejectedError('The API rejected the token.', { jti: 'jti-1', ...o }),
    code: 'ERR_AUTHSEC_TOKEN_REJECTED',
    message: 'The API rejected the token.',
  },
  AuthSecOriginNotAllowedError: {
    make: (o) =>
      new AuthSecOriginNotAllowedError('Not allowed.', { origin: 'https://evil.example', ...o }),
    code: 'ERR_AUTHSEC_ORIGIN_NOT_ALLOWED',
    message: 'Not allowed.',
  },
};

const NAMES = Object.keys(CASES);

function caseOf(name: string): Case {
  const found = CASES[name];
  if (found === undefined) throw new Error(`no case for ${name}`);
  return found;
}

describe('the exported error classes', () => {
  it('the table covers every error class src/index.ts exports', () => {
    const exported = Object.entries(core)
      .filter(
        ([, value]) =>
          typeof value === 'function' &&
          (value === AuthSecError || value.prototype instanceof AuthSecError),
      )
      .map(([name]) => name);
    expect(exported.sort()).toEqual([...NAMES].sort());
  });

  it.each(NAMES)('%s has its code, its class name and is an AuthSecError and an Error', (name) => {
    const { make, code, message } = caseOf(name);
    const error = make({});
    expect(error.code).toBe(code);
    expect(error.name).toBe(name);
    expect(error.message).toBe(message);
    expect(error).toBeInstanceOf(AuthSecError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(
      (core as unknown as Record<string, new (...args: never[]) => Error>)[name],
    );
    expect(error.stack).toContain(name);
  });

  it.each(NAMES)('%s.toJSON() is exactly { name, code, message, hint, status }', (name) => {
    const { make, code, message } = caseOf(name);
    const error = make({
      hint: 'Do this.',
      status: 503,
      method: 'GET',
      path: PULL_PATH,
      cause: new Error('inner'),
    });
    const expected: Record<string, unknown> = {
      name,
      code,
      message,
      hint: 'Do this.',
      status: 503,
    };
    Object.assign(expected, caseOf(name).extra);
    expect(error.toJSON()).toStrictEqual(expected);
    expect(JSON.parse(JSON.stringify(error))).toStrictEqual(expected);
  });

  it.each(NAMES.filter((name) => name !== 'AuthSecClosedError'))(
    '%s.toJSON() leaves out hint and status when there are none',
    (name) => {
      const { make, code, message } = caseOf(name);
      const expected: Record<string, unknown> = { name, code, message };
      Object.assign(expected, caseOf(name).extra);
      expect(make({}).toJSON()).toStrictEqual(expected);
    },
  );

  it.each(NAMES)('%s.toString() holds the name, the code, the message and the hint', (name) => {
    const { make, code, message } = caseOf(name);
    expect(String(make({ hint: 'Fix it like so.' }))).toBe(
      `${name} [${code}]: ${message} Hint: Fix it like so.`,
    );
  });

  it.each(NAMES)('isAuthSecError(%s) is true', (name) => {
    expect(isAuthSecError(caseOf(name).make({}))).toBe(true);
  });

  it('keeps status, method and path on the error, outside toJSON()', () => {
    const error = new AuthSecHttpError('Failed.', { status: 502, method: 'GET', path: PULL_PATH });
    expect(error).toMatchObject({ status: 502, method: 'GET', path: PULL_PATH });
    expect(error.toJSON()).not.toHaveProperty('path');
    expect(error.toJSON()).not.toHaveProperty('method');
  });

  it('leaves requiredScope out of an AuthSecPermissionError toJSON() when it is unknown', () => {
    const error = new AuthSecPermissionError('Forbidden.', {
      requiredScope: undefined,
      status: 403,
    });
    expect(error.requiredScope).toBeUndefined();
    expect(error.toJSON()).toStrictEqual({
      name: 'AuthSecPermissionError',
      code: 'ERR_AUTHSEC_FORBIDDEN',
      message: 'Forbidden.',
      status: 403,
    });
  });

  it('keeps the facts each subclass adds: timeoutMs, retryAfterMs, expiredAt, frozen issues', () => {
    expect(new AuthSecTimeoutError('x', { timeoutMs: 1500 }).timeoutMs).toBe(1500);
    expect(new AuthSecRateLimitedError('x', { retryAfterMs: 2000 }).retryAfterMs).toBe(2000);
    expect(
      new AuthSecDelegationExpiredError('x', { expiredAt: new Date(5) }).expiredAt?.getTime(),
    ).toBe(5);
    const issues = ['token', 'expires_at'];
    const error = new AuthSecResponseError('x', { issues });
    issues.push('later');
    expect(error.issues).toEqual(['token', 'expires_at']);
    expect(Object.isFrozen(error.issues)).toBe(true);
  });

  it('AuthSecClosedError says to create a new client unless told otherwise', () => {
    expect(new AuthSecClosedError().hint).toMatch(/Create a new AuthSecClient/);
    expect(new AuthSecClosedError(undefined, { hint: 'Other.' }).hint).toBe('Other.');
  });

  it('AuthSecAbortedError has a default message', () => {
    expect(new AuthSecAbortedError().message).toBe('The AuthSec call was aborted by its signal.');
  });

  it('keeps a cause on the error but never in toJSON()', () => {
    const cause = new Error('inner');
    const error = new AuthSecNetworkError('Outer.', { cause });
    expect(error.cause).toBe(cause);
    expect(JSON.stringify(error)).not.toContain('inner');
    expect(new AuthSecNetworkError('Outer.')).not.toHaveProperty('cause');
  });
});

describe('isAuthSecError()', () => {
  it.each([
    ['a plain Error', new Error('x')],
    ['a TypeError', new TypeError('x')],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'ERR_AUTHSEC_CONFIG'],
    ['a number', 42],
    [
      'a lookalike object',
      { name: 'AuthSecConfigError', code: 'ERR_AUTHSEC_CONFIG', message: 'x' },
    ],
    ['an error whose marker is not true', markedWith('yes')],
  ])('is false for %s', (_label, value) => {
    expect(isAuthSecError(value)).toBe(false);
  });

  it('is true for an error from another copy of the package, marked with Symbol.for("authsec.error")', () => {
    const foreign = markedWith(true);
    expect(foreign).not.toBeInstanceOf(AuthSecError);
    expect(isAuthSecError(foreign)).toBe(true);
  });

  it('keeps the marker out of enumeration, so it never shows in JSON or inspect', () => {
    const error = new AuthSecHttpError('x');
    const marker = Object.getOwnPropertyDescriptor(error, Symbol.for('authsec.error'));
    expect(marker).toMatchObject({ value: true, enumerable: false });
    expect(inspect(error)).not.toContain('authsec.error');
  });
});

function markedWith(value: unknown): Error {
  const error = new Error('from another copy');
  Object.defineProperty(error, Symbol.for('authsec.error'), { value });
  return error;
}

describe('AuthSecConfigError', () => {
  it('freezes problems and copies them, so later changes to the input do not show', () => {
    const input = ['baseUrl is missing', 'clientId is missing'];
    const error = AuthSecConfigError.fromProblems(input);
    input.push('later');
    expect(error.problems).toEqual(['baseUrl is missing', 'clientId is missing']);
    expect(Object.isFrozen(error.problems)).toBe(true);
    expect(() => (error.problems as string[]).push('more')).toThrow(TypeError);
  });

  it('lists several problems one per line', () => {
    const error = AuthSecConfigError.fromProblems(['baseUrl is missing', 'clientId is missing']);
    expect(error.message).toBe(
      'Invalid AuthSec configuration:\n  - baseUrl is missing\n  - clientId is missing',
    );
  });

  it('is what the client constructor throws, with every problem in problems', () => {
    let error: unknown;
    try {
      new AuthSecClient({ mode: 'live', env: {} });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AuthSecConfigError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_CONFIG', name: 'AuthSecConfigError' });
    const problems = (error as AuthSecConfigError).problems;
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/baseUrl is missing.*AUTHSEC_BASE_URL/);
    expect(problems[1]).toMatch(/clientId is missing.*AUTHSEC_AGENT_CLIENT_ID/);
    expect(Object.isFrozen(problems)).toBe(true);
    expectNoSecrets([], error);
  });
});

describe('errors from a live pull', () => {
  let s: Setup | undefined;
  const clients: AuthSecClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await s?.close();
    s = undefined;
  });

  /** Checks what every pull error must carry, and what it must never carry. */
  function expectRequestFacts(error: Error, status: number | undefined, secrets: string[]): void {
    expect(isAuthSecError(error)).toBe(true);
    const facts = error as AuthSecError;
    expect(facts.status).toBe(status);
    expect(facts.method).toBe('GET');
    expect(facts.path).toBe(PULL_PATH);
    expect(facts.cause).toBeUndefined();
    const everything = [
      inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
      String(error),
      JSON.stringify(error),
    ].join('\n');
    expect(everything).not.toMatch(/client_id=/);
    expect(everything.toLowerCase()).not.toMatch(/x-client-id|authorization:|bearer /);
    expectNoSecrets(secrets, error, everything);
  }

  it('404 "Client not found": status, method and path, no query string, no client id, no cause', async () => {
    s = await setup({ server: { generation: 'legacy' } });
    const log = captureLogger();
    const client = new AuthSecClient({
      baseUrl: s.server.url,
      clientId: ID,
      env: {},
      logger: log,
      logLevel: 'debug',
    });
    clients.push(client);
    const error = await rejection(client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecClientNotFoundError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_CLIENT_NOT_FOUND' });
    expect(error.message).toMatch(/404 "Client not found"/);
    expectRequestFacts(error, 404, [ID]);
    expect(log.lines.at(-1)?.fields).toMatchObject({
      event: 'token.failed',
      code: 'ERR_AUTHSEC_CLIENT_NOT_FOUND',
    });
  });

  it('401 with a revoked session credential: the credential is nowhere in the error or the log', async () => {
    s = await setup({ server: { generation: 'session' } });
    const session = await s.server.createSession();
    s.server.revokeSession(session.token);
    const log = captureLogger();
    const client = new AuthSecClient({
      baseUrl: s.server.url,
      clientId: s.clientId,
      sessionToken: session.token,
      env: {},
      logger: log,
      logLevel: 'debug',
    });
    clients.push(client);
    const error = await rejection(client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecUnauthenticatedError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_UNAUTHENTICATED' });
    expect(error.message).toMatch(/401 "session has been revoked"/);
    expectRequestFacts(error, 401, [session.token, s.clientId]);
    expectNoSecrets([session.token], log.text(), client);
  });

  it('403 with an insufficient_scope challenge: AuthSecPullForbiddenError, requiredScope in the error and its toJSON()', async () => {
    s = await setup();
    s.server.injectPullFault({
      type: 'status',
      status: 403,
      body: { error: 'forbidden' },
      headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="agents:pull"' },
    });
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecPullForbiddenError);
    // Not a downstream missing scope: AuthSec refuses the agent, so no tool call can fix it.
    expect(error).not.toBeInstanceOf(AuthSecPermissionError);
    expect(isFatalAuthSecError(error)).toBe(true);
    expect((error as AuthSecError).hint).toMatch(/trust delegation/);
    expect(error).toMatchObject({
      name: 'AuthSecPullForbiddenError',
      code: 'ERR_AUTHSEC_PULL_FORBIDDEN',
      requiredScope: 'agents:pull',
    });
    expect(error.message).toBe('AuthSec refused to hand this agent its delegation token (403).');
    expect((error as AuthSecPullForbiddenError).toJSON()).toMatchObject({
      status: 403,
      requiredScope: 'agents:pull',
    });
    expectRequestFacts(error, 403, [s.token, s.clientId]);
    expectNoSecrets([s.token], s.log.text());
  });

  it('429 after the retries allowed: AuthSecRateLimitedError with retryAfterMs', async () => {
    s = await setup({ client: { maxRetries: 0 } });
    s.server.injectPullFault({ type: 'status', status: 429, retryAfter: 3 });
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecRateLimitedError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_RATE_LIMITED', retryAfterMs: 3000 });
    expect(error.message).toMatch(/rate-limited the pull \(429\); it asked to wait 3 s/);
    expectRequestFacts(error, 429, [s.token, s.clientId]);
    expectNoSecrets([s.token], s.log.text());
  });

  it('500 after the retries allowed: AuthSecHttpError', async () => {
    s = await setup({ client: { maxRetries: 0 } });
    s.server.injectPullFault({ type: 'status', status: 500, body: { error: 'db down' } });
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecHttpError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_HTTP' });
    expect(error.message).toBe('AuthSec answered the pull with 500 after retries.');
    expectRequestFacts(error, 500, [s.token, s.clientId]);
    expectNoSecrets([s.token], s.log.text());
  });

  it('never repeats an error text that could carry a credential or a URL from the answer', async () => {
    s = await setup({ client: { maxRetries: 0 } });
    const echoed = [
      `upstream refused Bearer ${s.token}`,
      'upstream said session=sess-0123456789abcdef',
      'see https://gw.example/login?client_id=6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11',
      `x${'A'.repeat(40)}`,
    ];
    for (const text of echoed) {
      s.server.injectPullFault({ type: 'status', status: 500, body: { error: text } });
      const error = await rejection(s.client.getDelegationToken());
      expect(error).toBeInstanceOf(AuthSecHttpError);
      expect(error.message).toBe('AuthSec answered the pull with 500 after retries.');
      expectRequestFacts(error, 500, [
        s.token,
        s.clientId,
        'sess-0123456789abcdef',
        'A'.repeat(40),
      ]);
    }
    expectNoSecrets([s.token, 'sess-0123456789abcdef'], s.log.text());
  });

  it('a timeout carries method and path but no status, and no cause', async () => {
    s = await setup({ client: { timeoutMs: 150, maxRetries: 0 } });
    s.server.injectPullFault({ type: 'hang' });
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecTimeoutError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_TIMEOUT', timeoutMs: 150 });
    expect(error.message).toMatch(/^AuthSec did not answer within 150 ms/);
    expectRequestFacts(error, undefined, [s.token, s.clientId]);
    expectNoSecrets([s.token], s.log.text());
  });

  it('a refused connection carries method and path but no status, and not the fetch error as cause', async () => {
    s = await setup();
    const url = s.server.url;
    await s.server.close();
    const log = captureLogger();
    const client = new AuthSecClient({
      baseUrl: url,
      clientId: ID,
      env: {},
      logger: log,
      logLevel: 'debug',
      maxRetries: 0,
    });
    clients.push(client);
    const error = await rejection(client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecNetworkError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_NETWORK' });
    expect(error.message).toBe(`Could not reach AuthSec at ${url} (ECONNREFUSED).`);
    expectRequestFacts(error, undefined, [ID]);
    expect(log.lines.map((line) => line.fields?.code)).toContain('ERR_AUTHSEC_NETWORK');
  });

  it('a 200 that is not JSON: AuthSecResponseError with status 200, method and path', async () => {
    s = await setup();
    s.server.injectPullFault({
      type: 'raw',
      body: '<html>sign in</html>',
      contentType: 'text/html',
    });
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecResponseError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_BAD_RESPONSE', issues: ['body'] });
    expect(error.message).toMatch(/body that is not JSON/);
    expectRequestFacts(error, 200, [s.token, s.clientId]);
    expectNoSecrets([s.token], s.log.text());
  });

  it('a 200 whose body breaks the contract: AuthSecResponseError with status 200, method and path', async () => {
    s = await setup();
    s.server.injectPullFault({ type: 'missing-token' });
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecResponseError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_BAD_RESPONSE' });
    expect((error as AuthSecResponseError).issues).toContain('token');
    expect(error.message).toMatch(
      /breaks the delegation contract \(token must be a non-empty string\)/,
    );
    expectRequestFacts(error, 200, [s.token, s.clientId]);
    expectNoSecrets([s.token], s.log.text());
  });

  it('a 200 with a token the SDK refuses: AuthSecResponseError with status 200, method and path, never the token', async () => {
    s = await setup({ agent: { overrides: { header: { alg: 'HS256' } } } });
    const error = await rejection(s.client.getDelegationToken());
    expect(error).toBeInstanceOf(AuthSecResponseError);
    expect((error as AuthSecResponseError).issues).toContain('token.header.alg');
    expect(error.message).toMatch(/token\.header\.alg must be RS256/);
    expectRequestFacts(error, 200, [s.token, s.clientId]);
    expectNoSecrets([s.token], s.log.text());
  });
});
