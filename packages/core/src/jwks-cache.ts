// The AuthSec public keys a verifier trusts: fetched per workspace, imported once, refetched sparingly.

import { callAuthSec, type RemoteContext } from './authsec-call.js';
import { AuthSecResponseError, AuthSecTokenError } from './errors.js';
import { isPlainObject } from './jwt-segments.js';

export { callAuthSec, MAX_ANSWER_BYTES, type RemoteContext } from './authsec-call.js';

/** Where AuthSec serves a workspace's key bundle, below the server root. */
export const BUNDLE_PATH = '/authsec/spiresvc/v1/jwt/bundle';
/** More keys than this in one bundle is not a bundle AuthSec would serve. */
export const MAX_BUNDLE_KEYS = 64;
/** A refetch after an unknown key or a failed signature happens at most this often per workspace. */
export const REFETCH_INTERVAL_MS = 30_000;
/** A bundle older than this is refreshed in the background, so keys AuthSec dropped stop counting. */
export const BUNDLE_MAX_AGE_MS = 3_600_000;

/** One imported verification key and the `kid` the bundle gave it. */
export interface VerificationKey {
  readonly kid: string | undefined;
  readonly key: CryptoKey;
}

/** The usable keys of one JWKS, imported once, in bundle order. */
export interface KeySet {
  readonly keys: readonly VerificationKey[];
}

/** The public RSA members of a JWK usable with RS256, or undefined: other key types are skipped. */
function rs256Jwk(value: unknown): { kid: string | undefined; n: string; e: string } | undefined {
  if (!isPlainObject(value) || value.kty !== 'RSA') return undefined;
  const { n, e, kid, alg, use } = value;
  if (typeof n !== 'string' || n === '' || typeof e !== 'string' || e === '') return undefined;
  if (alg !== undefined && alg !== 'RS256') return undefined;
  if (use !== undefined && use !== 'sig') return undefined;
  if (kid !== undefined && typeof kid !== 'string') return undefined;
  return { kid, n, e };
}

/**
 * Checks that a value is a JWKS holding at least one RSA key usable with RS256.
 *
 * @param jwks - the value to check, e.g. a verifier's `keys` option
 * @returns what is wrong, or `undefined` when it is usable
 */
export function jwksProblem(jwks: unknown): string | undefined {
  if (!isPlainObject(jwks) || !Array.isArray(jwks.keys)) return 'is not a JWKS ({ keys: [...] })';
  if (jwks.keys.length > MAX_BUNDLE_KEYS) return `holds more than ${MAX_BUNDLE_KEYS} keys`;
  if (!jwks.keys.some((key) => rs256Jwk(key) !== undefined)) {
    return 'holds no RSA public key usable with RS256 (kty RSA, n, e; alg RS256 or none)';
  }
  return undefined;
}

/**
 * Imports the RS256-usable keys of a JWKS; keys that are not RSA, too short or broken are skipped.
 *
 * Only `n` and `e` are imported, so private members or odd `key_ops` in a JWK change nothing.
 *
 * @param jwks - a value already accepted by {@link jwksProblem}
 * @returns the imported keys, in JWKS order (possibly none)
 */
export async function importKeySet(jwks: unknown): Promise<KeySet> {
  const list = isPlainObject(jwks) && Array.isArray(jwks.keys) ? jwks.keys : [];
  const imported = await Promise.all(
    list.slice(0, MAX_BUNDLE_KEYS).map(async (value): Promise<VerificationKey | undefined> => {
      const jwk = rs256Jwk(value);
      if (!jwk) return undefined;
      try {
        const key = await crypto.subtle.importKey(
          'jwk',
          { kty: 'RSA', n: jwk.n, e: jwk.e, alg: 'RS256', ext: true },
          { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
          false,
          ['verify'],
        );
        // RS256 under 2048 bits is refused (as jose does); skip such a key up front.
        const bits = (key.algorithm as RsaHashedKeyAlgorithm).modulusLength;
        return bits >= 2048 ? { kid: jwk.kid, key } : undefined;
      } catch {
        return undefined;
      }
    }),
  );
  return { keys: imported.filter((k): k is VerificationKey => k !== undefined) };
}

/** The bundle of `workspaceId` answered 404 (`when`: now, or moments ago): no token of it verifies. */
function unknownWorkspace(
  workspaceId: string,
  ctx: RemoteContext,
  when: string,
): AuthSecTokenError {
  return new AuthSecTokenError(
    `AuthSec does not know workspace ${workspaceId} (its key bundle answered 404${when}).`,
    {
      reason: 'workspace',
      status: 404,
      method: 'GET',
      path: new URL(`${ctx.baseUrl}${BUNDLE_PATH}`).pathname,
      hint: 'Check `workspaceId` against the AuthSec dashboard, and that `baseUrl` / AUTHSEC_BASE_URL is its server.',
    },
  );
}

/** Fetches and imports one workspace's bundle. */
async function fetchBundle(workspaceId: string, ctx: RemoteContext): Promise<KeySet> {
  const path = new URL(`${ctx.baseUrl}${BUNDLE_PATH}`).pathname;
  const { status, text } = await callAuthSec(ctx, 'GET', BUNDLE_PATH, {
    query: { workspace_id: workspaceId },
    what: 'the key bundle request',
    handles: [404],
  });
  if (status === 404) throw unknownWorkspace(workspaceId, ctx, '');
  const broken = (why: string) =>
    new AuthSecResponseError(`AuthSec's key bundle for workspace ${workspaceId} ${why}.`, {
      issues: ['keys'],
      status,
      method: 'GET',
      path,
      hint: 'Check that `baseUrl` / AUTHSEC_BASE_URL is the AuthSec server root, not a proxy or another API.',
    });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw broken('is not JSON');
  }
  const problem = jwksProblem(body);
  if (problem) throw broken(problem);
  const set = await importKeySet(body);
  if (set.keys.length === 0) throw broken('holds no RSA key of 2048 bits or more that imports');
  return set;
}

interface Entry {
  keys: KeySet | undefined;
  /** When the keys were fetched (clock ms). */
  fetchedAt: number;
  /** When the last refetch after a key miss started (clock ms). */
  lastRefetchAt: number;
  /** A 404 is believed until then (clock ms). */
  unknownUntil: number;
  inflight: Promise<KeySet> | undefined;
}

/**
 * The key bundles of the workspaces one verifier (or every verifier of one `baseUrl`) trusts.
 *
 * @example
 * ```ts
 * const cache = new BundleCache();
 * const { keys } = await cache.current(workspaceId, ctx);
 * ```
 */
export class BundleCache {
  readonly #entries = new Map<string, Entry>();

  /**
   * The workspace's keys: from the cache (no I/O), or fetched when there are none yet.
   *
   * A bundle older than {@link BUNDLE_MAX_AGE_MS} is still used while a refresh runs in the
   * background, so a warm verify never waits on AuthSec.
   *
   * @param workspaceId - a trusted workspace (lower-case UUID)
   * @param ctx - how to reach AuthSec
   * @returns the keys, and whether this call fetched them
   * @throws {AuthSecTokenError} reason `workspace` when AuthSec does not know the workspace (404)
   * @throws {AuthSecNetworkError | AuthSecTimeoutError | AuthSecHttpError | AuthSecResponseError} when the bundle cannot be had
   */
  async current(
    workspaceId: string,
    ctx: RemoteContext,
  ): Promise<{ keys: KeySet; fetched: boolean }> {
    const entry = this.#entry(workspaceId);
    const now = ctx.now();
    if (entry.keys) {
      if (now - entry.fetchedAt >= BUNDLE_MAX_AGE_MS && !entry.inflight) {
        // Retry a failed refresh only after the refetch interval, not on every verify.
        entry.fetchedAt = now - BUNDLE_MAX_AGE_MS + REFETCH_INTERVAL_MS;
        this.#fetch(workspaceId, entry, ctx).catch(() => undefined);
      }
      return { keys: entry.keys, fetched: false };
    }
    if (now < entry.unknownUntil) {
      // Answering from the remembered 404 keeps a flood of such tokens off AuthSec.
      return { keys: await this.#fetchOrUnknown(workspaceId, entry, ctx), fetched: true };
    }
    return { keys: await this.#fetch(workspaceId, entry, ctx), fetched: true };
  }

  /**
   * Refetches after an unknown `kid` or a failed signature, at most once per {@link REFETCH_INTERVAL_MS}.
   *
   * @param workspaceId - a trusted workspace (lower-case UUID)
   * @param ctx - how to reach AuthSec
   * @returns the new keys, or `undefined` when a refetch happened too recently
   * @throws the same errors as {@link BundleCache.current}
   */
  async refetch(workspaceId: string, ctx: RemoteContext): Promise<KeySet | undefined> {
    const entry = this.#entry(workspaceId);
    if (entry.inflight) return entry.inflight;
    const now = ctx.now();
    if (now - entry.lastRefetchAt < REFETCH_INTERVAL_MS) return undefined;
    entry.lastRefetchAt = now;
    return this.#fetch(workspaceId, entry, ctx);
  }

  #entry(workspaceId: string): Entry {
    let entry = this.#entries.get(workspaceId);
    if (!entry) {
      entry = {
        keys: undefined,
        fetchedAt: Number.NEGATIVE_INFINITY,
        lastRefetchAt: Number.NEGATIVE_INFINITY,
        unknownUntil: Number.NEGATIVE_INFINITY,
        inflight: undefined,
      };
      this.#entries.set(workspaceId, entry);
    }
    return entry;
  }

  #fetchOrUnknown(workspaceId: string, entry: Entry, ctx: RemoteContext): Promise<KeySet> {
    if (entry.inflight) return entry.inflight;
    return Promise.reject(unknownWorkspace(workspaceId, ctx, ' moments ago'));
  }

  // Single flight: concurrent cold verifies of one workspace share one request.
  #fetch(workspaceId: string, entry: Entry, ctx: RemoteContext): Promise<KeySet> {
    entry.inflight ??= (async () => {
      try {
        const keys = await fetchBundle(workspaceId, ctx);
        entry.keys = keys;
        entry.fetchedAt = ctx.now();
        entry.unknownUntil = Number.NEGATIVE_INFINITY;
        return keys;
      } catch (error) {
        if (error instanceof AuthSecTokenError) {
          // AuthSec no longer knows the workspace: its old keys must not verify anything.
          entry.keys = undefined;
          entry.unknownUntil = ctx.now() + REFETCH_INTERVAL_MS;
        }
        throw error;
      } finally {
        entry.inflight = undefined;
      }
    })();
    return entry.inflight;
  }
}
