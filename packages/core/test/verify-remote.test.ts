import { randomUUID } from 'node:crypto';
import {
  AuthSecTestServer,
  DownstreamServer,
  type DownstreamServerOptions,
} from '@authsec/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthSecError,
  AuthSecHttpError,
  AuthSecNetworkError,
  AuthSecResponseError,
  AuthSecTimeoutError,
  AuthSecTokenError,
} from '../src/errors.js';
import {
  createDelegationTokenVerifier,
  type VerifyDelegationTokenOptions,
  verifyDelegationToken,
} from '../src/verify.js';
import { expectNoSecrets, rejection } from './support.js';
import {
  BUNDLE_ROUTE,
  clock,
  delegationClaims,
  expectTokenError,
  jwks,
  rsaKey,
  sign,
  type TestKey,
  VALIDATE_ROUTE,
} from './verify-support.js';

const WS = randomUUID();
let key: TestKey;
let token: string;
const apis: DownstreamServer[] = [];
const servers: AuthSecTestServer[] = [];

beforeAll(async () => {
  key = await rsaKey('default');
  token = await sign(key, delegationClaims(WS));
});
afterEach(async () => {
  await Promise.all(apis.splice(0).map((a) => a.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(routes: NonNullable<DownstreamServerOptions['routes']>) {
  const api = await DownstreamServer.start({ routes });
  apis.push(api);
  return api;
}

function verifier(baseUrl: string, options: Partial<VerifyDelegationTokenOptions> = {}) {
  return createDelegationTokenVerifier({
    audience: 'authsec-api',
    workspaceId: WS,
    baseUrl,
    clock,
    env: {},
    ...options,
  });
}

/** Checks an AuthSec error that is not about the token: class, request facts, no token inside. */
async function expectServiceError<T extends AuthSecError>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => T,
  facts: { status?: number; method: string; path: string },
): Promise<T> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(type);
  expect(error).not.toBeInstanceOf(AuthSecTokenError);
  const e = error as T;
  expect({ status: e.status, method: e.method, path: e.path }).toEqual({
    status: facts.status,
    ...facts,
  });
  expect(e.hint).toBeTruthy();
  expect(e.cause).toBeUndefined();
  expectNoSecrets([token, ...token.split('.')], e);
  return e;
}

const BUNDLE = { method: 'GET', path: '/authsec/spiresvc/v1/jwt/bundle' };
const VALIDATE = { method: 'POST', path: '/authsec/spiresvc/v1/jwt/validate' };

describe('fetching the key bundle', () => {
  it('turns a 5xx into AuthSecHttpError, not a token error', async () => {
    const api = await serve({ [BUNDLE_ROUTE]: { status: 503, body: { error: 'down' } } });
    await expectServiceError(verifier(api.url).verify(token), AuthSecHttpError, {
      status: 503,
      ...BUNDLE,
    });
  });

  it('turns an unreachable server into AuthSecNetworkError', async () => {
    const api = await serve({});
    const url = api.url;
    await api.close();
    const error = await expectServiceError(
      verifier(url).verify(token),
      AuthSecNetworkError,
      BUNDLE,
    );
    expect(error.message).toContain(new URL(url).origin);
  });

  it('gives up after timeoutMs with AuthSecTimeoutError', async () => {
    const api = await serve({ [BUNDLE_ROUTE]: { body: jwks(key), delayMs: 1500 } });
    const error = await expectServiceError(
      verifier(api.url, { timeoutMs: 100 }).verify(token),
      AuthSecTimeoutError,
      BUNDLE,
    );
    expect(error.timeoutMs).toBe(100);
  });

  it('does not follow a redirect', async () => {
    const api = await serve({
      [BUNDLE_ROUTE]: { status: 302, headers: { location: '/elsewhere' } },
      '/elsewhere': { body: jwks(key) },
    });
    await expectServiceError(verifier(api.url).verify(token), AuthSecHttpError, {
      status: 302,
      ...BUNDLE,
    });
    expect(api.requestsTo('/elsewhere')).toHaveLength(0);
  });

  it('refuses a bundle that is not JSON, not a JWKS, without an RSA key, or too large', async () => {
    for (const body of [
      '<html>proxy</html>',
      { keys: 'none' },
      { keys: [] },
      { keys: [{ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }] },
      { keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB' }] },
      { keys: [{ ...key.jwk }], padding: 'x'.repeat(300 * 1024) },
    ]) {
      const api = await serve({ [BUNDLE_ROUTE]: { body } });
      await expectServiceError(verifier(api.url).verify(token), AuthSecResponseError, {
        status: 200,
        ...BUNDLE,
      });
    }
  });

  it('retries a failed bundle fetch on the next verify', async () => {
    const api = await serve({ [BUNDLE_ROUTE]: { body: jwks(key) } });
    api.respondOnce(BUNDLE_ROUTE, { status: 500 });
    const v = verifier(api.url);
    await expectServiceError(v.verify(token), AuthSecHttpError, { status: 500, ...BUNDLE });
    await expect(v.verify(token)).resolves.toBeDefined();
    expect(api.requestsTo('/authsec/spiresvc/v1/jwt/bundle')).toHaveLength(2);
  });

  it('builds the bundle URL from baseUrl alone, whatever the token header says', async () => {
    const api = await serve({ [BUNDLE_ROUTE]: { body: jwks(key) } });
    const other = await serve({ '/jwks': { body: jwks(key) } });
    const t = await sign(key, delegationClaims(WS), {
      jku: `${other.url}/jwks`,
      x5u: `${other.url}/jwks`,
    });
    await expect(verifier(`${api.url}/`).verify(t)).resolves.toBeDefined();
    expect(other.requests).toHaveLength(0);
    expect(api.requests.map((r) => [r.path, r.query])).toEqual([
      ['/authsec/spiresvc/v1/jwt/bundle', { workspace_id: WS }],
    ]);
  });

  it('uses the injected fetch', async () => {
    const api = await serve({ [BUNDLE_ROUTE]: { body: jwks(key) } });
    const urls: string[] = [];
    const counting: typeof fetch = (input, init) => {
      urls.push(String(input));
      return fetch(input, init);
    };
    await verifier(api.url, { fetch: counting }).verify(token);
    expect(urls).toEqual([`${api.url}/authsec/spiresvc/v1/jwt/bundle?workspace_id=${WS}`]);
  });
});

describe('remote validation', () => {
  it('posts the token, the audience it was accepted for and the workspace', async () => {
    const api = await serve({
      [BUNDLE_ROUTE]: { body: jwks(key) },
      [VALIDATE_ROUTE]: { body: { valid: true } },
    });
    const t = await sign(key, delegationClaims(WS, { aud: ['authsec-api'] }));
    await verifier(api.url, {
      audience: ['orders-api', 'authsec-api'],
      checkRevocation: true,
    }).verify(t);
    const [call] = api.requestsTo('/authsec/spiresvc/v1/jwt/validate');
    expect(call?.json).toEqual({ token: t, audience: 'authsec-api', workspace_id: WS });
    expect(call?.headers['content-type']).toBe('application/json');
  });

  it('caches by token hash when the token has no jti', async () => {
    const api = await serve({
      [BUNDLE_ROUTE]: { body: jwks(key) },
      [VALIDATE_ROUTE]: { body: { valid: true } },
    });
    const v = verifier(api.url, { checkRevocation: true });
    const a = await sign(key, delegationClaims(WS, { jti: undefined }));
    const b = await sign(key, delegationClaims(WS, { jti: undefined, user_id: 'user-2' }));
    await v.verify(a);
    await v.verify(a);
    await v.verify(b);
    expect(api.requestsTo('/authsec/spiresvc/v1/jwt/validate')).toHaveLength(2);
  });

  it('turns HTTP failures into AuthSec errors and does not cache them', async () => {
    const api = await serve({
      [BUNDLE_ROUTE]: { body: jwks(key) },
      [VALIDATE_ROUTE]: { body: { valid: true } },
    });
    api.respondOnce(VALIDATE_ROUTE, { status: 502, body: '<html>bad gateway</html>' });
    api.respondOnce(VALIDATE_ROUTE, { body: '<html>portal</html>' });
    const v = verifier(api.url, { checkRevocation: true });
    await expectServiceError(v.verify(token), AuthSecHttpError, { status: 502, ...VALIDATE });
    await expectServiceError(v.verify(token), AuthSecResponseError, { status: 200, ...VALIDATE });
    await expect(v.verify(token)).resolves.toBeDefined();
  });

  it('gives up after timeoutMs', async () => {
    const api = await serve({
      [BUNDLE_ROUTE]: { body: jwks(key) },
      [VALIDATE_ROUTE]: { body: { valid: true }, delayMs: 1500 },
    });
    await expectServiceError(
      verifier(api.url, { checkRevocation: true, timeoutMs: 150 }).verify(token),
      AuthSecTimeoutError,
      VALIDATE,
    );
  });
});

describe('revocationCacheSeconds', () => {
  /** A local AuthSec with one delegated agent, and a clock for the verifier that tests can move. */
  async function authsec() {
    const server = await AuthSecTestServer.start();
    servers.push(server);
    const { agent, delegation } = await server.createDelegatedAgent();
    let offsetMs = 0;
    const options: VerifyDelegationTokenOptions = {
      audience: 'authsec-api',
      workspaceId: server.workspaceId,
      baseUrl: server.url,
      checkRevocation: true,
      clock: () => Date.now() + offsetMs,
      env: {},
    };
    return {
      server,
      options,
      clientId: agent.clientId,
      token: delegation.token,
      validations: () => server.requests.filter((r) => r.kind === 'validate').length,
      advance: (ms: number) => {
        offsetMs += ms;
      },
    };
  }

  it('with 0, sees a revocation on the very next verify', async () => {
    const { server, options, clientId, token: t, validations } = await authsec();
    const v = createDelegationTokenVerifier({ ...options, revocationCacheSeconds: 0 });
    await expect(v.verify(t)).resolves.toMatchObject({ client_id: clientId });
    await expect(v.verify(t)).resolves.toBeDefined();
    expect(server.revoke(clientId)).toBe(true);
    await expectTokenError(v.verify(t), 'revoked', t, /revoked/);
    expect(validations()).toBe(3);
  });

  it('by default, reuses an answer for 10 s, so a revocation shows only after that', async () => {
    const { server, options, clientId, token: t, validations, advance } = await authsec();
    const v = createDelegationTokenVerifier(options);
    await v.verify(t);
    expect(server.revoke(clientId)).toBe(true);
    advance(9_000);
    await expect(v.verify(t)).resolves.toBeDefined();
    expect(validations()).toBe(1);
    advance(1_000);
    await expectTokenError(v.verify(t), 'revoked', t);
    expect(validations()).toBe(2);
  });

  it('reuses an answer for as many seconds as given', async () => {
    const { options, token: t, validations, advance } = await authsec();
    const v = createDelegationTokenVerifier({ ...options, revocationCacheSeconds: 60 });
    await v.verify(t);
    advance(59_000);
    await v.verify(t);
    expect(validations()).toBe(1);
    advance(1_000);
    await v.verify(t);
    expect(validations()).toBe(2);
  });

  it('applies per call to the cache verifyDelegationToken shares', async () => {
    const { server, options, clientId, token: t, validations } = await authsec();
    await verifyDelegationToken(t, options);
    await verifyDelegationToken(t, options);
    expect(validations()).toBe(1);
    server.revoke(clientId);
    await expect(verifyDelegationToken(t, options)).resolves.toBeDefined();
    await expectTokenError(
      verifyDelegationToken(t, { ...options, revocationCacheSeconds: 0 }),
      'revoked',
      t,
    );
    expect(validations()).toBe(2);
  });
});
