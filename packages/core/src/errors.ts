// The AuthSec error family: the base and the HTTP status errors (re-exported from their modules),
// and the errors of configuration, transport and tokens.

import { AuthSecError, type AuthSecErrorJSON, type AuthSecErrorOptions } from './error-base.js';

export {
  AuthSecError,
  type AuthSecErrorCode,
  type AuthSecErrorJSON,
  type AuthSecErrorOptions,
  type AuthSecRequestFacts,
  errorOptionsOf,
  isAuthSecError,
} from './error-base.js';
export {
  AuthSecClientNotFoundError,
  AuthSecDelegationExpiredError,
  AuthSecDelegationNotFoundError,
  AuthSecHttpError,
  AuthSecNotAuthSecServerError,
  AuthSecPermissionError,
  AuthSecPullForbiddenError,
  AuthSecRateLimitedError,
  AuthSecUnauthenticatedError,
} from './status-errors.js';

/**
 * A configuration problem, found before any request. Lists every problem at once.
 *
 * @example
 * ```ts
 * if (error instanceof AuthSecConfigError) for (const problem of error.problems) console.error(problem);
 * ```
 */
export class AuthSecConfigError extends AuthSecError {
  override name = 'AuthSecConfigError';
  /** Each problem on its own, naming the option and the environment variable. */
  static override readonly code = 'ERR_AUTHSEC_CONFIG';
  declare readonly problems: readonly string[];
  /**
   * @param message - usually {@link AuthSecConfigError.fromProblems}'s, which lists `problems`
   * @param options - `problems` plus the shared options
   */
  constructor(message: string, options: AuthSecErrorOptions & { problems: readonly string[] }) {
    super(message, options);
    this.problems = Object.freeze([...options.problems]);
  }

  /**
   * The error for a list of problems, with the standard message that lists them all.
   * @param problems - each naming the option and the environment variable
   * @param options - the shared options
   * @returns the error, to throw
   * @example
   * ```ts
   * throw AuthSecConfigError.fromProblems(['clientId is missing: pass `clientId` or set `AUTHSEC_AGENT_CLIENT_ID`']);
   * ```
   */
  static fromProblems(
    problems: readonly string[],
    options: AuthSecErrorOptions = {},
  ): AuthSecConfigError {
    const list =
      problems.length === 1 ? ` ${problems[0]}` : `\n${problems.map((p) => `  - ${p}`).join('\n')}`;
    return new AuthSecConfigError(`Invalid AuthSec configuration:${list}`, {
      ...options,
      problems,
    });
  }
}

/**
 * The AuthSec server could not be reached (DNS, TLS, refused or reset connection).
 *
 * @example
 * ```ts
 * if (error instanceof AuthSecNetworkError) console.error(error.hint); // check AUTHSEC_BASE_URL
 * ```
 */
export class AuthSecNetworkError extends AuthSecError {
  override name = 'AuthSecNetworkError';
  static override readonly code = 'ERR_AUTHSEC_NETWORK';
}

/**
 * An attempt or the whole call ran out of time.
 *
 * @example
 * ```ts
 * if (error instanceof AuthSecTimeoutError) console.error(`gave up after ${error.timeoutMs} ms`);
 * ```
 */
export class AuthSecTimeoutError extends AuthSecError {
  override name = 'AuthSecTimeoutError';
  /** The limit that was reached, in milliseconds. */
  declare readonly timeoutMs: number;
  static override readonly code = 'ERR_AUTHSEC_TIMEOUT';
  constructor(message: string, options: AuthSecErrorOptions & { timeoutMs: number }) {
    super(message, options);
    this.timeoutMs = options.timeoutMs;
  }
}

/**
 * The caller's signal aborted the call.
 *
 * @example
 * ```ts
 * if (error instanceof AuthSecAbortedError) return; // this caller gave up on purpose
 * ```
 */
export class AuthSecAbortedError extends AuthSecError {
  override name = 'AuthSecAbortedError';
  static override readonly code = 'ERR_AUTHSEC_ABORTED';
  constructor(
    message = 'The AuthSec call was aborted by its signal.',
    options: AuthSecErrorOptions = {},
  ) {
    super(message, options);
  }
}

/**
 * The client was closed; it makes no more calls.
 *
 * @example
 * ```ts
 * if (error instanceof AuthSecClosedError) client = new AuthSecClient();
 * ```
 */
export class AuthSecClosedError extends AuthSecError {
  override name = 'AuthSecClosedError';
  static override readonly code = 'ERR_AUTHSEC_CLOSED';
  constructor(message = 'This AuthSecClient is closed.', options: AuthSecErrorOptions = {}) {
    super(message, { hint: 'Create a new AuthSecClient; close() is final.', ...options });
  }
}

/**
 * The answer or the token in it is not what the contract promises. Names field paths, never values.
 *
 * @example
 * ```ts
 * if (error instanceof AuthSecResponseError) console.error(error.issues); // e.g. ['expires_at']
 * ```
 */
export class AuthSecResponseError extends AuthSecError {
  override name = 'AuthSecResponseError';
  /** The offending fields or checks, e.g. `expires_at`, `token.header.alg`. */
  declare readonly issues: readonly string[];
  static override readonly code = 'ERR_AUTHSEC_BAD_RESPONSE';
  constructor(
    message: string,
    options: AuthSecErrorOptions & { issues?: readonly string[] | undefined } = {},
  ) {
    super(message, options);
    this.issues = Object.freeze([...(options.issues ?? [])]);
  }
}

/** Why {@link verifyDelegationToken} refused a token. */
export type AuthSecTokenErrorReason =
  | 'expired'
  | 'not_yet_valid'
  | 'audience'
  | 'issuer'
  | 'workspace'
  | 'signature'
  | 'algorithm'
  | 'lifetime'
  | 'permission'
  | 'malformed'
  | 'revoked';

/**
 * A token failed verification; `reason` says which check. Never holds the token.
 *
 * @example
 * ```ts
 * try {
 *   await verifyDelegationToken(bearer, options);
 * } catch (error) {
 *   if (error instanceof AuthSecTokenError) return reply(401, { error: 'invalid_token', reason: error.reason });
 * }
 * ```
 */
export class AuthSecTokenError extends AuthSecError {
  override name = 'AuthSecTokenError';
  declare readonly reason: AuthSecTokenErrorReason;
  static override readonly code = 'ERR_AUTHSEC_TOKEN_INVALID';
  constructor(message: string, options: AuthSecErrorOptions & { reason: AuthSecTokenErrorReason }) {
    super(message, options);
    this.reason = options.reason;
  }

  override toJSON(): AuthSecErrorJSON & { reason: AuthSecTokenErrorReason } {
    return { ...super.toJSON(), reason: this.reason };
  }
}

/**
 * A protected API rejected the delegation token (401) and AuthSec has no newer one: it was not
 * renewed, so an admin must re-delegate.
 *
 * @example
 * ```ts
 * try {
 *   await client.request('/records');
 * } catch (error) {
 *   if (error instanceof AuthSecTokenRejectedError) notifyAdmin(`token ${error.jti} rejected; re-delegate`);
 * }
 * ```
 */
export class AuthSecTokenRejectedError extends AuthSecError {
  override name = 'AuthSecTokenRejectedError';
  /** The rejected token's `jti`, safe to log. */
  declare readonly jti: string | undefined;
  static override readonly code = 'ERR_AUTHSEC_TOKEN_REJECTED';
  constructor(message: string, options: AuthSecErrorOptions & { jti?: string | undefined } = {}) {
    super(message, options);
    this.jti = options.jti;
  }
}

/**
 * A request would have sent the token to an origin that is not allowed; nothing was sent.
 *
 * @example
 * ```ts
 * try {
 *   await client.fetch('https://elsewhere.example/x');
 * } catch (error) {
 *   if (error instanceof AuthSecOriginNotAllowedError) console.error(`not allowed: ${error.origin}`);
 * }
 * ```
 */
export class AuthSecOriginNotAllowedError extends AuthSecError {
  override name = 'AuthSecOriginNotAllowedError';
  /** The refused origin (scheme, host, port): never a path, query or credentials. */
  declare readonly origin: string | undefined;
  static override readonly code = 'ERR_AUTHSEC_ORIGIN_NOT_ALLOWED';
  constructor(
    message: string,
    options: AuthSecErrorOptions & { origin?: string | undefined } = {},
  ) {
    super(message, options);
    this.origin = options.origin;
  }
}
