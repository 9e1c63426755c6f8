// The verifier's one way to ask AuthSec: a time limit, a capped body, never a redirect, and
// errors from the shared status mapper.

import { AuthSecTimeoutError, isAuthSecError } from './errors.js';
import { callWithRetries } from './http-call.js';
import { errorForStatus, networkError } from './pull-errors.js';

/** The largest answer read from AuthSec by a verifier: a bundle of a few RSA keys is ~1 KiB. */
export const MAX_ANSWER_BYTES = 256 * 1024;

/** How one verifier reaches AuthSec: the server root, its fetch, its time limit and its clock. */
export interface RemoteContext {
  /** The normalised AuthSec server root (no trailing slash). */
  readonly baseUrl: string;
  readonly fetch: typeof fetch;
  /** Time limit of one HTTP call, in milliseconds. */
  readonly timeoutMs: number;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

/**
 * Sends one request to AuthSec with a time limit and a capped body; never follows a redirect.
 *
 * @param ctx - the server root, fetch, time limit and clock
 * @param method - `GET` or `POST`
 * @param path - the path below the server root
 * @param request - query parameters, a JSON body to POST, what the call is for, statuses handled by the caller
 * @returns the status (2xx or one in `handles`) and the body text (at most {@link MAX_ANSWER_BYTES})
 * @throws {AuthSecHttpError} for any other status (a redirect included: it is never followed)
 * @throws {AuthSecTimeoutError} when AuthSec did not answer within `ctx.timeoutMs`
 * @throws {AuthSecNetworkError} when AuthSec could not be reached
 * @throws {AuthSecResponseError} when the body is larger than allowed
 * @example
 * ```ts
 * const { text } = await callAuthSec(ctx, 'GET', BUNDLE_PATH, { query: { workspace_id }, what: 'the key bundle request' });
 * ```
 */
export async function callAuthSec(
  ctx: RemoteContext,
  method: 'GET' | 'POST',
  path: string,
  request: {
    query?: Record<string, string>;
    json?: unknown;
    /** What the call is for, for errors. @default `the ${method} request` */
    what?: string;
    /** Non-2xx statuses the caller handles itself; any other is thrown as errorForStatus maps it. */
    handles?: readonly number[];
  } = {},
): Promise<{ status: number; text: string }> {
  const url = new URL(`${ctx.baseUrl}${path}`);
  for (const [name, value] of Object.entries(request.query ?? {})) {
    url.searchParams.set(name, value);
  }
  const fullPath = url.pathname;
  const headers = new Headers({ accept: 'application/json' });
  if (request.json !== undefined) headers.set('content-type', 'application/json');
  const timedOut = () =>
    new AuthSecTimeoutError(
      `AuthSec did not answer ${method} ${fullPath} within ${ctx.timeoutMs} ms.`,
      {
        timeoutMs: ctx.timeoutMs,
        method,
        path: fullPath,
        hint: 'Check `baseUrl` / AUTHSEC_BASE_URL and the network, or raise `timeoutMs`.',
      },
    );
  const { response, text } = await callWithRetries({
    fetch: ctx.fetch,
    url,
    method,
    headers,
    body: request.json === undefined ? null : JSON.stringify(request.json),
    replayable: true,
    // The keys decide what is trusted, and a POST carries a token: neither may leave baseUrl.
    redirect: 'manual',
    signals: [],
    timeoutMs: ctx.timeoutMs,
    deadline: undefined,
    retries: 0,
    retryStatuses: NO_RETRIES,
    readBody: {
      maxBytes: MAX_ANSWER_BYTES,
      peer: 'AuthSec',
      origin: url.origin,
      method,
      path: fullPath,
    },
    // The fetch error is dropped: it can hold the request, and with it the token of a POST.
    mapFailure: (error, attempt) =>
      isAuthSecError(error)
        ? error
        : attempt.signal.aborted
          ? timedOut()
          : networkError(error, url.origin, fullPath, {
              method,
              hint: 'Confirm `baseUrl` / AUTHSEC_BASE_URL (https:// except on loopback) and that this machine can reach it.',
            }),
    aborted: timedOut,
  });
  const { status } = response;
  if ((status < 200 || status >= 300) && !request.handles?.includes(status)) {
    const { headers } = response;
    throw errorForStatus({
      call: 'verifier',
      status,
      method,
      path: fullPath,
      headers,
      what: request.what ?? `the ${method} request`,
    });
  }
  return { status, text };
}

const NO_RETRIES: ReadonlySet<number> = new Set();
