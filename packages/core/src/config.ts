// Resolves a client's configuration once: options, then environment, then defaults, all problems at once.

import type {
  AuthSecClientOptions,
  AuthSecModeOption,
  LiveConfig,
  MockConfig,
  ResolvedConfig,
  SessionSource,
  SharedConfig,
} from './config-options.js';
import {
  type ClientIdSetting,
  isProduction,
  resolveAllowedOrigins,
  resolveClientId,
  resolveHeaders,
  resolveSession,
} from './config-settings.js';
import {
  type Given,
  numberWhere,
  oneOf,
  POSITIVE_MS,
  SECONDS,
  SettingsReader,
  sourceName,
} from './env.js';
import { LOG_LEVELS, type LogFormat, type LogLevel } from './logger.js';
import type { ServerUrlRules } from './server-url.js';

export type {
  AuthSecClientOptions,
  AuthSecModeOption,
  LiveConfig,
  MockConfig,
  ResolvedConfig,
  SessionSource,
  SessionTokenProvider,
  SharedConfig,
} from './config-options.js';

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
  expected: 'the protected API',
};
/** The pull's path under the server root. */
export const PULL_PATH = '/authsec/uflow/sdk/delegation-token';
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
  const refreshMarginSeconds = s.setting('refreshMarginSeconds', { fallback: 60, ...SECONDS });
  // logging: a bad level must not stop the agent, so it warns and uses the default
  const logLevel = s.setting<LogLevel>('logLevel', {
    env: 'AUTHSEC_LOG_LEVEL',
    fallback: 'warn',
    expected: LOG_LEVELS.join(', '),
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
    s.problems.push('fallbackToMockOnError is not allowed with NODE_ENV=production');
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
    'Fix the settings listed (see the @authsec/core README).',
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
        'mode is mock while NODE_ENV=production: go live, or pass `allowMockInProduction: true`',
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
        'clientId is missing: pass `clientId` or set AUTHSEC_AGENT_CLIENT_ID (from the AuthSec dashboard)',
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
      `${set.join(' and ')} ${set.length > 1 ? 'are' : 'is'} set but AUTHSEC_BASE_URL and AUTHSEC_AGENT_CLIENT_ID are missing: set both (or pass \`baseUrl\` and \`clientId\`), or set AUTHSEC_MODE=mock (or pass \`mode: 'mock'\`)`,
    );
    return undefined;
  }
  if (the.production) {
    s.problems.push(
      'No AuthSec configuration while NODE_ENV=production: set AUTHSEC_BASE_URL and AUTHSEC_AGENT_CLIENT_ID (or pass `baseUrl` and `clientId`)',
    );
    return undefined;
  }
  return mock('unconfigured');
}
