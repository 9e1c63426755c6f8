// Shared shapes: the token facts a pull yields, and what callers get back.

/** Whether a token came from AuthSec or from the local mock source. */
export type AuthSecMode = 'live' | 'mock';

/** A delegation token and what the SDK knows about it. `token` is readable but never printed. */
export interface DelegationTokenInfo {
  /** The JWT to send as `Authorization: Bearer …`. Not enumerable: JSON and inspect leave it out. */
  readonly token: string;
  /** When the SDK treats it as expired: the earlier of `expires_at` and the JWT's `exp`. */
  readonly expiresAt: Date;
  /** The delegated actions (the token's scope). */
  readonly permissions: readonly string[];
  readonly audience: readonly string[];
  /** The agent's SPIFFE ID. */
  readonly spiffeId: string | undefined;
  readonly clientId: string | undefined;
  readonly workspaceId: string | undefined;
  /** The token's unique id: safe to log. */
  readonly jti: string | undefined;
  /** `live` (from AuthSec) or `mock`. */
  readonly mode: AuthSecMode;
}

/** What a token source hands to the cache: the same facts, before they are wrapped for callers. */
export type TokenFacts = DelegationTokenInfo;
