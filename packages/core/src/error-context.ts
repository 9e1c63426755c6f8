// Adds context to an AuthSec error without losing anything: same class, code and fields, new message.

import { type AuthSecError, errorOptionsOf, isAuthSecError } from './errors.js';

/**
 * A copy of an AuthSec error whose message starts with `context`: the same class (so `instanceof`
 * still works), code, hint, status, method, path and every subclass field (`retryAfterMs`,
 * `requiredScope`, `jti`, `issues` …), with the original as `cause`. The original is never changed,
 * because a pull's error is shared by concurrent callers. Anything else is returned as it is.
 * @param error - anything caught
 * @param context - what was being done, e.g. `Could not load /records`; it must hold no secret
 * @returns the copy, or `error` itself when it is not an AuthSec error
 * @example
 * ```ts
 * try {
 *   await client.requestJson('/records');
 * } catch (error) {
 *   throw withErrorContext(error, 'Could not load /records');
 * }
 * ```
 */
export function withErrorContext<E>(error: E, context: string): E {
  if (!isAuthSecError(error)) return error;
  const message = `${context}: ${error.message}`;
  const options = errorOptionsOf(error);
  const copy = options === undefined ? copyFields(error) : rebuild(error, message, options);
  const hidden = { writable: true, configurable: true, enumerable: false } as const;
  Object.defineProperty(copy, 'message', { ...hidden, value: message });
  Object.defineProperty(copy, 'cause', { ...hidden, value: error });
  // The original's frames under the new first line, so the trace still points where it failed.
  const head = `${error.name}: ${error.message}`;
  const frames = error.stack?.startsWith(head) ? error.stack.slice(head.length) : '';
  Object.defineProperty(copy, 'stack', { ...hidden, value: `${error.name}: ${message}${frames}` });
  return copy as E;
}

/** A new error of the same class from the options the original was built with (every field). */
function rebuild(
  error: AuthSecError,
  message: string,
  options: Readonly<Record<string, unknown>>,
): Record<PropertyKey, unknown> {
  const Class = error.constructor as new (message: string, options: object) => AuthSecError;
  const copy = new Class(message, { ...options, cause: error }) as unknown as Record<
    PropertyKey,
    unknown
  >;
  // A subclass defined elsewhere may set fields its options do not hold (or change `code`): the
  // original's own fields win, so nothing is lost.
  return copyOwn(error, copy, false);
}

/** For an error from another copy of this package (no stored options): copy its own fields. */
function copyFields(error: AuthSecError): Record<PropertyKey, unknown> {
  const copy = Object.create(Object.getPrototypeOf(error) as object) as Record<
    PropertyKey,
    unknown
  >;
  return copyOwn(error, copy, true);
}

/** Copies `from`'s own properties (symbols too, when `symbols`) onto `to`, all but message, stack and cause. */
function copyOwn(
  from: AuthSecError,
  to: Record<PropertyKey, unknown>,
  symbols: boolean,
): Record<PropertyKey, unknown> {
  for (const key of Reflect.ownKeys(from)) {
    if (
      (typeof key === 'symbol' && !symbols) ||
      key === 'message' ||
      key === 'stack' ||
      key === 'cause'
    ) {
      continue;
    }
    const descriptor = Object.getOwnPropertyDescriptor(from, key);
    if (descriptor !== undefined) Object.defineProperty(to, key, descriptor);
  }
  return to;
}
