// Turns a tool's failure into what the model sees, or lets it stop the run (the error policy).

import { isAuthSecError, isFatalAuthSecError } from '@authsec/core';

/** The JSON a tool returns to the model when a call failed in a way the model can act on. */
export interface ToolErrorResult {
  error: { name: string; code?: string; message: string; hint?: string; status?: number };
}

/**
 * An input a model chose that a tool refuses (a path parameter of `..`, a line break …). Plain
 * `TypeError`s from `expandPath` are turned into this shape, since the model can fix its input.
 */
export function inputErrorResult(message: string): string {
  return JSON.stringify({ error: { name: 'InvalidToolInput', message } } satisfies ToolErrorResult);
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
 * Cuts a text for the model to `maxChars`, ending with a marker that says how much was left out,
 * so a large response cannot flood the context window.
 * @param text - the full text
 * @param maxChars - the most characters kept
 * @param complete - false when the reader already stopped early (the total is then unknown)
 * @returns the text, or its start and a marker
 */
export function capText(text: string, maxChars: number, complete = true): string {
  if (text.length <= maxChars && complete) return text;
  const total = complete ? `of ${text.length} ` : '';
  return `${text.slice(0, maxChars)}\n…[truncated: first ${maxChars} ${total}characters shown]`;
}
