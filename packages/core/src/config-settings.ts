// Reads the client's settings that need more than a rule: production, client id, session
// credential, allowed origins and extra headers; each adds its problems to the reader.

import type { AuthSecClientOptions, SessionSource } from './config-options.js';
import {
  defaultEnv,
  type Env,
  type Given,
  printable,
  readEnv,
  readRawEnv,
  type SettingsReader,
  sourceName,
} from './env.js';
import { parseOrigin } from './origins.js';

/** A UUID in any case: client ids and workspace ids. */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How a config problem describes a UUID. */
export const UUID_SHAPE = 'a UUID (8-4-4-4-12 hex digits)';
const RESERVED_HEADERS = new Set(['authorization', 'x-client-id', 'accept', 'host', 'cookie']);

const PRODUCTION_VALUES: ReadonlySet<string> = new Set(['production', 'prod']);

/** NODE_ENV says production (any case, or `prod`) in `env` or in the process's own environment. */
export function isProduction(env: Env | undefined): boolean {
  const says = (from: Env | undefined) =>
    PRODUCTION_VALUES.has(readEnv('NODE_ENV', from)?.toLowerCase() ?? '');
  // An injected env without NODE_ENV must not hide that the process itself runs in production.
  return says(env) || (env !== undefined && says(defaultEnv()));
}

/** The client id as given (it counts as configuration even when invalid) and its usable value. */
export interface ClientIdSetting {
  readonly raw: string | undefined;
  readonly value: string | undefined;
}

export function resolveClientId(
  option: string | undefined,
  s: SettingsReader<AuthSecClientOptions>,
): ClientIdSetting {
  let raw: string | undefined;
  let source: string;
  if (option != null && typeof option !== 'string') {
    // Never ignored (that would leave a mock client): a UUID is always written as a string.
    s.invalid('clientId', 'a string', 'AUTHSEC_AGENT_CLIENT_ID');
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
        'AUTHSEC_AGENT_CLIENT_ID and its alias AUTHSEC_CLIENT_ID are both set and differ: unset AUTHSEC_CLIENT_ID',
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
      `${source} had spaces or a line break around it: trimmed it; clean it up to silence this warning.`,
    );
  }
  if (!UUID_RE.test(trimmed)) {
    const why = /\s/.test(trimmed) ? 'it contains whitespace' : `it is not ${UUID_SHAPE}`;
    s.problems.push(
      `clientId is invalid (${why}): pass \`clientId\` or set AUTHSEC_AGENT_CLIENT_ID to the client id from the AuthSec dashboard`,
    );
    return { raw, value: undefined };
  }
  return { raw, value: trimmed };
}

export function resolveSession(
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

export function resolveAllowedOrigins(
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

export function resolveHeaders(
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
