// defineFunction: a named, schema-checked function with a scope, called with an authorized context.

import {
  type AuthSecClient,
  AuthSecConfigError,
  type AuthSecRequestJsonOptions,
  type AuthSecRequestOptions,
} from '@authsec/core';
import { z } from 'zod';

/**
 * What a function receives next to its arguments: requests that carry the delegation token. The
 * token itself is not in it, so a function's code never sees (and cannot leak) it.
 */
export interface FunctionContext {
  /** The function's name, as the model called it. */
  readonly name: string;
  /** The `tool_call_id` being answered, when called through a tool call. */
  readonly toolCallId: string | undefined;
  /** Aborts when the run is cancelled; already passed to the requests below. */
  readonly signal: AbortSignal | undefined;
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
  /** The client whose token the calls use. @default the map's client, else core's `getDefaultClient()` */
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
  /** The JSON Schema sent to the model: an object schema, `additionalProperties: false` unless the zod object is loose. */
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
 * @throws AuthSecConfigError for a name OpenAI refuses, a missing description or implementation,
 *   parameters that are not a zod object, a type JSON Schema cannot express (dates, bigints …), or a
 *   blank scope; every problem at once
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
  const name = String(options?.name);
  const problems: string[] = [];
  if (typeof options?.name !== 'string' || !NAME.test(options.name)) {
    problems.push(
      `function name ${JSON.stringify(options?.name)} is not allowed: use 1–64 letters, digits, _ or - (OpenAI's rule)`,
    );
  }
  if (typeof options?.description !== 'string') {
    problems.push(`${name} needs a description: the model reads it to decide when to call`);
  }
  if (typeof fn !== 'function') problems.push(`${name} needs an implementation function`);
  const parameters = (options?.parameters ?? z.object({})) as S;
  let jsonSchema: Record<string, unknown> = {};
  if (!(parameters instanceof z.ZodObject)) {
    problems.push(`parameters of ${name} must be a zod object schema (z.object)`);
  } else {
    try {
      const { $schema: _ignored, ...schema } = z.toJSONSchema(parameters, { io: 'input' });
      jsonSchema = closeObjects(schema) as Record<string, unknown>;
    } catch (error) {
      problems.push(
        `parameters of ${name} cannot be sent to a model: ${(error as Error).message} (use strings, numbers, booleans, enums, arrays and objects)`,
      );
    }
  }
  const scope = options?.scope ?? [];
  const scopes = typeof scope === 'string' ? [scope] : [...scope];
  if (scopes.some((item) => typeof item !== 'string' || item.trim() === '')) {
    problems.push(`scope of ${name} must be a permission or a list of them, none blank`);
  }
  if (problems.length > 0) throw AuthSecConfigError.fromProblems(problems);
  return Object.freeze({
    name,
    description: options.description,
    parameters,
    scopes: Object.freeze(scopes),
    allowWrite: options.allowWrite === true,
    client: options.client,
    jsonSchema,
    implementation: fn,
  });
}

// zod's input-side schema leaves `additionalProperties` out for plain objects, which strip unknown
// keys; say so to the model. Loose objects (`additionalProperties: {}`) and records keep theirs.
function closeObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] =
      key === 'properties' || key === '$defs' || key === 'definitions'
        ? Object.fromEntries(
            Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, closeObjects(v)]),
          )
        : key === 'enum' || key === 'const' || key === 'default' || key === 'examples'
          ? value
          : closeObjects(value);
  }
  if (out.type === 'object' && 'properties' in out && !('additionalProperties' in out)) {
    out.additionalProperties = false;
  }
  return out;
}

/**
 * The context handed to one call: the client's requests with the run's signal, refusing writes
 * unless the function allows them (a programming error, so a config error that stops the run).
 * @internal
 */
export function createContext(
  fn: AuthSecFunction,
  getClient: () => AuthSecClient,
  call: { toolCallId?: string | undefined; signal?: AbortSignal | undefined },
): FunctionContext {
  const { signal } = call;
  const checkMethod = (method: string | undefined) => {
    const verb = (method ?? 'GET').toUpperCase();
    if (!fn.allowWrite && !READ_METHODS.has(verb)) {
      throw AuthSecConfigError.fromProblems([
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
    async fetch(input: string | URL | Request, init?: RequestInit) {
      checkMethod(init?.method ?? (input instanceof Request ? input.method : undefined));
      return getClient().fetch(input, withSignal(init));
    },
    async request(path: string | URL, options?: AuthSecRequestOptions) {
      checkMethod(options?.method);
      return getClient().request(path, withSignal(options) ?? {});
    },
    async requestJson<T = unknown>(path: string | URL, options?: AuthSecRequestJsonOptions<T>) {
      checkMethod(options?.method);
      return getClient().requestJson<T>(path, withSignal(options) ?? {});
    },
  });
}
