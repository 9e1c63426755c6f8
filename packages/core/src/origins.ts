// Where a delegation token may go: exact, normalised origins, checked before a byte is sent.

import { AuthSecOriginNotAllowedError } from './errors.js';
import { isLoopbackHostname } from './loopback.js';
import { shownValue } from './server-url.js';

/**
 * Normalises one allowed-origin entry (scheme, host case, IDN, default port), or explains why not.
 * @returns the origin, or a problem sentence
 */
export function parseOrigin(entry: string): { origin: string } | { problem: string } {
  const raw = entry.trim();
  if (raw.includes('*'))
    return { problem: `'${shownValue(raw)}' has a wildcard: list exact origins` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problem: `'${shownValue(raw)}' is not an origin like https://api.example.com` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { problem: `'${url.protocol}' is not http(s)` };
  }
  if (url.username || url.password)
    return { problem: `an origin must not carry a user name or password` };
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    return {
      problem: `'${url.origin}…' has a path, query or fragment: list the origin only (${url.origin})`,
    };
  }
  if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname)) {
    return {
      problem: `${url.origin} uses plain http, allowed only for localhost, 127.0.0.0/8 and ::1`,
    };
  }
  return { origin: url.origin };
}

/** A frozen set of exact origins the token may be sent to. */
export class OriginPolicy {
  readonly #origins: ReadonlySet<string>;
  /**
   * Allowed origins already seen to pass every check: the scheme and host are part of the origin,
   * so the https/loopback decision for one holds for every http(s) URL on it. Never larger than
   * `#origins`, since only an allowed origin can pass.
   */
  readonly #passed = new Set<string>();

  constructor(origins: Iterable<string>) {
    this.#origins = new Set(origins);
  }

  /** The allowed origins, for summaries. */
  get origins(): readonly string[] {
    return [...this.#origins];
  }

  /**
   * Throws unless the token may be sent to `url`.
   * @throws AuthSecOriginNotAllowedError naming the origin (never the path, query or credentials)
   */
  assertAllowed(url: URL, method: string): void {
    const { origin, protocol } = url;
    // The fast path: an http(s) URL without credentials on an origin that passed before. (A
    // `blob:https://…` URL has an https origin, hence the protocol test.)
    if (
      this.#passed.has(origin) &&
      (protocol === 'https:' || protocol === 'http:') &&
      !url.username &&
      !url.password
    )
      return;
    // Only an http(s) URL's path is a path: a `blob:` URL's is a whole URL, credentials included.
    const web = protocol === 'https:' || protocol === 'http:';
    const refuse = (why: string, hint: string) => {
      throw new AuthSecOriginNotAllowedError(
        `Refused to send the delegation token to ${url.origin}: ${why}. Nothing was sent.`,
        { origin: url.origin, method, ...(web && { path: url.pathname }), hint },
      );
    };
    if (url.username || url.password) {
      refuse(
        'the URL carries a user name or password (https://user@host)',
        'Remove the credentials from the URL.',
      );
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      refuse(`${url.protocol} is not http(s)`, 'Use an https:// URL.');
    if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname)) {
      refuse('plain http is allowed only to loopback', 'Use https://.');
    }
    if (!this.#origins.has(url.origin)) {
      refuse(
        this.#origins.size === 0 ? 'no origin is allowed' : 'it is not an allowed origin',
        'Add the exact origin to `allowedOrigins` or AUTHSEC_ALLOWED_ORIGINS (comma-separated), or set `downstreamUrl` / DOWNSTREAM_URL to the API it belongs to.',
      );
    }
    this.#passed.add(origin);
  }
}

/**
 * True when `text` holds a C0 control character or DEL. The URL parser drops tab, CR and LF
 * anywhere in a URL, so `.\t.` is `..` once parsed.
 */
export function hasControlCharacter(text: string): boolean {
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** True when `path` has a `..` segment once %2E, %2F and %5C are read as `.`, `/` and `\\`. */
function hasDotDotSegment(path: string): boolean {
  const spelled = path.replace(/%2f|%5c|%2e/gi, (code) =>
    code.toLowerCase() === '%2e' ? '.' : '/',
  );
  return /(^|[\\/])\.\.([\\/]|$)/.test(spelled);
}

// A path made only of unreserved and sub-delimiter characters, `:`, `@` and `/`: no percent sign,
// backslash, query, fragment, space or control character, so the URL parser changes nothing in it.
const PLAIN_PATH = /^[\w\-.~!$&'()*+,;=:@/]*$/;
// A `.` or `..` segment, which the URL parser would resolve.
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

/**
 * Joins a relative path onto `base`, keeping the base's path; refuses a path that climbs out of it.
 * `https://h/api` + `/docs` → `https://h/api/docs`.
 * @throws AuthSecOriginNotAllowedError when the result leaves the base (by `..`, `//host`, or `\\`),
 *   or the path holds a control character (tab, CR, LF … which the URL parser would drop)
 */
export function joinPath(base: URL, relative: string, method: string): URL {
  const basePath = base.pathname.replace(/\/+$/, '');
  // The common case, a plain path such as `/docs/42` under a base without a percent sign (where no
  // encoded `..` can hide): nothing in it can leave the base or be rewritten by the parser, so
  // every check below would pass. One parse, no checks.
  if (
    PLAIN_PATH.test(relative) &&
    !relative.startsWith('//') &&
    !DOT_SEGMENT.test(relative) &&
    !basePath.includes('%')
  )
    return new URL(`${base.origin}${basePath}/${relative.replace(/^\//, '')}`);
  const refuse = (why: string): never => {
    throw new AuthSecOriginNotAllowedError(`Refused the path: ${why}. Nothing was sent.`, {
      origin: base.origin,
      method,
      path: basePath || '/',
      hint: 'Pass a path under downstreamUrl, or an absolute URL on an allowed origin.',
    });
  };
  // Checked before parsing: the parser strips tab, CR and LF, so `.\t.` would become `..` after
  // every check of the text.
  if (hasControlCharacter(relative))
    refuse('it contains a control character (tab, line break …); percent-encode it');
  if (/^[\\/]{2}/.test(relative) || relative.includes('\\'))
    refuse('it names another host or uses backslashes');
  // The URL parser leaves %2F and %5C alone, but many servers decode them into separators, so
  // `..%2F..%2Fadmin` would climb out there: refuse a `..` segment once those are decoded.
  const pathPart = relative.split(/[?#]/)[0] ?? '';
  if (/%2f|%5c/i.test(pathPart) && hasDotDotSegment(pathPart))
    refuse("it hides '..' behind an encoded slash");
  const joined = new URL(`${basePath}/${relative.replace(/^\/+/, '')}`, base.origin);
  // The URL parser has resolved `.`, `..` and their %2e spellings; what is left must stay under the base.
  if (joined.origin !== base.origin) refuse('it leaves the downstreamUrl origin');
  if (
    basePath !== '' &&
    joined.pathname !== basePath &&
    !joined.pathname.startsWith(`${basePath}/`)
  ) {
    refuse(`it climbs out of ${basePath} with '..'`);
  }
  if (basePath === '' && /(^|\/)(\.|%2e){2}(\/|$)/i.test(pathPart)) {
    refuse("it climbs above the root with '..'");
  }
  // What is sent, not what was written: no `..` may survive in the parsed path, however spelled.
  if (hasDotDotSegment(joined.pathname)) refuse("it hides '..' behind an encoded slash");
  return joined;
}
