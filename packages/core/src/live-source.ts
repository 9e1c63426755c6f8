// Live mode's token source: the contract's pull, with timeouts, retries, Retry-After and a size cap.

import ky, { isHTTPError, isTimeoutError, type KyInstance } from 'ky';
import { raceAbort, signalScope } from './abort.js';
import { BACKOFF_LIMIT_MS, backoffCeiling, fullJitter } from './backoff.js';
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
import { MAX_BODY_BYTES, readCappedText, withBody } from './http-body.js';
import type { SdkLogger } from './logger.js';
import { errorForStatus, networkError, type PullFailure } from './pull-errors.js';
import { parseRetryAfter } from './retry-after.js';
import { parseTokenResponse } from './token-response.js';
import type { TokenFacts } from './types.js';
import { VERSION } from './version.js';

/** Pulls the agent's delegation token from AuthSec. */
export class LiveTokenSource {
  readonly mode = 'live' as const;
  readonly #config: ResolvedConfig;
  readonly #log: SdkLogger;
  readonly #ky: KyInstance;
  readonly #path: string;
  readonly #origin: string;

  constructor(config: ResolvedConfig, log: SdkLogger) {
    if (!config.pullUrl || !config.clientId)
      throw new TypeError('LiveTokenSource needs a live config');
    this.#config = config;
    this.#log = log;
    const url = new URL(config.pullUrl);
    this.#path = url.pathname;
    this.#origin = url.origin;
    this.#ky = ky.create({
      fetch: config.fetch,
      timeout: config.timeoutMs,
      throwHttpErrors: true,
      // The pull never follows a redirect: the session credential must not leave baseUrl's origin.
      redirect: 'manual',
      hooks: {
        beforeRetry: [
          ({ error, retryCount }) => {
            if (!this.#log.enabled('info')) return;
            const status = isHTTPError(error) ? error.response.status : undefined;
            this.#log.log('info', 'Retry', 'pull.retry', 'Retrying the delegation token pull.', {
              attempt: retryCount + 1,
              reason: status
                ? `HTTP ${status}`
                : isTimeoutError(error)
                  ? 'timeout'
                  : 'network error',
            });
          },
        ],
      },
    });
  }

  /**
   * Pulls the token, retrying transient failures within the time budget.
   * @throws AuthSecError for every failure, never a raw fetch or ky error
   */
  async fetchToken(options: { signal?: AbortSignal } = {}): Promise<TokenFacts> {
    const { totalTimeoutMs } = this.#config;
    // A timer and listeners, never AbortSignal.timeout/any: see signalScope.
    const budget = signalScope([options.signal], [totalTimeoutMs]);
    try {
      return await this.#pull(budget.signal, options.signal, Date.now() + totalTimeoutMs);
    } finally {
      budget.dispose();
    }
  }

  /**
   * Reads one attempt's body inside ky's retry loop, so a connection dropped mid-body, or a body
   * still arriving when the attempt's `timeoutMs` (counted from the request) runs out, is retried
   * like any other failed attempt.
   */
  async #readBody(response: Response, startedAt: number, signal: AbortSignal): Promise<Response> {
    const timeoutMs = this.#config.timeoutMs;
    const attempt = signalScope([signal], [Math.max(1, startedAt + timeoutMs - Date.now())]);
    try {
      const text = await readCappedText(response, MAX_BODY_BYTES, {
        peer: 'AuthSec',
        origin: this.#origin,
        method: 'GET',
        path: this.#path,
        timeoutMs,
        signal: attempt.signal,
        // The whole pull's end (close, caller, budget) is told apart later, by #map.
        abortCause: () => (signal.aborted ? 'caller' : 'timeout'),
      });
      return withBody(response, text);
    } finally {
      attempt.dispose();
    }
  }

  async #pull(
    signal: AbortSignal,
    callerSignal: AbortSignal | undefined,
    deadline: number,
  ): Promise<TokenFacts> {
    let forceRefresh = false;
    let startedAt = Date.now();
    for (;;) {
      const authorization = await this.#authorization(forceRefresh, signal, callerSignal);
      try {
        const response = await this.#ky.get(this.#config.pullUrl as string, {
          searchParams: { client_id: this.#config.clientId as string },
          headers: {
            ...this.#config.headers,
            accept: 'application/json',
            'x-client-id': this.#config.clientId as string,
            'user-agent': `authsec-ts/${VERSION}`,
            ...(authorization && { authorization }),
          },
          signal,
          retry: {
            ...retryShape(this.#config),
            shouldRetry: (ctx) => this.#shouldRetry(ctx.error, deadline),
          },
          hooks: {
            beforeRequest: [
              () => {
                startedAt = Date.now();
              },
            ],
            afterResponse: [
              (_request, _options, response) => this.#readBody(response, startedAt, signal),
            ],
          },
        });
        return this.#parse(await response.text(), response.status);
      } catch (error) {
        const mapped = await this.#map(error, signal, callerSignal);
        if (
          mapped instanceof AuthSecUnauthenticatedError &&
          this.#config.session.kind === 'provider' &&
          !forceRefresh
        ) {
          // One more try with a freshly provided credential, as a signed-out session would need.
          forceRefresh = true;
          this.#log.log(
            'info',
            'Retry',
            'pull.session_refresh',
            'AuthSec answered 401: asking the sessionToken provider for a fresh credential.',
          );
          continue;
        }
        throw mapped;
      }
    }
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
        hint: 'Check that AUTHSEC_BASE_URL is the AuthSec server root, not a web page or proxy.',
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

  async #authorization(
    forceRefresh: boolean,
    signal: AbortSignal,
    callerSignal: AbortSignal | undefined,
  ): Promise<string | undefined> {
    const session = this.#config.session;
    if (session.kind === 'none') return undefined;
    if (session.kind === 'static') return `Bearer ${session.value}`;
    let value: unknown;
    try {
      value = await raceAbort(Promise.resolve(session.provide({ forceRefresh })), signal);
    } catch (error) {
      if (signal.aborted) throw abortError(callerSignal, this.#config.totalTimeoutMs, this.#path);
      throw new AuthSecUnauthenticatedError(
        'The sessionToken function failed, so the pull was not sent.',
        {
          method: 'GET',
          path: this.#path,
          hint: 'Fix the function passed as `sessionToken`; it must return the platform session credential.',
          cause: isAuthSecError(error) ? error : undefined,
        },
      );
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

  #shouldRetry(error: Error, deadline: number): boolean | undefined {
    // A body that broke off or ran out of time is retried like a failed attempt.
    if (error instanceof AuthSecNetworkError || error instanceof AuthSecTimeoutError)
      return Date.now() < deadline;
    if (isAuthSecError(error)) return false;
    if (isHTTPError(error) && (error.response.status === 429 || error.response.status === 503)) {
      const waitMs = parseRetryAfter(error.response.headers.get('retry-after'), Date.now());
      // No usable Retry-After: our own backoff, never ky's guess from vendor headers
      // (X-RateLimit-Reset …), which can be a wait far beyond the budget.
      if (waitMs === undefined) return true;
      if (waitMs !== undefined && Date.now() + waitMs > deadline) {
        // Waiting would blow the budget: fail now and say how long the server wants.
        if (error.response.status === 429) {
          throw new AuthSecRateLimitedError(
            `AuthSec rate-limited the pull (429) and asked to wait ${Math.ceil(waitMs / 1000)} s, longer than the time left for this call.`,
            {
              retryAfterMs: waitMs,
              status: 429,
              method: 'GET',
              path: this.#path,
              hint: 'Wait retryAfterMs before trying again; reuse one AuthSecClient per process.',
            },
          );
        }
        throw new AuthSecHttpError(
          `AuthSec is unavailable (503) and asked to wait ${Math.ceil(waitMs / 1000)} s, longer than the time left for this call.`,
          {
            status: 503,
            method: 'GET',
            path: this.#path,
            retryAfterMs: waitMs,
            hint: 'Wait retryAfterMs before trying again.',
          },
        );
      }
    }
    return undefined;
  }

  async #map(
    error: unknown,
    signal: AbortSignal,
    callerSignal: AbortSignal | undefined,
  ): Promise<AuthSecError> {
    // Once the pull's signal aborted (budget, close, caller), a failed read or attempt is the
    // abort's doing, whatever error the read reported.
    if (signal.aborted && (!isAuthSecError(error) || isTransient(error))) {
      return abortError(callerSignal, this.#config.totalTimeoutMs, this.#path);
    }
    if (isAuthSecError(error)) return error;
    if (isHTTPError(error)) {
      const response = error.response;
      const session = this.#config.session;
      const failure: PullFailure = {
        status: response.status,
        text: await response.text().catch(() => ''),
        headers: response.headers,
        path: this.#path,
        origin: this.#origin,
        session:
          session.kind === 'static'
            ? session.from === 'env'
              ? 'static-env'
              : 'static-option'
            : session.kind,
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), Date.now()),
      };
      return errorForStatus(failure);
    }
    if (signal.aborted) return abortError(callerSignal, this.#config.totalTimeoutMs, this.#path);
    if (isTimeoutError(error)) {
      return new AuthSecTimeoutError(
        `AuthSec did not answer within ${this.#config.timeoutMs} ms (${this.#config.maxRetries + 1} attempt${this.#config.maxRetries === 0 ? '' : 's'}).`,
        {
          timeoutMs: this.#config.timeoutMs,
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

function retryShape(config: ResolvedConfig) {
  return {
    limit: config.maxRetries,
    methods: ['get'],
    statusCodes: [408, 429, 500, 502, 503, 504],
    afterStatusCodes: [429, 503],
    retryOnTimeout: true,
    delay: backoffCeiling,
    jitter: (ceilingMs: number) => fullJitter(ceilingMs),
    backoffLimit: BACKOFF_LIMIT_MS,
  };
}

function abortError(
  callerSignal: AbortSignal | undefined,
  totalTimeoutMs: number,
  path: string,
): AuthSecError {
  if (callerSignal?.aborted) return new AuthSecAbortedError(undefined, { method: 'GET', path });
  return new AuthSecTimeoutError(
    `The delegation token pull did not finish within its ${totalTimeoutMs} ms budget (retries included).`,
    {
      timeoutMs: totalTimeoutMs,
      method: 'GET',
      path,
      hint: 'Check AUTHSEC_BASE_URL and the network, or raise totalTimeoutMs.',
    },
  );
}
