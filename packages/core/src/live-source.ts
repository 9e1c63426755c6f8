// Live mode's token source: the contract's pull, with timeouts, retries, Retry-After and a size cap.

import { type SignalScope, signalScope } from './abort.js';
import type { ResolvedConfig } from './config.js';
import {
  AuthSecAbortedError,
  AuthSecClosedError,
  type AuthSecError,
  AuthSecHttpError,
  AuthSecNetworkError,
  AuthSecRateLimitedError,
  AuthSecResponseError,
  AuthSecTimeoutError,
  AuthSecUnauthenticatedError,
  isAuthSecError,
} from './errors.js';
import { MAX_BODY_BYTES } from './http-body.js';
import { callWithRetries } from './http-call.js';
import type { SdkLogger } from './logger.js';
import { errorForStatus, type HttpFailure, networkError } from './pull-errors.js';
import { parseTokenResponse } from './token-response.js';
import type { TokenFacts } from './types.js';
import { VERSION } from './version.js';

const RETRY_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Pulls the agent's delegation token from AuthSec. */
export class LiveTokenSource {
  readonly mode = 'live' as const;
  readonly #config: ResolvedConfig;
  readonly #log: SdkLogger;
  readonly #url: URL;
  readonly #path: string;
  readonly #origin: string;
  readonly #session: NonNullable<HttpFailure['session']>;
  readonly #headers: Readonly<Record<string, string>>;
  /** The headers, built once, as a record (see HttpCall.headers) when they never change. */
  #fixedHeaders: Readonly<Record<string, string>> | undefined;

  constructor(config: ResolvedConfig, log: SdkLogger) {
    if (!config.pullUrl || !config.clientId)
      throw new TypeError('LiveTokenSource needs a live config');
    this.#config = config;
    this.#log = log;
    this.#url = new URL(config.pullUrl);
    this.#url.searchParams.set('client_id', config.clientId);
    this.#path = this.#url.pathname;
    this.#origin = this.#url.origin;
    const session = config.session;
    this.#session =
      session.kind === 'static'
        ? session.from === 'env'
          ? 'static-env'
          : 'static-option'
        : session.kind;
    this.#headers = {
      ...config.headers,
      accept: 'application/json',
      'x-client-id': config.clientId,
      'user-agent': `authsec-ts/${VERSION}`,
    };
  }

  /**
   * Pulls the token, retrying transient failures within the time budget.
   * @throws AuthSecError for every failure, never a raw fetch error
   */
  async fetchToken(options: { signal?: AbortSignal } = {}): Promise<TokenFacts> {
    const config = this.#config;
    const callerSignal = options.signal;
    // No budget signal of its own: each attempt's one timer fires at its own limit or at the
    // deadline, whichever is first, and no wait between attempts passes the deadline.
    const deadline = Date.now() + config.totalTimeoutMs;
    for (let forceRefresh = false; ; forceRefresh = true) {
      const headers = await this.#requestHeaders(forceRefresh, callerSignal, deadline);
      const { response, text, deniedRetryAfterMs } = await callWithRetries({
        fetch: config.fetch,
        url: this.#url,
        method: 'GET',
        headers,
        body: null,
        replayable: true,
        // The pull never follows a redirect: the session credential must not leave baseUrl's origin.
        redirect: 'manual',
        signals: [callerSignal],
        timeoutMs: config.timeoutMs,
        deadline,
        retries: config.maxRetries,
        retryStatuses: RETRY_STATUSES,
        readBody: {
          maxBytes: MAX_BODY_BYTES,
          peer: 'AuthSec',
          origin: this.#origin,
          method: 'GET',
          path: this.#path,
        },
        mapFailure: (error, attempt) => this.#map(error, attempt, callerSignal),
        aborted: () => abortError(callerSignal, config.totalTimeoutMs, this.#path),
        onRetry: (attempt, why) => {
          if (!this.#log.enabled('info')) return;
          this.#log.log('info', 'Retry', 'pull.retry', 'Retrying the delegation token pull.', {
            attempt,
            reason:
              why.status !== undefined
                ? `HTTP ${why.status}`
                : why.error instanceof AuthSecTimeoutError
                  ? 'timeout'
                  : 'network error',
            delayMs: Math.round(why.delayMs),
          });
        },
      });
      if (response.ok) return this.#parse(text, response.status);
      if (deniedRetryAfterMs !== undefined)
        throw this.#tooLong(response.status, deniedRetryAfterMs);
      const mapped = errorForStatus({
        call: 'pull',
        status: response.status,
        method: 'GET',
        path: this.#path,
        headers: response.headers,
        text,
        origin: this.#origin,
        session: this.#session,
      });
      if (
        mapped instanceof AuthSecUnauthenticatedError &&
        config.session.kind === 'provider' &&
        !forceRefresh
      ) {
        // One more try with a freshly provided credential, as a signed-out session would need.
        this.#log.log(
          'info',
          'Retry',
          'pull.session_refresh',
          'AuthSec answered 401: asking the sessionToken function for a fresh one.',
        );
        continue;
      }
      throw mapped;
    }
  }

  /** A 429 or 503 whose Retry-After asks for more than the budget left: fail now, say how long. */
  #tooLong(status: number, waitMs: number): AuthSecError {
    const limited = status === 429;
    return new (limited ? AuthSecRateLimitedError : AuthSecHttpError)(
      `AuthSec ${limited ? 'rate-limited the pull' : 'is unavailable'} (${status}) and asked to wait ${Math.ceil(waitMs / 1000)} s, more than this call has left.`,
      {
        retryAfterMs: waitMs,
        status,
        method: 'GET',
        path: this.#path,
        hint: `Wait retryAfterMs before trying again${limited ? '; reuse one AuthSecClient per process' : ''}.`,
      },
    );
  }

  #parse(text: string, status: number): TokenFacts {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new AuthSecResponseError('AuthSec answered 200 with a body that is not JSON.', {
        issues: ['body'],
        status,
        method: 'GET',
        path: this.#path,
        hint: 'Check that AUTHSEC_BASE_URL is the AuthSec server root, not a proxy or another API.',
      });
    }
    try {
      return parseTokenResponse(body, {
        clientId: this.#config.clientId as string,
        now: this.#config.clock(),
      });
    } catch (error) {
      if (!(error instanceof AuthSecResponseError)) throw error;
      // The checks know the body, not the request: add where the answer came from.
      throw new AuthSecResponseError(error.message, {
        issues: error.issues,
        status,
        method: 'GET',
        path: this.#path,
        ...(error.hint !== undefined && { hint: error.hint }),
      });
    }
  }

  /**
   * The pull's headers. Without a provider they never change, so they are built once: nothing on
   * the HTTP path changes them (a redirect works on its own copy, and the pull follows none).
   */
  async #requestHeaders(
    forceRefresh: boolean,
    callerSignal: AbortSignal | undefined,
    deadline: number,
  ): Promise<Headers | Readonly<Record<string, string>>> {
    if (this.#fixedHeaders !== undefined) return this.#fixedHeaders;
    const authorization = await this.#authorization(forceRefresh, callerSignal, deadline);
    const headers = new Headers(this.#headers);
    if (authorization) headers.set('authorization', authorization);
    if (this.#config.session.kind === 'provider') return headers;
    // Validated by Headers once; lower-case names, as a record needs.
    this.#fixedHeaders = Object.freeze(Object.fromEntries(headers));
    return this.#fixedHeaders;
  }

  async #authorization(
    forceRefresh: boolean,
    callerSignal: AbortSignal | undefined,
    deadline: number,
  ): Promise<string | undefined> {
    const session = this.#config.session;
    if (session.kind === 'none') return undefined;
    if (session.kind === 'static') return `Bearer ${session.value}`;
    let value: unknown;
    // The provider may take its time: the caller's signal and the time left still bound it.
    const scope = signalScope([callerSignal], [deadline - Date.now()]);
    try {
      value = await scope.race(Promise.resolve(session.provide({ forceRefresh })));
    } catch (error) {
      if (scope.signal.aborted)
        throw abortError(callerSignal, this.#config.totalTimeoutMs, this.#path);
      throw new AuthSecUnauthenticatedError(
        'The sessionToken function failed, so the pull was not sent.',
        {
          method: 'GET',
          path: this.#path,
          hint: 'Fix the `sessionToken` function: it must return the platform session credential.',
          cause: isAuthSecError(error) ? error : undefined,
        },
      );
    } finally {
      scope.dispose();
    }
    if (typeof value !== 'string' || value.trim() === '' || /\s/.test(value.trim())) {
      throw new AuthSecUnauthenticatedError(
        'The sessionToken function returned no usable credential.',
        {
          method: 'GET',
          path: this.#path,
          hint: 'Return the bare session credential as a non-empty string (no "Bearer " prefix).',
        },
      );
    }
    return `Bearer ${value.trim()}`;
  }

  #map(error: unknown, attempt: SignalScope, callerSignal: AbortSignal | undefined): AuthSecError {
    const { timeoutMs, maxRetries, totalTimeoutMs } = this.#config;
    // The attempt's share of the budget ran out (a limit other than timeoutMs: the time left), or
    // the caller's signal (the client's close) aborted: the pull's end, told the budget's way,
    // whatever error the attempt or its body read reported.
    const ended =
      callerSignal?.aborted === true ||
      (attempt.cause === 'timeout' && attempt.firedLimitMs !== timeoutMs);
    if (ended && (!isAuthSecError(error) || isTransient(error)))
      return abortError(callerSignal, totalTimeoutMs, this.#path);
    if (isAuthSecError(error)) return error;
    if (attempt.cause === 'timeout') {
      return new AuthSecTimeoutError(
        `AuthSec did not answer within ${timeoutMs} ms (${maxRetries + 1} attempt${maxRetries === 0 ? '' : 's'}).`,
        {
          timeoutMs,
          method: 'GET',
          path: this.#path,
          hint: 'Check AUTHSEC_BASE_URL and the network, or raise timeoutMs / AUTHSEC_TIMEOUT_MS.',
        },
      );
    }
    return networkError(error, this.#origin, this.#path);
  }
}

function isTransient(error: AuthSecError): boolean {
  return (
    error instanceof AuthSecNetworkError ||
    error instanceof AuthSecTimeoutError ||
    error instanceof AuthSecAbortedError ||
    error instanceof AuthSecClosedError
  );
}

function abortError(
  callerSignal: AbortSignal | undefined,
  totalTimeoutMs: number,
  path: string,
): AuthSecError {
  if (callerSignal?.aborted) return new AuthSecAbortedError(undefined, { method: 'GET', path });
  return new AuthSecTimeoutError(
    `The delegation token pull exceeded its ${totalTimeoutMs} ms budget (retries included).`,
    {
      timeoutMs: totalTimeoutMs,
      method: 'GET',
      path,
      hint: 'Check AUTHSEC_BASE_URL and the network, or raise totalTimeoutMs.',
    },
  );
}
