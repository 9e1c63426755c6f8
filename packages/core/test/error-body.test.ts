// Proves that an AuthSec error body yields only its string fields, cut short, and nothing from any other body.

import { describe, expect, it } from 'vitest';
import { parseErrorBody } from '../src/error-body.js';

describe('parseErrorBody', () => {
  it('reads error, details and expired_at from an AuthSec error body', () => {
    expect(
      parseErrorBody(
        JSON.stringify({
          error: 'Delegation token has expired',
          expired_at: '2026-05-21T07:25:36.123456789Z',
          details: 'Admin must re-delegate a token',
        }),
      ),
    ).toEqual({
      error: 'Delegation token has expired',
      details: 'Admin must re-delegate a token',
      expiredAt: '2026-05-21T07:25:36.123456789Z',
    });
  });

  it('returns only the fields that are strings', () => {
    expect(parseErrorBody('{"error":"Client not found","details":{"a":1},"expired_at":5}')).toEqual(
      {
        error: 'Client not found',
      },
    );
    expect(Object.keys(parseErrorBody('{"error":null}'))).toEqual([]);
  });

  it.each([
    ['HTML', '<html><body>502 Bad Gateway</body></html>'],
    ['empty text', ''],
    ['a JSON array', '[{"error":"x"}]'],
    ['a JSON string', '"error"'],
    ['JSON null', 'null'],
  ])('returns {} for %s', (_case, text) => {
    expect(parseErrorBody(text)).toEqual({});
  });

  it('cuts each field to 300 characters', () => {
    const long = 'e'.repeat(1000);
    const parsed = parseErrorBody(JSON.stringify({ error: long, details: long, expired_at: long }));
    expect(parsed.error).toHaveLength(300);
    expect(parsed.details).toHaveLength(300);
    expect(parsed.expiredAt).toHaveLength(300);
  });

  it('does not split a surrogate pair at the cut', () => {
    const text = `${'a'.repeat(299)}😀tail`;
    const parsed = parseErrorBody(JSON.stringify({ error: text }));
    expect(parsed.error).toBe('a'.repeat(299));
  });
});
