// AuthSecClient: the delegation token lifecycle behind two calls, getDelegationToken() and its info.

import { type AuthSecClientOptions, type ResolvedConfig, resolveConfig } from './config.js';
import { AuthSecClosedError } from './errors.js';
import { LiveTokenSource } from './live-source.js';
import { createSdkLogger, defaultColor, type SdkLogger } from './logger.js';
import { MockTokenSource } from './mock-source.js';
import { TokenCache, type TokenSource } from './token-cache.js';
import { type DelegationTokenInfo, toTokenInfo } from './token-info.js';
import type { AuthSecMode } from './types.js';

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

  /**
   * Resolves options, environment and defaults once; makes no request.
   * @param options - see {@link AuthSecClientOptions}; every one has an env var or a default
   * @throws AuthSecConfigError listing every configuration problem at once
   */
  constructor(options: AuthSecClientOptions = {}) {
    const config = resolveConfig(options);
    this.#config = config;
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
    });
    this.#announce();
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

  /** Forgets the cached token: the next call pulls a fresh one. */
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
      this.#log.log('info', 'Mode', 'client.mode', 'LIVE: delegation tokens come from AuthSec.', {
        baseUrl,
        clientId,
      });
      this.#log.log('info', 'Init', 'client.init', 'AuthSec client initialised.');
      return;
    }
    if (modeReason === 'unconfigured') {
      this.#log.log(
        'warn',
        'Mode',
        'client.mode',
        'MOCK: no AuthSec configuration found, so delegation tokens are local mock JWTs that no real API accepts. ' +
          'To go live, set AUTHSEC_BASE_URL and AUTHSEC_AGENT_CLIENT_ID (or pass baseUrl and clientId). ' +
          'Set AUTHSEC_MODE=mock to run mock on purpose without this warning.',
      );
      return;
    }
    this.#log.log(
      'info',
      'Mode',
      'client.mode',
      'MOCK (asked for): delegation tokens are local mock JWTs that no real API accepts.',
    );
  }
}
