// Redaction for logs: secrets and JWT-shaped strings become markers before any logger sees them.

import { segmentJson } from './jwt-segments.js';

// Suffixes, because `accessToken`, `refresh_token` and `x-api-key` are secrets while `tokenType`
// and `token_jti` are not; substrings where the word is a secret wherever it sits in a name.
const SECRET_SUFFIXES = [
  'token',
  'jwt',
  'cookie',
  'authorization',
  'assertion',
  'signature',
  'sessionid',
] as const;
const SECRET_PARTS = [
  'secret',
  'password',
  'passwd',
  'passphrase',
  'privatekey',
  'apikey',
  'credential',
] as const;
const SECRET_NAMES: ReadonlySet<string> = new Set(['auth', 'pwd']);

// Also matches JWE (five segments) and a detached payload (empty middle): both carry key material.
const JWT_SOURCE =
  'eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*(?:\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*)?';
const JWT_ANYWHERE = new RegExp(JWT_SOURCE, 'g');
const JWT_EXACT = new RegExp(`^${JWT_SOURCE}$`);
// RFC 6750 b64token; a value that is already a marker (`[jwt …]`, `[redacted]`) does not match.
const BEARER = /\bBearer\s+[A-Za-z0-9\-._~+/]+=*/gi;
// Prose such as "the Bearer token expired" names the scheme rather than carrying a credential.
const BEARER_WORDS: ReadonlySet<string> = new Set([
  'token',
  'tokens',
  'header',
  'scheme',
  'auth',
  'authentication',
  'authorization',
]);
const URL_USERINFO = /\/\/[^\s/?#@]+@/g;
// A value starting with `[` is already a marker, which keeps redactString idempotent.
const URL_PARAM = /([?&#;])([A-Za-z0-9_.-]+)=([^&#;\s"'<>[][^&#;\s"'<>]*)/g;

// What fingerprint() and the markers produce: safe by construction, so shown as they are.
const FINGERPRINT = 'eyJ[A-Za-z0-9_-]{0,9}…(?: \\(jti [A-Za-z0-9._:-]{1,8}\\))?';
const ALREADY_SAFE = new RegExp(`^(?:${FINGERPRINT}|\\[jwt ${FINGERPRINT}\\]|\\[redacted\\])$`);

const HEADER_CHARS = 12;
const JTI_CHARS = 8;
const MAX_DEPTH = 6;
const MAX_ITEMS = 50;
const OMIT: unique symbol = Symbol('omit');

/**
 * Whether a field's value is a secret, judged by the field's name alone.
 *
 * Case-insensitive, and `-` and `_` are ignored, so `accessToken`, `access_token` and
 * `Access-Token` agree. `jti`, `tokenType`, `tokenPrefix`, `expiresAt`, `token_jti` and
 * `tokenFingerprint` are not secrets.
 * @param key - a property, header, query parameter or map key name
 * @returns true when the value under this name must never be logged
 * @example
 * ```ts
 * isSecretKey('Set-Cookie'); // true
 * isSecretKey('token_jti'); // false
 * ```
 */
export function isSecretKey(key: string): boolean {
  if (typeof key !== 'string') return false;
  const name = key.toLowerCase().replace(/[-_]/g, '');
  if (SECRET_NAMES.has(name)) return true;
  return (
    SECRET_SUFFIXES.some((suffix) => name.endsWith(suffix)) ||
    SECRET_PARTS.some((part) => name.includes(part))
  );
}

/**
 * A non-secret fingerprint of a token, enough to tell two tokens apart in a log.
 *
 * For a JWT: at most the first 12 characters of its header, then the first 8 characters of its
 * `jti` claim when the payload decodes; for anything else `'[redacted]'`. Never throws.
 * @param secret - a token or other secret
 * @returns e.g. `'eyJhbGciOiJS… (jti 2f1c9a52)'`, or `'[redacted]'`
 * @example
 * ```ts
 * fingerprint(token); // 'eyJhbGciOiJS… (jti 2f1c9a52)'
 * fingerprint('hunter2'); // '[redacted]'
 * ```
 */
export function fingerprint(secret: string): string {
  if (typeof secret !== 'string') return '[redacted]';
  const token = secret.trim();
  if (!JWT_EXACT.test(token)) return '[redacted]';
  // Sliced from the header segment alone, so a short header can never expose the payload.
  const header = token.slice(0, token.indexOf('.')).slice(0, HEADER_CHARS);
  const jti = jtiPrefix(token);
  return jti === undefined ? `${header}…` : `${header}… (jti ${jti})`;
}

function jtiPrefix(token: string): string | undefined {
  const parts = token.split('.');
  const jti = parts.length === 3 ? segmentJson(parts[1])?.jti : undefined;
  if (typeof jti !== 'string') return undefined;
  // The claim is attacker-controllable text: keep only characters that cannot forge a log line.
  const safe = jti.replace(/[^A-Za-z0-9._:-]/g, '').slice(0, JTI_CHARS);
  return safe === '' ? undefined : safe;
}

function marker(token: string): string {
  return `[jwt ${fingerprint(token)}]`;
}

/**
 * Replaces every secret inside free text, keeping the rest of the text readable.
 *
 * Every JWT-shaped run (three base64url segments, the first starting `eyJ`, the last possibly
 * empty) becomes `[jwt <fingerprint>]`; every `Bearer <value>` (any case) becomes
 * `Bearer [redacted]`, or `Bearer [jwt …]` for a JWT (prose like "Bearer token" is kept). URL
 * userinfo (`//user:pass@`) and the values of secret-named URL parameters (`?api_key=…`) become
 * `[redacted]` as well.
 * @param value - any text: a message, a URL, a header line
 * @returns the text with each secret replaced by a marker
 * @example
 * ```ts
 * redactString(`Authorization: Bearer ${token}`);
 * // 'Authorization: Bearer [jwt eyJhbGciOiJS… (jti 2f1c9a52)]'
 * ```
 */
export function redactString(value: string): string {
  if (typeof value !== 'string') return '[redacted]';
  // Parameters first, so a JWT in `?token=` becomes one marker rather than half of one.
  return value
    .replace(URL_USERINFO, '//[redacted]@')
    .replace(URL_PARAM, (match: string, sep: string, name: string, param: string) => {
      if (!isSecretKey(name)) return match;
      return `${sep}${name}=${JWT_EXACT.test(param) ? marker(param) : '[redacted]'}`;
    })
    .replace(JWT_ANYWHERE, marker)
    .replace(BEARER, (match: string) => {
      const space = match.search(/\s/);
      const word = match.slice(space).trim().replace(/\.+$/, '').toLowerCase();
      if (BEARER_WORDS.has(word)) return match;
      return `${match.slice(0, space)} [redacted]`;
    });
}

/**
 * A deep, redacted, JSON-safe copy of any value, for logging.
 *
 * Secret-named keys become `[jwt …]` (JWT-shaped strings) or `'[redacted]'`, except a value that
 * is already a {@link fingerprint} or marker, which is kept; other strings go through
 * {@link redactString}. An `Error` becomes `{ name, code?, message, hint? }` and nothing
 * else (never its cause, stack, request or response); a `Date` its ISO string; a `URL` its origin
 * and path; `Map`/`Set` arrays; bigint a string; binary data `[binary N bytes]`. Functions and
 * symbols are left out, cycles become `'[circular]'`, nesting deeper than 6 `'[truncated]'`, and
 * arrays keep 50 items then a `'…N more'` marker. `toJSON()` is applied first. Never throws.
 * @param value - anything a caller wants to log
 * @returns a new value that is safe to print
 * @example
 * ```ts
 * redact({ token, jti: 'a1b2', url: new URL('https://u:p@api.example/x?sig=1') });
 * // { token: '[jwt eyJhbGciOiJS… (jti a1b2)]', jti: 'a1b2', url: 'https://api.example/x' }
 * ```
 */
export function redact(value: unknown): unknown {
  try {
    const result = walk(value, 0, new Set(), true);
    return result === OMIT ? undefined : result;
  } catch {
    return '[unreadable]';
  }
}

function redactSecret(value: unknown): string {
  if (typeof value !== 'string') return '[redacted]';
  const text = value.trim();
  if (JWT_EXACT.test(text)) return marker(text);
  // Lets callers log `{ token: fingerprint(token) }` and lets redact() run twice harmlessly.
  return ALREADY_SAFE.test(text) ? text : '[redacted]';
}

function walkNamed(key: unknown, value: unknown, depth: number, seen: Set<object>): unknown {
  return typeof key === 'string' && isSecretKey(key)
    ? redactSecret(value)
    : walk(value, depth, seen, true);
}

function walk(value: unknown, depth: number, seen: Set<object>, useToJSON: boolean): unknown {
  switch (typeof value) {
    case 'string':
      return redactString(value);
    case 'bigint':
      return value.toString();
    case 'function':
    case 'symbol':
      return OMIT;
    case 'object':
      break;
    default:
      return value;
  }
  if (value === null) return null;
  if (seen.has(value)) return '[circular]';
  if (depth > MAX_DEPTH) return '[truncated]';
  seen.add(value);
  try {
    return walkObject(value, depth, seen, useToJSON);
  } catch {
    // A throwing getter, toJSON or Proxy trap costs this one value, not the whole log entry.
    return '[unreadable]';
  } finally {
    seen.delete(value);
  }
}

function walkObject(value: object, depth: number, seen: Set<object>, useToJSON: boolean): unknown {
  // Before toJSON: an HTTP library's error serialises its request, headers included.
  if (value instanceof Error || Object.prototype.toString.call(value) === '[object Error]') {
    return redactError(value as Error);
  }
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  }
  // Before toJSON too: URL's toJSON is the full href, query string and userinfo included.
  if (typeof URL === 'function' && value instanceof URL) {
    return redactString(`${value.origin}${value.pathname}`);
  }
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    return `[binary ${value.byteLength} bytes]`;
  }
  const next = depth + 1;
  if (value instanceof Map) {
    return list(value, value.size, ([key, item]: [unknown, unknown]) => {
      if (next > MAX_DEPTH) return '[truncated]';
      const shownKey = walk(key, next + 1, seen, true);
      const shownValue = walkNamed(key, item, next + 1, seen);
      return shownKey === OMIT || shownValue === OMIT ? OMIT : [shownKey, shownValue];
    });
  }
  if (value instanceof Set) {
    return list(value, value.size, (item) => walk(item, next, seen, true));
  }
  if (typeof Headers === 'function' && value instanceof Headers) {
    const out: Record<string, unknown> = {};
    value.forEach((item, key) => {
      assign(out, key, walkNamed(key, item, next, seen));
    });
    return out;
  }
  if (Array.isArray(value)) {
    return list(value, value.length, (item) => walk(item, next, seen, true));
  }
  const toJSON: unknown = useToJSON ? (value as { toJSON?: unknown }).toJSON : undefined;
  if (typeof toJSON === 'function') {
    const json: unknown = toJSON.call(value);
    // Not applied to its own result (as JSON.stringify does), so toJSON chains cannot loop.
    if (json !== value) return walk(json, depth, seen, false);
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    let shown: unknown;
    try {
      shown = walkNamed(key, (value as Record<string, unknown>)[key], next, seen);
    } catch {
      shown = '[unreadable]';
    }
    if (shown !== OMIT) assign(out, key, shown);
  }
  return out;
}

function redactError(error: Error): Record<string, unknown> {
  const { code, hint } = error as { code?: unknown; hint?: unknown };
  const out: Record<string, unknown> = { name: redactString(String(error.name)) };
  if (typeof code === 'string') out.code = redactString(code);
  else if (typeof code === 'number') out.code = code;
  out.message = redactString(String(error.message));
  if (typeof hint === 'string') out.hint = redactString(hint);
  return out;
}

function list<T>(items: Iterable<T>, size: number, each: (item: T) => unknown): unknown[] {
  const out: unknown[] = [];
  let taken = 0;
  for (const item of items) {
    if (taken === MAX_ITEMS) break;
    taken += 1;
    const shown = each(item);
    if (shown !== OMIT) out.push(shown);
  }
  if (size > MAX_ITEMS) out.push(`…${size - MAX_ITEMS} more`);
  return out;
}

/** Adds `key` as an own data property, whatever its name; the logger's field copies use it too. */
export function assign(target: Record<string, unknown>, key: string, value: unknown): void {
  // A plain assignment to `__proto__` would replace the copy's prototype instead of adding data.
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
