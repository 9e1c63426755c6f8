// Verifies AuthSec delegation tokens as a protected API must: RS256 against the workspace's bundle, then claims.

import { AuthSecConfigError, AuthSecPermissionError, type AuthSecTokenError } from './errors.js';
import { BundleCache, importKeySet, type KeySet, type RemoteContext } from './jwks-cache.js';
import { base64urlDecode } from './jwt-segments.js';
import {
  checkClaims,
  type DecodedToken,
  type DelegationTokenClaims,
  decode,
  tokenError,
  workspaceOf,
} from './verify-claims.js';
import {
  CONFIG_HINT,
  permissionList,
  resolveSettings,
  type Settings,
  type VerifyDelegationTokenOptions,
} from './verify-options.js';
import { checkNotRevoked, RevocationCache } from './verify-revocation.js';

export type { DelegationTokenClaims } from './verify-claims.js';
export type { VerifyDelegationTokenOptions } from './verify-options.js';

const MAX_SHARED_STORES = 32;

interface Stores {
  readonly bundles: BundleCache;
  readonly revocations: RevocationCache;
}

function newStores(): Stores {
  return { bundles: new BundleCache(), revocations: new RevocationCache() };
}

// verifyDelegationToken() keeps one set of caches per AuthSec server, so calls share keys.
const sharedStores = new Map<string, Stores>();
// Given key sets are imported once per object.
const importedKeys = new WeakMap<object, Promise<KeySet>>();
// verifyDelegationToken() resolves an options object once: passing the same object again reuses it.
const resolvedOptions = new WeakMap<object, Settings>();

function settingsOf(options: VerifyDelegationTokenOptions): Settings {
  if (typeof options !== 'object' || options === null) return resolveSettings(options);
  let settings = resolvedOptions.get(options);
  if (!settings) {
    settings = resolveSettings(options);
    resolvedOptions.set(options, settings);
  }
  return settings;
}

const RS256: RsaHashedImportParams = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
const ascii = new TextEncoder();

function sharedStoresFor(baseUrl: string | undefined): Stores {
  const key = baseUrl ?? '';
  let stores = sharedStores.get(key);
  if (!stores) {
    if (sharedStores.size >= MAX_SHARED_STORES) {
      const oldest = sharedStores.keys().next().value;
      if (oldest !== undefined) sharedStores.delete(oldest);
    }
    stores = newStores();
    sharedStores.set(key, stores);
  }
  return stores;
}

/**
 * Verifies a delegation token as a protected API must, and returns its claims.
 *
 * Checks, in order: shape and `alg` (RS256 only, before any key is fetched), the workspace (trusted,
 * agreeing with `iss`), the signature against the workspace's AuthSec key bundle, `exp`/`nbf`,
 * `aud`, the 24 h lifetime cap of delegated tokens, `spiffeId`, `requiredPermissions`, and, with
 * `checkRevocation`, AuthSec's remote validation (an answer reused for `revocationCacheSeconds`).
 * Calls with the same `baseUrl` share one key and revocation cache, so a warm call does no I/O.
 * An options object is read at its first call (environment included) and reused when passed
 * again: pass a new object, or use {@link createDelegationTokenVerifier}, to change settings.
 *
 * @param token - the compact JWT (from `Authorization: Bearer <token>`)
 * @param options - the audience and trusted workspace(s), where to get keys, and extra checks
 * @returns the verified claims
 * @throws {AuthSecTokenError} when the token fails a check; `reason` says which
 * @throws {AuthSecConfigError} when the options are unusable (every problem listed)
 * @throws {AuthSecNetworkError | AuthSecTimeoutError | AuthSecHttpError | AuthSecResponseError} when
 * AuthSec's key bundle or remote validation cannot be had
 * @example
 * ```ts
 * const claims = await verifyDelegationToken(bearer, {
 *   audience: 'orders-api',
 *   workspaceId: process.env.AUTHSEC_WORKSPACE_ID!,
 *   requiredPermissions: ['read:records'],
 * }); // baseUrl from AUTHSEC_BASE_URL
 * console.log(claims.sub, claims.permissions);
 * ```
 */
export async function verifyDelegationToken(
  token: string,
  options: VerifyDelegationTokenOptions,
): Promise<DelegationTokenClaims> {
  const settings = settingsOf(options);
  return verifyWith(
    settings,
    sharedStoresFor(settings.baseUrl),
    token,
    settings.requiredPermissions,
  );
}

/**
 * Creates a reusable verifier with its own key and revocation caches; resource servers should make
 * one at start-up.
 *
 * @param options - as for {@link verifyDelegationToken}; validated now, not at the first token
 * @returns `verify(token, overrides?)`, where `overrides.requiredPermissions` replaces the
 * verifier's `requiredPermissions` for that call
 * @throws {AuthSecConfigError} listing every problem with the options, naming option and env var
 * @example
 * ```ts
 * const verifier = createDelegationTokenVerifier({
 *   baseUrl: 'https://prod.api.authsec.ai',
 *   workspaceId: '3b481361-2f3f-4074-90e1-4b9766a2d7f2',
 *   audience: 'orders-api',
 * });
 * const claims = await verifier.verify(bearer, { requiredPermissions: ['billing:read'] });
 * ```
 */
export function createDelegationTokenVerifier(options: VerifyDelegationTokenOptions): {
  verify(
    token: string,
    overrides?: { requiredPermissions?: readonly string[] },
  ): Promise<DelegationTokenClaims>;
} {
  const settings = resolveSettings(options);
  const stores = newStores();
  return Object.freeze({
    async verify(
      token: string,
      overrides?: { requiredPermissions?: readonly string[] },
    ): Promise<DelegationTokenClaims> {
      let required = settings.requiredPermissions;
      if (overrides?.requiredPermissions !== undefined) {
        const problems: string[] = [];
        required = permissionList(
          overrides.requiredPermissions,
          'overrides.requiredPermissions',
          problems,
        );
        if (problems.length > 0)
          throw AuthSecConfigError.fromProblems(problems, { hint: CONFIG_HINT });
      }
      return verifyWith(settings, stores, token, required);
    },
  });
}

/**
 * Throws unless the claims hold every one of the permissions (exact match: `read:metrics` does not
 * grant `read:records`).
 *
 * @param claims - verified claims, e.g. from {@link verifyDelegationToken}
 * @param permissions - the permissions the action needs
 * @throws {AuthSecPermissionError} `ERR_AUTHSEC_FORBIDDEN`, with `requiredScope` the first missing
 * permission and a message naming all missing ones
 * @throws {AuthSecConfigError} when `permissions` is not a list of strings
 * @example
 * ```ts
 * const claims = await verifier.verify(bearer);
 * requirePermissions(claims, ['billing:read']); // 403 material when it throws
 * ```
 */
export function requirePermissions(
  claims: Pick<DelegationTokenClaims, 'permissions'>,
  permissions: readonly string[],
): void {
  const problems: string[] = [];
  const needed = permissionList(permissions, 'permissions', problems);
  if (problems.length > 0) throw AuthSecConfigError.fromProblems(problems, { hint: CONFIG_HINT });
  const held: unknown = claims?.permissions;
  const list = Array.isArray(held) ? held : [];
  const missing = needed.filter((p) => !list.includes(p));
  const first = missing[0];
  if (first === undefined) return;
  const todo =
    "Ask the AuthSec admin to add it to the agent's trust delegation and delegate a new token.";
  throw new AuthSecPermissionError(
    `The delegation token lacks the permission${missing.length === 1 ? '' : 's'} ${missing.join(', ')} (permissions match exactly). ${todo}`,
    { requiredScope: first, hint: todo },
  );
}

async function verifyWith(
  settings: Settings,
  stores: Stores,
  token: unknown,
  required: readonly string[],
): Promise<DelegationTokenClaims> {
  // Decoded once: the signature is checked on these parts, the claims read from this payload.
  const decoded = decode(token);
  const compact = token as string;
  const workspaceId = workspaceOf(decoded.payload, settings.workspaces);
  await checkSignature(decoded, workspaceId, settings, stores);
  const claims = checkClaims(decoded.payload, workspaceId, settings, required);
  if (settings.checkRevocation) {
    await checkNotRevoked(compact, claims, settings, stores.revocations);
  }
  return claims;
}

type KeyOutcome = 'ok' | 'bad' | 'unknown_kid' | 'several' | 'none';

async function tryKeys(token: DecodedToken, set: KeySet): Promise<KeyOutcome> {
  const { kid } = token;
  let key: CryptoKey | undefined;
  if (kid === undefined) {
    // Contract tokens carry no kid: only a bundle's single key can be meant.
    if (set.keys.length > 1) return 'several';
    key = set.keys[0]?.key;
    if (!key) return 'none';
  } else {
    key = set.keys.find((k) => k.kid === kid)?.key;
    if (!key) return 'unknown_kid';
  }
  try {
    // RS256 on the parts decode() already checked (alg pinned there, keys imported for RS256 only).
    const valid = await crypto.subtle.verify(
      RS256,
      key,
      base64urlDecode(token.signature),
      ascii.encode(token.signingInput),
    );
    return valid ? 'ok' : 'bad';
  } catch {
    // The error is dropped: only the outcome matters, and it must not travel with the token.
    return 'bad';
  }
}

function signatureError(outcome: Exclude<KeyOutcome, 'ok'>, source: string): AuthSecTokenError {
  const rotated =
    'Send the token as AuthSec issued it; after a key rotation, retry in 30 s, else get a new token.';
  switch (outcome) {
    case 'several':
      return tokenError(
        'signature',
        `${source} has several keys and the token names none (no kid).`,
        'Check `baseUrl` / `keys`, or send a token that names its kid.',
      );
    case 'unknown_kid':
      return tokenError(
        'signature',
        `The delegation token names a signing key (kid) that is not in ${source}.`,
        rotated,
      );
    case 'none':
      return tokenError('signature', `${source} has no usable RS256 key.`, rotated);
    default:
      return tokenError(
        'signature',
        `The delegation token's signature does not verify against ${source}: it was signed by another key or altered.`,
        rotated,
      );
  }
}

async function staticKeySet(keys: object): Promise<KeySet> {
  let imported = importedKeys.get(keys);
  if (!imported) {
    imported = importKeySet(keys);
    importedKeys.set(keys, imported);
  }
  const set = await imported;
  if (set.keys.length === 0) {
    throw AuthSecConfigError.fromProblems(
      ['keys holds no RSA public key of 2048 bits or more that imports for RS256'],
      { hint: CONFIG_HINT },
    );
  }
  return set;
}

async function checkSignature(
  token: DecodedToken,
  workspaceId: string,
  settings: Settings,
  stores: Stores,
): Promise<void> {
  if (settings.keys) {
    const outcome = await tryKeys(token, await staticKeySet(settings.keys));
    if (outcome !== 'ok') throw signatureError(outcome, 'the key set given as `keys`');
    return;
  }
  const remote = settings.remote as RemoteContext;
  const { keys, fetched } = await stores.bundles.current(workspaceId, remote);
  let outcome = await tryKeys(token, keys);
  // A key miss on cached keys may mean AuthSec rotated its key: look again, rate-limited.
  if (outcome !== 'ok' && !fetched) {
    const fresher = await stores.bundles.refetch(workspaceId, remote);
    if (fresher) outcome = await tryKeys(token, fresher);
  }
  if (outcome !== 'ok') {
    throw signatureError(outcome, `the AuthSec key bundle of workspace ${workspaceId}`);
  }
}
