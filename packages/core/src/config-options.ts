// The client's options and its resolved configuration: the types only, shared by the resolver and the client.

import type { LogFormat, Logger, LogLevel } from './logger.js';
import type { MockTokenOptions } from './mock-source.js';

/** Supplies the platform session credential newer AuthSec servers require on the pull. */
export type SessionTokenProvider = (options: {
  /** True after AuthSec rejected the last credential: return a fresh one. */
  forceRefresh: boolean;
}) => string | Promise<string>;

/** How the client gets tokens. */
export type AuthSecModeOption = 'auto' | 'live' | 'mock';

/**
 * Options for {@link AuthSecClient}. Each falls back to its environment variable, then its default.
 * A field set to `undefined` or `null`, or a blank string where an env var exists, counts as not
 * given, so `baseUrl: process.env.AUTHSEC_BASE_URL` works.
 */
export interface AuthSecClientOptions {
  /**
   * The AuthSec server root, e.g. `https://prod.api.authsec.ai`; the SDK appends `/authsec/…`.
   * `https` is required except for loopback hosts. Env: `AUTHSEC_BASE_URL`.
   */
  baseUrl?: string | undefined;
  /** The AI agent's client id (a UUID) from the AuthSec dashboard. Env: `AUTHSEC_AGENT_CLIENT_ID` (alias `AUTHSEC_CLIENT_ID`). */
  clientId?: string | undefined;
  /**
   * `auto`: live when configured, mock when nothing is configured outside production (with a
   * warning no log level silences); a downstream API or allowed origins without AuthSec settings
   * is an error. `live`/`mock` force the mode. Env: `AUTHSEC_MODE`.
   * @default 'auto'
   */
  mode?: AuthSecModeOption | undefined;
  /** Allow `mode: 'mock'` while `NODE_ENV` is `production` or `prod` (any case, here or in the process). @default false */
  allowMockInProduction?: boolean;
  /**
   * A platform session credential sent as `Authorization: Bearer` on pulls (newer servers require
   * one), or a function returning one. Env: `AUTHSEC_SESSION_TOKEN`.
   */
  sessionToken?: string | SessionTokenProvider | undefined;
  /**
   * The protected API that relative paths of `request()`/`fetch()` join, keeping its path
   * (`https://h/api` + `/docs` → `https://h/api/docs`). Its origin is allowed by default.
   * Env: `DOWNSTREAM_URL`.
   */
  downstreamUrl?: string | undefined;
  /**
   * The exact origins the token may be sent to (scheme, host, port; no wildcards).
   * Env: `AUTHSEC_ALLOWED_ORIGINS` (comma-separated). @default the `downstreamUrl` origin
   */
  allowedOrigins?: readonly string[];
  /** Extra headers on pulls (not `Authorization`, `X-Client-ID` or `Accept`). */
  headers?: Record<string, string>;
  /** The `fetch` to use. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Time limit of one pull attempt. Env: `AUTHSEC_TIMEOUT_MS`. @default 10000 */
  timeoutMs?: number | undefined;
  /** Time limit of a whole call, retries included. @default 30000 */
  totalTimeoutMs?: number;
  /** Retries after a network error, timeout, 5xx or 429. @default 2 */
  maxRetries?: number;
  /** Refresh this many seconds before the token expires. @default 60 */
  refreshMarginSeconds?: number;
  /**
   * `silent`, `error`, `warn`, `info` or `debug`. The mock-mode warning of an unasked-for (or
   * production) mock client is shown at every level. Env: `AUTHSEC_LOG_LEVEL`. @default 'warn'
   */
  logLevel?: LogLevel | undefined;
  /** `pretty` (the `[AuthSec SDK]` transcript) or `json` (one object per line). Env: `AUTHSEC_LOG_FORMAT`. @default 'pretty' */
  logFormat?: LogFormat | undefined;
  /** Where log lines go, already redacted. @default console */
  logger?: Logger;
  /**
   * After a live failure other than 401/403/404/410, hand out a mock token (with a warning each
   * time) instead of throwing. Never allowed with `NODE_ENV=production`. @default false
   */
  fallbackToMockOnError?: boolean;
  /** What mock tokens carry (permissions, audience, lifetime). */
  mock?: Omit<MockTokenOptions, 'now' | 'clientId'>;
  /** The clock, in epoch milliseconds, for expiry decisions. @default Date.now */
  clock?: () => number;
  /** Where to read environment variables. @default process.env where it exists */
  env?: Readonly<Record<string, string | undefined>>;
}

/** How the session credential is supplied. */
export type SessionSource =
  | { readonly kind: 'none' }
  | { readonly kind: 'static'; readonly value: string; readonly from: 'option' | 'env' }
  | { readonly kind: 'provider'; readonly provide: SessionTokenProvider };

/** What a resolved configuration holds in either mode. */
export interface SharedConfig {
  readonly session: SessionSource;
  /** The normalised downstream API root (no trailing slash), if any. */
  readonly downstreamUrl: string | undefined;
  /** Normalised origins the token may be sent to. */
  readonly allowedOrigins: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly maxRetries: number;
  readonly refreshMarginSeconds: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  readonly logger: Logger | undefined;
  readonly fallbackToMockOnError: boolean;
  readonly mock: Omit<MockTokenOptions, 'now' | 'clientId'>;
  readonly clock: () => number;
  readonly production: boolean;
  /** Things worth a warning that are not errors (trimmed id, unknown log level). */
  readonly warnings: readonly string[];
}

/**
 * A live client's configuration: where it pulls, and as whom.
 * @example
 * ```ts
 * if (config.mode === 'live') console.log(new URL(config.pullUrl).host, config.clientId);
 * ```
 */
export interface LiveConfig extends SharedConfig {
  readonly mode: 'live';
  /** `forced` by `mode: 'live'`, or `configured` by the settings given. */
  readonly modeReason: 'forced' | 'configured';
  /** The normalised server root (no trailing slash). */
  readonly baseUrl: string;
  /** The full pull URL without query. */
  readonly pullUrl: string;
  readonly clientId: string;
}

/**
 * A mock client's configuration: no server, and a client id only when one was given.
 * @example
 * ```ts
 * if (config.mode === 'mock' && config.modeReason === 'unconfigured') warnLoudly();
 * ```
 */
export interface MockConfig extends SharedConfig {
  readonly mode: 'mock';
  /** `forced` by `mode: 'mock'`, or `unconfigured`: nothing configured outside production. */
  readonly modeReason: 'forced' | 'unconfigured';
  readonly baseUrl: undefined;
  readonly pullUrl: undefined;
  readonly clientId: string | undefined;
}

/** The configuration after resolution: frozen, validated, never printed as is. Narrow on `mode`. */
export type ResolvedConfig = LiveConfig | MockConfig;
