// Turns a tool's failure into what the model sees, or lets it stop the run (the error policy).

import { isAuthSecError, isFatalAuthSecError, redact } from '@authsec/core';

/** The JSON a tool returns to the model when a call failed in a way the model can act on. */
export interface ToolErrorResult {
  error: { name: string; code?: string; message: string; hint?: string; status?: number };
}

/**
 * An input a model chose that a tool refuses (a path parameter of `..`, a line break, input that
 * does not match the tool's schema …), as the short JSON the model reads and can act on.
 * @param message - what is wrong with the input (never the input itself)
 * @returns `{"error":{"name":"InvalidToolInput","message":…,"hint":…}}`
 */
export function inputErrorResult(message: string): string {
  return JSON.stringify({
    error: {
      name: 'InvalidToolInput',
      message,
      hint: 'Call the tool again with input that matches its schema.',
    },
  } satisfies ToolErrorResult);
}

/**
 * Applies the error policy to something a tool threw: returns the model-visible JSON for failures
 * the model can act on (403, 404, rate limits, network), and rethrows the rest (fatal AuthSec
 * errors, an aborted run, and errors that are not AuthSec's, which LangChain handles as usual).
 * @param error - what the tool threw
 * @param signal - the run's signal: once it has aborted, every failure is rethrown
 * @returns a JSON string for the model
 * @throws the error itself when the run must stop or it is not an AuthSec error
 */
export function toolErrorResult(error: unknown, signal: AbortSignal | undefined): string {
  if (signal?.aborted || !isAuthSecError(error) || isFatalAuthSecError(error)) throw error;
  if (error.code === 'ERR_AUTHSEC_ABORTED') throw error;
  return JSON.stringify({ error: error.toJSON() });
}

/**
 * A tool's output with every JWT-shaped string and `Bearer` credential replaced by a marker (core's
 * redaction), so an API that echoes the request's `Authorization` header cannot hand the token to
 * the model. Strings, arrays and plain objects are copied; anything else is returned as it is.
 * @param value - what the tool's function returned
 * @returns the same shape, with secrets replaced
 */
export function withoutTokens(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (typeof value !== 'object' || value === null) return value;
  // Deeper than any API answer: core's lossy deep copy, which is still safe (and ends cycles).
  if (depth > 64) return redact(value);
  if (Array.isArray(value)) return value.map((item) => withoutTokens(item, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, withoutTokens(item, depth + 1)]),
  );
}

/**
 * Cuts a text for the model to `maxChars`, ending with a marker that says how much was left out,
 * so a large response cannot flood the context window. Never splits a surrogate pair.
 * @param text - the full text
 * @param maxChars - the most characters kept
 * @param complete - false when the reader already stopped early (the total is then unknown)
 * @returns the text, or its start and a marker
 */
export function capText(text: string, maxChars: number, complete = true): string {
  if (text.length <= maxChars && complete) return text;
  const last = text.charCodeAt(maxChars - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? maxChars - 1 : maxChars;
  const total = complete ? `of ${text.length} ` : '';
  return `${text.slice(0, end)}\n…[truncated: first ${end} ${total}characters shown]`;
}
