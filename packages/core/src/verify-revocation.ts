// Revocation: AuthSec's remote validation (`POST /jwt/validate`) and its short-lived answer cache.

import { callAuthSec, type RemoteContext } from './authsec-call.js';
import { AuthSecResponseError } from './errors.js';
import { base64urlEncode } from './jwt-segments.js';
import { type DelegationTokenClaims, tokenError } from './verify-claims.js';
import { isPlainObject, type Settings } from './verify-options.js';

const VALIDATE_PATH = '/authsec/spiresvc/v1/jwt/validate';
const MAX_REVOCATION_ENTRIES = 10_000;
// AuthSec's remote `error` strings are short lower-case phrases; anything else is not repeated.
const SAFE_REMOTE_TEXT = /^[a-z][a-z _]{0,79}$/;

type Verdict =
  | { readonly valid: true }
  | { readonly valid: false; readonly revoked: boolean; readonly said: string | undefined };

/**
 * Remote validation answers per token, positive and negative, each reused for as long as the
 * asking call allows (`revocationCacheSeconds`); calls sharing the cache may allow different times.
 */
export class RevocationCache {
  readonly #entries = new Map<string, { at: number; until: number; verdict: Promise<Verdict> }>();

  /**
   * The answer for `key`: a cached one asked less than `ttlMs` ago, else a fresh one from `ask`.
   * A `ttlMs` of 0 always asks and caches nothing.
   */
  get(key: string, now: number, ttlMs: number, ask: () => Promise<Verdict>): Promise<Verdict> {
    if (ttlMs <= 0) return ask();
    const hit = this.#entries.get(key);
    if (hit && now - hit.at < ttlMs) return hit.verdict;
    this.#prune(now);
    const entry = { at: now, until: now + ttlMs, verdict: ask() };
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    // A failed call is not an answer: the next verify asks again.
    entry.verdict.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return entry.verdict;
  }

  #prune(now: number): void {
    if (this.#entries.size < MAX_REVOCATION_ENTRIES) return;
    for (const [key, entry] of this.#entries) if (entry.until <= now) this.#entries.delete(key);
    // Map order is insertion order, so the first keys are the oldest.
    for (const key of this.#entries.keys()) {
      if (this.#entries.size < MAX_REVOCATION_ENTRIES) break;
      this.#entries.delete(key);
    }
  }
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return base64urlEncode(new Uint8Array(digest));
}

async function askAuthSec(
  token: string,
  audience: string,
  workspaceId: string,
  remote: RemoteContext,
): Promise<Verdict> {
  const { status, text } = await callAuthSec(remote, 'POST', VALIDATE_PATH, {
    json: { token, audience, workspace_id: workspaceId },
    what: 'the remote validation of a token',
  });
  const path = new URL(`${remote.baseUrl}${VALIDATE_PATH}`).pathname;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!isPlainObject(body) || typeof body.valid !== 'boolean') {
    throw new AuthSecResponseError(
      "AuthSec's remote validation answer is not JSON with a boolean `valid`.",
      {
        issues: ['valid'],
        status,
        method: 'POST',
        path,
        hint: 'Check that `baseUrl` / AUTHSEC_BASE_URL is the AuthSec server root, not a proxy or another API.',
      },
    );
  }
  if (body.valid) return { valid: true };
  const said = typeof body.error === 'string' ? body.error : '';
  return {
    valid: false,
    revoked: /revok/i.test(said),
    said: SAFE_REMOTE_TEXT.test(said) ? said : undefined,
  };
}

/**
 * Asks AuthSec whether the verified token is still valid (reusing a recent answer) and throws
 * `revoked`, or `signature` when AuthSec refuses it for another reason.
 */
export async function checkNotRevoked(
  token: string,
  claims: DelegationTokenClaims,
  settings: Settings,
  revocations: RevocationCache,
): Promise<void> {
  const remote = settings.remote as RemoteContext;
  // The audience the token was accepted for, so AuthSec checks the same one.
  const audience = settings.audiences.find((a) => claims.aud.includes(a)) as string;
  const id = typeof claims.jti === 'string' ? `jti:${claims.jti}` : `sha256:${await sha256(token)}`;
  const verdict = await revocations.get(
    `${claims.workspaceId}\n${audience}\n${id}`,
    settings.clock(),
    settings.revocationCacheMs,
    () => askAuthSec(token, audience, claims.workspaceId, remote),
  );
  if (verdict.valid) return;
  if (verdict.revoked) {
    throw tokenError(
      'revoked',
      'AuthSec reports the delegation token as revoked.',
      'The agent needs a newly delegated token: ask the AuthSec admin.',
    );
  }
  throw tokenError(
    'signature',
    `AuthSec refused the delegation token in its remote validation${verdict.said ? ` ("${verdict.said}")` : ''}.`,
    "Check that `baseUrl` is the issuing AuthSec server, and this machine's clock; else the agent needs a new token.",
  );
}
