// Resolves a client's configuration once: options, then environment, then defaults, all problems at once.

import { defaultEnv, readEnv, readRawEnv } from './env.js';
import { AuthSecConfigError } from './errors.js';
import { isLogLevel, type LogFormat, type Logger, type LogLevel } from './logger.js';
import type { MockTokenOptions } from './mock-source.js';
import { parseOrigin } from './origins.js';
import { checkServerUrl } from './server-url.js';

/** Supplies the platform session credential newer AuthSec servers require on the pull. */
export type SessionTokenProvider = (options: {
  /** True after AuthSec rejected the last credential: return a fresh one. */
  forceRefresh: boolean;
}) => string | Promise<string>;

/** How the client gets tokens. */
export type AuthSecModeOption = 'auto' | 'live' | 'mock';

/**
 * Options for {@link AuthSecClient}. Each falls back to its environment variable, then its default.
 * A field set to `undefined` counts as not given, so `baseUrl: process.env.AUTHSEC_BASE_URL` works.
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

/** The configuration after resolution: frozen, validated, never printed as is. */
export interface ResolvedConfig {
  readonly mode: 'live' | 'mock';
  /** Why: asked for explicitly, configured, or nothing configured (auto mock). */
  readonly modeReason: 'forced' | 'configured' | 'unconfigured';
  /** The normalised server root (no trailing slash), in live mode. */
  readonly baseUrl: string | undefined;
  /** The full pull URL without query. */
  readonly pullUrl: string | undefined;
  readonly clientId: string | undefined;
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

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PULL_PATH = '/authsec/uflow/sdk/delegation-token';
const RESERVED_HEADERS = new Set(['authorization', 'x-client-id', 'accept', 'host', 'cookie']);

/**
 * Resolves options, environment and defaults once, reporting every problem together.
 * @throws AuthSecConfigError listing each problem with the option and env var to fix
 */
export function resolveConfig(options: AuthSecClientOptions = {}): ResolvedConfig {
  const env = options.env;
  const problems: string[] = [];
  const warnings: string[] = [];
  const production = isProduction(env);

  // mode
  const modeRaw = options.mode ?? readEnv('AUTHSEC_MODE', env)?.toLowerCase() ?? 'auto';
  let modeOption: AuthSecModeOption = 'auto';
  if (modeRaw === 'auto' || modeRaw === 'live' || modeRaw === 'mock') modeOption = modeRaw;
  else
    problems.push(
      `mode must be 'auto', 'live' or 'mock' (got '${String(modeRaw).slice(0, 20)}'): pass \`mode\` or set AUTHSEC_MODE`,
    );

  // baseUrl
  const baseUrlRaw = nonEmpty(options.baseUrl) ?? readEnv('AUTHSEC_BASE_URL', env);
  let baseUrl: string | undefined;
  if (baseUrlRaw !== undefined)
    baseUrl = checkServerUrl(
      baseUrlRaw,
      {
        option: 'baseUrl',
        env: 'AUTHSEC_BASE_URL',
        expected: 'the AuthSec server root, e.g. https://prod.api.authsec.ai',
        rootOnly: true,
      },
      problems,
    );

  // clientId, with its alias
  const clientId = resolveClientId(options, env, problems, warnings);

  // session credential
  let session: SessionSource = { kind: 'none' };
  if (typeof options.sessionToken === 'function') {
    session = { kind: 'provider', provide: options.sessionToken };
  } else if (options.sessionToken !== undefined && typeof options.sessionToken !== 'string') {
    problems.push(
      'sessionToken must be a string or a function returning one: pass `sessionToken` or set AUTHSEC_SESSION_TOKEN',
    );
  } else {
    const value = nonEmpty(options.sessionToken) ?? readEnv('AUTHSEC_SESSION_TOKEN', env);
    const from = nonEmpty(options.sessionToken) !== undefined ? 'option' : 'env';
    if (value !== undefined) {
      if (/\s/.test(value.trim()) || /^bearer\s/i.test(value.trim())) {
        problems.push(
          'sessionToken must be the bare credential, without spaces or a "Bearer " prefix: pass `sessionToken` or set AUTHSEC_SESSION_TOKEN',
        );
      } else session = { kind: 'static', value: value.trim(), from };
    }
  }

  // where authorized requests may go: read before the mode, since they count as configuration
  const downstreamRaw = nonEmpty(options.downstreamUrl) ?? readEnv('DOWNSTREAM_URL', env);
  const originsFromEnv = readEnv('AUTHSEC_ALLOWED_ORIGINS', env);

  // mode decision
  const configured = baseUrlRaw !== undefined || clientId.raw !== undefined;
  let mode: 'live' | 'mock' = 'live';
  let modeReason: ResolvedConfig['modeReason'] = 'configured';
  if (modeOption === 'mock') {
    mode = 'mock';
    modeReason = 'forced';
    if (production && options.allowMockInProduction !== true) {
      problems.push(
        'mode is mock while NODE_ENV=production: mock tokens are for development. Configure live mode, or pass `allowMockInProduction: true` if you really mean it',
      );
    }
  } else if (modeOption === 'live' || configured || session.kind !== 'none') {
    modeReason = modeOption === 'live' ? 'forced' : 'configured';
    if (baseUrlRaw === undefined)
      problems.push(
        'baseUrl is missing: pass `baseUrl` or set AUTHSEC_BASE_URL (the AuthSec server root, e.g. https://prod.api.authsec.ai)',
      );
    if (clientId.raw === undefined)
      problems.push(
        'clientId is missing: pass `clientId` or set AUTHSEC_AGENT_CLIENT_ID (the AI agent client id from the AuthSec dashboard)',
      );
  } else if (
    downstreamRaw !== undefined ||
    options.allowedOrigins !== undefined ||
    originsFromEnv
  ) {
    // A downstream API without AuthSec would silently receive mock tokens: refuse to guess.
    const set = [
      ...(downstreamRaw === undefined
        ? []
        : [options.downstreamUrl === undefined ? 'DOWNSTREAM_URL' : '`downstreamUrl`']),
      ...(options.allowedOrigins !== undefined
        ? ['`allowedOrigins`']
        : originsFromEnv !== undefined
          ? ['AUTHSEC_ALLOWED_ORIGINS']
          : []),
    ].join(' and ');
    problems.push(
      `${set} ${set.includes(' and ') ? 'are' : 'is'} set but AUTHSEC_BASE_URL and AUTHSEC_AGENT_CLIENT_ID are missing: set both (or pass \`baseUrl\` and \`clientId\`) to go live, or set AUTHSEC_MODE=mock (or pass \`mode: 'mock'\`) to send mock tokens there on purpose`,
    );
  } else if (production) {
    problems.push(
      'No AuthSec configuration while NODE_ENV=production: set AUTHSEC_BASE_URL and AUTHSEC_AGENT_CLIENT_ID (or pass `baseUrl` and `clientId`). Mock mode never starts by itself in production',
    );
  } else {
    mode = 'mock';
    modeReason = 'unconfigured';
  }

  const downstreamUrl =
    downstreamRaw === undefined
      ? undefined
      : checkServerUrl(
          downstreamRaw,
          {
            option: 'downstreamUrl',
            env: 'DOWNSTREAM_URL',
            expected: 'the protected API, e.g. https://api.internal.example',
          },
          problems,
        );
  const allowedOrigins = resolveAllowedOrigins(options, env, downstreamUrl, problems);

  // numbers
  const timeoutEnv = readEnv('AUTHSEC_TIMEOUT_MS', env);
  const timeoutMs = positive(
    options.timeoutMs ?? (timeoutEnv === undefined ? undefined : Number(timeoutEnv)),
    10_000,
    'timeoutMs must be a positive number of milliseconds: pass `timeoutMs` or set AUTHSEC_TIMEOUT_MS',
    problems,
  );
  const totalTimeoutMs = positive(
    options.totalTimeoutMs,
    30_000,
    'totalTimeoutMs must be a positive number of milliseconds',
    problems,
  );
  const maxRetries = options.maxRetries ?? 2;
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 10)
    problems.push('maxRetries must be a whole number from 0 to 10');
  const refreshMarginSeconds = options.refreshMarginSeconds ?? 60;
  if (!Number.isFinite(refreshMarginSeconds) || refreshMarginSeconds < 0)
    problems.push('refreshMarginSeconds must be a number of seconds ≥ 0');

  // logging: a bad level must not stop the agent, so it warns and uses the default
  let logLevel: LogLevel = 'warn';
  const levelRaw = options.logLevel ?? readEnv('AUTHSEC_LOG_LEVEL', env)?.toLowerCase();
  if (levelRaw !== undefined) {
    if (isLogLevel(levelRaw)) logLevel = levelRaw;
    else
      warnings.push(
        `Unknown log level '${String(levelRaw).slice(0, 20)}' (logLevel / AUTHSEC_LOG_LEVEL): using 'warn'. Use silent, error, warn, info or debug.`,
      );
  }
  let logFormat: LogFormat = 'pretty';
  const formatRaw = options.logFormat ?? readEnv('AUTHSEC_LOG_FORMAT', env)?.toLowerCase();
  if (formatRaw !== undefined) {
    if (formatRaw === 'pretty' || formatRaw === 'json') logFormat = formatRaw;
    else
      warnings.push(
        `Unknown log format '${String(formatRaw).slice(0, 20)}' (logFormat / AUTHSEC_LOG_FORMAT): using 'pretty'. Use pretty or json.`,
      );
  }

  // plumbing
  const fetchImpl = options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
  if (typeof fetchImpl !== 'function')
    problems.push('No fetch implementation: pass `fetch` (this runtime has no global fetch)');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      problems.push(
        `headers must not set '${name}': the SDK sets it (use \`sessionToken\` for Authorization)`,
      );
    } else headers[name] = value;
  }
  const fallbackToMockOnError = options.fallbackToMockOnError === true;
  if (fallbackToMockOnError && production) {
    problems.push(
      'fallbackToMockOnError is not allowed with NODE_ENV=production: a failed pull must fail there',
    );
  }
  const clock = options.clock ?? Date.now;

  if (problems.length > 0)
    throw AuthSecConfigError.fromProblems(problems, {
      hint: 'Fix the settings listed; see the configuration table in the @authsec/core README.',
    });

  return Object.freeze({
    mode,
    modeReason,
    baseUrl: mode === 'live' ? baseUrl : undefined,
    pullUrl: mode === 'live' && baseUrl ? `${baseUrl}${PULL_PATH}` : undefined,
    clientId: clientId.value,
    session,
    downstreamUrl,
    allowedOrigins,
    headers: Object.freeze(headers),
    fetch: fetchImpl as typeof fetch,
    timeoutMs,
    totalTimeoutMs,
    maxRetries,
    refreshMarginSeconds,
    logLevel,
    logFormat,
    logger: options.logger,
    fallbackToMockOnError,
    mock: Object.freeze({ ...(options.mock ?? {}) }),
    clock,
    production,
    warnings: Object.freeze(warnings),
  });
}

const PRODUCTION_VALUES: ReadonlySet<string> = new Set(['production', 'prod']);

/** NODE_ENV says production (any case, or `prod`) in `env` or in the process's own environment. */
function isProduction(env: AuthSecClientOptions['env']): boolean {
  const says = (from: AuthSecClientOptions['env']) =>
    PRODUCTION_VALUES.has(readEnv('NODE_ENV', from)?.toLowerCase() ?? '');
  // An injected env without NODE_ENV must not hide that the process itself runs in production.
  return says(env) || (env !== undefined && says(defaultEnv()));
}

function nonEmpty(value: string | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function positive(
  value: number | undefined,
  fallback: number,
  problem: string,
  problems: string[],
): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    problems.push(problem);
    return fallback;
  }
  return value;
}

function resolveClientId(
  options: AuthSecClientOptions,
  env: AuthSecClientOptions['env'],
  problems: string[],
  warnings: string[],
): { raw: string | undefined; value: string | undefined } {
  let raw: string | undefined;
  let source: string;
  if (nonEmpty(options.clientId) !== undefined) {
    raw = options.clientId;
    source = '`clientId`';
  } else {
    const primary = readRawEnv('AUTHSEC_AGENT_CLIENT_ID', env);
    const alias = readRawEnv('AUTHSEC_CLIENT_ID', env);
    if (
      primary !== undefined &&
      alias !== undefined &&
      primary.trim().toLowerCase() !== alias.trim().toLowerCase()
    ) {
      problems.push(
        'AUTHSEC_AGENT_CLIENT_ID and AUTHSEC_CLIENT_ID are both set and differ: unset one (AUTHSEC_AGENT_CLIENT_ID is the documented name)',
      );
      return { raw: primary, value: undefined };
    }
    raw = primary ?? alias;
    source = primary !== undefined ? 'AUTHSEC_AGENT_CLIENT_ID' : 'AUTHSEC_CLIENT_ID';
  }
  if (raw === undefined) return { raw: undefined, value: undefined };
  const trimmed = raw.trim();
  if (trimmed !== raw) {
    warnings.push(
      `${source} had spaces or a line break around it (a copy-paste artefact?): trimmed it. Clean up the value to silence this warning.`,
    );
  }
  if (!UUID_RE.test(trimmed)) {
    const why = /\s/.test(trimmed)
      ? 'it contains whitespace'
      : 'it is not a UUID like 6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11';
    problems.push(
      `clientId is invalid (${why}): pass \`clientId\` or set AUTHSEC_AGENT_CLIENT_ID to the client id shown on the AuthSec dashboard`,
    );
    return { raw, value: undefined };
  }
  return { raw, value: trimmed };
}

function resolveAllowedOrigins(
  options: AuthSecClientOptions,
  env: AuthSecClientOptions['env'],
  downstreamUrl: string | undefined,
  problems: string[],
): readonly string[] {
  let entries: readonly string[] | undefined = options.allowedOrigins;
  let source = '`allowedOrigins`';
  if (entries === undefined) {
    const fromEnv = readEnv('AUTHSEC_ALLOWED_ORIGINS', env);
    if (fromEnv !== undefined) {
      entries = fromEnv
        .split(',')
        .map((e) => e.trim())
        .filter((e) => e !== '');
      source = 'AUTHSEC_ALLOWED_ORIGINS';
    }
  }
  if (entries === undefined)
    return Object.freeze(downstreamUrl ? [new URL(downstreamUrl).origin] : []);
  const origins: string[] = [];
  for (const entry of entries) {
    const parsed = parseOrigin(String(entry));
    if ('problem' in parsed) problems.push(`${source}: ${parsed.problem}`);
    else if (!origins.includes(parsed.origin)) origins.push(parsed.origin);
  }
  return Object.freeze(origins);
}
