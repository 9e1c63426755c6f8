// The demo API server: verify the delegation token, route, check the route's permission, answer.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AuthSecPermissionError,
  createDelegationTokenVerifier,
  type DelegationTokenClaims,
  isAuthSecError,
  requirePermissions,
} from '@authsec/core';
import { insufficientScope, missingToken, refusal } from './auth-answers.js';
import { bearerToken, originOf, type Reply, sendJson } from './http.js';
import { RecordStore } from './records.js';
import { matchRoute } from './routes.js';

/** Options for {@link startDemoApi}. */
export interface DemoApiOptions {
  /** The AuthSec server root the tokens come from, e.g. `http://127.0.0.1:41234`. */
  authsecUrl: string;
  /** The workspace (or workspaces) whose tokens the API accepts. */
  workspaceId: string | readonly string[];
  /** The audience a token's `aud` must contain. @default 'authsec-api' */
  audience?: string;
  /** Ask AuthSec's remote validation whether a token was revoked. @default true */
  checkRevocation?: boolean;
  /**
   * How long a remote revocation answer is reused, in seconds; `0` asks AuthSec on every request,
   * so a revocation shows at once (demos). @default 10
   */
  revocationCacheSeconds?: number;
  /** The address to bind. @default '127.0.0.1' */
  host?: string;
  /** The port; 0 picks a free one. @default 0 */
  port?: number;
  /** Called after each answer, e.g. to print an access log. Never sees the token. */
  onRequest?: (request: DemoApiRequest) => void;
  /**
   * How many request records `requests` keeps (the latest; older ones are dropped), so a
   * long-running API does not grow without bound. `Infinity` keeps all. @default 1000
   */
  maxRecordedRequests?: number;
}

/** What the API remembers of a request: never the token. */
export interface DemoApiRequest {
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  readonly status: number;
  /** Whether an `Authorization: Bearer …` header was sent. */
  readonly bearer: boolean;
  /** The verified token's `client_id` (or `sub`), once the token passed. */
  readonly clientId?: string;
  /** Why the request failed, e.g. `invalid_token (expired)` or `insufficient_scope (billing:read)`. */
  readonly error?: string;
}

/** A running demo API. */
export interface DemoApi {
  /** The API root, e.g. `http://127.0.0.1:41235`: what agents take as `DOWNSTREAM_URL`. */
  readonly url: string;
  /** The latest answered requests (at most `maxRecordedRequests`), oldest first. */
  readonly requests: readonly DemoApiRequest[];
  /** Stops listening and cuts open connections. Safe to call twice. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

type Verifier = ReturnType<typeof createDelegationTokenVerifier>;

/**
 * Starts the demo API: a protected resource server that accepts AuthSec delegation tokens.
 * @param options - where AuthSec is, which workspace and audience to accept, where to listen
 * @returns the listening API
 * @throws AuthSecConfigError when the verifier's options are invalid (e.g. a non-https remote URL)
 * @example
 * ```ts
 * const api = await startDemoApi({ authsecUrl: authsec.url, workspaceId: authsec.workspaceId });
 * const res = await fetch(`${api.url}/secure-vault/records`, {
 *   headers: { authorization: `Bearer ${token}` },
 * });
 * await api.close();
 * ```
 */
export async function startDemoApi(options: DemoApiOptions): Promise<DemoApi> {
  // One verifier for the server's lifetime: it caches the workspace's keys and recent results.
  // Created now, so that bad options fail the start rather than the first request.
  const verifier = createDelegationTokenVerifier({
    baseUrl: options.authsecUrl,
    workspaceId: options.workspaceId,
    audience: options.audience ?? 'authsec-api',
    checkRevocation: options.checkRevocation ?? true,
    ...(options.revocationCacheSeconds !== undefined && {
      revocationCacheSeconds: options.revocationCacheSeconds,
    }),
  });
  const maxRequests = maxRecordedRequests(options.maxRecordedRequests);
  const host = options.host ?? '127.0.0.1';
  let api: DemoApiServer | undefined;
  const server = createServer((req, res) => {
    if (!api) return sendJson(res, { status: 503, body: { error: 'starting' } });
    api.handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  api = new DemoApiServer(server, originOf(host, port), verifier, options.onRequest, maxRequests);
  return api;
}

class DemoApiServer implements DemoApi {
  readonly url: string;
  readonly #server: Server;
  readonly #verifier: Verifier;
  readonly #onRequest: ((request: DemoApiRequest) => void) | undefined;
  readonly #store = new RecordStore();
  readonly #requests: DemoApiRequest[] = [];
  readonly #maxRequests: number;
  #closed: Promise<void> | undefined;

  constructor(
    server: Server,
    url: string,
    verifier: Verifier,
    onRequest: ((request: DemoApiRequest) => void) | undefined,
    maxRequests: number,
  ) {
    this.#server = server;
    this.url = url;
    this.#verifier = verifier;
    this.#onRequest = onRequest;
    this.#maxRequests = maxRequests;
  }

  get requests(): readonly DemoApiRequest[] {
    return this.#requests;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    const url = requestUrl(req.url);
    const token = bearerToken(req);
    const facts = { method, path: url.pathname, bearer: token !== undefined };
    this.#answer(req, url, token).then(
      ({ reply, clientId, error }) => {
        this.#record({
          ...facts,
          status: reply.status,
          ...(clientId !== undefined && { clientId }),
          ...(error !== undefined && { error }),
        });
        sendJson(res, reply);
      },
      (error: unknown) => {
        // Only the error's name: a message could quote request data.
        process.emitWarning(`demo-api: handler failed (${(error as Error)?.name ?? 'error'})`);
        this.#record({ ...facts, status: 500, error: 'internal_error' });
        if (res.headersSent) res.destroy();
        else sendJson(res, { status: 500, body: { error: 'internal_error' } });
      },
    );
  }

  async #answer(
    req: IncomingMessage,
    url: URL,
    token: string | undefined,
  ): Promise<{ reply: Reply; clientId?: string; error?: string }> {
    // 1. A bearer token is required.
    if (token === undefined) {
      return { reply: missingToken(), error: 'missing_token' };
    }

    // 2. Verify it: signature, expiry, audience, workspace and (remotely) revocation.
    let claims: DelegationTokenClaims;
    try {
      claims = await this.#verifier.verify(token);
    } catch (error) {
      return refusal(error);
    }
    const clientId = claims.client_id ?? claims.sub;

    // 3. Route, then 4. require the route's permission by exact match.
    const match = matchRoute(req.method ?? 'GET', url.pathname);
    if (match.kind === 'not_found') {
      return {
        reply: { status: 404, body: { error: 'not_found', message: 'No such route.' } },
        clientId,
        error: 'not_found',
      };
    }
    if (match.kind === 'malformed_path') {
      return {
        reply: {
          status: 400,
          body: { error: 'invalid_request', reason: 'the path has a malformed percent-escape' },
        },
        clientId,
        error: 'invalid_request',
      };
    }
    if (match.kind === 'method_not_allowed') {
      return {
        reply: {
          status: 405,
          headers: { allow: match.allow.join(', ') },
          body: { error: 'method_not_allowed', allow: match.allow },
        },
        clientId,
        error: 'method_not_allowed',
      };
    }
    const { route, params } = match;
    if (route.scope !== null) {
      try {
        requirePermissions(claims, [route.scope]);
      } catch (error) {
        if (!isAuthSecError(error) || error.code !== 'ERR_AUTHSEC_FORBIDDEN') throw error;
        const scope = (error as AuthSecPermissionError).requiredScope ?? route.scope;
        return {
          reply: insufficientScope(scope),
          clientId,
          error: `insufficient_scope (${scope})`,
        };
      }
    }

    // 5. Answer.
    const reply = await route.handle({
      req,
      claims,
      params,
      query: url.searchParams,
      store: this.#store,
    });
    return {
      reply,
      clientId,
      ...(reply.status >= 400 && { error: String((reply.body as { error?: unknown }).error) }),
    };
  }

  #record(request: DemoApiRequest): void {
    const entry = Object.freeze(request);
    this.#requests.push(entry);
    if (this.#requests.length > this.#maxRequests) this.#requests.shift();
    try {
      this.#onRequest?.(entry);
    } catch {
      // An access-log hook must not break the answer.
    }
  }

  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  toJSON(): Record<string, unknown> {
    return { url: this.url, requests: this.#requests.length };
  }
}

// Parsed against a fixed origin so that `//x` stays a path instead of becoming a host.
function requestUrl(target: string | undefined): URL {
  try {
    return target?.startsWith('/')
      ? new URL(`http://demo-api.invalid${target}`)
      : new URL(target ?? '/');
  } catch {
    return new URL('http://demo-api.invalid/');
  }
}

function maxRecordedRequests(value: number | undefined): number {
  if (value === undefined) return 1000;
  if (value === Number.POSITIVE_INFINITY || (Number.isInteger(value) && value >= 1)) return value;
  throw new RangeError(
    `maxRecordedRequests must be a whole number of at least 1 (or Infinity), got ${value}`,
  );
}
