// Reads response bodies with a size cap, so a hostile or broken server cannot exhaust memory, and
// turns every failure of a body read into a typed AuthSec error.

import { raceAbort } from './abort.js';
import {
  AuthSecAbortedError,
  AuthSecClosedError,
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
  if (cause === 'closed') return new AuthSecClosedError(facts);
  if (cause === 'caller') return new AuthSecAbortedError(undefined, facts);
  const name = (error as { name?: unknown } | null)?.name;
  const fromAuthSec = ctx.peer === 'AuthSec';
  if (cause === 'timeout' || name === 'TimeoutError') {
    return new AuthSecTimeoutError(
      `${fromAuthSec ? 'AuthSec' : 'The API'} did not finish sending its answer to ${ctx.method} ${ctx.path} in time${ctx.timeoutMs === undefined ? '' : ` (${ctx.timeoutMs} ms)`}.`,
      ctx.timeoutMs ?? 0,
      {
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
      hint: fromAuthSec
        ? 'Confirm AUTHSEC_BASE_URL and the network; the call can be retried.'
        : 'Check the API and the network; the call can be retried.',
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
    const read = readText(response, maxBytes, ctx);
    if (!ctx.signal) return await read;
    return await raceAbort(read, ctx.signal).catch((error: unknown) => {
      // Never await cancel(): on a cloned (tee'd) body it settles only when every branch is cancelled.
      if (ctx.signal?.aborted) response.body?.cancel().catch(() => undefined);
      throw error;
    });
  } catch (error) {
    throw bodyReadError(error, ctx);
  }
}

async function readText(response: Response, maxBytes: number, ctx: BodyReadContext) {
  const tooLarge = () =>
    new AuthSecResponseError(
      `${ctx.peer === 'AuthSec' ? "AuthSec's answer" : `The API's answer to ${ctx.method} ${ctx.path}`} is larger than ${maxBytes} bytes; the SDK stopped reading it.`,
      ['body'],
      {
        status: response.status,
        method: ctx.method,
        path: ctx.path,
        hint:
          ctx.peer === 'AuthSec'
            ? 'Check that AUTHSEC_BASE_URL points at the AuthSec server, not a proxy or another service.'
            : 'Pass a larger maxResponseBytes, or use client.request() and read the body yourself.',
      },
    );
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!response.body) return '';
  const encoding = response.headers.get('content-encoding');
  if (
    Number.isFinite(declared) &&
    response.headers.has('content-length') &&
    (encoding === null || encoding.trim().toLowerCase() === 'identity')
  ) {
    // An uncompressed body cannot outgrow its declared length (the connection framing ends it),
    // so the cap is already enforced and the plain read is the fast one.
    return response.text();
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/** Rebuilds a response around an already-read body (status codes that forbid a body get none). */
export function withBody(response: Response, text: string): Response {
  const nullBody = response.status === 204 || response.status === 205 || response.status === 304;
  return new Response(nullBody ? null : text, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
