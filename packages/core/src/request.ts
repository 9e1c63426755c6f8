// client.request() and client.requestJson(): authorized calls that resolve on 2xx and throw typed errors otherwise.

import { AuthSecResponseError } from './errors.js';
import { errorForStatus } from './pull-errors.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import {
  type HeldResponse,
  isIdempotent,
  isReplayable,
  type OutgoingRequest,
  type Transport,
} from './transport.js';
import type { AuthSecMode } from './types.js';

/** A query parameter value; arrays repeat the name, `null`/`undefined` are left out. */
export type QueryValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly (string | number | boolean)[];

/** Options for {@link AuthSecClient.request}. */
export interface AuthSecRequestOptions {
  /** @default 'GET' */
  method?: string;
  /** Added to the URL's query string. */
  query?: Record<string, QueryValue>;
  /** Sent as JSON with `Content-Type: application/json`. */
  json?: unknown;
  /** A raw body (when `json` is not used). */
  body?: BodyInit;
  headers?: HeadersInit;
  /** Limit of one attempt. @default the client's `timeoutMs` */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Retry network errors, timeouts, 5xx and 429. @default true for GET, HEAD, OPTIONS, PUT, DELETE;
   * false for others (a POST is retried only when you say it is safe)
   */
  retry?: boolean;
}

/** Options for {@link AuthSecClient.requestJson}. */
export interface AuthSecRequestJsonOptions<T> extends AuthSecRequestOptions {
  /** Any Standard Schema v1 (zod 3.25+/4, valibot, arktype, or a `~standard` object) that validates the parsed body; failures name field paths, never values. */
  schema?: StandardSchemaV1<unknown, T>;
  /** The largest body read. @default 10 MiB */
  maxResponseBytes?: number;
}

/** Builds the outgoing request for `request()`. */
export function buildRequest(
  transport: Transport,
  path: string | URL,
  options: AuthSecRequestOptions,
): OutgoingRequest {
  const method = (options.method ?? 'GET').toUpperCase();
  const url = transport.resolve(path, method);
  if (options.query !== undefined) {
    for (const [name, value] of Object.entries(options.query)) {
      if (value === null || value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value])
        url.searchParams.append(name, String(item));
    }
  }
  let body: BodyInit | null = options.body ?? null;
  if (options.json !== undefined) body = JSON.stringify(options.json);
  let headers: Headers | Record<string, string>;
  if (options.headers === undefined) {
    // Without headers of the caller's, a record: fetch validates it once, where a Headers object
    // would be validated here and again when fetch copies it.
    headers =
      options.json === undefined
        ? { accept: 'application/json' }
        : { 'content-type': 'application/json', accept: 'application/json' };
  } else {
    headers = new Headers(options.headers);
    if (options.json !== undefined && !headers.has('content-type'))
      headers.set('content-type', 'application/json');
    if (!headers.has('accept')) headers.set('accept', 'application/json');
  }
  return {
    url,
    method,
    headers,
    body,
    replayable: isReplayable(body),
    signal: options.signal,
    extra: {},
  };
}

/**
 * Sends a built request and throws a typed error unless the answer is 2xx. The answer's body is
 * still bounded by the attempt's time limits, the caller's signal and the client's close.
 */
export async function sendExpectingSuccess(
  transport: Transport,
  request: OutgoingRequest,
  options: AuthSecRequestOptions,
  defaults: { timeoutMs: number; totalTimeoutMs: number; mode: AuthSecMode },
): Promise<HeldResponse> {
  const held = await transport.exchange(request, {
    retry: options.retry ?? isIdempotent(request.method),
    timeoutMs: options.timeoutMs ?? defaults.timeoutMs,
    totalTimeoutMs: defaults.totalTimeoutMs,
  });
  const { response } = held;
  if (response.ok) return held;
  held.done();
  response.body?.cancel().catch(() => undefined);
  throw errorForStatus({
    call: 'api',
    status: response.status,
    method: request.method,
    path: request.url.pathname,
    headers: response.headers,
    mode: defaults.mode,
  });
}

/** Reads, parses and validates a JSON answer. */
export async function readJson<T>(
  held: HeldResponse,
  request: OutgoingRequest,
  options: AuthSecRequestJsonOptions<T>,
): Promise<T> {
  const path = request.url.pathname;
  const facts = { status: held.response.status, method: request.method, path };
  const text = await held.read(options.maxResponseBytes ?? 10 * 1024 * 1024);
  let value: unknown;
  try {
    value = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new AuthSecResponseError(`The API's answer to ${request.method} ${path} is not JSON.`, {
      issues: ['body'],
      ...facts,
      hint: 'Use client.request() for non-JSON answers.',
    });
  }
  if (!options.schema) return value as T;
  let result = options.schema['~standard'].validate(value);
  if (result instanceof Promise) result = await result;
  if (result.issues === undefined) return result.value;
  // Field paths only (keys come from the schema's own path), never the offending values.
  const issues = result.issues.map((issue) =>
    issue.path?.length
      ? issue.path
          .map((segment) => String(typeof segment === 'object' ? segment.key : segment))
          .join('.')
      : '(root)',
  );
  throw new AuthSecResponseError(
    `The API's answer to ${request.method} ${path} does not match the schema (${[...new Set(issues)].slice(0, 10).join(', ')}).`,
    {
      issues: [...new Set(issues)],
      ...facts,
      hint: 'Check the schema against what the API returns.',
    },
  );
}
