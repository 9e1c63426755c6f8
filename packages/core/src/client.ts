// AuthSecClient: the delegation token lifecycle behind two calls, getDelegationToken() and its info.

import { signalScope } from './abort.js';
import {
  type AuthSecClientOptions as ConfigOptions,
  type ResolvedConfig,
  resolveConfig,
} from './config.js';
import { AuthSecClosedError, AuthSecConfigError } from './errors.js';
import { LiveTokenSource } from './live-source.js';
import { createSdkLogger, defaultColor, type SdkLogger } from './logger.js';
import { MOCK_CLIENT_ID, MockTokenSource } from './mock-source.js';
import { OriginPolicy } from './origins.js';
import {
  type AuthSecRequestJsonOptions,
  type AuthSecRequestOptions,
  buildRequest,
  readJson,
  sendExpectingSuccess,
} from './request.js';
import { requireTokenPermissions } from './scopes.js';
import { deriveStoreKey } from './shared-token.js';
import { TokenCache, type TokenSource } from './token-cache.js';
import { type DelegationTokenInfo, toTokenInfo } from './token-info.js';
import type { TokenStore } from './token-store.js';
import { StoreLink } from './token-store-link.js';
import { Transport } from './transport.js';
import type { AuthSecMode } from './types.js';

/**
 * Options for {@link AuthSecClient}. Each setting falls back to its environment variable, then its
 * default; `store` is an object and has no environment variable.
 */
export interface AuthSecClientOptions extends ConfigOptions {
  /**
   * Where pulled tokens are shared beyond this client, consulted after its in-memory copy and
   * before a pull: e.g. `RedisTokenStore` from `@authsec/redis`, so a fleet of processes pulls once
   * per refresh and learns of a revocation together. Used in live mode only. Store failures never
   * fail a call: the client logs one warning per outage and pulls on its own meanwhile.
   * @default none: each client keeps its token in its own memory
   */
  store?: TokenStore | undefined;
}

/** Per-call options. */
export interface GetTokenOptions {
  /** Stops waiting for a pull; the shared pull goes on for other callers. */
  signal?: AbortSignal;
}

/**
 * Gets, caches and refreshes an AI agent's AuthSec delegation token.
 *
 * @example
 * ```ts
 * const client = new AuthSecClient({
 *   baseUrl: process.env.AUTHSEC_BASE_URL,
 *   clientId: process.env.AUTHSEC_AGENT_CLIENT_ID,
 * });
 * const token = await client.getDelegationToken();
 * await fetch('https://api.internal.example/records', { headers: { authorization: `Bearer ${token}` } });
 * ```
 */
export class AuthSecClient {
  readonly #config: ResolvedConfig;
  readonly #log: SdkLogger;
  readonly #cache: TokenCache;
  readonly #closer = new AbortController();
  readonly #transport: Transport;

  /**
   * Resolves options, environment and defaults once; makes no request.
   * @param options - see {@link AuthSecClientOptions}; every one has an env var or a default
   * @throws AuthSecConfigError listing every configuration problem at once
   */
  constructor(options: AuthSecClientOptions = {}) {
    const config = resolveConfig(options);
    this.#config = config;
    // Every pull and request follows the close signal. A scope that follows it for the client's
    // life keeps its one shared listener in place, so calls one after another add and remove none.
    signalScope([this.#closer.signal]);
    this.#log = createSdkLogger({
      level: config.logLevel,
      format: config.logFormat,
      logger: config.logger,
      color: defaultColor(),
      now: config.clock,
    });
    for (const warning of config.warnings)
      this.#log.log('warn', 'Warning', 'config.warning', warning);
    const mock = () =>
      new MockTokenSource({
        ...config.mock,
        ...(config.clientId && { clientId: config.clientId }),
        now: config.clock,
      });
    const source: TokenSource =
      config.mode === 'live' ? new LiveTokenSource(config, this.#log) : mock();
    this.#cache = new TokenCache({
      source,
      fallback: config.mode === 'live' && config.fallbackToMockOnError ? mock() : undefined,
      clock: config.clock,
      refreshMarginMs: config.refreshMarginSeconds * 1000,
      log: this.#log,
      closeSignal: this.#closer.signal,
      store: config.mode === 'live' ? this.#storeLink(options.store) : undefined,
    });
    this.#transport = new Transport(
      config,
      this.#cache,
      new OriginPolicy(config.allowedOrigins),
      this.#log,
      this.#closer.signal,
    );
    this.#announce();
  }

  #storeLink(store: TokenStore | undefined): StoreLink | undefined {
    if (store === undefined) return undefined;
    if (
      typeof store !== 'object' ||
      store === null ||
      typeof store.get !== 'function' ||
      typeof store.set !== 'function' ||
      typeof store.delete !== 'function'
    ) {
      throw AuthSecConfigError.fromProblems([
        'store must be a TokenStore (get, set and delete), e.g. from @authsec/redis',
      ]);
    }
    const config = this.#config;
    const { baseUrl, clientId, session } = config;
    if (baseUrl === undefined || clientId === undefined) return undefined;
    // Fixed credentials give a fixed key: hashed once.
    const fixedKey =
      session.kind === 'provider'
        ? undefined
        : deriveStoreKey({
            baseUrl,
            clientId,
            ...(session.kind === 'static' && { sessionCredential: session.value }),
          });
    fixedKey?.catch(() => undefined);
    const deriveKey = async (): Promise<string> => {
      if (fixedKey !== undefined) return fixedKey;
      if (session.kind !== 'provider') throw new Error('unreachable');
      // A provider may hand out a new credential at any time: the key follows what it returns now.
      const value = await session.provide({ forceRefresh: false });
      if (typeof value !== 'string' || value.trim() === '') throw new Error('no credential');
      return deriveStoreKey({ baseUrl, clientId, sessionCredential: value.trim() });
    };
    const waitTimeoutMs = store.waitTimeoutMs;
    return new StoreLink({
      store,
      deriveKey,
      clientId,
      log: this.#log,
      clock: config.clock,
      refreshMarginMs: config.refreshMarginSeconds * 1000,
      lockTtlMs: 2 * config.totalTimeoutMs,
      waitTimeoutMs:
        typeof waitTimeoutMs === 'number' && waitTimeoutMs >= 0
          ? waitTimeoutMs
          : config.totalTimeoutMs,
      callTimeoutMs: config.timeoutMs,
      closeSignal: this.#closer.signal,
    });
  }

  /** `live` or `mock`, decided once at construction. */
  get mode(): AuthSecMode {
    return this.#config.mode;
  }

  /**
   * The agent's delegation token (a JWT), from memory while fresh, otherwise pulled once for all callers.
   * @param options - an optional `signal`
   * @returns the JWT to send as `Authorization: Bearer <token>`
   * @throws AuthSecError subclasses: see the errors table in the README
   */
  async getDelegationToken(options: GetTokenOptions = {}): Promise<string> {
    return (await this.#cache.get(options.signal)).token;
  }

  /**
   * The token with its facts: expiry, permissions, audience, SPIFFE ID, workspace, `jti`, mode.
   * @param options - an optional `signal`
   * @returns the info; its `token` is left out of JSON and inspect output
   * @throws AuthSecError subclasses, as {@link AuthSecClient.getDelegationToken}
   */
  async getDelegationTokenInfo(options: GetTokenOptions = {}): Promise<DelegationTokenInfo> {
    return toTokenInfo(await this.#cache.get(options.signal));
  }

  /**
   * `fetch` with the delegation token: adds `Authorization: Bearer <token>` and returns the Response
   * for every status. Relative paths join `downstreamUrl` (control characters and climbing out with
   * `..` are refused); the token goes only to allowed origins. A redirect to another origin carries
   * no token, no header but accept, accept-encoding, accept-language, cache-control, pragma and
   * user-agent, and no body (a cross-origin 307/308 with a body is returned, not followed). After a
   * 401 it pulls once (shared by concurrent requests) and retries once with a newer token. No
   * timeouts or retries of its own.
   * @param input - a URL, a path relative to `downstreamUrl`, or a Request
   * @param init - as for `fetch`
   * @returns the Response
   * @throws AuthSecOriginNotAllowedError before anything is sent; AuthSecTokenRejectedError when the
   *   API rejected the token and AuthSec has no newer one; the pull's errors
   * @example
   * ```ts
   * const res = await client.fetch('/customers/42');
   * ```
   */
  async fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = await this.#transport.fromFetchArgs(input, init);
    return this.#transport.send(request, {
      retry: false,
      timeoutMs: undefined,
      totalTimeoutMs: undefined,
    });
  }

  /**
   * An authorized request that resolves to the Response of a 2xx and throws a typed error otherwise.
   * Idempotent methods retry network errors, timeouts, 5xx and 429 (honouring `Retry-After`).
   * `timeoutMs` bounds each attempt, its redirects and the reading of its body.
   * @param path - a path relative to `downstreamUrl`, or an absolute URL on an allowed origin
   * @param options - method, query, json, body, headers, timeoutMs, signal, retry
   * @returns the Response (its body unread)
   * @throws AuthSecPermissionError (403, with `requiredScope`), AuthSecTokenRejectedError (401),
   *   AuthSecRateLimitedError, AuthSecHttpError, AuthSecNetworkError, AuthSecTimeoutError,
   *   AuthSecOriginNotAllowedError, AuthSecConfigError (relative path without downstreamUrl)
   * @example
   * ```ts
   * const res = await client.request('/secure-vault/records', { query: { limit: 10 } });
   * ```
   */
  async request(path: string | URL, options: AuthSecRequestOptions = {}): Promise<Response> {
    const request = buildRequest(this.#transport, path, options);
    const held = await sendExpectingSuccess(this.#transport, request, options, this.#config);
    held.handOver();
    return held.response;
  }

  /**
   * As {@link AuthSecClient.request}, resolving to the parsed JSON body, validated when a `schema`
   * is given (any Standard Schema v1: zod 3.25+/4, valibot, arktype).
   * @param path - a path relative to `downstreamUrl`, or an absolute URL on an allowed origin
   * @param options - as for `request()`, plus `schema` and `maxResponseBytes`
   * @returns the parsed (and validated) body
   * @throws as `request()`, and AuthSecResponseError for a body that is not JSON, too large or fails
   *   the schema; a failed body read is AuthSecTimeoutError, AuthSecNetworkError, AuthSecAbortedError
   *   or AuthSecClosedError
   * @example
   * ```ts
   * const customer = await client.requestJson('/customers/42', { schema: z.object({ id: z.number() }) });
   * ```
   */
  async requestJson<T = unknown>(
    path: string | URL,
    options: AuthSecRequestJsonOptions<T> = {},
  ): Promise<T> {
    const request = buildRequest(this.#transport, path, options);
    const held = await sendExpectingSuccess(this.#transport, request, options, this.#config);
    return readJson(held, request, options);
  }

  /**
   * The token's info, after checking it carries every one of `scopes`: a pre-check before a call,
   * so a request the token cannot make is never sent.
   * @param scopes - the permissions the next call needs (exact match)
   * @param options - an optional `signal`
   * @returns the token info
   * @throws AuthSecPermissionError with `requiredScope` (the first missing one); the pull's errors
   * @example
   * ```ts
   * await client.requirePermissions(['read:records']);
   * ```
   */
  async requirePermissions(
    scopes: readonly string[],
    options: GetTokenOptions = {},
  ): Promise<DelegationTokenInfo> {
    const info = await this.getDelegationTokenInfo(options);
    requireTokenPermissions(info, scopes);
    return info;
  }

  /**
   * Forgets the cached token: the next call pulls a fresh one (with a `store`, it reads the store
   * first, where another process may already have put a newer one).
   */
  invalidate(): void {
    this.#cache.invalidate();
  }

  /** Aborts pulls in flight and refuses later calls with AuthSecClosedError. There are no timers to stop. */
  async close(): Promise<void> {
    if (this.#closer.signal.aborted) return;
    this.#closer.abort(new AuthSecClosedError());
    this.#cache.invalidate();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** A configuration summary without any credential. */
  toJSON(): Record<string, unknown> {
    const cached = this.#cache.peek();
    const session = this.#config.session;
    return {
      mode: this.#config.mode,
      baseUrl: this.#config.baseUrl,
      clientId: this.#config.clientId,
      downstreamUrl: this.#config.downstreamUrl,
      allowedOrigins: this.#config.allowedOrigins,
      sessionToken:
        session.kind === 'none' ? 'none' : session.kind === 'provider' ? 'provider' : 'set',
      closed: this.#closer.signal.aborted,
      cachedToken: cached ? { jti: cached.jti, expiresAt: cached.expiresAt.toISOString() } : null,
    };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /** The same summary as text, for string templates. */
  toString(): string {
    return `AuthSecClient ${JSON.stringify(this.toJSON())}`;
  }

  #announce(): void {
    const { mode, modeReason, baseUrl, clientId } = this.#config;
    if (mode === 'live') {
      this.#log.log('info', 'Mode', 'client.mode', 'LIVE: delegation tokens come from AuthSec.');
      this.#log.log('info', 'Init', 'client.init', 'AuthSec client initialised.', {
        baseUrl,
        clientId,
      });
      return;
    }
    if (modeReason === 'unconfigured') {
      // No log level silences these two: mock tokens must never go unnoticed.
      this.#log.warnAlways(
        'Mode',
        'client.mode',
        'MOCK: no AuthSec configuration, so tokens are local mock JWTs no real API accepts. ' +
          'To go live, set AUTHSEC_BASE_URL and AUTHSEC_AGENT_CLIENT_ID (or pass baseUrl and clientId); ' +
          'AUTHSEC_MODE=mock silences this.',
      );
    } else if (this.#config.production) {
      // Allowed by allowMockInProduction, but never quietly.
      this.#log.warnAlways(
        'Mode',
        'client.mode',
        'MOCK while NODE_ENV=production (allowMockInProduction): tokens are local mock JWTs no real API accepts.',
      );
    } else {
      this.#log.log(
        'info',
        'Mode',
        'client.mode',
        'MOCK (asked for): tokens are local mock JWTs no real API accepts.',
      );
    }
    this.#log.log(
      'info',
      'Init',
      'client.init',
      'AuthSec client initialised (mock token source).',
      {
        clientId: clientId ?? MOCK_CLIENT_ID,
      },
    );
  }
}
