// What the token cache does when a pull fails: drop the token, serve the still-valid one through a
// passing fault, hand out a mock token (when asked to), or throw.

import {
  AuthSecClientNotFoundError,
  AuthSecClosedError,
  AuthSecDelegationExpiredError,
  AuthSecDelegationNotFoundError,
  type AuthSecError,
  AuthSecHttpError,
  AuthSecNetworkError,
  AuthSecNotAuthSecServerError,
  AuthSecPermissionError,
  AuthSecPullForbiddenError,
  AuthSecRateLimitedError,
  AuthSecTimeoutError,
  AuthSecUnauthenticatedError,
} from './errors.js';
import type { TokenCacheOptions } from './token-cache.js';
import type { StoreLink } from './token-store-link.js';
import type { TokenFacts } from './types.js';

/** How long to wait before pulling again after AuthSec handed back the same token, or a refresh failed. */
export const SAME_TOKEN_PAUSE_MS = 15_000;

/** Errors after which the cached token must not be used again. */
function clearsCache(error: unknown): boolean {
  return (
    error instanceof AuthSecUnauthenticatedError ||
    error instanceof AuthSecClientNotFoundError ||
    error instanceof AuthSecDelegationNotFoundError ||
    error instanceof AuthSecDelegationExpiredError
  );
}

/** Failures that say nothing about the token: a still-valid cached token may be served through them. */
function isTransient(error: unknown): boolean {
  return (
    error instanceof AuthSecNetworkError ||
    error instanceof AuthSecTimeoutError ||
    error instanceof AuthSecRateLimitedError ||
    (error instanceof AuthSecHttpError && (error.status ?? 500) >= 500)
  );
}

/** Failures the mock fallback must never paper over: AuthSec said no. */
function isDenial(error: unknown): boolean {
  return (
    clearsCache(error) ||
    error instanceof AuthSecPermissionError ||
    error instanceof AuthSecPullForbiddenError ||
    error instanceof AuthSecNotAuthSecServerError
  );
}

/** A pull made under the shared store: where its token goes, and the token memory held before. */
export interface SharedPull {
  readonly link: StoreLink;
  readonly key: string;
  readonly previous: TokenFacts | undefined;
}

/** The failed pull, and what the cache lets the policy change. */
export interface FailedPull {
  /** The token memory held when the pull started. */
  readonly previous: TokenFacts | undefined;
  /** A re-pull after a downstream 401: the cached token is the rejected one. */
  readonly forced: boolean;
  readonly shared: SharedPull | undefined;
  /** Drops the cached token, unless it changed since the pull started. */
  forget(): void;
  /** No pull before this time (epoch ms) while the cached token is valid. */
  pauseUntil(ms: number): void;
}

/**
 * The outcome of a failed pull: the still-valid cached token, a mock token, or the error.
 * @param error - what the pull threw
 * @param options - the cache's options (log, clock, close signal, mock fallback)
 * @param pull - the pull that failed
 * @returns the token to serve instead
 * @throws the pull's error (or AuthSecClosedError once the client closed) when nothing may be served
 */
export async function recoverFromFailure(
  error: unknown,
  options: TokenCacheOptions,
  pull: FailedPull,
): Promise<TokenFacts> {
  const { log, clock, closeSignal, fallback } = options;
  const { previous, shared } = pull;
  if (closeSignal.aborted) throw new AuthSecClosedError();
  const failure = error as AuthSecError;
  const fields = { code: failure.code, hint: failure.hint };
  if (clearsCache(error)) {
    pull.forget();
    // Revoked, expired or refused: every process must drop the token, not only this one.
    if (shared !== undefined) await shared.link.invalidate(shared.key);
  } else if (
    // After a 401 the cached token is the rejected one: never serve it as a stale fallback.
    !pull.forced &&
    isTransient(error) &&
    previous !== undefined &&
    clock() < previous.expiresAt.getTime()
  ) {
    // The cached token is still good: serve it, and do not hammer a failing server.
    const retryAfterMs = error instanceof AuthSecRateLimitedError ? (error.retryAfterMs ?? 0) : 0;
    pull.pauseUntil(clock() + Math.max(SAME_TOKEN_PAUSE_MS, retryAfterMs));
    log.log(
      'warn',
      'Warning',
      'token.stale',
      'Refreshing the delegation token failed; serving the cached token until it expires.',
      { code: failure.code, jti: previous.jti, expiresAt: previous.expiresAt.toISOString() },
    );
    return previous;
  }
  if (fallback !== undefined && !isDenial(error)) {
    // Loud at every level: a live failure papered over with a mock token must never go unnoticed.
    log.warnAlways(
      'MOCK FALLBACK',
      'token.mock_fallback',
      'Live pull failed: handing out a MOCK token (fallbackToMockOnError) that real APIs reject.',
      fields,
    );
    return fallback.fetchToken({ signal: closeSignal });
  }
  if (log.enabled('info')) {
    log.log(
      'info',
      'Error',
      'token.failed',
      failure.message ?? 'Delegation token pull failed.',
      fields,
    );
  }
  throw error;
}
