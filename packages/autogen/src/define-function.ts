// defineFunction: a named, schema-checked function with a scope, called with an authorized context.

import {
  type AuthSecClient,
  AuthSecConfigError,
  type AuthSecRequestJsonOptions,
  type AuthSecRequestOptions,
} from '@authsec/core';
import { z } from 'zod';

/** What a function receives next to its arguments: requests that carry the delegation token. */
export interface FunctionContext {
  /** The function's name, as the model called it. */
  readonly name: string;
  /** The `tool_call_id` being answered, when called through a tool call. */
  readonly toolCallId: string | undefined;
  /** Aborts when the run is cancelled; already passed to the requests below. */
  readonly signal: AbortSignal | undefined;
  /** The AuthSec client, for anything else (its token never needs to be touched). */
  readonly client: AuthSecClient;
  /** `fetch` with `Authorization: Bearer <delegation token>`; relative paths join `downstreamUrl`. */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** `client.request()`: resolves on 2xx, throws typed AuthSec errors otherwise. */
  request(path: string | URL, options?: AuthSecRequestOptions): Promise<Response>;
  /** `client.requestJson()`: the parsed (and, with `schema`, validated) JSON body. */
  requestJson<T = unknown>(path: string | URL, options?: AuthSecRequestJsonOptions<T>): Promise<T>;
}

/** The definition of a function the model may call. */
export interface DefineFunctionOptions<S extends z.ZodObject> {
  /** `^[A-Za-z0-9_-]{1,64}$`, as OpenAI requires, e.g. `fetch_secure_data`. */
  name: string;
  /** What it does and when to call it: the model reads this. */
  description: string;
  /** A zod object schema of the arguments. @default z.object({}) */
  parameters?: S;
  /** Permission(s) the delegation token must carry; checked before the call, no request otherwise. */
  scope?: string | readonly string[];
  /** Let the context send POST, PUT, PATCH and DELETE requests. @default false */
  allowWrite?: boolean;
  /** The client whose token the calls use. @default the map's client, else one shared client built from the environment */
  client?: AuthSecClient;
}

/** The implementation: validated arguments and the authorized context in, any JSON-able value out. */
export type FunctionImplementation<S extends z.ZodObject> = (
  args: z.output<S>,
  context: FunctionContext,
) => unknown;

/** A function made by {@link defineFunction}; pass it to {@link createFunctionMap}. */
export interface AuthSecFunction<S extends z.ZodObject = z.ZodObject> {
  readonly name: string;
  readonly description: string;
  readonly parameters: S;
  /** The scopes checked before each call. */
  readonly scopes: readonly string[];
  readonly allowWrite: boolean;
  readonly client: AuthSecClient | undefined;
  /** The JSON Schema sent to the model. */
  readonly jsonSchema: Record<string, unknown>;
  readonly implementation: FunctionImplementation<S>;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Defines a function the model may call by name: its arguments are validated with `parameters`,
 * `scope` is checked against the delegation token first, and `fn` gets a context whose
 * `fetch`/`request`/`requestJson` carry the token (read-only unless `allowWrite`).
 * @param options - name, description, zod `parameters`, `scope`, `allowWrite`, `client`
 * @param fn - the implementation
 * @returns the function, for {@link createFunctionMap}
 * @throws TypeError for a name OpenAI refuses or parameters that are not a zod object
 * @example
 * ```ts
 * const fetchSecureData = defineFunction(
 *   {
 *     name: 'fetch_secure_data',
 *     description: 'Get a customer record by id.',
 *     parameters: z.object({ customer_id: z.string() }),
 *     scope: 'read:customers',
 *   },
 *   ({ customer_id }, { requestJson }) =>
 *     requestJson(expandPath('/customers/{id}', { id: customer_id })),
 * );
 * ```
 */
export function defineFunction<S extends z.ZodObject = z.ZodObject<Record<string, never>>>(
  options: DefineFunctionOptions<S>,
  fn: FunctionImplementation<S>,
): AuthSecFunction<S> {
  if (!NAME.test(options.name)) {
    throw new TypeError(
      `Function name ${JSON.stringify(options.name)} is not allowed: use 1–64 letters, digits, _ or -.`,
    );
  }
  const parameters = (options.parameters ?? z.object({})) as S;
  if (!(parameters instanceof z.ZodObject)) {
    throw new TypeError(`parameters of ${options.name} must be a zod object schema (z.object).`);
  }
  if (typeof fn !== 'function') throw new TypeError(`${options.name} needs an implementation.`);
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(parameters, { io: 'input' });
  const scope = options.scope ?? [];
  return Object.freeze({
    name: options.name,
    description: options.description,
    parameters,
    scopes: Object.freeze(typeof scope === 'string' ? [scope] : [...scope]),
    allowWrite: options.allowWrite === true,
    client: options.client,
    jsonSchema,
    implementation: fn,
  });
}

/**
 * The context handed to one call: the client's requests with the run's signal, refusing writes
 * unless the function allows them (a programming error, so a config error that stops the run).
 * @internal
 */
export function createContext(
  fn: AuthSecFunction,
  client: AuthSecClient,
  call: { toolCallId?: string | undefined; signal?: AbortSignal | undefined },
): FunctionContext {
  const { signal } = call;
  const checkMethod = (method: string | undefined) => {
    const verb = (method ?? 'GET').toUpperCase();
    if (!fn.allowWrite && !READ_METHODS.has(verb)) {
      throw new AuthSecConfigError([
        `function ${fn.name} tried a ${verb} request, but it may only read: pass allowWrite: true to defineFunction to let it write`,
      ]);
    }
  };
  const withSignal = <O extends { signal?: AbortSignal | null }>(options: O | undefined) =>
    signal !== undefined && options?.signal == null ? { ...options, signal } : options;
  return Object.freeze({
    name: fn.name,
    toolCallId: call.toolCallId,
    signal,
    client,
    async fetch(input: string | URL | Request, init?: RequestInit) {
      checkMethod(init?.method ?? (input instanceof Request ? input.method : undefined));
      return client.fetch(input, withSignal(init));
    },
    async request(path: string | URL, options?: AuthSecRequestOptions) {
      checkMethod(options?.method);
      return client.request(path, withSignal(options) ?? {});
    },
    async requestJson<T = unknown>(path: string | URL, options?: AuthSecRequestJsonOptions<T>) {
      checkMethod(options?.method);
      return client.requestJson<T>(path, withSignal(options) ?? {});
    },
  });
}
