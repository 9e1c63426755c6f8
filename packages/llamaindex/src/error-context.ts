// Names the endpoint and scope in errors about a loadData() request, keeping core's error classes.

import {
  type AuthSecError,
  type AuthSecErrorOptions,
  AuthSecHttpError,
  AuthSecNetworkError,
  AuthSecOriginNotAllowedError,
  AuthSecPermissionError,
  AuthSecRateLimitedError,
  AuthSecResponseError,
  AuthSecTimeoutError,
  AuthSecTokenRejectedError,
} from '@authsec/core';

/**
 * The same error, as a new instance of the same core class whose message starts with the endpoint
 * and the scope, and whose `cause` is the original (never mutated: a pull's error is shared by
 * concurrent callers). Errors only the token pull raises (client or delegation not found,
 * unauthenticated, config, closed, aborted) are returned unchanged: they are not about the endpoint.
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
  const scopeText = scopes.length ? ` with scope ${scopes.join(', ')}` : '';
  const prefix = (e: AuthSecError) =>
    `Could not load ${endpoint}${scopeText}: ${e.message}` as const;
  const options = (e: AuthSecError): AuthSecErrorOptions => ({
    ...(e.hint !== undefined && { hint: e.hint }),
    ...(e.status !== undefined && { status: e.status }),
    ...(e.method !== undefined && { method: e.method }),
    ...(e.path !== undefined && { path: e.path }),
    cause: e,
  });
  if (error instanceof AuthSecPermissionError) {
    return new AuthSecPermissionError(prefix(error), error.requiredScope, options(error));
  }
  if (error instanceof AuthSecTokenRejectedError) {
    return new AuthSecTokenRejectedError(prefix(error), error.jti, options(error));
  }
  if (error instanceof AuthSecRateLimitedError) {
    return new AuthSecRateLimitedError(prefix(error), error.retryAfterMs, options(error));
  }
  if (error instanceof AuthSecResponseError) {
    return new AuthSecResponseError(prefix(error), error.issues, options(error));
  }
  if (error instanceof AuthSecOriginNotAllowedError) {
    return new AuthSecOriginNotAllowedError(prefix(error), error.origin, options(error));
  }
  if (error instanceof AuthSecTimeoutError) {
    return new AuthSecTimeoutError(prefix(error), error.timeoutMs, options(error));
  }
  if (error instanceof AuthSecNetworkError) {
    return new AuthSecNetworkError(prefix(error), options(error));
  }
  if (error instanceof AuthSecHttpError && error.status !== undefined && error.path !== undefined) {
    return new AuthSecHttpError(prefix(error), options(error));
  }
  return error;
}
