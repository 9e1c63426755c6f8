// Reads response bodies with a size cap, so a hostile or broken server cannot exhaust memory, and
// turns every failure of a body read into a typed AuthSec error.

import { raceAbort, type SignalScope } from './abort.js';
import {
  AuthSecAbortedError,
  AuthSecClosedError,
  AuthSecConfigError,
  type AuthSecError,
  AuthSecNetworkError,
  AuthSecResponseError,
  AuthSecTimeoutError,
  isAuthSecError,
} from './errors.js';

/** The largest pull answer the SDK reads (1 MiB). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Why a body read's signal aborted: the client closed, the caller's signal, or a time limit. */
export type BodyAbortCause = 'closed' | 'caller' | 'timeout';

/** Where a body comes from and what bounds its read, for the errors of {@link readCappedText}. */
export interface BodyReadContext {
  /** Who sent the answer. */
  peer: 'AuthSec' | 'the API';
  /** The origin it came from (for a network error's message). */
  origin: string;
  method: string;
  /** The path only, never the query. */
  path: string;
  /** The time limit that bounds the read, for a timeout's message. */
  timeoutMs: number | undefined;
  /** Aborts the read: its reason becomes the failure. */
  signal?: AbortSignal | undefined;
  /**
   * Waits on the read while honouring `signal`, when the owner of `signal` can do that without an
   * event listener (a signal scope's `race`). @default raceAbort on `signal`
   */
  race?: (<T>(work: Promise<T>) => Promise<T>) | undefined;
  /** Why `signal` aborted, asked once a read fails (a timeout when not known). */
  abortCause?: () => BodyAbortCause | undefined;
}

/**
 * The AuthSec error for a failed body read: one mapping for every body the SDK reads.
 * An AuthSec error passes through; otherwise a close is {@link AuthSecClosedError}, the caller's
 * signal {@link AuthSecAbortedError}, a time limit (or a `TimeoutError`) {@link AuthSecTimeoutError},
 * and anything else (a connection cut mid-body) {@link AuthSecNetworkError}. The raw error is
 * dropped: it can hold the request.
 * @param error - what the read threw
 * @param ctx - where the body came from
 * @returns the typed error
 */
export function bodyReadError(error: unknown, ctx: BodyReadContext): AuthSecError {
  if (isAuthSecError(error)) return error;
  const facts = { method: ctx.method, path: ctx.path };
  const cause = ctx.signal?.aborted ? (ctx.abortCause?.() ?? 'timeout') : undefined;
  if (cause === 'closed') return new AuthSecClosedError(undefined, facts);
  if (cause === 'caller') return new AuthSecAbortedError(undefined, facts);
  const name = (error as { name?: unknown } | null)?.name;
  const fromAuthSec = ctx.peer === 'AuthSec';
  if (cause === 'timeout' || name === 'TimeoutError') {
    return new AuthSecTimeoutError(
      `${fromAuthSec ? 'AuthSec' : 'The API'} did not finish sending its answer to ${ctx.method} ${ctx.path} in time${ctx.timeoutMs === undefined ? '' : ` (${ctx.timeoutMs} ms)`}.`,
      {
        timeoutMs: ctx.timeoutMs ?? 0,
        ...facts,
        hint: fromAuthSec
          ? 'Check AUTHSEC_BASE_URL and the network, or raise timeoutMs / AUTHSEC_TIMEOUT_MS.'
          : 'Check the API, or pass a larger timeoutMs.',
      },
    );
  }
  return new AuthSecNetworkError(
    `The connection to ${fromAuthSec ? 'AuthSec' : 'the API'} at ${ctx.origin} failed while reading the answer to ${ctx.method} ${ctx.path}.`,
    {
      ...facts,
      hint: `Check ${fromAuthSec ? 'AUTHSEC_BASE_URL' : 'the API'} and the network; the call can be retried.`,
    },
  );
}

/**
 * Reads a response body as text, refusing more than `maxBytes`, stopping when `ctx.signal` aborts.
 * @throws AuthSecResponseError when the body is larger than allowed; otherwise only the errors of
 *   {@link bodyReadError}
 */
export async function readCappedText(
  response: Response,
  maxBytes: number,
  ctx: BodyReadContext,
): Promise<string> {
  try {
    // The common answer, uncompressed with a declared length within the cap: read it whole.
    const read =
      plainText(response, maxBytes) ??
      readBody(response, maxBytes, ctx).then((result) => result.text);
    const { signal } = ctx;
    if (!signal) return await read;
    return await (ctx.race ? ctx.race(read) : raceAbort(read, signal));
  } catch (error) {
    // Never await cancel(): on a cloned (tee'd) body it settles only when every branch is cancelled.
    if (ctx.signal?.aborted) response.body?.cancel().catch(() => undefined);
    throw bodyReadError(error, ctx);
  }
}

/**
 * The body as text when nothing can break the cap: no compression and a declared length within
 * it (the connection framing ends the body there). Otherwise undefined: {@link readBody} decides.
 */
function plainText(response: Response, maxBytes: number): Promise<string> | undefined {
  const encoding = response.headers.get('content-encoding');
  // An uncompressed body cannot outgrow its declared length (the connection framing ends it).
  return declaredLength(response) <= maxBytes &&
    (encoding === null || encoding.trim().toLowerCase() === 'identity')
    ? response.text()
    : undefined;
}

/** The declared `content-length`, or NaN (which no comparison passes). */
function declaredLength(response: Response): number {
  // Number(undefined) is NaN, where Number(null) would be 0.
  return Number(response.headers.get('content-length') ?? undefined);
}

async function readBody(
  response: Response,
  maxBytes: number,
  ctx: BodyReadContext & { hint?: string | undefined },
  truncate = false,
): Promise<{ text: string; truncated: boolean }> {
  const tooLarge = () =>
    new AuthSecResponseError(
      `${ctx.peer === 'AuthSec' ? "AuthSec's answer" : `The API's answer to ${`${ctx.method} ${ctx.path}`.trim()}`} is larger than ${maxBytes} bytes.`,
      {
        issues: ['body'],
        status: response.status,
        ...(ctx.method ? { method: ctx.method } : {}),
        ...(ctx.path ? { path: ctx.path } : {}),
        hint:
          ctx.hint ??
          (ctx.peer === 'AuthSec'
            ? 'Check that AUTHSEC_BASE_URL is the AuthSec server root, not a proxy or another API.'
            : 'Pass a larger maxResponseBytes, or use client.request() and read the body yourself.'),
      },
    );
  if (!truncate && declaredLength(response) > maxBytes) {
    response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!response.body) return { text: '', truncated: false };
  const plain = plainText(response, maxBytes);
  if (plain) return { text: await plain, truncated: false };
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > maxBytes) {
      reader.cancel().catch(() => undefined);
      if (!truncate) throw tooLarge();
      return { text: text + decoder.decode(value.subarray(0, maxBytes - size)), truncated: true };
    }
    size += value.byteLength;
    text += decoder.decode(value, { stream: true });
  }
  return { text: text + decoder.decode(), truncated: false };
}

/** Options of {@link readText}. */
export interface ReadTextOptions {
  /** The most bytes read; a larger body is an {@link AuthSecResponseError} (or cut, with `truncate`). */
  maxBytes: number;
  /**
   * Keep the first `maxBytes` bytes of a larger body instead of throwing, and say so in the
   * result's `truncated`. @default false
   */
  truncate?: boolean | undefined;
  /** Stops the read: an {@link AuthSecAbortedError}. */
  signal?: AbortSignal | undefined;
  /** The request's method, for error messages. */
  method?: string | undefined;
  /** The request's path (never the query), for error messages. */
  path?: string | undefined;
  /** The fix an oversized body's error suggests. */
  hint?: string | undefined;
}

/**
 * Reads a response body as text, never holding more than `maxBytes` of it: the one capped body
 * reader of the SDK and its adapters. A failed read is a typed AuthSec error (a cut connection an
 * {@link AuthSecNetworkError}, an abort an {@link AuthSecAbortedError}); the raw error, which can
 * hold the request, is dropped. On a response from `client.request()` or `client.fetch()`, it also
 * ends that request's time limit once the body has been read (or cut).
 * @example
 * ```ts
 * const response = await client.request('/v1/report');
 * const text = await readText(response, { maxBytes: 1_000_000 });
 * ```
 * @throws AuthSecResponseError when the body is larger than `maxBytes` (unless `truncate`)
 */
export function readText(
  response: Response,
  options: ReadTextOptions & { truncate: true },
): Promise<{ text: string; truncated: boolean }>;
export function readText(response: Response, options: ReadTextOptions): Promise<string>;
export async function readText(
  response: Response,
  options: ReadTextOptions,
): Promise<string | { text: string; truncated: boolean }> {
  const { maxBytes } = options;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw AuthSecConfigError.fromProblems(
      [`readText: maxBytes must be a whole number of bytes, got ${String(maxBytes)}.`],
      {
        hint: 'Pass maxBytes as a non-negative integer.',
      },
    );
  }
  const ctx = {
    peer: 'the API' as const,
    // Only an error's message needs it: filled in then.
    origin: 'the API',
    method: options.method ?? '',
    path: options.path ?? '',
    timeoutMs: undefined,
    signal: options.signal,
    abortCause: () => 'caller' as const,
    hint: options.hint,
  };
  const scope = heldScopes.get(response);
  heldScopes.delete(response);
  let result: { text: string; truncated: boolean };
  try {
    const read = readBody(response, maxBytes, ctx, options.truncate === true);
    result = await (options.signal
      ? raceAbort(read, options.signal).catch((error: unknown) => {
          if (options.signal?.aborted) response.body?.cancel().catch(() => undefined);
          throw error;
        })
      : read);
  } catch (error) {
    scope?.dispose();
    try {
      ctx.origin = new URL(response.url).origin;
    } catch {}
    throw bodyReadError(error, ctx);
  }
  // The body is over (read to the end, or cut and cancelled): its request's time limit can go now
  // rather than when it would have fired, and a body read to the end frees its signal for reuse.
  if (result.truncated) scope?.dispose();
  else scope?.recycle();
  return options.truncate === true ? result : result.text;
}

/** The scopes still bounding bodies that `request()` or `fetch()` handed to their caller. */
const heldScopes = new WeakMap<Response, SignalScope>();

/**
 * Ties a handed-over response to the scope that still bounds its body, so that {@link readText}
 * can end that scope once it has read the body, instead of leaving its timer to run out.
 * @param response - the response handed to the caller
 * @param scope - the scope of its attempt
 */
export function holdUntilRead(response: Response, scope: SignalScope): void {
  heldScopes.set(response, scope);
}
