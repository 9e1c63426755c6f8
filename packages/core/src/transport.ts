// Sends authorized requests: the origin check, the bearer and the 401 re-pull, over the one HTTP path (http-call.ts).

import type { SignalScope } from './abort.js';
import type { ResolvedConfig } from './config.js';
import {
  AuthSecAbortedError,
  AuthSecClosedError,
  AuthSecConfigError,
  type AuthSecError,
  AuthSecTimeoutError,
  AuthSecTokenRejectedError,
  isAuthSecError,
} from './errors.js';
import {
  type BodyAbortCause,
  type BodyReadContext,
  holdUntilRead,
  readCappedText,
} from './http-body.js';
import { callWithRetries, discard } from './http-call.js';
import type { SdkLogger } from './logger.js';
import { joinPath, type OriginPolicy } from './origins.js';
import { MOCK_REJECTED_HINT, networkError } from './pull-errors.js';
import { shownValue } from './server-url.js';
import type { TokenCache } from './token-cache.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/** One request, normalised: a URL already checked, headers, and a body that may or may not be resent. */
export interface OutgoingRequest {
  url: URL;
  method: string;
  /** The request's own copy; a record's names are lower case and its values already valid. */
  headers: Headers | Record<string, string>;
  body: BodyInit | null;
  /** Whether the body can be sent again (for a redirect, a retry, or the retry after a 401). */
  replayable: boolean;
  signal: AbortSignal | undefined;
  /** Other RequestInit fields passed through (cache, credentials, keepalive, duplex …). */
  extra: RequestInit;
  /**
   * As fetch's `redirect`: `follow` (the default) follows redirects here, dropping the token on a
   * change of origin; `manual` returns the 3xx; `error` throws on one.
   */
  redirect?: RequestRedirect;
}

/** A response whose body is still bounded by its attempt's signal (close, caller, time limits). */
export interface HeldResponse {
  response: Response;
  /**
   * Reads the body as text (at most `maxBytes`), then lets go of the attempt's signal.
   * @throws AuthSecError only: see bodyReadError in http-body.ts
   */
  read(maxBytes: number): Promise<string>;
  /** Gives the body to the caller: the client's close no longer aborts it; time limits still run out. */
  handOver(): void;
  /** Lets go of the attempt's timers and listeners. */
  done(): void;
}

/** How one call may behave. */
export interface SendPolicy {
  /** Retry network errors, timeouts, 5xx and 429 (only when the body can be resent). */
  retry: boolean;
  /** Limit of one attempt; none when undefined. */
  timeoutMs: number | undefined;
  /** Limit of the whole call; none when undefined. */
  totalTimeoutMs: number | undefined;
}

/** True for methods that may be repeated safely. */
export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method.toUpperCase());
}

/** True unless the body is a stream, which can be read only once. */
export function isReplayable(body: BodyInit | null | undefined): boolean {
  return (
    body === null ||
    body === undefined ||
    !(typeof ReadableStream !== 'undefined' && body instanceof ReadableStream)
  );
}

/** The authorized-request machinery shared by `client.fetch()` and `client.request()`. */
export class Transport {
  readonly #config: ResolvedConfig;
  readonly #cache: TokenCache;
  readonly #policy: OriginPolicy;
  readonly #log: SdkLogger;
  readonly #closeSignal: AbortSignal;
  /** `downstreamUrl`, parsed on first use and kept (joinPath never changes it). */
  #base: URL | undefined;

  constructor(
    config: ResolvedConfig,
    cache: TokenCache,
    policy: OriginPolicy,
    log: SdkLogger,
    closeSignal: AbortSignal,
  ) {
    this.#config = config;
    this.#cache = cache;
    this.#policy = policy;
    this.#log = log;
    this.#closeSignal = closeSignal;
  }

  /**
   * Resolves a target: relative paths join `downstreamUrl`; absolute URLs are taken as they are.
   * @throws AuthSecConfigError for a relative path without `downstreamUrl`
   * @throws AuthSecOriginNotAllowedError for a path that leaves the base
   */
  resolve(target: string | URL, method: string): URL {
    if (target instanceof URL) return new URL(target.href);
    // A leading slash is never a scheme: skip the test for the common `/path`.
    if (target.charCodeAt(0) !== 0x2f && /^[a-z][a-z0-9+.-]*:/i.test(target)) {
      try {
        return new URL(target);
      } catch {
        // Shown without query, fragment or user name and password: any of them may be a secret.
        throw AuthSecConfigError.fromProblems([`'${shownValue(target)}' is not a valid URL`], {
          hint: 'Pass a path under downstreamUrl, or an absolute https:// URL on an allowed origin.',
        });
      }
    }
    const base = this.#config.downstreamUrl;
    if (base === undefined) {
      throw AuthSecConfigError.fromProblems(
        [
          `a relative path (${method} ${target.split(/[?#]/)[0]?.slice(0, 80)}) needs downstreamUrl: pass \`downstreamUrl\` or set DOWNSTREAM_URL`,
        ],
        { hint: 'Point it at the protected API the token is for.' },
      );
    }
    this.#base ??= new URL(base);
    return joinPath(this.#base, target, method);
  }

  /** Normalises `fetch(input, init)` arguments into one request. */
  async fromFetchArgs(input: RequestInfo | URL, init: RequestInit = {}): Promise<OutgoingRequest> {
    if (typeof Request !== 'undefined' && input instanceof Request) {
      const method = (init.method ?? input.method).toUpperCase();
      const url = this.resolve(input.url, method);
      // A Request's body is read once here, so it can follow a redirect or the retry after a 401.
      const body =
        init.body !== undefined ? init.body : input.body ? await input.arrayBuffer() : null;
      return this.#outgoing(
        url,
        method,
        new Headers(init.headers ?? input.headers),
        body,
        init.signal ?? input.signal,
        { redirect: input.redirect, ...init },
      );
    }
    const method = (init.method ?? 'GET').toUpperCase();
    const url = this.resolve(input instanceof URL ? input : String(input), method);
    return this.#outgoing(
      url,
      method,
      new Headers(init.headers),
      init.body ?? null,
      init.signal ?? undefined,
      init,
    );
  }

  #outgoing(
    url: URL,
    method: string,
    headers: Headers,
    body: BodyInit | null,
    signal: AbortSignal | null | undefined,
    init: RequestInit,
  ): OutgoingRequest {
    const { method: _m, headers: _h, body: _b, signal: _s, redirect, ...extra } = init;
    return {
      url,
      method,
      headers,
      body,
      replayable: isReplayable(body),
      signal: signal ?? undefined,
      extra,
      redirect: redirect ?? 'follow',
    };
  }

  /**
   * Sends with the delegation token, handling redirects, one re-pull after a 401, and retries.
   * Once it returns, `close()` no longer aborts reading the body; the caller's signal and the
   * attempt's time limits still do.
   * @returns the final response, for every status
   * @throws AuthSecOriginNotAllowedError before anything is sent; AuthSecTokenRejectedError when the
   *   API rejected the token and AuthSec has no newer one; the re-pull's own error when it fails
   */
  async send(request: OutgoingRequest, policy: SendPolicy): Promise<Response> {
    const held = await this.exchange(request, policy);
    held.handOver();
    return held.response;
  }

  /**
   * As {@link Transport.send}, keeping the final attempt's signal (close, caller, time limits) on
   * the response's body until `done()`: read the body with `read()`, or call `handOver()`.
   */
  async exchange(request: OutgoingRequest, policy: SendPolicy): Promise<HeldResponse> {
    this.#policy.assertAllowed(request.url, request.method);
    let facts = await this.#cache.get(request.signal);
    const deadline =
      policy.totalTimeoutMs === undefined ? undefined : Date.now() + policy.totalTimeoutMs;
    for (let afterRejection = false; ; afterRejection = true) {
      // The request's headers are its own copy (fromFetchArgs, buildRequest).
      const bearer = `Bearer ${facts.token}`;
      if (request.headers instanceof Headers) request.headers.set('authorization', bearer);
      else request.headers.authorization = bearer;
      const { response, crossedOrigin, scope } = await callWithRetries({
        fetch: this.#config.fetch,
        url: request.url,
        method: request.method,
        headers: request.headers,
        body: request.body,
        replayable: request.replayable,
        extra: request.extra,
        redirect: request.redirect ?? 'follow',
        signals: [this.#closeSignal, request.signal],
        timeoutMs: policy.timeoutMs,
        deadline,
        retries: policy.retry && request.replayable ? this.#config.maxRetries : 0,
        retryStatuses: RETRY_STATUSES,
        mapFailure: (error, attempt) => this.#mapFailure(error, request, policy, attempt),
        aborted: () =>
          this.#closeSignal.aborted ? new AuthSecClosedError() : new AuthSecAbortedError(),
        onRetry: (attempt, why) => {
          if (why.status === undefined || !this.#log.enabled('info')) return;
          this.#log.log('info', 'Retry', 'request.retry', 'Retrying the request.', {
            attempt,
            status: why.status,
            path: request.url.pathname,
            delayMs: Math.round(why.delayMs),
          });
        },
      });
      if (response.status !== 401 || crossedOrigin || afterRejection)
        return this.#held(response, request, policy, scope);
      scope.dispose();
      const { facts: next, changed } = await this.#cache.refreshAfterRejection(
        facts,
        request.signal,
      );
      if (!changed) {
        discard(response);
        throw new AuthSecTokenRejectedError(
          `The API rejected the delegation token (401 from ${request.method} ${request.url.pathname}); AuthSec has no newer one.`,
          {
            jti: facts.jti,
            status: 401,
            method: request.method,
            path: request.url.pathname,
            hint:
              this.#config.mode === 'mock'
                ? MOCK_REJECTED_HINT
                : 'Ask an AuthSec admin to re-delegate a token to this agent, and check that the API expects this token (audience, workspace).',
          },
        );
      }
      if (!request.replayable) return this.#held(response, request, policy, undefined);
      discard(response);
      facts = next;
    }
  }

  #held(
    response: Response,
    request: OutgoingRequest,
    policy: SendPolicy,
    scope: SignalScope | undefined,
  ): HeldResponse {
    return new Held(response, request, policy, scope, this.#closeSignal);
  }

  #mapFailure(
    error: unknown,
    request: OutgoingRequest,
    policy: SendPolicy,
    scope: SignalScope,
  ): AuthSecError {
    if (isAuthSecError(error)) return error;
    const facts = { method: request.method, path: request.url.pathname };
    if (this.#closeSignal.aborted) return new AuthSecClosedError(undefined, facts);
    if (request.signal?.aborted) return new AuthSecAbortedError(undefined, facts);
    const name = (error as { name?: unknown })?.name;
    if (scope.cause === 'timeout' || name === 'TimeoutError' || name === 'AbortError') {
      const limit = scope.firedLimitMs ?? policy.timeoutMs ?? policy.totalTimeoutMs ?? 0;
      return new AuthSecTimeoutError(
        `${request.method} ${request.url.pathname} did not finish in time (${limit} ms).`,
        { timeoutMs: limit, ...facts, hint: 'Check the API, or pass a larger timeoutMs.' },
      );
    }
    return networkError(error, request.url.origin, request.url.pathname, {
      peer: 'the API',
      method: request.method,
      hint: 'Check the URL and that this machine can reach the API.',
    });
  }
}

/**
 * A response whose body its attempt's scope still bounds. It is its own body-read context (the
 * read's facts are asked for only when a read fails), so a read allocates nothing of its own.
 */
class Held implements HeldResponse, BodyReadContext {
  readonly response: Response;
  readonly peer = 'the API';
  readonly method: string;
  readonly signal: AbortSignal | undefined;
  readonly #request: OutgoingRequest;
  readonly #policy: SendPolicy;
  readonly #scope: SignalScope | undefined;
  readonly #closeSignal: AbortSignal;

  constructor(
    response: Response,
    request: OutgoingRequest,
    policy: SendPolicy,
    scope: SignalScope | undefined,
    closeSignal: AbortSignal,
  ) {
    this.response = response;
    this.method = request.method;
    this.signal = scope?.signal;
    this.#request = request;
    this.#policy = policy;
    this.#scope = scope;
    this.#closeSignal = closeSignal;
  }

  get origin(): string {
    return this.#request.url.origin;
  }

  get path(): string {
    return this.#request.url.pathname;
  }

  /** The limit that fired (the attempt's, or what was left of the call's). */
  get timeoutMs(): number | undefined {
    return this.#scope?.firedLimitMs ?? this.#policy.timeoutMs ?? this.#policy.totalTimeoutMs;
  }

  race<T>(work: Promise<T>): Promise<T> {
    return this.#scope === undefined ? work : this.#scope.race(work);
  }

  abortCause(): BodyAbortCause {
    return this.#closeSignal.aborted
      ? 'closed'
      : this.#request.signal?.aborted
        ? 'caller'
        : 'timeout';
  }

  async read(maxBytes: number): Promise<string> {
    const scope = this.#scope;
    let text: string;
    try {
      text = await readCappedText(this.response, maxBytes, this);
    } catch (error) {
      scope?.dispose();
      throw error;
    }
    // Read to the end: the fetch is over, and its signal can serve another call.
    scope?.recycle();
    return text;
  }

  handOver(): void {
    const scope = this.#scope;
    if (scope === undefined) return;
    scope.release(this.#closeSignal);
    holdUntilRead(this.response, scope);
  }

  done(): void {
    this.#scope?.dispose();
  }
}
