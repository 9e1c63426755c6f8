import { describe, expect, it } from 'vitest';
import { AuthSecClient } from '../src/client.js';
import { isFatalAuthSecError } from '../src/error-policy.js';
import {
  AuthSecConfigError,
  AuthSecDelegationNotFoundError,
  AuthSecError,
  AuthSecHttpError,
  AuthSecNetworkError,
  AuthSecOriginNotAllowedError,
  AuthSecPermissionError,
  AuthSecRateLimitedError,
  AuthSecResponseError,
  AuthSecTokenRejectedError,
  AuthSecUnauthenticatedError,
} from '../src/errors.js';
import { expandPath, pathParameters } from '../src/path-template.js';
import { rejection, setup } from './support.js';

describe('client.requirePermissions', () => {
  it('returns the info when the token carries every scope', async () => {
    const s = await setup({ agent: { permissions: ['read:records', 'read:metrics'] } });
    const info = await s.client.requirePermissions(['read:records']);
    expect(info.permissions).toContain('read:records');
    await s.close();
  });

  it('throws AuthSecPermissionError naming the first missing scope (exact match), before any request', async () => {
    const s = await setup({ agent: { permissions: ['read:metrics'] } });
    const error = await rejection(s.client.requirePermissions(['read:records', 'billing:read']));
    expect(error).toBeInstanceOf(AuthSecPermissionError);
    expect(error).toMatchObject({ code: 'ERR_AUTHSEC_FORBIDDEN', requiredScope: 'read:records' });
    expect(error.message).toMatch(
      /lacks "read:records", "billing:read", so the call was not made \(it carries read:metrics\)/,
    );
    expect((error as AuthSecPermissionError).hint).toMatch(/trust delegation/);
    await s.close();
  });

  it('in mock mode the hint points at the mock permissions', async () => {
    const client = new AuthSecClient({
      mode: 'mock',
      env: {},
      logLevel: 'silent',
      mock: { permissions: ['read:metrics'] },
    });
    const error = await rejection(client.requirePermissions(['read:records']));
    expect((error as AuthSecPermissionError).hint).toMatch(/mock\.permissions/);
    await client.close();
  });
});

describe('isFatalAuthSecError', () => {
  it.each([
    [AuthSecConfigError.fromProblems(['x']), true],
    [new AuthSecTokenRejectedError('r', { jti: undefined }), true],
    [new AuthSecDelegationNotFoundError('n'), true],
    [new AuthSecUnauthenticatedError('u'), true],
    [new AuthSecOriginNotAllowedError('o', { origin: 'https://x' }), true],
    [
      new AuthSecResponseError('bad pull', {
        issues: [],
        path: '/authsec/uflow/sdk/delegation-token',
      }),
      true,
    ],
    [new AuthSecResponseError('bad api body', { issues: [], path: '/api/records' }), false],
    [new AuthSecPermissionError('p', { requiredScope: 'billing:read' }), false],
    [new AuthSecHttpError('404', { status: 404 }), false],
    [new AuthSecRateLimitedError('429', { retryAfterMs: 1000 }), false],
    [new AuthSecNetworkError('down'), false],
    [new Error('plain'), false],
    ['string', false],
  ])('%s → %s', (error, fatal) => {
    expect(isFatalAuthSecError(error)).toBe(fatal);
  });

  it('classifies an error from another copy of the package by its code', () => {
    const foreign = Object.assign(new Error('revoked'), {
      code: 'ERR_AUTHSEC_DELEGATION_NOT_FOUND',
    });
    Object.defineProperty(foreign, Symbol.for('authsec.error'), { value: true });
    expect(isFatalAuthSecError(foreign)).toBe(true);
    expect(new AuthSecError('x', { code: 'ERR_AUTHSEC_HTTP' }) instanceof Error).toBe(true);
  });
});

describe('expandPath', () => {
  it('fills placeholders with one encoded path segment each', () => {
    expect(expandPath('/billing/customers/{id}', { id: 42 })).toBe('/billing/customers/42');
    expect(expandPath('/a/{x}/b/{y}', { x: 'one two', y: 'é' })).toBe('/a/one%20two/b/%C3%A9');
    expect(pathParameters('/a/{x}/b/{y}')).toEqual(['x', 'y']);
  });

  it.each([['a/b'], ['%2F'], ['..x'], ['x?y=1'], ['x#frag'], ["it's"]])(
    'encodes %j so it stays one segment',
    (value) => {
      const path = expandPath('/customers/{id}', { id: value });
      expect(path.split('/')).toHaveLength(3);
      expect(path).not.toMatch(/[?#]|\/\.\.\//);
      expect(decodeURIComponent(path.split('/')[2] ?? '')).toBe(value);
    },
  );

  it.each([
    [''],
    ['.'],
    ['..'],
    ['../admin'],
    ['a/../b'],
    ['a\\..\\b'],
    ['./x'],
    ['\ud800'],
    ['a\r\nX-Injected: 1'],
  ])('refuses %j with a TypeError a model can act on', (value) => {
    expect(() => expandPath('/customers/{id}', { id: value })).toThrow(TypeError);
    expect(() => expandPath('/customers/{id}', { id: value })).toThrow(/Path parameter "id"/);
  });

  it('refuses objects, and a template naming a missing parameter is a config error', () => {
    expect(() => expandPath('/c/{id}', { id: { toString: () => '..' } })).toThrow(TypeError);
    expect(() => expandPath('/c/{id}', {})).toThrow(AuthSecConfigError);
  });
});
