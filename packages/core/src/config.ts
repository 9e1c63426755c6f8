// Resolves a client's configuration once: options, then environment, then defaults, all problems at once.

import {
  defaultEnv,
  type Env,
  type Given,
  numberWhere,
  oneOf,
  POSITIVE_MS,
  printable,
  readEnv,
  readRawEnv,
  SettingsReader,
  sourceName,
} from './env.js';
import { LOG_LEVELS, type LogFormat, type Logger, type LogLevel } from './logger.js';
import type { MockTokenOptions } from './mock-source.js';
import { parseOrigin } from './origins.js';
import type { ServerUrlRules } from './server-url.js';

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

/** The fields that differ between the modes. */
type ModeFields = Omit<LiveConfig, keyof SharedConfig> | Omit<MockConfig, keyof SharedConfig>;

/** The AuthSec server root: the client's and the verifier's `baseUrl`. */
export const BASE_URL_RULES: ServerUrlRules = {
  option: 'baseUrl',
  env: 'AUTHSEC_BASE_URL',
  expected: 'the AuthSec server root, e.g. https://prod.api.authsec.ai',
  rootOnly: true,
};
const DOWNSTREAM_RULES: ServerUrlRules = {
  option: 'downstreamUrl',
  env: 'DOWNSTREAM_URL',
  expected: 'the protected API, e.g. https://api.internal.example',
};
/** A UUID in any case: client ids and workspace ids. */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The pull's path under the server root. */
export const PULL_PATH = '/authsec/uflow/sdk/delegation-token';
const RESERVED_HEADERS = new Set(['authorization', 'x-client-id', 'accept', 'host', 'cookie']);
const MODES: readonly AuthSecModeOption[] = ['auto', 'live', 'mock'];
const LOG_FORMATS: readonly LogFormat[] = ['pretty', 'json'];

/**
 * Resolves options, environment and defaults once, reporting every problem together.
 * @throws AuthSecConfigError listing each problem with the option and env var to fix
 */
export function resolveConfig(options: AuthSecClientOptions = {}): ResolvedConfig {
  const s = new SettingsReader(options);
  const production = isProduction(options.env);
  const mode = s.setting<AuthSecModeOption>('mode', {
    env: 'AUTHSEC_MODE',
    fallback: 'auto',
    expected: "'auto', 'live' or 'mock'",
    parse: oneOf(MODES),
    caseInsensitive: true,
    showValue: true,
  });
  const baseUrlGiven = s.read('baseUrl', 'AUTHSEC_BASE_URL');
  const baseUrl = s.serverUrl(baseUrlGiven, BASE_URL_RULES);
  const clientId = resolveClientId(options.clientId, s);
  const session = resolveSession(options.sessionToken, s);
  // where authorized requests may go: read before the mode, since they count as configuration
  const downstream = s.read('downstreamUrl', 'DOWNSTREAM_URL');
  const origins = s.read('allowedOrigins', 'AUTHSEC_ALLOWED_ORIGINS');
  const target = decideMode(s, mode, {
    production,
    allowMockInProduction: options.allowMockInProduction === true,
    baseUrlGiven: baseUrlGiven !== undefined,
    baseUrl,
    clientId,
    session,
    downstream,
    origins,
  });
  const downstreamUrl = s.serverUrl(downstream, DOWNSTREAM_RULES);
  const allowedOrigins = resolveAllowedOrigins(origins, downstreamUrl, s);

  const timeoutMs = s.setting('timeoutMs', {
    env: 'AUTHSEC_TIMEOUT_MS',
    fallback: 10_000,
    ...POSITIVE_MS,
  });
  const totalTimeoutMs = s.setting('totalTimeoutMs', { fallback: 30_000, ...POSITIVE_MS });
  const maxRetries = s.setting('maxRetries', {
    fallback: 2,
    expected: 'a whole number from 0 to 10',
    parse: numberWhere((n) => Number.isInteger(n) && n >= 0 && n <= 10),
  });
  const refreshMarginSeconds = s.setting('refreshMarginSeconds', {
    fallback: 60,
    expected: 'a number of seconds ≥ 0',
    parse: numberWhere((n) => n >= 0),
  });
  // logging: a bad level must not stop the agent, so it warns and uses the default
  const logLevel = s.setting<LogLevel>('logLevel', {
    env: 'AUTHSEC_LOG_LEVEL',
    fallback: 'warn',
    expected: 'silent, error, warn, info or debug',
    parse: oneOf(LOG_LEVELS),
    caseInsensitive: true,
    unknown: 'log level',
  });
  const logFormat = s.setting<LogFormat>('logFormat', {
    env: 'AUTHSEC_LOG_FORMAT',
    fallback: 'pretty',
    expected: 'pretty or json',
    parse: oneOf(LOG_FORMATS),
    caseInsensitive: true,
    unknown: 'log format',
  });
  const fetchImpl = s.fetch(true);
  const headers = resolveHeaders(options.headers, s);
  const fallbackToMockOnError = options.fallbackToMockOnError === true;
  if (fallbackToMockOnError && production) {
    s.problems.push(
      'fallbackToMockOnError is not allowed with NODE_ENV=production: a failed pull must fail there',
    );
  }

  const shared: SharedConfig = {
    session,
    downstreamUrl,
    allowedOrigins,
    headers,
    fetch: fetchImpl,
    timeoutMs,
    totalTimeoutMs,
    maxRetries,
    refreshMarginSeconds,
    logLevel,
    logFormat,
    logger: options.logger,
    fallbackToMockOnError,
    mock: Object.freeze({ ...(options.mock ?? {}) }),
    clock: options.clock ?? Date.now,
    production,
    warnings: Object.freeze(s.warnings),
  };
  return s.done(
    target && Object.freeze({ ...target, ...shared }),
    'Fix the settings listed; see the configuration table in the @authsec/core README.',
  );
}

/** What the mode decision looks at. */
interface ModeInputs {
  readonly production: boolean;
  readonly allowMockInProduction: boolean;
  /** A server root was given, usable or not. */
  readonly baseUrlGiven: boolean;
  readonly baseUrl: string | undefined;
  readonly clientId: ClientIdSetting;
  readonly session: SessionSource;
  readonly downstream: Given | undefined;
  readonly origins: Given | undefined;
}

/** The mode and its fields; undefined once a problem says why there is no mode. */
function decideMode(
  s: SettingsReader<AuthSecClientOptions>,
  mode: AuthSecModeOption,
  the: ModeInputs,
): ModeFields | undefined {
  const mock = (modeReason: MockConfig['modeReason']): ModeFields => ({
    mode: 'mock',
    modeReason,
    baseUrl: undefined,
    pullUrl: undefined,
    clientId: the.clientId.value,
  });
  if (mode === 'mock') {
    if (the.production && !the.allowMockInProduction) {
      s.problems.push(
        'mode is mock while NODE_ENV=production: mock tokens are for development. Configure live mode, or pass `allowMockInProduction: true` if you really mean it',
      );
    }
    return mock('forced');
  }
  const configured = the.baseUrlGiven || the.clientId.raw !== undefined;
  if (mode === 'live' || configured || the.session.kind !== 'none') {
    // A given but unusable value already has its problem; a missing one needs one here.
    if (!the.baseUrlGiven)
      s.problems.push(
        'baseUrl is missing: pass `baseUrl` or set AUTHSEC_BASE_URL (the AuthSec server root, e.g. https://prod.api.authsec.ai)',
      );
    if (the.clientId.raw === undefined)
      s.problems.push(
        'clientId is missing: pass `clientId` or set AUTHSEC_AGENT_CLIENT_ID (the AI agent client id from the AuthSec dashboard)',
      );
    const { baseUrl } = the;
    const clientId = the.clientId.value;
    if (baseUrl === undefined || clientId === undefined) return undefined;
    const modeReason = mode === 'live' ? 'forced' : 'configured';
    return { mode: 'live', modeReason, baseUrl, pullUrl: `${baseUrl}${PULL_PATH}`, clientId };
  }
  if (the.downstream || the.origins) {
    // A downstream API without AuthSec would silently receive mock tokens: refuse to guess.
    const set = [
      the.downstream && sourceName('downstreamUrl', the.downstream, 'DOWNSTREAM_URL'),
      the.origins && sourceName('allowedOrigins', the.origins, 'AUTHSEC_ALLOWED_ORIGINS'),
    ].filter((name) => name !== undefined);
    s.problems.push(
      `${set.join(' and ')} ${set.length > 1 ? 'are' : 'is'} set but AUTHSEC_BASE_URL and AUTHSEC_AGENT_CLIENT_ID are missing: set both (or pass \`baseUrl\` and \`clientId\`) to go live, or set AUTHSEC_MODE=mock (or pass \`mode: 'mock'\`) to send mock tokens there on purpose`,
    );
    return undefined;
  }
  if (the.production) {
    s.problems.push(
      'No AuthSec configuration while NODE_ENV=production: set AUTHSEC_BASE_URL and AUTHSEC_AGENT_CLIENT_ID (or pass `baseUrl` and `clientId`). Mock mode never starts by itself in production',
    );
    return undefined;
  }
  return mock('unconfigured');
}

const PRODUCTION_VALUES: ReadonlySet<string> = new Set(['production', 'prod']);

/** NODE_ENV says production (any case, or `prod`) in `env` or in the process's own environment. */
function isProduction(env: Env | undefined): boolean {
  const says = (from: Env | undefined) =>
    PRODUCTION_VALUES.has(readEnv('NODE_ENV', from)?.toLowerCase() ?? '');
  // An injected env without NODE_ENV must not hide that the process itself runs in production.
  return says(env) || (env !== undefined && says(defaultEnv()));
}

/** The client id as given (it counts as configuration even when invalid) and its usable value. */
interface ClientIdSetting {
  readonly raw: string | undefined;
  readonly value: string | undefined;
}

function resolveClientId(
  option: string | undefined,
  s: SettingsReader<AuthSecClientOptions>,
): ClientIdSetting {
  let raw: string | undefined;
  let source: string;
  if (option !== undefined && option !== null && typeof option !== 'string') {
    // Never ignored (which would leave a mock client): a UUID is always written as a string.
    s.invalid(
      'clientId',
      'a string (the client id from the AuthSec dashboard)',
      'AUTHSEC_AGENT_CLIENT_ID',
    );
    return { raw: undefined, value: undefined };
  }
  if (typeof option === 'string' && option.trim() !== '') {
    raw = option;
    source = '`clientId`';
  } else {
    // Untrimmed, to warn about copy-paste artefacts.
    const primary = readRawEnv('AUTHSEC_AGENT_CLIENT_ID', s.env);
    const alias = readRawEnv('AUTHSEC_CLIENT_ID', s.env);
    if (primary && alias && primary.trim().toLowerCase() !== alias.trim().toLowerCase()) {
      s.problems.push(
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
    s.warnings.push(
      `${source} had spaces or a line break around it (a copy-paste artefact?): trimmed it. Clean up the value to silence this warning.`,
    );
  }
  if (!UUID_RE.test(trimmed)) {
    const why = /\s/.test(trimmed)
      ? 'it contains whitespace'
      : 'it is not a UUID like 6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11';
    s.problems.push(
      `clientId is invalid (${why}): pass \`clientId\` or set AUTHSEC_AGENT_CLIENT_ID to the client id shown on the AuthSec dashboard`,
    );
    return { raw, value: undefined };
  }
  return { raw, value: trimmed };
}

function resolveSession(
  option: AuthSecClientOptions['sessionToken'],
  s: SettingsReader<AuthSecClientOptions>,
): SessionSource {
  if (typeof option === 'function') return { kind: 'provider', provide: option };
  const given = s.read('sessionToken', 'AUTHSEC_SESSION_TOKEN');
  const value = typeof given?.value === 'string' ? given.value.trim() : undefined;
  if (given === undefined) return { kind: 'none' };
  if (value === undefined)
    s.invalid('sessionToken', 'a string or a function returning one', 'AUTHSEC_SESSION_TOKEN');
  else if (/\s/.test(value) || /^bearer\s/i.test(value))
    s.invalid(
      'sessionToken',
      'the bare credential, without spaces or a "Bearer " prefix',
      'AUTHSEC_SESSION_TOKEN',
    );
  else return { kind: 'static', value, from: given.from };
  return { kind: 'none' };
}

function resolveAllowedOrigins(
  given: Given | undefined,
  downstreamUrl: string | undefined,
  s: SettingsReader<AuthSecClientOptions>,
): readonly string[] {
  if (given === undefined)
    return Object.freeze(downstreamUrl ? [new URL(downstreamUrl).origin] : []);
  const source = sourceName('allowedOrigins', given, 'AUTHSEC_ALLOWED_ORIGINS');
  const entries: readonly unknown[] = Array.isArray(given.value)
    ? given.value
    : printable(given.value)
        .split(',')
        .map((e) => e.trim())
        .filter((e) => e !== '');
  const origins: string[] = [];
  for (const entry of entries) {
    const parsed = parseOrigin(printable(entry));
    if ('problem' in parsed) s.problems.push(`${source}: ${parsed.problem}`);
    else if (!origins.includes(parsed.origin)) origins.push(parsed.origin);
  }
  return Object.freeze(origins);
}

function resolveHeaders(
  option: AuthSecClientOptions['headers'],
  s: SettingsReader<AuthSecClientOptions>,
): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(option ?? {})) {
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      s.problems.push(
        `headers must not set '${name}': the SDK sets it (use \`sessionToken\` for Authorization)`,
      );
    } else headers[name] = value;
  }
  return Object.freeze(headers);
}
