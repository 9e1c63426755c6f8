// Reads the fields of an AuthSec JSON error body (`error`, `details`, `expired_at`), strings only
// and cut short, for the status mapper: never the body itself.

import { isPlainObject } from './jwt-segments.js';

const ERROR_FIELD_MAX = 300;

function cut(value: string): string {
  if (value.length <= ERROR_FIELD_MAX) return value;
  const end = ERROR_FIELD_MAX;
  // Never split a surrogate pair: a lone half prints as garbage.
  const code = value.charCodeAt(end - 1);
  return value.slice(0, code >= 0xd800 && code <= 0xdbff ? end - 1 : end);
}

/**
 * The `error` (and `details`, `expired_at`) of an AuthSec JSON error body, when it has one; strings only, each cut to 300 chars.
 *
 * @param text - the raw response body
 * @returns the fields that are present as strings; an empty object for anything else (HTML, not JSON, not an object)
 * @example
 * ```ts
 * parseErrorBody('{"error":"Delegation token has expired","expired_at":"2026-05-21T07:25:36Z"}');
 * // { error: 'Delegation token has expired', expiredAt: '2026-05-21T07:25:36Z' }
 * ```
 */
export function parseErrorBody(text: string): {
  error?: string;
  details?: string;
  expiredAt?: string;
} {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (!isPlainObject(parsed)) return {};
  const { error, details, expired_at: expiredAt } = parsed;
  return {
    ...(typeof error === 'string' && { error: cut(error) }),
    ...(typeof details === 'string' && { details: cut(details) }),
    ...(typeof expiredAt === 'string' && { expiredAt: cut(expiredAt) }),
  };
}
