// How a token goes into a shared TokenStore: the key a client derives, and the value's format.

import { decodeTokenUnverified, isStringList } from './token-response.js';
import type { TokenFacts } from './types.js';

/** Bumped when the stored value's shape changes, so old and new clients never misread each other. */
const FORMAT = 1;

/** What identifies a client's token in a store. */
export interface StoreKeyParts {
  readonly baseUrl: string;
  readonly clientId: string;
  /** The session credential the pull sends, when one is used: only its SHA-256 enters the key. */
  readonly sessionCredential?: string | undefined;
}

/**
 * The store key of a client's token: `token:v1:<baseUrl>:<clientId>`, plus `:s<hash>` when a
 * session credential is used, so one session never reads a token pulled with another.
 * @param parts - the base URL, the client id and the session credential, if any
 * @returns the key, without the store's own prefix
 */
export async function deriveStoreKey(parts: StoreKeyParts): Promise<string> {
  const base = `token:v${FORMAT}:${parts.baseUrl}:${parts.clientId.toLowerCase()}`;
  if (parts.sessionCredential === undefined) return base;
  return `${base}:s${await sessionFingerprint(parts.sessionCredential)}`;
}

/**
 * A one-way, domain-separated fingerprint of a session credential: 32 hex characters (128 bits)
 * of SHA-256. Never the credential, and never usable as one.
 * @param credential - the bare session credential
 * @returns the fingerprint
 */
export async function sessionFingerprint(credential: string): Promise<string> {
  const data = new TextEncoder().encode(`authsec-token-store-session\u0000${credential}`);
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', data));
  let hex = '';
  for (const byte of digest.subarray(0, 16)) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

interface StoredShape {
  v: number;
  token: string;
  expiresAtMs: number;
  permissions: string[];
  audience: string[];
  spiffeId?: string;
  clientId?: string;
  workspaceId?: string;
  jti?: string;
}

/**
 * The stored form of a live token's facts: JSON, versioned.
 * @param facts - the facts a pull yielded
 * @returns the value to hand to `TokenStore.set`
 */
export function serializeTokenFacts(facts: TokenFacts): string {
  const shape: StoredShape = {
    v: FORMAT,
    token: facts.token,
    expiresAtMs: facts.expiresAt.getTime(),
    permissions: [...facts.permissions],
    audience: [...facts.audience],
    ...(facts.spiffeId !== undefined && { spiffeId: facts.spiffeId }),
    ...(facts.clientId !== undefined && { clientId: facts.clientId }),
    ...(facts.workspaceId !== undefined && { workspaceId: facts.workspaceId }),
    ...(facts.jti !== undefined && { jti: facts.jti }),
  };
  return JSON.stringify(shape);
}

const optionalString = (value: unknown): value is string | undefined =>
  value === undefined || typeof value === 'string';

/**
 * Reads a stored value back into facts, checking its shape, that it belongs to `clientId`, and
 * that its expiry is no later than the JWT's own `exp`.
 * @param value - what `TokenStore.get` returned
 * @param clientId - the client the value must belong to
 * @returns the facts, or `undefined` for a value that is malformed or belongs to someone else
 */
export function parseStoredToken(value: string, clientId: string): TokenFacts | undefined {
  let shape: Partial<StoredShape>;
  try {
    shape = JSON.parse(value) as Partial<StoredShape>;
  } catch {
    return undefined;
  }
  if (
    typeof shape !== 'object' ||
    shape === null ||
    shape.v !== FORMAT ||
    typeof shape.token !== 'string' ||
    typeof shape.expiresAtMs !== 'number' ||
    !Number.isFinite(shape.expiresAtMs) ||
    !isStringList(shape.permissions) ||
    !isStringList(shape.audience) ||
    !optionalString(shape.spiffeId) ||
    !optionalString(shape.clientId) ||
    !optionalString(shape.workspaceId) ||
    !optionalString(shape.jti)
  ) {
    return undefined;
  }
  if (shape.clientId !== undefined && shape.clientId.toLowerCase() !== clientId.toLowerCase()) {
    return undefined;
  }
  let exp: unknown;
  let tokenClientId: unknown;
  try {
    const { payload } = decodeTokenUnverified(shape.token);
    exp = payload?.exp;
    tokenClientId = payload?.client_id;
  } catch {
    return undefined;
  }
  if (typeof exp !== 'number' || shape.expiresAtMs > exp * 1000) return undefined;
  if (typeof tokenClientId === 'string' && tokenClientId.toLowerCase() !== clientId.toLowerCase()) {
    return undefined;
  }
  return Object.freeze({
    token: shape.token,
    expiresAt: new Date(shape.expiresAtMs),
    permissions: Object.freeze([...shape.permissions]),
    audience: Object.freeze([...shape.audience]),
    spiffeId: shape.spiffeId,
    clientId: shape.clientId,
    workspaceId: shape.workspaceId,
    jti: shape.jti,
    mode: 'live' as const,
  });
}
