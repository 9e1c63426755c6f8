// Mock mode's token source: real RS256 JWTs in the contract's shape, minted locally with no network.

import { raceAbort } from './abort.js';
import { AuthSecAbortedError, AuthSecConfigError } from './errors.js';
import { base64urlEncode } from './jwt-segments.js';
import { parseTokenResponse } from './token-response.js';
import type { TokenFacts } from './types.js';

/** Options for {@link MockTokenSource}. */
export interface MockTokenOptions {
  /** The `client_id` claim. @default {@link MOCK_CLIENT_ID} */
  clientId?: string;
  /** The delegated actions. @default ['read:records', 'read:metrics', 'billing:read'] */
  permissions?: readonly string[];
  /** The token's `aud`. @default ['authsec-api'] */
  audience?: readonly string[];
  /** Each token's lifetime, a whole number of seconds from 1 to 86400 (the contract's 24 h cap). @default 3600 */
  ttlSeconds?: number;
  /** The clock, in epoch milliseconds. @default Date.now */
  now?: () => number;
}

/** The `iss` of every mock token; `.invalid` so it can never name a real trust domain. */
export const MOCK_ISSUER = 'spiffe://mock.authsec.invalid';
/** The `client_id` of mock tokens when no `clientId` is given. */
export const MOCK_CLIENT_ID = '00000000-0000-4000-8000-000000000000';
/** The `workspace_id` of every mock token. */
export const MOCK_WORKSPACE_ID = '00000000-0000-4000-8000-0000000000ff';

const MOCK_SUBJECT = `${MOCK_ISSUER}/ns/default/sa/ai-agent`;
const DEFAULT_PERMISSIONS = Object.freeze(['read:records', 'read:metrics', 'billing:read']);
const DEFAULT_AUDIENCE = Object.freeze(['authsec-api']);
const MAX_TTL_SECONDS = 86_400;
// RS256 as Web Crypto names it; signing here directly keeps jose's signing half out of the bundle.
const RS256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
const utf8 = new TextEncoder();

function encodeSegment(value: object): string {
  return base64urlEncode(JSON.stringify(value));
}

/** A compact RS256 JWT: the contract's header (alg, typ; no kid), then the claims, then the signature. */
async function signJwt(claims: object, key: CryptoKey): Promise<string> {
  const input = `${encodeSegment({ alg: 'RS256', typ: 'JWT' })}.${encodeSegment(claims)}`;
  const signature = await crypto.subtle.sign(RS256, key, utf8.encode(input));
  return `${input}.${base64urlEncode(new Uint8Array(signature))}`;
}

function aborted(signal: AbortSignal): AuthSecAbortedError {
  return new AuthSecAbortedError(undefined, { cause: signal.reason });
}

// Rejects as soon as the signal fires, even while key generation or signing is still running.
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  return raceAbort(work, signal).catch((error: unknown) => {
    throw signal.aborted && error === signal.reason ? aborted(signal) : error;
  });
}

/**
 * Mints real RS256 JWTs with the contract's claim shape, plainly marked as mock, with no network.
 *
 * Each source generates its own non-extractable key pair on first use; no resource server
 * trusts it, so mock tokens are for development and tests only.
 *
 * @example
 * ```ts
 * const source = new MockTokenSource({ permissions: ['read:records'] });
 * const { token, expiresAt } = await source.fetchToken();
 * ```
 */
export class MockTokenSource {
  /** Always `'mock'`: tokens from this source never come from AuthSec. */
  readonly mode = 'mock' as const;
  readonly #clientId: string;
  readonly #permissions: readonly string[];
  readonly #audience: readonly string[];
  readonly #ttlSeconds: number;
  readonly #now: () => number;
  #signingKey: Promise<CryptoKey> | undefined;

  /**
   * Creates a mock source; no key is generated until the first {@link MockTokenSource.fetchToken}.
   * @param options - client id, permissions, audience, lifetime and clock of the mock tokens
   * @throws {AuthSecConfigError} when `ttlSeconds` is not a whole number from 1 to 86400
   */
  constructor(options: MockTokenOptions = {}) {
    const ttlSeconds = options.ttlSeconds ?? 3600;
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TTL_SECONDS) {
      throw AuthSecConfigError.fromProblems([
        `ttlSeconds must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS}: pass another \`ttlSeconds\` to MockTokenSource`,
      ]);
    }
    this.#clientId = options.clientId ?? MOCK_CLIENT_ID;
    this.#permissions = Object.freeze([...(options.permissions ?? DEFAULT_PERMISSIONS)]);
    this.#audience = Object.freeze([...(options.audience ?? DEFAULT_AUDIENCE)]);
    this.#ttlSeconds = ttlSeconds;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Mints a fresh mock token (a new `jti` each call) and checks it as a live token would be checked.
   * @param options - `signal` to abort the call
   * @returns the token and its facts, with `mode: 'mock'`
   * @throws {AuthSecAbortedError} when `signal` is or becomes aborted
   * @throws {AuthSecResponseError} when the clock or options yield a token the checks refuse
   */
  async fetchToken(options: { signal?: AbortSignal } = {}): Promise<TokenFacts> {
    const { signal } = options;
    if (signal?.aborted) throw aborted(signal);
    const signingKey = await untilAborted(this.#key(), signal);
    const nowMs = this.#now();
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + this.#ttlSeconds;
    const token = await untilAborted(
      signJwt(
        {
          iss: MOCK_ISSUER,
          sub: MOCK_SUBJECT,
          aud: [...this.#audience],
          iat,
          nbf: iat,
          exp,
          jti: crypto.randomUUID(),
          permissions: [...this.#permissions],
          client_id: this.#clientId,
          agent_type: 'mock',
          workspace_id: MOCK_WORKSPACE_ID,
          mock: true,
        },
        signingKey,
      ),
      signal,
    );
    // The same checks as a live pull, so mock mode cannot hide a shape the SDK would refuse.
    return parseTokenResponse(
      {
        token,
        expires_at: new Date(exp * 1000).toISOString(),
        spiffe_id: MOCK_SUBJECT,
        permissions: [...this.#permissions],
        audience: [...this.#audience],
        client_id: this.#clientId,
        workspace_id: MOCK_WORKSPACE_ID,
      },
      { clientId: this.#clientId, now: nowMs, mode: 'mock' },
    );
  }

  /** `{ mode, issuer }`: never key material. */
  toJSON(): { mode: 'mock'; issuer: string } {
    return { mode: 'mock', issuer: MOCK_ISSUER };
  }

  /** What `util.inspect` and `console.log` show: the same summary as {@link MockTokenSource.toJSON}. */
  [Symbol.for('nodejs.util.inspect.custom')](): { mode: 'mock'; issuer: string } {
    return this.toJSON();
  }

  #key(): Promise<CryptoKey> {
    if (this.#signingKey === undefined) {
      // 2048-bit modulus and exponent 65537, as jose's `generateKeyPair('RS256')` made them.
      const pending = crypto.subtle
        .generateKey(
          { ...RS256, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
          false,
          ['sign', 'verify'],
        )
        .then((pair) => pair.privateKey);
      // A failed generation is not cached, so the next call tries again.
      pending.catch(() => {
        if (this.#signingKey === pending) this.#signingKey = undefined;
      });
      this.#signingKey = pending;
    }
    return this.#signingKey;
  }
}
