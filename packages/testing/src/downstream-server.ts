// A recording stand-in for a protected API, so tests can assert where a bearer token was sent.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';
import { decodePathSegment } from './encoding.js';
import { assertBindable, originOf } from './loopback.js';

/** A canned answer: status (default 200), headers, body (string as is, else JSON) and delay. */
export interface DownstreamResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  delayMs?: number;
}

/** A function that computes the answer to one request, synchronously or not. */
export type DownstreamHandler = (
  request: DownstreamRequest,
) => DownstreamResponse | Promise<DownstreamResponse>;

/** One received request as recorded by the server and handed to handlers. */
export interface DownstreamRequest {
  method: string;
  /** Path as received, without the query. */
  path: string;
  /** Query parameters; the last value wins. */
  query: Record<string, string>;
  /** Path and query as received. */
  url: string;
  /** All headers, names in lower case. */
  headers: Record<string, string>;
  /** Values of the `:param` segments of the matched route, decoded. */
  params: Record<string, string>;
  authorization: string | undefined;
  /** The token of a `Bearer` Authorization header (scheme case-insensitive). */
  bearer: string | undefined;
  /** Raw body text, `''` when none. */
  body: string;
  /** The parsed body when it is valid JSON, else `undefined`. */
  json: unknown;
  at: Date;
}

/** Options of {@link DownstreamServer.start}. */
export interface DownstreamServerOptions {
  /** Default `'127.0.0.1'`. */
  host?: string;
  /** Default `0` (any free port). */
  port?: number;
  /** Must be true to listen beyond loopback, because recorded requests hold tokens. */
  allowNonLoopbackHost?: boolean;
  /** Keys are `'GET /path'` or `'/path'` (any method); paths may contain `:param` segments. */
  routes?: Record<string, DownstreamResponse | DownstreamHandler>;
  /** Answer when no route matches; default 404 `{"error":"no route for GET /x"}`. */
  fallback?: DownstreamResponse | DownstreamHandler;
  /** Default 1 MiB; a larger request body gets 413. */
  maxBodyBytes?: number;
}

type Answer = DownstreamResponse | DownstreamHandler;

interface RouteKey {
  key: string;
  method: string | undefined;
  path: string;
  hasParams: boolean;
}

const HANDLER_FAILED: DownstreamResponse = { status: 500, body: { error: 'handler failed' } };
const notFound: DownstreamHandler = ({ method, path }) => ({
  status: 404,
  body: { error: `no route for ${method} ${path}` },
});

function parseKey(key: string): RouteKey {
  const match = /^(?:([A-Za-z]+) +)?(\/\S*)$/.exec(key.trim());
  const path = match?.[2];
  if (path === undefined) {
    throw new TypeError(`route key must be 'METHOD /path' or '/path', got ${JSON.stringify(key)}`);
  }
  const method = match?.[1]?.toUpperCase();
  const hasParams = path.split('/').some((segment) => segment.startsWith(':'));
  return { key: method === undefined ? path : `${method} ${path}`, method, path, hasParams };
}

/** A route whose shape fits the path, but one of whose `:param` segments does not percent-decode. */
const MALFORMED = Symbol('malformed percent-escape');

function matchPath(
  route: RouteKey,
  path: string,
): Record<string, string> | typeof MALFORMED | undefined {
  if (!route.hasParams) return route.path === path ? {} : undefined;
  const expected = route.path.split('/');
  const actual = path.split('/');
  if (expected.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, segment] of expected.entries()) {
    const value = actual[index] ?? '';
    if (segment.startsWith(':') ? value === '' : segment !== value) return undefined;
    if (segment.startsWith(':')) {
      const decoded = decodePathSegment(value);
      if (decoded === undefined) return MALFORMED;
      params[segment.slice(1)] = decoded;
    }
  }
  return params;
}

// Precedence: exact 'METHOD /path', then exact '/path', then patterns in the same order.
// `malformed` when no route matched but one would have, had its `:param` segments decoded.
function findRoute<T extends RouteKey>(routes: Iterable<T>, method: string, path: string) {
  let best: { route: T; params: Record<string, string>; rank: number } | undefined;
  let malformed = false;
  for (const route of routes) {
    // HEAD is answered by a GET route, as HTTP expects, with the body left out.
    const methodOk =
      route.method === undefined ||
      route.method === method ||
      (method === 'HEAD' && route.method === 'GET');
    const params = methodOk ? matchPath(route, path) : undefined;
    if (params === MALFORMED) malformed = true;
    if (params === undefined || params === MALFORMED) continue;
    const rank =
      (route.hasParams ? 2 : 0) +
      (route.method === undefined ? 1 : route.method === method ? 0 : 0.5);
    if (best === undefined || rank < best.rank) best = { route, params, rank };
  }
  return best ?? (malformed ? MALFORMED : undefined);
}

function bearerOf(authorization: string | undefined): string | undefined {
  const token = /^bearer +(.*)$/i.exec(authorization ?? '')?.[1]?.trim();
  return token === '' ? undefined : token;
}

function parseJson(text: string): unknown {
  try {
    return text.trim() === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, method: string, answer: DownstreamResponse): void {
  const status = answer.status ?? 200;
  const headers: Record<string, string> = Object.fromEntries(
    Object.entries(answer.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
  let payload = '';
  if (typeof answer.body === 'string') {
    payload = answer.body;
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else if (answer.body !== undefined) {
    payload = JSON.stringify(answer.body) ?? '';
    headers['content-type'] ??= 'application/json';
  }
  const bodyless = status === 204 || status === 304 || status < 200;
  if (!bodyless) headers['content-length'] = String(Buffer.byteLength(payload));
  res.writeHead(status, headers);
  res.end(bodyless || method === 'HEAD' ? undefined : payload);
}

/**
 * A local HTTP server that answers per route and records every request, Authorization included.
 *
 * @example
 * ```ts
 * await using api = await DownstreamServer.start({ routes: { 'GET /me': { body: { id: 1 } } } });
 * await fetch(`${api.url}/me`, { headers: { authorization: 'Bearer t1' } });
 * expect(api.requestsTo('/me')[0]?.bearer).toBe('t1');
 * ```
 */
export class DownstreamServer {
  /** Base URL such as `http://127.0.0.1:PORT`, from the bound address, without a trailing slash. */
  readonly url: string;
  /** Same as {@link DownstreamServer.url}. */
  readonly origin: string;
  readonly #server: Server;
  readonly #routes = new Map<string, RouteKey & { answer: Answer }>();
  readonly #once = new Map<string, RouteKey & { queue: Answer[] }>();
  readonly #requests: DownstreamRequest[] = [];
  readonly #fallback: Answer;
  readonly #maxBodyBytes: number;
  // Aborts pending delays so close() never waits for them.
  readonly #closing = new AbortController();
  #closed: Promise<void> | undefined;

  private constructor(server: Server, options: DownstreamServerOptions) {
    this.#server = server;
    const { address, port } = server.address() as AddressInfo;
    this.url = originOf(address, port);
    this.origin = this.url;
    this.#fallback = options.fallback ?? notFound;
    this.#maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    for (const [key, answer] of Object.entries(options.routes ?? {})) this.route(key, answer);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.#handle(req, res).catch(() => res.destroy());
    });
  }

  /**
   * Starts a server listening on a loopback address.
   * @param options - Host, port, routes, fallback and body limit.
   * @returns The listening server.
   */
  static async start(options: DownstreamServerOptions = {}): Promise<DownstreamServer> {
    const host = (options.host ?? '127.0.0.1').replace(/^\[|\]$/g, '');
    assertBindable(host, options.allowNonLoopbackHost, 'DownstreamServer');
    for (const key of Object.keys(options.routes ?? {})) parseKey(key);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject).listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new DownstreamServer(server, options);
  }

  /**
   * Adds or replaces the answer of a route.
   * @param key - `'METHOD /path'` or `'/path'`; the path may contain `:param` segments.
   * @param response - A canned answer or a handler.
   * @returns This server, for chaining.
   */
  route(key: string, response: DownstreamResponse | DownstreamHandler): this {
    const parsed = parseKey(key);
    this.#routes.set(parsed.key, { ...parsed, answer: response });
    return this;
  }

  /**
   * Queues an answer for the next matching request only; repeated calls answer in order.
   * @param key - `'METHOD /path'` or `'/path'`; the path may contain `:param` segments.
   * @param response - A canned answer or a handler.
   * @returns This server, for chaining.
   */
  respondOnce(key: string, response: DownstreamResponse | DownstreamHandler): this {
    const parsed = parseKey(key);
    const entry = this.#once.get(parsed.key) ?? { ...parsed, queue: [] };
    entry.queue.push(response);
    this.#once.set(parsed.key, entry);
    return this;
  }

  /** A snapshot of the requests received since start or the last clearRequests, oldest first. */
  get requests(): readonly DownstreamRequest[] {
    return [...this.#requests];
  }

  /**
   * Lists the recorded requests to one path.
   * @param path - A path without query, compared exactly.
   * @returns The matching requests, oldest first.
   */
  requestsTo(path: string): DownstreamRequest[] {
    return this.#requests.filter((request) => request.path === path);
  }

  /** Forgets the recorded requests. */
  clearRequests(): void {
    this.#requests.length = 0;
  }

  /**
   * Stops listening and closes every open connection; later calls return the same promise.
   * @returns A promise settled once the server is closed.
   */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve, reject) => {
      this.#closing.abort();
      this.#server.close((error) => (error ? reject(error) : resolve()));
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }

  /** Closes the server, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** A summary without header values, because recorded requests may hold tokens. */
  toJSON(): { url: string; routes: string[]; requests: number } {
    return { url: this.url, routes: [...this.#routes.keys()], requests: this.#requests.length };
  }

  /** Shows the {@link DownstreamServer.toJSON} summary in `util.inspect` and `console.log`. */
  [inspect.custom](): { url: string; routes: string[]; requests: number } {
    return this.toJSON();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = new Date();
    const chunks: Buffer[] = [];
    let size = 0;
    // A too-large body is still drained, so the client reads the 413 instead of a reset.
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= this.#maxBodyBytes) chunks.push(chunk);
    }
    const tooLarge = size > this.#maxBodyBytes;
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const method = req.method ?? 'GET';
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([name, value]) => [name, [value ?? ''].flat().join(', ')]),
    );
    const body = tooLarge ? '' : Buffer.concat(chunks).toString('utf8');
    // A queued one-off answer takes precedence over the routes it shadows.
    const onceMatch = tooLarge ? undefined : findRoute(this.#once.values(), method, path);
    const once = onceMatch === MALFORMED ? undefined : onceMatch;
    const routedMatch =
      once || tooLarge ? undefined : findRoute(this.#routes.values(), method, path);
    const routed = routedMatch === MALFORMED ? undefined : routedMatch;
    // As Express does: a path a route would take, but whose parameter cannot be decoded, is a 400.
    const malformed = !once && !routed && (onceMatch === MALFORMED || routedMatch === MALFORMED);
    const request: DownstreamRequest = {
      method,
      path,
      query: Object.fromEntries(new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1))),
      url,
      headers,
      params: (once ?? routed)?.params ?? {},
      authorization: req.headers.authorization,
      bearer: bearerOf(req.headers.authorization),
      body,
      json: parseJson(body),
      at,
    };
    this.#requests.push(request);

    let answer: DownstreamResponse = {
      status: 413,
      body: { error: `request body over ${this.#maxBodyBytes} bytes` },
    };
    if (malformed) {
      answer = { status: 400, body: { error: `malformed percent-escape in ${method} ${path}` } };
    } else if (!tooLarge) {
      const chosen = once?.route.queue.shift() ?? routed?.route.answer ?? this.#fallback;
      if (once?.route.queue.length === 0) this.#once.delete(once.route.key);
      try {
        answer = typeof chosen === 'function' ? await chosen(request) : chosen;
      } catch (error) {
        // Only the route and the error: the request's headers may carry a live token.
        console.error(`[downstream-server] handler for ${method} ${path} failed:`, error);
        answer = HANDLER_FAILED;
      }
    }
    if ((answer.delayMs ?? 0) > 0) {
      try {
        await sleep(answer.delayMs, undefined, { signal: this.#closing.signal });
      } catch {
        res.destroy(); // closed while waiting
        return;
      }
    }
    try {
      send(res, method, answer);
    } catch (error) {
      console.error(`[downstream-server] invalid answer for ${method} ${path}:`, error);
      if (!res.headersSent) send(res, method, HANDLER_FAILED);
      else res.destroy();
    }
  }
}

/**
 * Starts a {@link DownstreamServer}; the same as {@link DownstreamServer.start}.
 * @param options - Host, port, routes, fallback and body limit.
 * @returns The listening server.
 */
export function startDownstreamServer(
  options?: DownstreamServerOptions,
): Promise<DownstreamServer> {
  return DownstreamServer.start(options);
}
