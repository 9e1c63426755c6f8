// What a delegation token says: its claims' type, the key-free shape checks, and the claim checks.

import { AuthSecTokenError, type AuthSecTokenErrorReason } from './errors.js';
import { SEGMENT_RE, segmentJson } from './jwt-segments.js';
import { type Settings, UUID_RE } from './verify-options.js';

/** The claims of a verified delegation token: the contract's claims typed, plus any others. */
export interface DelegationTokenClaims {
  /** `spiffe://<workspace id>`. */
  iss: string;
  /** The agent's SPIFFE ID. */
  sub: string;
  /** Always a list, even when the token carries a single string. */
  aud: string[];
  exp: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  /** The delegated actions; `[]` when the token has none. */
  permissions: string[];
  /** The token's workspace (lower-case UUID), from `workspace_id`, else `tenant_id`, else `iss`. */
  workspaceId: string;
  client_id?: string;
  agent_type?: string;
  user_id?: string;
  email?: string;
  workspace_id?: string;
  tenant_id?: string;
  [claim: string]: unknown;
}

const SPIFFE = 'spiffe://';
const MAX_TOKEN_CHARS = 16 * 1024;
// The contract caps a delegation at 24 h; the extra minute absorbs AuthSec's own rounding.
const MAX_DELEGATED_LIFETIME_SECONDS = 24 * 60 * 60 + 60;
const OPTIONAL_STRING_CLAIMS = [
  'jti',
  'client_id',
  'agent_type',
  'user_id',
  'email',
  'workspace_id',
  'tenant_id',
] as const;
// Registered JWS names only (none, HS/RS/PS 256-512, ES256/ES256K/ES384/ES512, EdDSA, Ed25519):
// an `alg` outside this list is never echoed into a message.
const KNOWN_ALG = /^(?:none|[HRP]S(?:256|384|512)|ES(?:256K?|384|512)|EdDSA|Ed25519)$/;
const RESEND = 'Send the bare JWT AuthSec issued (no "Bearer " prefix).';

/** A token error whose message says what is wrong, then what to do (also the hint). */
export function tokenError(
  reason: AuthSecTokenErrorReason,
  what: string,
  todo: string,
): AuthSecTokenError {
  return new AuthSecTokenError(`${what} ${todo}`, { reason, hint: todo });
}

function malformed(why: string, todo: string = RESEND): AuthSecTokenError {
  return tokenError('malformed', `The delegation token is malformed: ${why}.`, todo);
}

/** A token decoded once: what the signature check and the claim checks both read. */
export interface DecodedToken {
  kid: string | undefined;
  payload: Record<string, unknown>;
  /** `<header>.<payload>`, the bytes the signature covers (ASCII). */
  signingInput: string;
  /** The signature segment, base64url. */
  signature: string;
}

/** Shape checks that need no key: segments, header, `alg`, and the types of the claims. */
export function decode(token: unknown): DecodedToken {
  if (typeof token !== 'string') throw malformed('it is not a string');
  if (token.length > MAX_TOKEN_CHARS) {
    throw malformed(`it is longer than ${MAX_TOKEN_CHARS} characters`);
  }
  if (/^bearer\s/i.test(token)) {
    throw malformed('it starts with "Bearer "');
  }
  const parts = token.split('.');
  const [head, body, signature] = parts;
  if (parts.length !== 3 || head === undefined || body === undefined || signature === undefined) {
    throw malformed('it is not a JWT (three dot-separated segments)');
  }
  const header = segmentJson(head);
  if (!header) throw malformed('its header is not a base64url-encoded JSON object');
  const alg = header.alg;
  if (alg !== 'RS256') {
    const shown =
      typeof alg === 'string' && KNOWN_ALG.test(alg) ? `'${alg}'` : 'missing or unknown';
    throw tokenError(
      'algorithm',
      `The delegation token's alg is ${shown}; only RS256 is accepted.`,
      'Use a token issued by AuthSec.',
    );
  }
  // AuthSec never uses JWS extensions; `b64: false` would change what the signature covers.
  if ('crit' in header || 'b64' in header) {
    throw malformed('its header uses JWS extensions (crit, b64)');
  }
  const kid = header.kid;
  if (kid !== undefined && typeof kid !== 'string') {
    throw malformed('its kid header is not a string');
  }
  const payload = segmentJson(body);
  if (!payload) throw malformed('its payload is not a base64url-encoded JSON object');
  if (!SEGMENT_RE.test(signature)) {
    throw malformed('its signature segment is empty or not base64url');
  }
  checkClaimTypes(payload);
  return { kid, payload, signingInput: `${head}.${body}`, signature };
}

function checkClaimTypes(payload: Record<string, unknown>): void {
  if (payload.exp === undefined) throw malformed('it has no exp claim (an expiry is required)');
  for (const name of ['exp', 'nbf', 'iat'] as const) {
    const value = payload[name];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw malformed(`its ${name} claim is not a number of seconds`);
    }
  }
  if (typeof payload.sub !== 'string') throw malformed('it has no sub claim (the SPIFFE ID)');
  for (const name of OPTIONAL_STRING_CLAIMS) {
    const value = payload[name];
    // workspace_id and tenant_id get the workspace checks, which say more.
    if (name === 'workspace_id' || name === 'tenant_id') continue;
    if (value !== undefined && value !== null && typeof value !== 'string') {
      throw malformed(`its ${name} claim is not a string`);
    }
  }
  const permissions = payload.permissions;
  if (
    permissions !== undefined &&
    permissions !== null &&
    !(Array.isArray(permissions) && permissions.every((p) => typeof p === 'string'))
  ) {
    throw malformed('its permissions claim is not a list of strings');
  }
}

function present(value: unknown): unknown {
  return value === null ? undefined : value;
}

function untrusted(trusted: ReadonlySet<string>): AuthSecTokenError {
  const list = [...trusted];
  const shown = list.length > 5 ? `${list.slice(0, 5).join(', ')}, …` : list.join(', ');
  return tokenError(
    'workspace',
    `The delegation token's workspace is not trusted here (trusted: ${shown}).`,
    'Send a token delegated in a trusted workspace, or add its workspace to `workspaceId`.',
  );
}

/** The token's workspace, which must be trusted and agree with `iss`, before any key is fetched. */
export function workspaceOf(
  payload: Record<string, unknown>,
  trusted: ReadonlySet<string>,
): string {
  const fromWorkspace = present(payload.workspace_id);
  const fromTenant = present(payload.tenant_id);
  const claimed = fromWorkspace ?? fromTenant;
  const iss = payload.iss;
  const fromIss =
    typeof iss === 'string' && iss.startsWith(SPIFFE) && UUID_RE.test(iss.slice(SPIFFE.length))
      ? iss.slice(SPIFFE.length).toLowerCase()
      : undefined;
  const issuerTodo = 'Use a token issued by AuthSec for this workspace.';
  if (claimed === undefined) {
    if (fromIss === undefined) {
      throw tokenError(
        'issuer',
        'The delegation token names no workspace (no workspace_id or tenant_id claim; iss is not spiffe://<workspace id>).',
        issuerTodo,
      );
    }
    if (!trusted.has(fromIss)) throw untrusted(trusted);
    return fromIss;
  }
  if (typeof claimed !== 'string' || !UUID_RE.test(claimed)) {
    throw tokenError(
      'workspace',
      "The delegation token's workspace claim (workspace_id or tenant_id) is not a UUID.",
      issuerTodo,
    );
  }
  const workspace = claimed.toLowerCase();
  if (
    fromWorkspace !== undefined &&
    fromTenant !== undefined &&
    (typeof fromTenant !== 'string' || fromTenant.toLowerCase() !== workspace)
  ) {
    throw tokenError(
      'workspace',
      "The delegation token's workspace_id and tenant_id claims name different workspaces.",
      issuerTodo,
    );
  }
  if (!trusted.has(workspace)) throw untrusted(trusted);
  if (fromIss === undefined) {
    throw tokenError(
      'issuer',
      "The delegation token's iss is not spiffe://<workspace id>.",
      issuerTodo,
    );
  }
  if (fromIss !== workspace) {
    throw tokenError(
      'issuer',
      "The delegation token's iss and its workspace claim name different workspaces.",
      issuerTodo,
    );
  }
  return workspace;
}

function audienceOf(aud: unknown): string[] | undefined {
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud) && aud.every((a) => typeof a === 'string')) return [...aud];
  return undefined;
}

function isDelegated(payload: Record<string, unknown>): boolean {
  return present(payload.permissions) !== undefined && present(payload.agent_type) !== undefined;
}

/** Checks time, audience, lifetime, `spiffeId` and permissions, then returns the typed claims. */
export function checkClaims(
  payload: Record<string, unknown>,
  workspaceId: string,
  settings: Settings,
  required: readonly string[],
): DelegationTokenClaims {
  const now = Math.floor(settings.clock() / 1000);
  const tolerance = settings.toleranceSeconds;
  const exp = payload.exp as number;
  if (exp <= now - tolerance) {
    throw tokenError(
      'expired',
      `The delegation token has expired (beyond the ${tolerance} s clock tolerance).`,
      "Use a fresh token, or check this machine's clock.",
    );
  }
  const nbf = payload.nbf;
  if (typeof nbf === 'number' && nbf > now + tolerance) {
    throw tokenError(
      'not_yet_valid',
      `The delegation token is not valid yet (its nbf is more than ${tolerance} s ahead).`,
      'Check the clocks of this machine and of AuthSec.',
    );
  }
  const aud = audienceOf(payload.aud);
  const expected = settings.audiences.map((a) => `'${a}'`).join(' or ');
  if (!aud || !settings.audiences.some((a) => aud.includes(a))) {
    throw tokenError(
      'audience',
      `The delegation token is not meant for this API: its aud does not contain ${expected}.`,
      `Ask the AuthSec admin to delegate the token with audience ${expected}.`,
    );
  }
  if (isDelegated(payload)) {
    const iat = payload.iat;
    const lifetimeTodo = 'Get a token delegated by AuthSec (24 h at most).';
    if (typeof iat !== 'number') {
      throw tokenError(
        'lifetime',
        'The delegated token has no iat to check its 24 h lifetime cap.',
        lifetimeTodo,
      );
    }
    if (exp - iat > MAX_DELEGATED_LIFETIME_SECONDS) {
      throw tokenError(
        'lifetime',
        'The delegated token lives longer than 24 h (exp - iat > 24 h + 60 s).',
        lifetimeTodo,
      );
    }
  }
  const sub = payload.sub as string;
  const wanted = settings.spiffeId;
  if (wanted !== undefined && (typeof wanted === 'string' ? sub !== wanted : !wanted.test(sub))) {
    throw tokenError(
      'issuer',
      "The delegation token's subject (sub) is not the SPIFFE ID this API expects.",
      'Send a token delegated to the expected agent, or widen `spiffeId`.',
    );
  }
  const permissions = Array.isArray(payload.permissions)
    ? [...(payload.permissions as string[])]
    : [];
  const missing = required.filter((p) => !permissions.includes(p));
  if (missing.length > 0) {
    throw tokenError(
      'permission',
      `The delegation token lacks the permission${missing.length === 1 ? '' : 's'} this API requires: ${missing.join(', ')} (permissions match exactly).`,
      "Ask the AuthSec admin to add it to the agent's trust delegation and delegate a new token.",
    );
  }
  const claims: Record<string, unknown> = { ...payload };
  for (const name of OPTIONAL_STRING_CLAIMS) if (claims[name] === null) delete claims[name];
  claims.aud = aud;
  claims.permissions = permissions;
  claims.workspaceId = workspaceId;
  return claims as DelegationTokenClaims;
}
