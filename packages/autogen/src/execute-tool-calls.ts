// executeToolCalls: answers an assistant's tool calls with one `tool` message each, in order.

import {
  AuthSecAbortedError,
  AuthSecConfigError,
  AuthSecError,
  type AuthSecErrorOptions,
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
  /**
   * How long calls still running when `signal` aborts may take to settle before they are given
   * up and answered as aborted: a function that ignores the signal (the seed's plain `fetch`)
   * cannot hold the run. Its work goes on in the background; its late result is dropped.
   * @default 100
   */
  abortGraceMs?: number;
}

/** What {@link AuthSecToolCallsError} is built from. */
export interface AuthSecToolCallsErrorOptions extends AuthSecErrorOptions {
  /** Every fatal (or abort) error, first one first. */
  errors: readonly AuthSecError[];
  /** The completed calls' `tool` messages. */
  messages: readonly ToolMessage[];
  /** The ids without a result. */
  unansweredToolCallIds: readonly string[];
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
  // A literal, so a minified bundle still says AuthSecToolCallsError to logs and models.
  override name = 'AuthSecToolCallsError';
  /**
   * The `tool` messages of the calls that completed, in the order of `tool_calls`; after an abort,
   * one per call, those without a result answered as aborted.
   */
  readonly messages: readonly ToolMessage[];
  /** The ids without a result: the fatally failed (or aborted) calls. */
  readonly unansweredToolCallIds: readonly string[];
  /** Every fatal (or abort) error, first one first (usually one). */
  readonly errors: readonly AuthSecError[];

  /**
   * Collects the run-stopping errors of one batch of tool calls with the answers that completed.
   * @param message - usually {@link AuthSecToolCallsError.fromErrors}'s, built from the first error
   * @param options - `errors` (at least one), `messages` (the completed calls' answers),
   *   `unansweredToolCallIds`, plus the shared options (`code` is the first error's)
   */
  constructor(message: string, options: AuthSecToolCallsErrorOptions) {
    super(message, options);
    this.errors = Object.freeze([...options.errors]);
    this.messages = Object.freeze([...options.messages]);
    this.unansweredToolCallIds = Object.freeze([...options.unansweredToolCallIds]);
  }

  /**
   * The error for a batch: the first fatal error's code, hint and request facts, that error as `cause`.
   * @param errors - the fatal errors, at least one
   * @param messages - the completed calls' messages
   * @param unansweredToolCallIds - ids without an answer
   * @returns the error, to throw
   */
  static fromErrors(
    errors: readonly AuthSecError[],
    messages: readonly ToolMessage[],
    unansweredToolCallIds: readonly string[],
  ): AuthSecToolCallsError {
    const first = errors[0] as AuthSecError;
    return new AuthSecToolCallsError(
      `A function call failed and the run must stop: ${first.message}`,
      {
        code: first.code,
        cause: first,
        ...(first.hint !== undefined && { hint: first.hint }),
        ...(first.status !== undefined && { status: first.status }),
        ...(first.method !== undefined && { method: first.method }),
        ...(first.path !== undefined && { path: first.path }),
        errors,
        messages,
        unansweredToolCallIds,
      },
    );
  }
}

/**
 * Runs an assistant message's `tool_calls` against a function map, at most `concurrency` at a
 * time, and returns exactly one `tool` message per `tool_call_id`, in the order of `toolCalls`,
 * even when calls fail: an unknown name, arguments that are not JSON or fail the schema, a missing
 * scope, a 404 … each become the error's `toJSON()` for the model. A fatal failure does not cancel
 * the other calls: they all run and finish, then {@link AuthSecToolCallsError} is thrown with
 * their answers. An aborted `signal` starts no new call and throws it too (code
 * `ERR_AUTHSEC_ABORTED`, an `AuthSecAbortedError` as `cause`) once the running calls have
 * settled or, for functions that ignore the signal, `abortGraceMs` (100 ms) after the abort; every
 * call without a result is then answered `{"name":"AuthSecAbortedError","code":"ERR_AUTHSEC_ABORTED",…}`
 * in its `messages`. A repeated `tool_call_id` is answered once.
 * @param toolCalls - `message.tool_calls` of an assistant message
 * @param functionMap - a `functionMap` from {@link createFunctionMap}, or plain functions by name
 * @param options - `concurrency`, `signal`, `maxResultChars`, `abortGraceMs`
 * @returns the `tool` messages to append to the conversation
 * @throws AuthSecToolCallsError after a fatal AuthSec error or an abort, with the partial results
 * @throws AuthSecConfigError for a `concurrency` that is not an integer of at least 1, or an
 *   `abortGraceMs` that is not a finite number of 0 or more
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
  const graceMs = options.abortGraceMs ?? 100;
  const problems: string[] = [];
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    problems.push(`concurrency must be an integer of at least 1 (got ${String(concurrency)})`);
  }
  if (typeof graceMs !== 'number' || !Number.isFinite(graceMs) || graceMs < 0) {
    problems.push(
      `abortGraceMs must be a number of milliseconds, 0 or more (got ${String(graceMs)})`,
    );
  }
  if (problems.length > 0) throw AuthSecConfigError.fromProblems(problems);
  const { signal } = options;
  const maxChars = options.maxResultChars ?? 20_000;
  const seen = new Set<string>();
  const calls = toolCalls.filter((call) => !seen.has(call.id) && seen.add(call.id));
  const contents: (string | undefined)[] = calls.map(() => undefined);
  const fatal: AuthSecError[] = [];
  let next = 0;
  let givenUp = false;

  // A fatal failure does not stop the other workers: every other call still gets its answer.
  // Only an abort stops new calls from starting.
  const worker = async () => {
    while (next < calls.length && !signal?.aborted) {
      const index = next++;
      const call = calls[index] as ToolCall;
      let content: string | undefined;
      let failure: AuthSecError | undefined;
      try {
        content = await runOne(call, functionMap, signal, maxChars);
      } catch (error) {
        if (isFatalAuthSecError(error)) failure = error as AuthSecError;
        else if (signal?.aborted) failure = abortError(error);
        else content = toToolContent(toToolError(error), maxChars);
      }
      // Past the grace period the batch has been answered: a late result is dropped.
      if (givenUp) return;
      contents[index] = content;
      if (failure) fatal.push(failure);
    }
  };
  const work = Promise.all(Array.from({ length: Math.min(concurrency, calls.length) }, worker));
  await (signal ? settledOrAbandoned(work, signal, graceMs) : work);
  givenUp = true;

  const messages: ToolMessage[] = [];
  const unanswered: string[] = [];
  const aborted = signal?.aborted === true;
  calls.forEach((call, index) => {
    const content = contents[index];
    if (content !== undefined) messages.push({ role: 'tool', tool_call_id: call.id, content });
    else {
      unanswered.push(call.id);
      // Once aborted, every call gets an answer, so the history stays valid for the model.
      if (aborted)
        messages.push({ role: 'tool', tool_call_id: call.id, content: abortedContent() });
    }
  });
  if (fatal.length === 0 && unanswered.length > 0) fatal.push(abortError(undefined));
  if (fatal.length > 0) throw AuthSecToolCallsError.fromErrors(fatal, messages, unanswered);
  return messages;
}

/**
 * Settles when `work` does or, once `signal` has aborted, `graceMs` later at the latest, whatever
 * the work does; its listener and timer are removed either way.
 */
function settledOrAbandoned(
  work: Promise<unknown>,
  signal: AbortSignal,
  graceMs: number,
): Promise<void> {
  return new Promise<void>((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      timer = setTimeout(done, graceMs);
    };
    work.then(done, done);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The answer of a call that had not finished when the signal aborted. */
function abortedContent(): string {
  return JSON.stringify(
    new AuthSecAbortedError(
      'The run was cancelled before this call finished; its outcome is unknown.',
    ).toJSON(),
  );
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
