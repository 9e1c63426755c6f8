// createAuthSecRequestTool(): a declarative tool that maps a model's input onto one protected-API request.

import {
  type AuthSecClient,
  AuthSecConfigError,
  expandPath,
  pathParameters,
  type QueryValue,
  readText,
  redact,
} from '@authsec/core';
import type { z } from 'zod';
import { type AuthSecStructuredTool, buildAuthSecTool } from './authsec-tool.js';
import { capText, InvalidToolInputError } from './tool-result.js';

/** HTTP methods a request tool may use. */
export type AuthSecRequestToolMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Options of {@link createAuthSecRequestTool}. */
export interface AuthSecRequestToolOptions<S extends z.ZodObject> {
  /** The tool's name, as the model sees it (`get_customer`). */
  name: string;
  /** What the tool does, for the model. */
  description: string;
  /** The tool's input schema; path parameters must be fields of it. */
  schema: S;
  /**
   * A path relative to the client's `downstreamUrl` (or an absolute URL on an allowed origin) with
   * `{name}` placeholders filled from the input, each encoded as one path segment.
   */
  path: string;
  /** @default 'GET' */
  method?: AuthSecRequestToolMethod;
  /** Permission(s) checked against the token before the request (see `createAuthSecTool`). */
  scope?: string | readonly string[];
  /** @default core's shared `getDefaultClient()`, built from the environment on the first call */
  client?: AuthSecClient;
  /** Required for POST, PUT, PATCH and DELETE, so a tool never writes by accident. @default false */
  allowWrite?: boolean;
  /**
   * The query string. @default for GET, HEAD and DELETE, the input fields that are not path
   * parameters; none otherwise
   */
  query?: (input: z.output<S>) => Record<string, QueryValue>;
  /** The JSON body. @default for POST, PUT and PATCH, the input fields that are not path parameters */
  body?: (input: z.output<S>) => unknown;
  /** The most characters of the response the model sees; the rest is cut with a marker. @default 20000 */
  maxResponseChars?: number;
  /** Limit of one attempt. @default the client's `timeoutMs` */
  timeoutMs?: number;
}

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
const WRITES: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const WITH_BODY: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);
/** A `..` segment once `/` or `\` in a value are read as separators. */

/**
 * Creates a tool that makes one authorized request to a protected API: path parameters come from
 * the input (encoded so model input cannot change the path: `/`, `?`, `#` and `%` are encoded;
 * `.`, `..`, a `..` segment such as `../x`, empty or missing values and line breaks are refused
 * with an `InvalidToolInput` result), the other fields become the query (GET, HEAD, DELETE) or
 * the JSON body (POST, PUT, PATCH), and the response text is returned with tokens redacted, cut
 * to `maxResponseChars` with a `…[truncated: …]` marker. Writing methods need `allowWrite: true`.
 * Errors follow `createAuthSecTool`'s policy.
 * @param options - name, description, schema, path, method, scope, client and mappings
 * @returns an `AuthSecStructuredTool` (a `DynamicStructuredTool`)
 * @throws AuthSecConfigError for a writing method without `allowWrite`, an unknown method, a path
 *   parameter missing from the schema, or a `maxResponseChars` that is not a positive integer
 * @example
 * ```ts
 * const getCustomer = createAuthSecRequestTool({
 *   name: 'get_customer',
 *   description: 'Look up a customer by ID.',
 *   schema: z.object({ id: z.string() }),
 *   path: '/customers/{id}',
 *   scope: 'read:customers',
 *   client: authsec,
 * });
 * ```
 */
export function createAuthSecRequestTool<S extends z.ZodObject>(
  options: AuthSecRequestToolOptions<S>,
): AuthSecStructuredTool<S> {
  const method = (options.method ?? 'GET').toUpperCase();
  const maxChars = options.maxResponseChars ?? 20_000;
  const params = pathParameters(options.path);
  const problems: string[] = [];
  if (!METHODS.has(method)) {
    problems.push(`method ${method} is not supported: use ${[...METHODS].join(', ')}`);
  } else if (WRITES.has(method) && options.allowWrite !== true) {
    problems.push(
      `tool ${options.name} uses ${method}, which writes: pass \`allowWrite: true\` if the model may do that`,
    );
  }
  const shape: Readonly<Record<string, unknown>> = options.schema.shape;
  for (const name of params) {
    if (!(name in shape)) {
      problems.push(
        `the path ${options.path} names {${name}}, but the schema has no field ${name}`,
      );
    }
  }
  if (!Number.isInteger(maxChars) || maxChars < 1) {
    problems.push('maxResponseChars must be a positive integer');
  }
  if (problems.length > 0) throw AuthSecConfigError.fromProblems(problems);

  return buildAuthSecTool<S>(
    async (input, { request, signal }) => {
      const values = input as Record<string, unknown>;
      // An optional field the model left out: its input to fix, not a configuration error.
      const missing = params.find((name) => values[name] === undefined || values[name] === null);
      if (missing !== undefined) {
        throw new InvalidToolInputError(`Path parameter "${missing}" is required.`);
      }
      let path: string;
      try {
        path = expandPath(options.path, values);
      } catch (error) {
        // expandPath's TypeError (a dot segment, a lone surrogate, a line break) names the
        // parameter: the model can choose another value.
        if (error instanceof TypeError) throw new InvalidToolInputError(error.message);
        throw error;
      }
      const rest = Object.fromEntries(Object.entries(values).filter(([k]) => !params.includes(k)));
      const hasBody = WITH_BODY.has(method);
      const query = options.query ? options.query(input) : hasBody ? {} : toQuery(rest);
      const json = options.body
        ? options.body(input)
        : hasBody && Object.keys(rest).length > 0
          ? rest
          : undefined;
      const response = await request(path, {
        method,
        query,
        ...(json === undefined ? {} : { json }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      });
      const { text, truncated } = await readText(response, {
        maxBytes: bytesFor(maxChars),
        truncate: true,
        method,
        path: pathOf(response.url),
        ...(signal && { signal }),
      });
      const complete = !truncated;
      if (text === '' && complete) return JSON.stringify({ status: response.status });
      // Redacted before the cut, so a token across the cut is replaced whole rather than halved.
      return capText(String(redact(text)), maxChars, complete);
    },
    {
      name: options.name,
      description: options.description,
      schema: options.schema,
      ...(options.client ? { client: options.client } : {}),
      ...(options.scope === undefined ? {} : { scope: options.scope }),
    },
    // Both answers are already safe: a status, or the text redacted before it was cut.
    keepRedacted,
  );
}

function keepRedacted(text: unknown): unknown {
  return text;
}

/** Input fields as query parameters: scalars as they are, arrays repeated, objects as JSON. */
function toQuery(fields: Record<string, unknown>): Record<string, QueryValue> {
  const query: Record<string, QueryValue> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      query[name] = value;
    } else if (
      Array.isArray(value) &&
      value.every((v) => ['string', 'number', 'boolean'].includes(typeof v))
    ) {
      query[name] = value as (string | number | boolean)[];
    } else {
      query[name] = JSON.stringify(value);
    }
  }
  return query;
}

/**
 * The bytes read for a cap of `maxChars`: a UTF-16 unit is at most 3 bytes of UTF-8, so this always
 * holds more than `maxChars` characters when the body is longer, plus room for a token that starts
 * before the cut to be read (and redacted) whole.
 */
function bytesFor(maxChars: number): number {
  return 3 * maxChars + 4 + TOKEN_ROOM_BYTES;
}

/** Longer than any delegation token, so one that straddles the character cut is read whole. */
const TOKEN_ROOM_BYTES = 16 * 1024;

/**
 * The path of a response's URL, never its query (for error messages). A response's `url` is
 * already serialised by the URL parser (or empty), so cutting the text is enough, and costs a
 * call less than parsing it again.
 */
function pathOf(url: string): string {
  const scheme = url.indexOf('://');
  if (scheme === -1) return '';
  const start = url.indexOf('/', scheme + 3);
  if (start === -1) return '/';
  const end = url.slice(start).search(/[?#]/);
  return end === -1 ? url.slice(start) : url.slice(start, start + end);
}
