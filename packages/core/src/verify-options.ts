// The verifier's options: their public type, and their resolution (option, env, default).

import { BASE_URL_RULES } from './config.js';
import { UUID_RE, UUID_SHAPE } from './config-settings.js';
import { POSITIVE_MS, SECONDS, SettingsReader } from './env.js';
import { AuthSecConfigError } from './errors.js';
import { jwksProblem, type RemoteContext } from './jwks-cache.js';
import { isPlainObject } from './jwt-segments.js';
import { isStringList } from './token-response.js';

// Shared with the verifier's claim checks, which import them from here.
export { isPlainObject, UUID_RE };

/** Options for {@link verifyDelegationToken} and {@link createDelegationTokenVerifier}. */
export interface VerifyDelegationTokenOptions {
  /**
   * The audience this API expects: the token's `aud` must contain it (or one of them). Required,
   * no default: `authsec-api` belongs to AuthSec's own APIs.
   */
  audience: string | readonly string[];
  /** The trusted AuthSec workspace(s), as UUIDs. Required. */
  workspaceId: string | readonly string[];
  /**
   * The AuthSec server root for the key bundle and remote validation, e.g.
   * `https://prod.api.authsec.ai`; https except on loopback. Not needed when `keys` is given
   * (unless `checkRevocation`). Env: `AUTHSEC_BASE_URL`.
   */
  baseUrl?: string | undefined;
  /** A key set to use instead of fetching AuthSec's bundle: a JWKS `{ keys: [...] }`. */
  keys?: { keys: readonly Record<string, unknown>[] };
  /** Leeway for `exp` and `nbf`, in seconds. @default 30 */
  clockToleranceSeconds?: number;
  /** Permissions the token must all hold (exact string match). @default [] */
  requiredPermissions?: readonly string[];
  /** The SPIFFE ID (`sub`) must equal this string or match this RegExp. */
  spiffeId?: string | RegExp;
  /**
   * Also ask AuthSec's remote validation (`POST /authsec/spiresvc/v1/jwt/validate`), its answer
   * reused per token for `revocationCacheSeconds`: the only way to see a revocation before `exp`.
   * @default false
   */
  checkRevocation?: boolean;
  /**
   * With `checkRevocation`, how long a remote validation answer (valid or not) is reused for the
   * same token, in seconds. A revocation can go unseen for this long; `0` asks AuthSec on every
   * verify, for a resource server that must see a revocation at once (one HTTP call per verify).
   * @default 10
   */
  revocationCacheSeconds?: number;
  /** The `fetch` to reach AuthSec with. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Time limit of each HTTP call to AuthSec, in milliseconds. @default 5000 */
  timeoutMs?: number;
  /** The clock, in epoch milliseconds. @default Date.now */
  clock?: () => number;
  /** Where environment variables are read from. @default process.env where it exists */
  env?: Readonly<Record<string, string | undefined>>;
}

const DEFAULT_REVOCATION_CACHE_SECONDS = 10;
/** The hint of every AuthSecConfigError the verifier throws. */
export const CONFIG_HINT =
  'Fix the options listed (see verifyDelegationToken in the @authsec/core README).';

/** The options once resolved and checked: what the verifier works from. */
export interface Settings {
  readonly audiences: readonly string[];
  readonly workspaces: ReadonlySet<string>;
  readonly baseUrl: string | undefined;
  readonly keys: object | undefined;
  readonly toleranceSeconds: number;
  readonly requiredPermissions: readonly string[];
  readonly spiffeId: string | RegExp | undefined;
  readonly checkRevocation: boolean;
  /** How long a remote validation answer is reused, in milliseconds; 0 never reuses one. */
  readonly revocationCacheMs: number;
  readonly clock: () => number;
  readonly remote: RemoteContext | undefined;
}

function stringList(value: unknown): string[] | undefined {
  const list = typeof value === 'string' ? [value] : value;
  return isStringList(list) && list.length > 0 && list.every((v) => v.trim() !== '')
    ? [...list]
    : undefined;
}

/** A copy of a list of non-empty permission strings, or `[]` with a problem naming `name`. */
export function permissionList(value: unknown, name: string, problems: string[]): string[] {
  if (isStringList(value) && value.every((v) => v !== '')) return [...value];
  problems.push(`${name} must be a list of non-empty permission strings`);
  return [];
}

/** A RegExp without g/y (so test() keeps no lastIndex between tokens), or a non-empty string. */
function spiffeMatcher(value: unknown): string | RegExp | undefined {
  if (value instanceof RegExp) return new RegExp(value.source, value.flags.replace(/[gy]/g, ''));
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function isClock(value: unknown): value is () => number {
  return typeof value === 'function';
}

/** Resolves options (then env, then defaults) once, reporting every problem together. */
export function resolveSettings(options: VerifyDelegationTokenOptions): Settings {
  if (!isPlainObject(options)) {
    throw AuthSecConfigError.fromProblems(
      ['options must be an object with at least `audience` and `workspaceId`'],
      { hint: CONFIG_HINT },
    );
  }
  const s = new SettingsReader(options);

  const audiences = stringList(options.audience);
  if (options.audience === undefined) {
    s.problems.push(
      "audience is missing: pass `audience`, the aud this API expects (e.g. 'authsec-api' for AuthSec's own APIs)",
    );
  } else if (!audiences) {
    s.invalid('audience', 'a non-empty string or a non-empty list of them');
  }

  const workspaces = new Set<string>();
  if (options.workspaceId === undefined) {
    s.problems.push(
      'workspaceId is missing: pass `workspaceId`, the AuthSec workspace(s) whose tokens this API accepts',
    );
  } else {
    // UUIDs hold no spaces and compare case-insensitively, so trimming and lower-casing lose nothing.
    const list = stringList(options.workspaceId)?.map((w) => w.trim().toLowerCase()) ?? [];
    if (list.length === 0 || !list.every((w) => UUID_RE.test(w))) {
      s.invalid('workspaceId', `${UUID_SHAPE}, or a non-empty list of them`);
    }
    for (const w of list) workspaces.add(w);
  }

  const keys = options.keys;
  if (keys !== undefined) {
    const problem = jwksProblem(keys);
    if (problem) s.problems.push(`keys ${problem}`);
  }
  const checkRevocation = s.setting('checkRevocation', {
    fallback: false,
    expected: 'true or false',
    parse: (v: unknown) => (typeof v === 'boolean' ? v : undefined),
  });
  const needsServer = keys === undefined || checkRevocation;

  // The env var only fills a need: a verifier given `keys` ignores a stray AUTHSEC_BASE_URL.
  const baseUrlGiven = s.read('baseUrl', 'AUTHSEC_BASE_URL', needsServer);
  const baseUrl = s.serverUrl(baseUrlGiven, BASE_URL_RULES);
  if (baseUrlGiven === undefined && needsServer) {
    s.problems.push(
      keys === undefined
        ? 'baseUrl is missing: pass `baseUrl` or set AUTHSEC_BASE_URL (the AuthSec server root, e.g. https://prod.api.authsec.ai), or pass `keys`'
        : 'baseUrl is missing: checkRevocation asks AuthSec, so pass `baseUrl` or set AUTHSEC_BASE_URL',
    );
  }

  const toleranceSeconds = s.setting('clockToleranceSeconds', {
    fallback: 30,
    ...SECONDS,
  });
  const requiredPermissions =
    options.requiredPermissions === undefined
      ? []
      : permissionList(options.requiredPermissions, 'requiredPermissions', s.problems);
  const spiffeId = s.setting('spiffeId', {
    fallback: undefined,
    expected: 'a non-empty string or a RegExp',
    parse: spiffeMatcher,
  });
  const fetchImpl = s.fetch(needsServer);
  const timeoutMs = s.setting('timeoutMs', { fallback: 5000, ...POSITIVE_MS });
  const revocationCacheSeconds = s.setting('revocationCacheSeconds', {
    fallback: DEFAULT_REVOCATION_CACHE_SECONDS,
    ...SECONDS,
    expected: `${SECONDS.expected} (0 asks AuthSec on every verify)`,
  });
  const clock = s.setting('clock', {
    fallback: Date.now,
    expected: 'a function returning epoch milliseconds',
    parse: (v: unknown) => (isClock(v) ? v : undefined),
  });

  return s.done(
    audiences &&
      Object.freeze({
        audiences: Object.freeze(audiences),
        workspaces,
        baseUrl,
        keys,
        toleranceSeconds,
        requiredPermissions: Object.freeze(requiredPermissions),
        spiffeId,
        checkRevocation,
        revocationCacheMs: revocationCacheSeconds * 1000,
        clock,
        remote:
          baseUrl === undefined ? undefined : { baseUrl, fetch: fetchImpl, timeoutMs, now: clock },
      }),
    CONFIG_HINT,
  );
}
