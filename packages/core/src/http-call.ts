// The one HTTP path of core: attempts, time limits, backoff, Retry-After, redirects and bounded body
// reads, for the pull, authorized requests and the verifier's calls to AuthSec alike.

import { type SignalScope, signalScope } from './abort.js';
import { backoffCeiling, fullJitter } from './backoff.js';
import {
  type AuthSecError,
  AuthSecHttpError,
  AuthSecNetworkError,
  AuthSecTimeoutError,
} from './errors.js';
import { type BodyReadContext, readCappedText } from './http-body.js';
import { parseRetryAfter } from './retry-after.js';

const MAX_REDIRECTS = 5;

/**
 * The only headers that follow a redirect to another origin: content negotiation and caching, none
 * a credential. Authorization, Cookie, Proxy-Authorization and custom headers (x-api-key …) stay
 * behind; so does any body (a cross-origin 307/308 of a request with a body is not followed).
 */
export const CROSS_ORIGIN_HEADERS: ReadonlySet<string> = new Set([
  'accept',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'pragma',
  'user-agent',
]);

/** What one call sends, and the rules its attempts follow. */
export interface HttpCall {
  readonly fetch: typeof fetch;
  readonly url: URL;
  readonly method: string;
  /**
   * Sent as they are; copied before a redirect changes them. A record's names are lower case and
   * already valid (it spares fetch copying a `Headers` it validated once already).
   */
  readonly headers: Headers | Readonly<Record<string, string>>;
  readonly body: BodyInit | null;
  /** Whether the body can be sent again (a retry, a redirect that keeps it). */
  readonly replayable: boolean;
  /** Other RequestInit fields passed through (cache, credentials, keepalive, duplex …). */
  readonly extra?: RequestInit | undefined;
  /**
   * `follow` follows redirects here (credentials never cross origins); `manual` returns the 3xx;
   * `error` throws on one. fetch itself never follows.
   */
  readonly redirect: RequestRedirect;
  /** Signals that end the whole call (close, caller, a budget). */
  readonly signals: readonly (AbortSignal | undefined)[];
  /** Limit of one attempt, body read included when `readBody` is set; none when undefined. */
  readonly timeoutMs: number | undefined;
  /** Epoch ms the whole call ends by: a limit on every attempt and on every wait; none when undefined. */
  readonly deadline: number | undefined;
  /** Retries after the first attempt (0: none). */
  readonly retries: number;
  /** Statuses that are retried while retries are left. */
  readonly retryStatuses: ReadonlySet<number>;
  /** Reads each attempt's body inside the attempt (capped), so a cut or slow body is retried too. */
  readonly readBody?:
    | (Pick<BodyReadContext, 'peer' | 'origin' | 'method' | 'path'> & { maxBytes: number })
    | undefined;
  /** The AuthSec error for a failed attempt (what fetch or the body read threw). */
  mapFailure(error: unknown, scope: SignalScope): AuthSecError;
  /** The error when `signals` end the call while it waits between attempts. */
  aborted(): AuthSecError;
  /** Told before each retry: the number of the next attempt, why, and the wait before it. */
  onRetry?(attempt: number, why: { status?: number; error?: AuthSecError; delayMs: number }): void;
}

/** The final answer of a call. */
export interface HttpOutcome {
  response: Response;
  /** The body, read within the attempt, when `readBody` was set; otherwise ''. */
  text: string;
  /** True once a redirect left the first origin (the credentials stayed behind). */
  crossedOrigin: boolean;
  /** A retryable status whose Retry-After asked for a wait past the deadline: that wait. */
  deniedRetryAfterMs: number | undefined;
  /**
   * The last attempt's signal scope. Without `readBody` it still bounds the response's body:
   * dispose it once the body is read (or handed over). With `readBody` it is over (recycled): do
   * not use its signal.
   */
  scope: SignalScope;
}

/**
 * Sends one call: attempts with a timer-based time limit each (never AbortSignal.timeout or
 * AbortSignal.any: see signalScope), full-jitter backoff or the server's Retry-After between them,
 * redirects by the origin rules, and the capped body read. Network errors and timeouts are retried
 * like the statuses in `retryStatuses`, while retries are left and the deadline allows the wait.
 * @param call - what to send and how
 * @returns the final answer, for every status
 * @throws AuthSecError only: `mapFailure`'s, `aborted`'s, or a redirect error
 * @example
 * ```ts
 * const { response, text } = await callWithRetries({ fetch, url, method: 'GET', headers, ... });
 * ```
 */
export async function callWithRetries(call: HttpCall): Promise<HttpOutcome> {
  for (let attempt = 0; ; attempt++) {
    const retriesLeft = attempt < call.retries;
    // The scope waits for whichever of the attempt's limit and the time left comes first.
    const left = call.deadline === undefined ? undefined : Math.max(1, call.deadline - Date.now());
    const scope = signalScope(call.signals, [call.timeoutMs, left]);
    let outcome: HttpOutcome;
    try {
      const signal = scope.signal;
      const { response, crossedOrigin } = await follow(call, signal);
      const read = call.readBody;
      const text =
        read === undefined
          ? ''
          : await readCappedText(response, read.maxBytes, {
              ...read,
              timeoutMs: call.timeoutMs,
              signal,
              race: (work) => scope.race(work),
              // The caller's signals (close, caller, budget) are told apart by mapFailure.
              abortCause: () => (scope.cause === 'parent' ? 'caller' : 'timeout'),
            });
      outcome = { response, text, crossedOrigin, deniedRetryAfterMs: undefined, scope };
    } catch (error) {
      scope.dispose();
      const mapped = call.mapFailure(error, scope);
      if (
        !retriesLeft ||
        !(mapped instanceof AuthSecNetworkError || mapped instanceof AuthSecTimeoutError)
      )
        throw mapped;
      const delayMs = backoff(attempt);
      call.onRetry?.(attempt + 2, { error: mapped, delayMs });
      await pause(delayMs, call, mapped);
      continue;
    }
    // The body is read to the end: nothing can be aborted through the signal any more.
    if (call.readBody) scope.recycle();
    const { response } = outcome;
    if (!retriesLeft || !call.retryStatuses.has(response.status)) return outcome;
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
    const waitMs = retryAfterMs ?? backoff(attempt);
    if (call.deadline !== undefined && Date.now() + waitMs > call.deadline)
      return { ...outcome, deniedRetryAfterMs: retryAfterMs };
    scope.dispose();
    discard(response);
    call.onRetry?.(attempt + 2, { status: response.status, delayMs: waitMs });
    await pause(waitMs, call, undefined);
  }
}

/** One attempt: fetch, then the redirects `call.redirect` allows, by the origin rules. */
async function follow(
  call: HttpCall,
  signal: AbortSignal,
): Promise<{ response: Response; crossedOrigin: boolean }> {
  let url = call.url;
  let method = call.method;
  let body = call.body;
  let headers: HttpCall['headers'] = call.headers;
  let crossedOrigin = false;
  for (let hop = 0; ; hop++) {
    const response = await call.fetch(url, {
      ...call.extra,
      method,
      headers,
      body,
      redirect: 'manual',
      signal,
    });
    const { status } = response;
    if (call.redirect === 'manual' || status < 300 || status > 399 || status === 304)
      return { response, crossedOrigin };
    const location = response.headers.get('location');
    if (location === null) return { response, crossedOrigin };
    const where = `${call.method} ${call.url.pathname}`;
    if (call.redirect === 'error') {
      discard(response);
      throw new AuthSecHttpError(
        `The API redirected ${where} (${status}), and redirect: 'error' was asked.`,
        {
          status,
          method: call.method,
          path: call.url.pathname,
          hint: "Call the final URL directly, or leave `redirect` at 'follow'.",
        },
      );
    }
    const next = new URL(location, url);
    const switchesToGet =
      (status === 303 && method !== 'HEAD') ||
      ((status === 301 || status === 302) && method === 'POST');
    const keepsBody = !switchesToGet && body !== null;
    // A body is never resent to another origin: the 3xx is the answer (request() throws on it).
    const crossesWithBody = keepsBody && next.origin !== url.origin;
    if (hop >= MAX_REDIRECTS) {
      discard(response);
      throw new AuthSecHttpError(
        `The API redirected more than ${MAX_REDIRECTS} times (${where}).`,
        {
          status,
          method: call.method,
          path: call.url.pathname,
          hint: 'Call the final URL directly.',
        },
      );
    }
    if (crossesWithBody || (keepsBody && !call.replayable)) return { response, crossedOrigin };
    discard(response);
    // The call's own headers are never changed: the first redirect works on a copy.
    if (headers === call.headers) headers = new Headers(headers);
    const copy = headers as Headers;
    // The token and every credential-like header never cross origins; once dropped, they stay dropped.
    if (next.origin !== url.origin) {
      crossedOrigin = true;
      for (const name of [...copy.keys()]) if (!CROSS_ORIGIN_HEADERS.has(name)) copy.delete(name);
    }
    if (switchesToGet) {
      method = 'GET';
      body = null;
      copy.delete('content-type');
      copy.delete('content-length');
    }
    url = next;
  }
}

/** Waits between attempts; a wait past the deadline throws `failure` at once (or skips the wait). */
async function pause(ms: number, call: HttpCall, failure: AuthSecError | undefined): Promise<void> {
  if (call.deadline !== undefined && Date.now() + ms > call.deadline) {
    if (failure) throw failure;
    return;
  }
  const scope = signalScope(call.signals);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await scope.race(
      new Promise((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    );
  } catch {
    throw call.aborted();
  } finally {
    clearTimeout(timer);
    scope.dispose();
  }
}

function backoff(attempt: number): number {
  // `attempt` counts from 0, so the wait before the first retry is up to one base step.
  return fullJitter(backoffCeiling(attempt + 1));
}

/** Frees a response we will not read. Not awaited: cancelling a tee'd body can wait forever. */
export function discard(response: Response): void {
  response.body?.cancel().catch(() => undefined);
}
