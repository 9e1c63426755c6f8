// The base of the AuthSec error family: one class with a stable code, a fix hint and a model-safe
// toJSON(), and the cross-copy marker behind isAuthSecError().

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
 * The base of every error the SDK throws. The examples of the error classes run in the
 * `catch (error)` block of a client call such as `await client.getDelegationToken()`.
 *
 * @example
 * ```ts
 * if (isAuthSecError(error)) console.error(error.code, error.hint);
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
