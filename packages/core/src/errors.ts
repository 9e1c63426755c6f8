// The AuthSec error family: one base class with a stable code, a fix hint and a model-safe toJSON().

const MARKER = Symbol.for('authsec.error');

/** Every stable error code the SDK throws. */
export type AuthSecErrorCode =
  | 'ERR_AUTHSEC_CONFIG'
  | 'ERR_AUTHSEC_NETWORK'
  | 'ERR_AUTHSEC_TIMEOUT'
  | 'ERR_AUTHSEC_ABORTED'
  | 'ERR_AUTHSEC_RATE_LIMITED'
  | 'ERR_AUTHSEC_HTTP'
  | 'ERR_AUTHSEC_UNAUTHENTICATED'
  | 'ERR_AUTHSEC_FORBIDDEN'
  | 'ERR_AUTHSEC_PULL_FORBIDDEN'
  | 'ERR_AUTHSEC_NOT_AUTHSEC_SERVER'
  | 'ERR_AUTHSEC_CLIENT_NOT_FOUND'
  | 'ERR_AUTHSEC_DELEGATION_NOT_FOUND'
  | 'ERR_AUTHSEC_DELEGATION_EXPIRED'
  | 'ERR_AUTHSEC_BAD_RESPONSE'
  | 'ERR_AUTHSEC_CLOSED'
  | 'ERR_AUTHSEC_TOKEN_INVALID'
  | 'ERR_AUTHSEC_TOKEN_REJECTED'
  | 'ERR_AUTHSEC_ORIGIN_NOT_ALLOWED';

/** What an error can say about the request that failed: never a URL's query, a header or a body. */
export interface AuthSecRequestFacts {
  /** HTTP status, when a response arrived. */
  status?: number;
  method?: string;
  /** The path only (no query string, no origin). */
  path?: string;
}

/** Options shared by every AuthSec error's constructor. */
export interface AuthSecErrorOptions extends AuthSecRequestFacts {
  /** What to do about it, when the SDK knows. */
  hint?: string;
  /** An underlying error; keep it free of secrets (never an HTTP library's error, which holds headers). */
  cause?: unknown;
  /**
   * The code, for a subclass defined outside core that carries another error's code; core's
   * classes take theirs from their `static code`.
   */
  code?: AuthSecErrorCode;
}

const OPTIONS = Symbol.for('authsec.error.options');

/**
 * The options an AuthSec error was built from (its own fields included), or `undefined` for an
 * error built by another copy of this package. Used by `withErrorContext()` to rebuild an error.
 * @internal
 */
export function errorOptionsOf(error: AuthSecError): Readonly<Record<string, unknown>> | undefined {
  return (error as unknown as Record<symbol, Readonly<Record<string, unknown>> | undefined>)[
    OPTIONS
  ];
}

/** The shape of `error.toJSON()`: safe to log, and safe to hand back to a model as a tool result. */
export interface AuthSecErrorJSON {
  name: string;
  code: AuthSecErrorCode;
  message: string;
  hint?: string;
  status?: number;
}

/**
 * The base of every error the SDK throws.
 *
 * @example
 * ```ts
 * try {
 *   await client.getDelegationToken();
 * } catch (error) {
 *   if (isAuthSecError(error)) console.error(error.code, error.hint);
 * }
 * ```
 */
export class AuthSecError extends Error {
  /** The code of errors of this class; a subclass sets its own. */
  static readonly code: AuthSecErrorCode | undefined = undefined;
  // Instance fields are `declare`d: each constructor assigns them, so no class-field initialiser
  // is emitted per field (a smaller bundle, the same values).
  /** A stable, documented code such as `ERR_AUTHSEC_CONFIG`. */
  declare readonly code: AuthSecErrorCode;
  /** What to do about it, when known. */
  declare readonly hint: string | undefined;
  /** HTTP status of the answer that caused it, when there was one. */
  declare readonly status: number | undefined;
  declare readonly method: string | undefined;
  /** The request path, without query string. */
  declare readonly path: string | undefined;

  /**
   * @param message - what happened, then what to do
   * @param options - the shared facts (`hint`, `cause`, `status`, `method`, `path`) and, in a
   *   subclass, its own fields; kept so `withErrorContext()` can rebuild the error
   */
  constructor(message: string, options: AuthSecErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const code = options.code ?? (new.target as { code?: AuthSecErrorCode }).code;
    // Core's classes name themselves with a string literal (a field that overrides this), so a
    // minified bundle still says 'AuthSecConfigError'; a subclass defined elsewhere keeps its own.
    this.name = new.target === AuthSecError ? 'AuthSecError' : new.target.name;
    this.code = code ?? 'ERR_AUTHSEC_HTTP';
    this.hint = options.hint;
    this.status = options.status;
    this.method = options.method;
    this.path = options.path;
    Object.defineProperty(this, MARKER, { value: true });
    Object.defineProperty(this, OPTIONS, { value: Object.freeze({ ...options }) });
  }

  /** `{ name, code, message, hint, status }`: no request details, no secrets. */
  toJSON(): AuthSecErrorJSON {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.hint !== undefined && { hint: this.hint }),
      ...(this.status !== undefined && { status: this.status }),
    };
  }

  override toString(): string {
    return `${this.name} [${this.code}]: ${this.message}${this.hint ? ` Hint: ${this.hint}` : ''}`;
  }
}

/**
 * True for any AuthSec error, even one thrown by another copy of this package.
 * @param error - anything caught
 * @returns whether it is an {@link AuthSecError}
 * @example
 * ```ts
 * catch (error) {
 *   if (isAuthSecError(error)) return error.toJSON(); // safe to log or hand to a model
 *   throw error;
 * }
 * ```
 */
export function isAuthSecError(error: unknown): error is AuthSecError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as Record<symbol, unknown>)[MARKER] === true
  );
}

/**
 * A configuration problem, found before any request. Lists every problem at once.
 *
 * @example
 * ```ts
 * try {
 *   await client.getDelegationToken();
 * } catch (error) {
 *   if (error instanceof AuthSecConfigError) for (const problem of error.problems) console.error(problem);
 * }
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
 * try {
 *   await client.getDelegationToken();
 * } catch (error) {
 *   if (error instanceof AuthSecNetworkError) console.error(error.hint); // check AUTHSEC_BASE_URL
 * }
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
 * try {
 *   await client.getDelegationToken();
 * } catch (error) {
 *   if (error instanceof AuthSecTimeoutError) console.error(`gave up after ${error.timeoutMs} ms`);
 * }
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
 * try {
 *   await client.getDelegationToken();
 * } catch (error) {
 *   if (error instanceof AuthSecAbortedError) return; // this caller gave up on purpose
 * }
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
 * try {
 *   await client.getDelegationToken();
 * } catch (error) {
 *   if (error instanceof AuthSecClosedError) client = new AuthSecClient();
 * }
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
 * An HTTP answer the SDK has no more specific error for.
 *
 * @example
 * ```ts
 * try {
 *   await client.getDelegationToken();
 * } catch (error) {
 *   if (error instanceof AuthSecHttpError && (error.status ?? 0) >= 500) retryLater(error.retryAfterMs);
 * }
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
 * try {
 *   await client.getDelegationToken();
 * } catch (error) {
 *   if (error instanceof AuthSecRateLimitedError) await sleep(error.retryAfterMs ?? 1_000);
 * }
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
 * try {
 *   await client.getDelegationToken();
 * } catch (error) {
 *   if (error instanceof AuthSecUnauthenticatedError) await signInAgain(); // renew AUTHSEC_SESSION_TOKEN
 * }
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
 * try {
 *   await client.getDelegationToken();
 * } catch (error) {
 *   if (error instanceof AuthSecPullForbiddenError) notifyAdmin('check the trust delegation');
 * }
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
 * try {
 *   await client.getDelegationToken();
 * } catch (error) {
 *   if (error instanceof AuthSecNotAuthSecServerError) console.error(`check AUTHSEC_BASE_URL (${error.baseUrl})`);
 * }
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
 * try {
 *   await client.getDelegationToken();
 * } catch (error) {
 *   if (error instanceof AuthSecClientNotFoundError) console.error(error.hint); // check AUTHSEC_AGENT_CLIENT_ID
 * }
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
 * try {
 *   await client.getDelegationToken();
 * } catch (error) {
 *   if (error instanceof AuthSecDelegationNotFoundError) notifyAdmin('delegate a token to this agent');
 * }
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
 * try {
 *   await client.getDelegationToken();
 * } catch (error) {
 *   if (error instanceof AuthSecDelegationExpiredError) notifyAdmin(`re-delegate (expired ${error.expiredAt?.toISOString()})`);
 * }
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

/**
 * The answer or the token in it is not what the contract promises. Names field paths, never values.
 *
 * @example
 * ```ts
 * try {
 *   await client.getDelegationToken();
 * } catch (error) {
 *   if (error instanceof AuthSecResponseError) console.error(error.issues); // e.g. ['expires_at']
 * }
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
