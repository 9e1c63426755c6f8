// Proves withErrorContext(): a prefixed copy of an AuthSec error that keeps its class and every field.

import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  AuthSecConfigError,
  AuthSecDelegationExpiredError,
  type AuthSecError,
  AuthSecHttpError,
  AuthSecNotAuthSecServerError,
  AuthSecOriginNotAllowedError,
  AuthSecPermissionError,
  AuthSecRateLimitedError,
  AuthSecResponseError,
  AuthSecTimeoutError,
  AuthSecTokenError,
  AuthSecTokenRejectedError,
  isAuthSecError,
  withErrorContext,
} from '../src/index.js';

const PATH = '/api/records';

const errors: [string, AuthSecError][] = [
  [
    'AuthSecHttpError with retryAfterMs',
    new AuthSecHttpError('Unavailable (503).', {
      status: 503,
      method: 'GET',
      path: PATH,
      retryAfterMs: 5000,
      hint: 'Wait.',
    }),
  ],
  [
    'AuthSecRateLimitedError',
    new AuthSecRateLimitedError('Slow down.', { retryAfterMs: 2500, status: 429 }),
  ],
  [
    'AuthSecPermissionError',
    new AuthSecPermissionError('Forbidden.', { requiredScope: 'billing:read' }),
  ],
  ['AuthSecTimeoutError', new AuthSecTimeoutError('Too slow.', { timeoutMs: 1500, path: PATH })],
  ['AuthSecTokenRejectedError', new AuthSecTokenRejectedError('Rejected.', { jti: 'jti-1' })],
  ['AuthSecConfigError', AuthSecConfigError.fromProblems(['baseUrl is missing'])],
];

describe('withErrorContext()', () => {
  it.each(errors)(
    '%s: same class, code and every field; message prefixed; cause is the original',
    (_label, original) => {
      const before = { ...original, message: original.message };
      const wrapped = withErrorContext(original, 'Could not load records');
      expect(wrapped).not.toBe(original);
      expect(Object.getPrototypeOf(wrapped)).toBe(Object.getPrototypeOf(original));
      expect(isAuthSecError(wrapped)).toBe(true);
      expect(wrapped.message).toBe(`Could not load records: ${original.message}`);
      expect(wrapped.cause).toBe(original);
      for (const key of Object.keys(original)) {
        expect((wrapped as unknown as Record<string, unknown>)[key], key).toEqual(
          (original as unknown as Record<string, unknown>)[key],
        );
      }
      expect(wrapped.toJSON()).toStrictEqual({
        ...original.toJSON(),
        message: `Could not load records: ${original.message}`,
      });
      expect(String(wrapped)).toContain(`[${original.code}]: Could not load records: `);
      expect(wrapped.stack?.split('\n')[0]).toBe(`${original.name}: ${wrapped.message}`);
      // The original is shared (a pull's error reaches every concurrent caller): never mutated.
      expect({ ...original, message: original.message }).toStrictEqual(before);
      expect(inspect(wrapped)).toContain('Could not load records');
    },
  );

  it('keeps retryAfterMs 5000 on an AuthSecHttpError', () => {
    const wrapped = withErrorContext(errors[0]?.[1] as AuthSecHttpError, 'Context');
    expect(wrapped.retryAfterMs).toBe(5000);
    expect(wrapped).toBeInstanceOf(AuthSecHttpError);
  });

  it('rebuilds through the constructor options: retryAfterMs, requiredScope, expiredAt, issues, reason, jti, origin, baseUrl, timeoutMs and problems all survive', () => {
    const expiredAt = new Date('2026-01-01T00:00:00Z');
    const cases: [AuthSecError, Record<string, unknown>][] = [
      [new AuthSecRateLimitedError('Slow.', { retryAfterMs: 2500 }), { retryAfterMs: 2500 }],
      [
        new AuthSecPermissionError('No.', { requiredScope: 'billing:read' }),
        { requiredScope: 'billing:read' },
      ],
      [new AuthSecDelegationExpiredError('Gone.', { expiredAt }), { expiredAt }],
      [new AuthSecResponseError('Bad.', { issues: ['expires_at'] }), { issues: ['expires_at'] }],
      [new AuthSecTokenError('Bad token.', { reason: 'revoked' }), { reason: 'revoked' }],
      [new AuthSecTokenRejectedError('Rejected.', { jti: 'jti-9' }), { jti: 'jti-9' }],
      [
        new AuthSecOriginNotAllowedError('Refused.', { origin: 'https://x.example' }),
        { origin: 'https://x.example' },
      ],
      [
        new AuthSecNotAuthSecServerError('Not AuthSec.', { baseUrl: 'https://a.example' }),
        { baseUrl: 'https://a.example' },
      ],
      [new AuthSecTimeoutError('Slow.', { timeoutMs: 1500 }), { timeoutMs: 1500 }],
      [AuthSecConfigError.fromProblems(['a', 'b']), { problems: ['a', 'b'] }],
    ];
    for (const [original, fields] of cases) {
      const wrapped = withErrorContext(original, 'Context') as unknown as Record<string, unknown>;
      expect(wrapped).toBeInstanceOf(original.constructor);
      expect(wrapped.code).toBe((original.constructor as unknown as { code: string }).code);
      for (const [key, value] of Object.entries(fields)) expect(wrapped[key], key).toEqual(value);
    }
  });

  it('returns anything that is not an AuthSec error unchanged', () => {
    const plain = new Error('plain');
    expect(withErrorContext(plain, 'Context')).toBe(plain);
    expect(withErrorContext('text', 'Context')).toBe('text');
  });
});
