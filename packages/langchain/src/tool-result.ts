// Turns a tool's failure into what the model sees, or lets it stop the run (the error policy).

import { isAuthSecError, isFatalAuthSecError, redact } from '@authsec/core';
import {
  type BaseMessage,
  isBaseMessage,
  isDirectToolOutput,
  ToolMessage,
  type ToolMessageFields,
} from '@langchain/core/messages';

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
 * Input the model chose that a tool's own code refuses (a path parameter of `..`, a missing one):
 * thrown inside the function, answered as {@link inputErrorResult} with status `error`.
 */
export class InvalidToolInputError extends Error {
  override name = 'InvalidToolInput';
}

/**
 * A failure the model can act on, as the tool's answer: a `ToolMessage` with status `error` when
 * the tool runs for a tool call (so LangChain and the model see it failed), else the JSON itself.
 * @param content - the error JSON
 * @param toolCall - LangChain's `config.toolCall`, or the tool call passed to `invoke()`
 * @param name - the tool's name
 * @returns the message, or the content
 */
export function errorAnswer(
  content: string,
  toolCall: unknown,
  name: string,
): ToolMessage | string {
  const id = toolCallId(toolCall);
  if (id === undefined) return content;
  return new ToolMessage({ content, tool_call_id: id, name, status: 'error' });
}

function toolCallId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { id } = value as { id?: unknown };
  return typeof id === 'string' && id !== '' ? id : undefined;
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
 * the model, whatever shape the function returns it in. Strings, arrays, plain objects, `Map`s and
 * `Set`s are copied with their secrets replaced; a `ToolMessage` (or other message) is rebuilt as
 * the same class, and a `Command` cloned, with redacted fields. Any other object is judged by what
 * the model would see, its JSON: kept as it is when that holds no secret, else replaced by that
 * JSON, redacted. An `Error` becomes core's redacted `{ name, code?, message, hint? }`.
 * @param value - what the tool's function returned
 * @returns the same shape, with secrets replaced
 */
export function withoutTokens(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (typeof value !== 'object' || value === null) return value;
  // Deeper than any API answer: core's lossy deep copy, which is still safe (and ends cycles).
  if (depth > 64) return redact(value);
  const next = depth + 1;
  if (Array.isArray(value)) return value.map((item) => withoutTokens(item, next));
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, withoutTokens(item, next)]),
    );
  }
  if (value instanceof Map) {
    return new Map(
      [...value].map(([key, item]) => [withoutTokens(key, next), withoutTokens(item, next)]),
    );
  }
  if (value instanceof Set) return new Set([...value].map((item) => withoutTokens(item, next)));
  // Before the JSON check: an Error's JSON is `{}`, but a caller may print its message.
  if (value instanceof Error) return redact(value);
  const json = serialised(value);
  if (json === undefined) return redact(value);
  if (redact(json) === json) return value;
  if (isBaseMessage(value)) return rebuildMessage(value, next);
  if (isDirectToolOutput(value)) return cloneWithout(value, next);
  return withoutTokens(JSON.parse(json), next);
}

/** The JSON LangChain sends the model for a non-string result, or undefined if there is none. */
function serialised(value: object): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** The same message class, built from its redacted constructor fields. */
function rebuildMessage(message: BaseMessage, depth: number): BaseMessage {
  const fields = withoutTokens({ ...message.lc_kwargs, content: message.content }, depth);
  if (ToolMessage.isInstance(message)) {
    return new ToolMessage({
      ...(fields as ToolMessageFields),
      tool_call_id: message.tool_call_id,
      ...(message.status === undefined ? {} : { status: message.status }),
    });
  }
  const Message = message.constructor as new (fields: unknown) => BaseMessage;
  return new Message(fields);
}

/** A copy of an object LangChain passes through as it is (a LangGraph `Command`), same prototype. */
function cloneWithout(value: object, depth: number): object {
  const copy = Object.create(Object.getPrototypeOf(value)) as object;
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key) as PropertyDescriptor;
    if ('value' in descriptor) descriptor.value = withoutTokens(descriptor.value, depth);
    Object.defineProperty(copy, key, descriptor);
  }
  return copy;
}

/**
 * Something a tool threw, with any token in it replaced by a marker before LangChain shows it to
 * the model (`createAgent` without the middleware shows an error's message): an `Error`'s
 * `message` and `stack` are redacted in place (its class and `cause` stay), a thrown string is
 * redacted. AuthSec errors never hold a token and pass as they are.
 * @param error - what the tool's function threw
 * @returns the value to rethrow
 */
export function withoutTokensThrown(error: unknown): unknown {
  if (typeof error === 'string') return redact(error);
  if (!(error instanceof Error) || isAuthSecError(error)) return error;
  const message = String(redact(error.message));
  const stack = typeof error.stack === 'string' ? String(redact(error.stack)) : error.stack;
  if (message === error.message && stack === error.stack) return error;
  try {
    error.message = message;
    if (stack !== undefined) error.stack = stack;
    return error;
  } catch {
    // A frozen error: a plain one with the same name and the redacted text.
    const copy = new Error(message);
    copy.name = error.name;
    return copy;
  }
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
