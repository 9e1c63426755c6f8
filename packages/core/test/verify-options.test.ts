import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { DownstreamServer } from '@authsec/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthSecConfigError, AuthSecPermissionError, isAuthSecError } from '../src/errors.js';
import {
  createDelegationTokenVerifier,
  requirePermissions,
  type VerifyDelegationTokenOptions,
  verifyDelegationToken,
} from '../src/verify.js';
import { rejection } from './support.js';
import {
  BUNDLE_ROUTE,
  clock,
  delegationClaims,
  jwks,
  rsaKey,
  sign,
  type TestKey,
} from './verify-support.js';

const WS = randomUUID();
let key: TestKey;
let api: DownstreamServer;

beforeAll(async () => {
  key = await rsaKey('default');
  api = await DownstreamServer.start({
    routes: {
      [BUNDLE_ROUTE]: { body: jwks(key) },
      'GET /prefix/authsec/spiresvc/v1/jwt/bundle': { body: jwks(key) },
    },
  });
});
afterAll(() => api.close());

function configError(run: () => unknown): AuthSecConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AuthSecConfigError);
    expect((error as AuthSecConfigError).code).toBe('ERR_AUTHSEC_CONFIG');
    return error as AuthSecConfigError;
  }
  throw new Error('expected an AuthSecConfigError');
}

const create = (options: Partial<VerifyDelegationTokenOptions>) => () =>
  createDelegationTokenVerifier(options as VerifyDelegationTokenOptions);

describe('options', () => {
  it('lists every missing required option in one error, naming option and env var', () => {
    const error = configError(create({ env: {} }));
    expect(error.problems).toHaveLength(3);
    expect(error.message).toContain('`audience`');
    expect(error.message).toContain('`workspaceId`');
    expect(error.message).toMatch(/`baseUrl`.*AUTHSEC_BASE_URL/);
    expect(error.hint).toBeTruthy();
  });

  it('reads baseUrl from AUTHSEC_BASE_URL in `env`', async () => {
    const token = await sign(key, delegationClaims(WS));
    const claims = await verifyDelegationToken(token, {
      audience: 'authsec-api',
      workspaceId: WS,
      clock,
      env: { AUTHSEC_BASE_URL: ` ${api.url}/prefix/ ` },
    });
    expect(claims.workspaceId).toBe(WS);
    expect(api.requestsTo('/prefix/authsec/spiresvc/v1/jwt/bundle')).toHaveLength(1);
  });

  it('refuses plain http to a host other than loopback, and API paths as baseUrl', () => {
    const base = { audience: 'authsec-api', workspaceId: WS, env: {} };
    expect(configError(create({ ...base, baseUrl: 'http://authsec.example.com' })).message).toMatch(
      /https.*AUTHSEC_BASE_URL/,
    );
    expect(
      configError(create({ ...base, env: { AUTHSEC_BASE_URL: 'http://10.0.0.1:8080' } })).message,
    ).toMatch(/https/);
    for (const baseUrl of [
      'https://prod.api.authsec.ai/authsec',
      'https://prod.api.authsec.ai/uflow/',
      'https://user:pw@prod.api.authsec.ai',
      'https://prod.api.authsec.ai?x=1',
      'ftp://prod.api.authsec.ai',
      'not a url',
    ]) {
      expect(configError(create({ ...base, baseUrl })).problems).toHaveLength(1);
    }
    expect(() => create({ ...base, baseUrl: 'https://prod.api.authsec.ai/' })()).not.toThrow();
    expect(() => create({ ...base, baseUrl: 'http://localhost:8080' })()).not.toThrow();
  });

  it('refuses a baseUrl of the wrong type as that one problem, not also as missing', () => {
    const error = configError(
      create({ audience: 'authsec-api', workspaceId: WS, baseUrl: 5 as never, env: {} }),
    );
    expect(error.problems).toEqual([
      'baseUrl must be a string: pass `baseUrl` or set AUTHSEC_BASE_URL',
    ]);
  });

  it('needs no baseUrl with `keys`, except to check revocation', () => {
    const base = { audience: 'authsec-api', workspaceId: WS, keys: jwks(key), env: {} };
    expect(() => create(base)()).not.toThrow();
    expect(configError(create({ ...base, checkRevocation: true })).message).toMatch(
      /checkRevocation.*AUTHSEC_BASE_URL/,
    );
  });

  it('refuses unusable values, each named', () => {
    const error = configError(
      create({
        audience: [],
        workspaceId: ['not-a-uuid'],
        keys: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] },
        clockToleranceSeconds: -1,
        requiredPermissions: ['read:records', ''],
        spiffeId: '',
        timeoutMs: 0,
        env: {},
      }),
    );
    expect(error.problems.map((p) => p.split(' ')[0])).toEqual([
      'audience',
      'workspaceId',
      'keys',
      'clockToleranceSeconds',
      'requiredPermissions',
      'spiffeId',
      'timeoutMs',
    ]);
    expect(error.message).not.toContain('c2VjcmV0');
  });

  it('refuses a revocationCacheSeconds that is negative or not a finite number', () => {
    const base = { audience: 'authsec-api', workspaceId: WS, baseUrl: api.url, env: {} };
    for (const revocationCacheSeconds of [-1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, '10']) {
      const error = configError(
        create({ ...base, revocationCacheSeconds: revocationCacheSeconds as number }),
      );
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toMatch(
        /^revocationCacheSeconds must be a number of seconds, 0 or more/,
      );
    }
    for (const revocationCacheSeconds of [0, 0.5, 10, 3600]) {
      expect(() =>
        create({ ...base, checkRevocation: true, revocationCacheSeconds })(),
      ).not.toThrow();
    }
  });

  it('makes verifyDelegationToken reject (not throw) on bad options', async () => {
    const pending = verifyDelegationToken('x.y.z', {} as VerifyDelegationTokenOptions);
    expect(await rejection(pending)).toBeInstanceOf(AuthSecConfigError);
  });

  it('refuses a bad requiredPermissions override per call', async () => {
    const verifier = createDelegationTokenVerifier({
      audience: 'authsec-api',
      workspaceId: WS,
      keys: jwks(key),
      clock,
    });
    const token = await sign(key, delegationClaims(WS));
    const error = await rejection(
      verifier.verify(token, { requiredPermissions: 'read:records' as unknown as string[] }),
    );
    expect(error).toBeInstanceOf(AuthSecConfigError);
    expect(error.message).toContain('overrides.requiredPermissions');
  });

  it('reports keys that look right but do not import', async () => {
    const verifier = createDelegationTokenVerifier({
      audience: 'authsec-api',
      workspaceId: WS,
      keys: { keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB' }] },
      clock,
    });
    const error = await rejection(verifier.verify(await sign(key, delegationClaims(WS))));
    expect(error).toBeInstanceOf(AuthSecConfigError);
    expect(error.message).toMatch(/2048 bits/);
  });
});

describe('requirePermissions', () => {
  it('passes when every permission is held', () => {
    expect(() =>
      requirePermissions({ permissions: ['read:records', 'billing:read'] }, ['billing:read']),
    ).not.toThrow();
    expect(() => requirePermissions({ permissions: [] }, [])).not.toThrow();
  });

  it('matches exactly: read:metrics does not grant read:records', () => {
    let caught: unknown;
    try {
      requirePermissions({ permissions: ['read:metrics', 'read:*'] }, [
        'read:records',
        'read:metrics',
        'billing:read',
      ]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AuthSecPermissionError);
    const error = caught as AuthSecPermissionError;
    expect(isAuthSecError(error)).toBe(true);
    expect(error.code).toBe('ERR_AUTHSEC_FORBIDDEN');
    expect(error.requiredScope).toBe('read:records');
    expect(error.message).toContain('read:records, billing:read');
    expect(error.message).not.toContain('read:*');
    expect(error.toJSON()).toMatchObject({ requiredScope: 'read:records' });
    expect(error.hint).toBeTruthy();
  });

  it('treats claims without a permissions list as holding none', () => {
    expect(() => requirePermissions({} as { permissions: string[] }, ['read:records'])).toThrow(
      AuthSecPermissionError,
    );
  });

  it('refuses a permissions argument that is not a list', () => {
    expect(() => requirePermissions({ permissions: ['a'] }, 'a' as unknown as string[])).toThrow(
      AuthSecConfigError,
    );
  });
});

describe('the verifier object', () => {
  it('prints no token material and can be destructured', async () => {
    const verifier = createDelegationTokenVerifier({
      audience: 'authsec-api',
      workspaceId: WS,
      keys: jwks(key),
      clock,
    });
    const { verify } = verifier;
    const token = await sign(key, delegationClaims(WS));
    await expect(verify(token)).resolves.toBeDefined();
    expect(Object.isFrozen(verifier)).toBe(true);
    expect(inspect(verifier)).not.toContain(key.jwk.n as string);
  });
});
