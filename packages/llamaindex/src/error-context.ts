// Names the endpoint and scope in errors about a loadData() request, through core's withErrorContext().

import { type AuthSecErrorCode, isAuthSecError, withErrorContext } from '@authsec/core';

// Errors about the request itself. The token pull's own errors (client or delegation not found,
// pull refused, not an AuthSec server, unauthenticated, config, closed, aborted) are not about the
// endpoint, so they stay as core made them.
const ABOUT_THE_REQUEST: ReadonlySet<AuthSecErrorCode> = new Set([
  'ERR_AUTHSEC_FORBIDDEN',
  'ERR_AUTHSEC_TOKEN_REJECTED',
  'ERR_AUTHSEC_RATE_LIMITED',
  'ERR_AUTHSEC_BAD_RESPONSE',
  'ERR_AUTHSEC_ORIGIN_NOT_ALLOWED',
  'ERR_AUTHSEC_TIMEOUT',
  'ERR_AUTHSEC_NETWORK',
]);

/**
 * The same error with a message that starts with the endpoint and the scope: core's
 * `withErrorContext()` copy, so the class and every field (`retryAfterMs`, `requiredScope` …) stay,
 * and `cause` is the original (never mutated: a pull's error is shared by concurrent callers).
 * Errors only the token pull raises are returned unchanged: they are not about the endpoint.
 * @param error - anything a loadData() step threw
 * @param endpoint - the endpoint as passed (without query string)
 * @param scopes - the scopes the caller declared
 * @returns the error to throw
 */
export function withEndpointContext(
  error: unknown,
  endpoint: string,
  scopes: readonly string[],
): unknown {
  if (!isAuthSecError(error)) return error;
  const aboutRequest =
    ABOUT_THE_REQUEST.has(error.code) ||
    (error.code === 'ERR_AUTHSEC_HTTP' && error.status !== undefined && error.path !== undefined);
  if (!aboutRequest) return error;
  const scopeText = scopes.length ? ` with scope ${scopes.join(', ')}` : '';
  return withErrorContext(error, `Could not load ${endpoint}${scopeText}`);
}
