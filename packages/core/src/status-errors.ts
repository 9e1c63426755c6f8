// The errors of HTTP answers, from AuthSec's pull or a protected API: one class per status a caller
// handles differently.

import { AuthSecError, type AuthSecErrorJSON, type AuthSecErrorOptions } from './error-base.js';

/**
 * An HTTP answer the SDK has no more specific error for.
 *
 * @example
 * ```ts
 * if (error instanceof AuthSecHttpError && (error.status ?? 0) >= 500) retryLater(error.retryAfterMs);
 * ```
 */
export class AuthSecHttpError extends AuthSecError {
  override name = 'AuthSecHttpError';
  /** How long the server asked to wait (`Retry-After` on a 503, say), when it said. */
  declare readonly retryAfterMs: number | undefined;
  static override readonly code = 'ERR_AUTHSEC_HTTP';
  constructor(
    message: string,
    options: AuthSecErrorOptions & { retryAfterMs?: number | undefined } = {},
  ) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * 429, after the retries allowed (or a `Retry-After` longer than the time left).
 *
 * @example
 * ```ts
 * if (error instanceof AuthSecRateLimitedError) await sleep(error.retryAfterMs ?? 1_000);
 * ```
 */
export class AuthSecRateLimitedError extends AuthSecError {
  override name = 'AuthSecRateLimitedError';
  /** How long the server asked to wait, when it said. */
  declare readonly retryAfterMs: number | undefined;
  static override readonly code = 'ERR_AUTHSEC_RATE_LIMITED';
  constructor(
    message: string,
    options: AuthSecErrorOptions & { retryAfterMs?: number | undefined } = {},
  ) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * 401 from AuthSec: the session credential is missing, invalid, expired or revoked.
 *
 * @example
 * ```ts
 * if (error instanceof AuthSecUnauthenticatedError) await signInAgain(); // renew AUTHSEC_SESSION_TOKEN
 * ```
 */
export class AuthSecUnauthenticatedError extends AuthSecError {
  override name = 'AuthSecUnauthenticatedError';
  static override readonly code = 'ERR_AUTHSEC_UNAUTHENTICATED';
}

/** `json` plus `requiredScope` when it is known. */
function withRequiredScope(
  json: AuthSecErrorJSON,
  requiredScope: string | undefined,
): AuthSecErrorJSON & { requiredScope?: string } {
  return requiredScope === undefined ? json : { ...json, requiredScope };
}

/**
 * 403: the caller may not do this; `requiredScope` names the missing permission when known.
 *
 * @example
 * ```ts
 * try {
 *   await client.request('/billing/customers/42');
 * } catch (error) {
 *   if (error instanceof AuthSecPermissionError) console.error(`needs ${error.requiredScope}`);
 * }
 * ```
 */
export class AuthSecPermissionError extends AuthSecError {
  override name = 'AuthSecPermissionError';
  declare readonly requiredScope: string | undefined;
  static override readonly code = 'ERR_AUTHSEC_FORBIDDEN';
  constructor(
    message: string,
    options: AuthSecErrorOptions & { requiredScope?: string | undefined } = {},
  ) {
    super(message, options);
    this.requiredScope = options.requiredScope;
  }

  override toJSON(): AuthSecErrorJSON & { requiredScope?: string } {
    return withRequiredScope(super.toJSON(), this.requiredScope);
  }
}

/**
 * 403 on the token pull: AuthSec refuses this agent (or this session) its delegation token.
 * Unlike a downstream API's missing scope ({@link AuthSecPermissionError}), no tool call can fix
 * it, so `isFatalAuthSecError()` is true and an agent run stops. `requiredScope` names what AuthSec
 * said is missing, when its challenge said so.
 *
 * @example
 * ```ts
 * if (error instanceof AuthSecPullForbiddenError) notifyAdmin('check the trust delegation');
 * ```
 */
export class AuthSecPullForbiddenError extends AuthSecError {
  override name = 'AuthSecPullForbiddenError';
  /** The permission AuthSec's `WWW-Authenticate` challenge named, when it named a plausible one. */
  declare readonly requiredScope: string | undefined;
  static override readonly code = 'ERR_AUTHSEC_PULL_FORBIDDEN';
  constructor(
    message: string,
    options: AuthSecErrorOptions & { requiredScope?: string | undefined } = {},
  ) {
    super(message, options);
    this.requiredScope = options.requiredScope;
  }

  override toJSON(): AuthSecErrorJSON & { requiredScope?: string } {
    return withRequiredScope(super.toJSON(), this.requiredScope);
  }
}

/**
 * The pull answered 404 with a body AuthSec never sends (an HTML page, another server's JSON):
 * `AUTHSEC_BASE_URL` points at another web server or has a wrong path prefix. Fatal for agent runs.
 *
 * @example
 * ```ts
 * if (error instanceof AuthSecNotAuthSecServerError) console.error(`check AUTHSEC_BASE_URL (${error.baseUrl})`);
 * ```
 */
export class AuthSecNotAuthSecServerError extends AuthSecError {
  override name = 'AuthSecNotAuthSecServerError';
  /** The configured server root that answered (no credentials, no query), when known. */
  declare readonly baseUrl: string | undefined;
  static override readonly code = 'ERR_AUTHSEC_NOT_AUTHSEC_SERVER';
  constructor(
    message: string,
    options: AuthSecErrorOptions & { baseUrl?: string | undefined } = {},
  ) {
    super(message, options);
    this.baseUrl = options.baseUrl;
  }
}

/**
 * 404 "Client not found" (older servers): no AI agent client has this id.
 *
 * @example
 * ```ts
 * if (error instanceof AuthSecClientNotFoundError) console.error(error.hint); // check AUTHSEC_AGENT_CLIENT_ID
 * ```
 */
export class AuthSecClientNotFoundError extends AuthSecError {
  override name = 'AuthSecClientNotFoundError';
  static override readonly code = 'ERR_AUTHSEC_CLIENT_NOT_FOUND';
}

/**
 * 404 "No active delegation token found": never delegated, revoked, or not allowed for this session.
 *
 * @example
 * ```ts
 * if (error instanceof AuthSecDelegationNotFoundError) notifyAdmin('delegate a token to this agent');
 * ```
 */
export class AuthSecDelegationNotFoundError extends AuthSecError {
  override name = 'AuthSecDelegationNotFoundError';
  static override readonly code = 'ERR_AUTHSEC_DELEGATION_NOT_FOUND';
}

/**
 * 410: the delegation expired; an admin must delegate again.
 *
 * @example
 * ```ts
 * if (error instanceof AuthSecDelegationExpiredError) notifyAdmin(`re-delegate (expired ${error.expiredAt?.toISOString()})`);
 * ```
 */
export class AuthSecDelegationExpiredError extends AuthSecError {
  override name = 'AuthSecDelegationExpiredError';
  /** When it expired, when the server said. */
  declare readonly expiredAt: Date | undefined;
  static override readonly code = 'ERR_AUTHSEC_DELEGATION_EXPIRED';
  constructor(
    message: string,
    options: AuthSecErrorOptions & { expiredAt?: Date | undefined } = {},
  ) {
    super(message, options);
    this.expiredAt = options.expiredAt;
  }
}
