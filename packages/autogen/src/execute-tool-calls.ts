// executeToolCalls: answers an assistant's tool calls with one `tool` message each, in order.

import {
  AuthSecAbortedError,
  AuthSecConfigError,
  AuthSecError,
  isAuthSecError,
  isFatalAuthSecError,
} from '@authsec/core';
import { type FunctionMap, MAPPED, type MappedFunction, readArguments } from './function-map.js';
import { FunctionCallError, toToolContent, toToolError } from './tool-result.js';
import type { ToolCall, ToolMessage } from './wire.js';

/** Options of {@link executeToolCalls}. */
export interface ExecuteToolCallsOptions {
  /** How many calls run at once. @default 4 */
  concurrency?: number;
  /** Cancels the calls (scope checks and requests). */
  signal?: AbortSignal;
  /** Longest content for plain (non-`defineFunction`) functions' results. @default 20000 */
  maxResultChars?: number;
}

/**
 * A function call failed in a way no model can fix (configuration, a rejected, revoked or expired
 * delegation …), or the run's signal aborted, so the run must stop. It carries the first such
 * error's `code` (so `isFatalAuthSecError()` is true after a fatal failure), that error as
 * `cause`, and the partial results: the answers of every call that completed.
 * @example
 * ```ts
 * try {
 *   messages.push(...(await executeToolCalls(message.tool_calls ?? [], functionMap)));
 * } catch (error) {
 *   if (error instanceof AuthSecToolCallsError) console.error(error.code, error.unansweredToolCallIds);
 *   throw error;
 * }
 * ```
 */
export class AuthSecToolCallsError extends AuthSecError {
  /** The `tool` messages of the calls that completed, in the order of `tool_calls`. */
  readonly messages: readonly ToolMessage[];
  /** The ids left without an answer: the fatally failed (or aborted) calls. */
  readonly unansweredToolCallIds: readonly string[];
  /** Every fatal (or abort) error, first one first (usually one). */
  readonly errors: readonly AuthSecError[];

  /**
   * Collects the run-stopping errors of one batch of tool calls with the answers that completed.
   * @param errors - the fatal errors, at least one
   * @param messages - the completed calls' messages
   * @param unansweredToolCallIds - ids without an answer
   */
  constructor(
    errors: readonly AuthSecError[],
    messages: readonly ToolMessage[],
    unansweredToolCallIds: readonly string[],
  ) {
    const first = errors[0] as AuthSecError;
    super(first.code, `A function call failed and the run must stop: ${first.message}`, {
      cause: first,
      ...(first.hint !== undefined && { hint: first.hint }),
      ...(first.status !== undefined && { status: first.status }),
      ...(first.method !== undefined && { method: first.method }),
      ...(first.path !== undefined && { path: first.path }),
    });
    this.errors = Object.freeze([...errors]);
    this.messages = Object.freeze([...messages]);
    this.unansweredToolCallIds = Object.freeze([...unansweredToolCallIds]);
  }
}

/**
 * Runs an assistant message's `tool_calls` against a function map, at most `concurrency` at a
 * time, and returns exactly one `tool` message per `tool_call_id`, in the order of `toolCalls`,
 * even when calls fail: an unknown name, arguments that are not JSON or fail the schema, a missing
 * scope, a 404 … each become the error's `toJSON()` for the model. A fatal failure does not cancel
 * the other calls: they all run and finish, then {@link AuthSecToolCallsError} is thrown with
 * their answers. An aborted `signal` throws it too, once the running calls have settled.
 * A repeated `tool_call_id` is answered once.
 * @param toolCalls - `message.tool_calls` of an assistant message
 * @param functionMap - a `functionMap` from {@link createFunctionMap}, or plain functions by name
 * @param options - `concurrency`, `signal`, `maxResultChars`
 * @returns the `tool` messages to append to the conversation
 * @throws AuthSecToolCallsError after a fatal AuthSec error or an abort, with the partial results
 * @throws AuthSecConfigError for a `concurrency` that is not an integer of at least 1
 * @example
 * ```ts
 * const message = completion.choices[0].message;
 * messages.push(message, ...(await executeToolCalls(message.tool_calls ?? [], functionMap)));
 * ```
 */
export async function executeToolCalls(
  toolCalls: readonly ToolCall[],
  functionMap: FunctionMap,
  options: ExecuteToolCallsOptions = {},
): Promise<ToolMessage[]> {
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new AuthSecConfigError([
      `concurrency must be an integer of at least 1 (got ${String(concurrency)})`,
    ]);
  }
  const { signal } = options;
  const maxChars = options.maxResultChars ?? 20_000;
  const seen = new Set<string>();
  const calls = toolCalls.filter((call) => !seen.has(call.id) && seen.add(call.id));
  const contents: (string | undefined)[] = calls.map(() => undefined);
  const fatal: AuthSecError[] = [];
  let next = 0;

  // A fatal failure does not stop the other workers: every other call still gets its answer.
  // Only an abort stops new calls from starting.
  const worker = async () => {
    while (next < calls.length && !signal?.aborted) {
      const index = next++;
      const call = calls[index] as ToolCall;
      try {
        contents[index] = await runOne(call, functionMap, signal, maxChars);
      } catch (error) {
        if (isFatalAuthSecError(error)) fatal.push(error as AuthSecError);
        else if (signal?.aborted) fatal.push(abortError(error));
        else contents[index] = toToolContent(toToolError(error), maxChars);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, calls.length) }, worker));

  const messages: ToolMessage[] = [];
  const unanswered: string[] = [];
  calls.forEach((call, index) => {
    const content = contents[index];
    if (content === undefined) unanswered.push(call.id);
    else messages.push({ role: 'tool', tool_call_id: call.id, content });
  });
  if (fatal.length === 0 && unanswered.length > 0) fatal.push(abortError(undefined));
  if (fatal.length > 0) throw new AuthSecToolCallsError(fatal, messages, unanswered);
  return messages;
}

function abortError(error: unknown): AuthSecError {
  return isAuthSecError(error) && error.code === 'ERR_AUTHSEC_ABORTED'
    ? error
    : new AuthSecAbortedError('The tool calls were aborted by their signal.');
}

async function runOne(
  call: ToolCall,
  functionMap: FunctionMap,
  signal: AbortSignal | undefined,
  maxChars: number,
): Promise<string> {
  const name = call.function?.name;
  const fn =
    typeof name === 'string' && Object.hasOwn(functionMap, name) ? functionMap[name] : undefined;
  if (call.type !== 'function' || call.function === undefined || typeof fn !== 'function') {
    const known = Object.keys(functionMap).join(', ');
    throw new FunctionCallError(
      'ERR_AUTOGEN_UNKNOWN_FUNCTION',
      `There is no function named ${JSON.stringify(String(name))}.`,
      { hint: `Call one of: ${known || '(none)'}.` },
    );
  }
  const callOptions = { toolCallId: call.id, ...(signal !== undefined && { signal }) };
  // JSON text as OpenAI sends it, or an object as some clients hand it over.
  const args: unknown = call.function.arguments;
  if ((fn as unknown as Record<symbol, unknown>)[MAPPED] === true) {
    return (fn as MappedFunction)(args as string | Record<string, unknown>, callOptions);
  }
  // A plain function, as in the seed's function_map: parse for it and serialise what it returns.
  const result = await fn(readArguments(args), callOptions);
  return toToolContent(result, maxChars);
}
