// Validates a pull's 200 body and the JWT inside it, and turns them into the facts the cache needs.

import { AuthSecResponseError } from './errors.js';
import { isPlainObject, segmentJson } from './jwt-segments.js';
import { parseRfc3339 } from './rfc3339.js';
import type { AuthSecMode, TokenFacts } from './types.js';

/** Options for checking a pulled token. */
export interface TokenCheckOptions {
  /** The client id the SDK pulled for; the token must have been issued to it. */
  clientId: string;
  /** The current time, in epoch milliseconds. */
  now: number;
  /** Where the token came from. @default 'live' */
  mode?: AuthSecMode;
}

/** The body once checked: the fields the SDK reads, each of the contract's type. */
interface SuccessBody {
  readonly token: string;
  readonly expires_at?: string | undefined;
  readonly spiffe_id?: string | null | undefined;
  readonly permissions?: readonly string[] | null | undefined;
  readonly audience?: readonly string[] | null | undefined;
  readonly client_id?: string | null | undefined;
  readonly tenant_id?: string | null | undefined;
  readonly workspace_id?: string | null | undefined;
}

// After `ttl_seconds`, fields that are a string, null or missing; the last three are checked for shape only.
const LATER_NULLABLE_STRINGS = [
  'client_id',
  'tenant_id',
  'workspace_id',
  'status',
  'issued_at',
  'updated_at',
] as const;

/**
 * Checks the success body field by field, in the contract's order, and lists every problem by path.
 * Loose: newer servers add fields, and an unknown field is no reason to refuse a token.
 */
function checkSuccessBody(body: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const { token, expires_at: expiresAt, ttl_seconds: ttl } = body;
  if (typeof token !== 'string' || token === '') {
    problems.push({ path: 'token', why: 'must be a non-empty string' });
  }
  if (expiresAt !== undefined && typeof expiresAt !== 'string') {
    problems.push({ path: 'expires_at', why: 'must be an RFC 3339 date-time string' });
  }
  const wrongType = (path: string): void => {
    problems.push({ path, why: 'has the wrong type' });
  };
  const stringOrNull = (name: string): void => {
    const value = body[name];
    if (value !== undefined && value !== null && typeof value !== 'string') wrongType(name);
  };
  const listOrNull = (name: string): void => {
    const value = body[name];
    if (value === undefined || value === null) return;
    if (!Array.isArray(value)) {
      wrongType(name);
      return;
    }
    // An index loop, not every(): a hole counts as a missing string.
    for (let i = 0; i < value.length; i++) {
      if (typeof value[i] !== 'string') wrongType(`${name}[${i}]`);
    }
  };
  stringOrNull('spiffe_id');
  // Servers send `null` for an empty list; null and missing both mean [].
  listOrNull('permissions');
  listOrNull('audience');
  // Checked for shape only: it is the original lifetime, never the time left.
  if (ttl !== undefined && !(Number.isSafeInteger(ttl) && (ttl as number) >= 0)) {
    problems.push({ path: 'ttl_seconds', why: 'must be a whole number of seconds, 0 or more' });
  }
  for (const name of LATER_NULLABLE_STRINGS) stringOrNull(name);
  return problems;
}

/** One failed check: a field path and what is wrong with it, never the value. */
interface Problem {
  readonly path: string;
  readonly why: string;
  /** The token was issued to another client, which config may explain, unlike a broken body. */
  readonly otherClient?: true;
}

const CONTRACT_ACTION =
  'Check that AUTHSEC_BASE_URL is the AuthSec server root, not a proxy or another API; if it is, contact the AuthSec admin.';
const CLIENT_ACTION =
  "Check that AUTHSEC_AGENT_CLIENT_ID is this agent's client id; if it is, contact the AuthSec admin.";
const EXPIRED_ACTION =
  "Ask the AuthSec admin to re-delegate a token to this agent, and check this machine's clock.";

const PULL_SUBJECT = "AuthSec's token pull answer breaks the delegation contract";

function responseError(
  problems: readonly Problem[],
  subject: string = PULL_SUBJECT,
): AuthSecResponseError {
  const paths = [...new Set(problems.map((p) => p.path))];
  const summary = problems.map((p) => `${p.path} ${p.why}`).join('; ');
  const action = problems.every((p) => p.otherClient) ? CLIENT_ACTION : CONTRACT_ACTION;
  return new AuthSecResponseError(`${subject} (${summary}). ${action}`, {
    issues: paths,
    hint: action,
  });
}

interface DecodedToken {
  header: Record<string, unknown> | undefined;
  payload: Record<string, unknown> | undefined;
  problems: Problem[];
}

function decodeParts(token: string): DecodedToken {
  const parts = token.split('.');
  // A delegation token is always a three-part JWS (never a five-part JWE).
  if (parts.length !== 3) {
    return {
      header: undefined,
      payload: undefined,
      problems: [{ path: 'token', why: 'is not a JWT (three dot-separated segments)' }],
    };
  }
  const problems: Problem[] = [];
  const header = segmentJson(parts[0]);
  const payload = segmentJson(parts[1]);
  const notJson = 'does not decode to a JSON object';
  if (header === undefined) problems.push({ path: 'token.header', why: notJson });
  if (payload === undefined) problems.push({ path: 'token.payload', why: notJson });
  return { header, payload, problems };
}

/**
 * Decodes a JWT's header and payload without verifying it (the SDK is not the audience; resource servers verify).
 *
 * @param token - a compact JWS
 * @returns the decoded header and payload
 * @throws {AuthSecResponseError} when `token` is not three dot-separated segments or a part is not a JSON object
 * @example
 * ```ts
 * const { payload } = decodeTokenUnverified(facts.token);
 * console.log(payload.jti);
 * ```
 */
export function decodeTokenUnverified(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const subject = 'The token is not a decodable JWT';
  if (typeof token !== 'string') {
    throw responseError([{ path: 'token', why: 'must be a non-empty string' }], subject);
  }
  const { header, payload, problems } = decodeParts(token);
  if (problems.length > 0 || header === undefined || payload === undefined) {
    throw responseError(problems, subject);
  }
  return { header, payload };
}

function sameId(a: string, b: string): boolean {
  // Client ids are UUIDs, which compare case-insensitively.
  return a.toLowerCase() === b.toLowerCase();
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** An array whose every element is a string (a hole is not one). */
export function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function stringListOf(value: unknown): readonly string[] | undefined {
  return isStringList(value) ? value : undefined;
}

const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]+$/;
const SEGMENT_PATHS = ['token.header', 'token.payload', 'token.signature'] as const;

// Outside this range `new Date()` is Invalid Date.
const MAX_DATE_MS = 8.64e15;

/**
 * Validates the parsed JSON body of a 200 pull and the JWT inside it; returns the facts the cache needs.
 *
 * The token is decoded, not verified: its signature is for the resource servers it is sent to.
 * Expiry is the earlier of the body's `expires_at` and the JWT's `exp`, never `ttl_seconds`.
 *
 * @param body - the 200 answer's parsed JSON
 * @param options - the client id that was pulled for, the current time and the mode
 * @returns the token and its checked, frozen facts
 * @throws {AuthSecResponseError} when the body or token breaks the contract (its `issues` name the
 * field paths) or the token has already expired
 * @example
 * ```ts
 * const facts = parseTokenResponse(await response.json(), { clientId, now: Date.now() });
 * ```
 */
export function parseTokenResponse(body: unknown, options: TokenCheckOptions): TokenFacts {
  if (!isPlainObject(body)) {
    throw responseError([{ path: 'body', why: 'is not a JSON object' }]);
  }
  const bodyProblems = checkSuccessBody(body);
  if (bodyProblems.length > 0) throw responseError(bodyProblems);
  // Every field read below was checked by checkSuccessBody.
  const data = body as unknown as SuccessBody;

  const { header, payload, problems } = decodeParts(data.token);
  const claims = payload ?? {};
  if (header !== undefined && header.alg !== 'RS256') {
    problems.push({ path: 'token.header.alg', why: 'must be RS256' });
  }
  // jose's decoder reads past characters outside base64url and never looks at the signature, so
  // such a token would pass here and be refused by every API: refuse it now, naming the segment.
  if (problems.length === 0) {
    const segments = data.token.split('.');
    const broken = SEGMENT_PATHS.findIndex((_, i) => !BASE64URL_SEGMENT.test(segments[i] ?? ''));
    if (broken !== -1) {
      problems.push({ path: SEGMENT_PATHS[broken] as string, why: 'is empty or not base64url' });
    }
  }
  const exp = claims.exp;
  const expMs = typeof exp === 'number' ? exp * 1000 : Number.NaN;
  if (payload !== undefined && !(Number.isFinite(expMs) && Math.abs(expMs) <= MAX_DATE_MS)) {
    problems.push({
      path: 'token.payload.exp',
      why: 'must be a number of seconds since the epoch',
    });
  }
  const claimClientId = claims.client_id;
  if (typeof claimClientId === 'string') {
    if (!sameId(claimClientId, options.clientId)) {
      problems.push({
        path: 'token.payload.client_id',
        why: 'does not match the client id that was pulled for',
        otherClient: true,
      });
    }
  } else if (claimClientId !== undefined && claimClientId !== null) {
    problems.push({ path: 'token.payload.client_id', why: 'must be a string' });
  }
  if (typeof data.client_id === 'string' && !sameId(data.client_id, options.clientId)) {
    problems.push({
      path: 'client_id',
      why: 'does not match the client id that was pulled for',
      otherClient: true,
    });
  }
  if (
    typeof data.spiffe_id === 'string' &&
    claims.sub !== undefined &&
    claims.sub !== data.spiffe_id
  ) {
    problems.push({ path: 'spiffe_id', why: 'does not match the sub claim of the token' });
  }
  const expiresAtMs = data.expires_at === undefined ? undefined : parseRfc3339(data.expires_at);
  if (data.expires_at !== undefined && expiresAtMs === undefined) {
    problems.push({ path: 'expires_at', why: 'is not an RFC 3339 date-time' });
  }
  if (problems.length > 0) throw responseError(problems);

  const expiry = expiresAtMs === undefined ? expMs : Math.min(expiresAtMs, expMs);
  if (expiry <= options.now) {
    const expired: string[] = [];
    if (expiresAtMs !== undefined && expiresAtMs === expiry) expired.push('expires_at');
    if (expMs === expiry) expired.push('token.payload.exp');
    throw new AuthSecResponseError(
      `AuthSec handed out a token that had already expired (${expired.join(', ')}). ${EXPIRED_ACTION}`,
      { issues: expired, hint: EXPIRED_ACTION },
    );
  }

  const permissions =
    data.permissions && data.permissions.length > 0
      ? data.permissions
      : (stringListOf(claims.permissions) ?? []);
  const aud = claims.aud;
  const audience =
    data.audience && data.audience.length > 0
      ? data.audience
      : typeof aud === 'string'
        ? [aud]
        : (stringListOf(aud) ?? []);
  const iss = stringOf(claims.iss);
  const issWorkspace =
    iss?.startsWith('spiffe://') && iss.length > 'spiffe://'.length
      ? iss.slice('spiffe://'.length)
      : undefined;

  return Object.freeze({
    token: data.token,
    expiresAt: new Date(expiry),
    permissions: Object.freeze([...permissions]),
    audience: Object.freeze([...audience]),
    spiffeId: data.spiffe_id ?? stringOf(claims.sub),
    clientId: data.client_id ?? stringOf(claimClientId) ?? options.clientId,
    workspaceId:
      data.workspace_id ??
      data.tenant_id ??
      stringOf(claims.workspace_id) ??
      stringOf(claims.tenant_id) ??
      issWorkspace,
    jti: stringOf(claims.jti),
    mode: options.mode ?? 'live',
  });
}
