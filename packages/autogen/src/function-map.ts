// createFunctionMap: the seed's `function_map` (name → async function) plus the matching OpenAI `tools`.

import {
  AuthSecAbortedError,
  type AuthSecClient,
  AuthSecConfigError,
  getDefaultClient,
  isAuthSecError,
  isFatalAuthSecError,
} from '@authsec/core';
import { type AuthSecFunction, createContext } from './define-function.js';
import { FunctionCallError, toToolContent, toToolError } from './tool-result.js';
import type { FunctionToolDefinition } from './wire.js';

/** Per-call options of a mapped function. */
export interface FunctionCallOptions {
  /** Cancels the scope check and the function's requests. */
  signal?: AbortSignal;
  /** The `tool_call_id` being answered. */
  toolCallId?: string;
}

/**
 * One entry of a function map: takes the model's arguments (JSON text or an object) and resolves
 * to the `tool` message content. Model-fixable failures resolve to the error's JSON; it rejects
 * only for fatal AuthSec errors (`isFatalAuthSecError`), which must stop the run, and with
 * `AuthSecAbortedError` once `signal` has aborted.
 */
export type MappedFunction = (
  args: string | Record<string, unknown>,
  options?: FunctionCallOptions,
) => Promise<string>;

/** A function map: name → function, as AutoGen's `function_map`. Plain functions are allowed too. */
export type FunctionMap = Readonly<
  Record<
    string,
    MappedFunction | ((args: Record<string, unknown>, options: FunctionCallOptions) => unknown)
  >
>;

/** Options of {@link createFunctionMap}. */
export interface CreateFunctionMapOptions {
  /** The client of functions defined without one. @default core's `getDefaultClient()`: one client per process, built from the environment (`AUTHSEC_*`, `DOWNSTREAM_URL`) when a call first needs it */
  client?: AuthSecClient;
  /** Longest `tool` message content; longer results are cut with a marker. @default 20000 */
  maxResultChars?: number;
}

/** What {@link createFunctionMap} returns. */
export interface FunctionMapResult {
  /** name → async function, for `UserProxyAgent`, `executeToolCalls` or `runTools`. */
  readonly functionMap: Readonly<Record<string, MappedFunction>>;
  /** The OpenAI `tools` definitions, in the order given (JSON Schema from zod). */
  readonly tools: readonly FunctionToolDefinition[];
  /** The definitions, in the order given. */
  readonly functions: readonly AuthSecFunction[];
}

/**
 * Builds the function map and the OpenAI `tools` for a list of {@link defineFunction} results.
 * Each mapped function parses and validates its arguments, checks the scope with
 * `client.requirePermissions()` (no request without it), runs, and resolves to the `tool` content:
 * the result as JSON, or a model-fixable error's `toJSON()`. Fatal AuthSec errors reject.
 * @param functions - the functions; names must be unique
 * @param options - `client`, `maxResultChars`
 * @returns `{ functionMap, tools, functions }`
 * @throws AuthSecConfigError for a duplicate name, something that is not a {@link defineFunction}
 *   result, or a `maxResultChars` below 100
 * @example
 * ```ts
 * const { functionMap, tools } = createFunctionMap([fetchSecureData], { client });
 * await openai.chat.completions.create({ model, messages, tools: [...tools] });
 * ```
 */
export function createFunctionMap(
  functions: readonly AuthSecFunction[],
  options: CreateFunctionMapOptions = {},
): FunctionMapResult {
  const maxChars = options.maxResultChars ?? 20_000;
  const problems: string[] = [];
  if (!Number.isInteger(maxChars) || maxChars < 100) {
    problems.push('maxResultChars must be an integer of at least 100');
  }
  const functionMap: Record<string, MappedFunction> = {};
  for (const fn of functions) {
    if (typeof fn?.implementation !== 'function' || typeof fn.jsonSchema !== 'object') {
      problems.push('createFunctionMap takes the results of defineFunction()');
    } else if (Object.hasOwn(functionMap, fn.name)) {
      problems.push(`two functions are named ${fn.name}: names must be unique`);
    } else {
      functionMap[fn.name] = mapFunction(fn, options.client, maxChars);
    }
  }
  if (problems.length > 0) throw AuthSecConfigError.fromProblems(problems);
  const tools = functions.map(
    (fn): FunctionToolDefinition => ({
      type: 'function',
      function: { name: fn.name, description: fn.description, parameters: fn.jsonSchema },
    }),
  );
  return Object.freeze({
    functionMap: Object.freeze(functionMap),
    tools: Object.freeze(tools),
    functions: Object.freeze([...functions]),
  });
}

function mapFunction(
  fn: AuthSecFunction,
  mapClient: AuthSecClient | undefined,
  maxChars: number,
): MappedFunction {
  const mapped: MappedFunction = async (args, call = {}) => {
    try {
      const parsed = fn.parameters.safeParse(readArguments(args));
      if (!parsed.success) {
        throw new FunctionCallError(
          'ERR_AUTOGEN_INVALID_ARGUMENTS',
          `The arguments of ${fn.name} do not match its schema.`,
          {
            hint: 'Fix the listed fields and call again.',
            issues: parsed.error.issues.map(
              (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
            ),
          },
        );
      }
      // Core's default client is built only when a call needs AuthSec: one token cache per process.
      const client = () => fn.client ?? mapClient ?? getDefaultClient();
      if (fn.scopes.length > 0) {
        await client().requirePermissions(fn.scopes, call.signal ? { signal: call.signal } : {});
      }
      const context = createContext(fn, client, call);
      return toToolContent(await fn.implementation(parsed.data, context), maxChars);
    } catch (error) {
      if (isFatalAuthSecError(error)) throw error;
      if (call.signal?.aborted) {
        throw isAuthSecError(error) && error.code === 'ERR_AUTHSEC_ABORTED'
          ? error
          : new AuthSecAbortedError(`The call of ${fn.name} was aborted by its signal.`);
      }
      return toToolContent(toToolError(error), maxChars);
    }
  };
  Object.defineProperty(mapped, MAPPED, { value: true });
  Object.defineProperty(mapped, 'name', { value: fn.name });
  return mapped;
}

/** Marks functions made here, so executeToolCalls hands them the raw arguments. */
export const MAPPED = Symbol.for('authsec.autogen.mapped-function');

const ARGUMENTS_HINT = 'Send the arguments as one JSON object, e.g. {"customer_id": "42"}.';

/**
 * The arguments of a call as an object: JSON text is parsed, an object is taken as it is (the
 * form some clients and `runTools` hand over), none means `{}`; anything else is refused.
 * @param args - a tool call's `arguments`
 * @returns the arguments object
 * @throws FunctionCallError `ERR_AUTOGEN_INVALID_JSON` for other types, naming the type received
 */
export function readArguments(args: unknown): Record<string, unknown> {
  if (args === undefined || args === null) return {};
  if (typeof args === 'string') return parseArguments(args);
  if (typeof args === 'object' && !Array.isArray(args)) return args as Record<string, unknown>;
  const kind = Array.isArray(args) ? 'an array' : `a ${typeof args}`;
  throw new FunctionCallError(
    'ERR_AUTOGEN_INVALID_JSON',
    `The arguments must be a JSON object (or its text), not ${kind}.`,
    { hint: ARGUMENTS_HINT },
  );
}

/**
 * Parses the model's `arguments` text: empty means `{}`; anything but a JSON object is refused.
 * @param text - the `arguments` string of a tool call
 * @returns the arguments object
 * @throws FunctionCallError `ERR_AUTOGEN_INVALID_JSON`
 */
export function parseArguments(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FunctionCallError('ERR_AUTOGEN_INVALID_JSON', 'The arguments are not valid JSON.', {
      hint: ARGUMENTS_HINT,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FunctionCallError(
      'ERR_AUTOGEN_INVALID_JSON',
      'The arguments must be a JSON object.',
      { hint: ARGUMENTS_HINT },
    );
  }
  return value as Record<string, unknown>;
}
