// Checks a configured server URL (AuthSec root or protected API): https except loopback, no credentials.

import { isLoopbackHostname } from './loopback.js';

/** How to name a URL setting in problems, and what it must not be. */
export interface ServerUrlRules {
  /** The option, e.g. `baseUrl`. */
  option: string;
  /** Its environment variable, e.g. `AUTHSEC_BASE_URL`. */
  env: string;
  /** What it should look like, e.g. `the AuthSec server root, e.g. https://prod.api.authsec.ai`. */
  expected: string;
  /** Refuse a path naming an AuthSec API (`/authsec`, `/uflow`): the SDK appends those itself. */
  rootOnly?: boolean;
}

/**
 * Validates and normalises a server URL (no trailing or doubled slashes, path prefix kept),
 * pushing one problem per fault.
 * @returns the normalised URL, or undefined when it has problems
 */
export function checkServerUrl(
  raw: string,
  rules: ServerUrlRules,
  problems: string[],
): string | undefined {
  const { option, env } = rules;
  const fix = `fix \`${option}\` or ${env}`;
  const trimmed = raw.trim();
  const shown = shownValue(trimmed);
  const withScheme = schemeSuggestion(trimmed);
  if (withScheme !== undefined) {
    problems.push(
      `${option} is not a URL: it has no scheme (got '${shown}'); use ${shownValue(withScheme)}. Pass \`${option}\` or set ${env} to ${rules.expected}`,
    );
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    problems.push(
      `${option} is not a URL (got '${shown}'): pass \`${option}\` or set ${env} to ${rules.expected}`,
    );
    return undefined;
  }
  const before = problems.length;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    problems.push(`${option} must use https (got ${url.protocol.replace(':', '')}): ${fix}`);
  } else if (url.protocol === 'http:' && !isLoopbackHostname(url.hostname)) {
    problems.push(
      `${option} must use https:// (plain http is allowed only for localhost, 127.0.0.0/8 and ::1): ${fix}`,
    );
  }
  if (url.username || url.password)
    problems.push(`${option} must not contain a user name or password: ${fix}`);
  if (url.search || url.hash)
    problems.push(`${option} must not have a query string or fragment: ${fix}`);
  const path = url.pathname.replace(/\/+$/, '');
  if (rules.rootOnly && /\/(authsec|uflow)(\/|$)/i.test(path)) {
    problems.push(
      `${option} must be the server root, not an AuthSec API path (it contains '${/\/uflow/i.test(path) ? '/uflow' : '/authsec'}'): the SDK appends /authsec/… itself`,
    );
  }
  if (problems.length > before) return undefined;
  return `${url.origin}${path.replace(/\/{2,}/g, '/')}`;
}

/**
 * A URL setting's value as an error may show it: no user name or password, no query or fragment,
 * cut short.
 * @param value - the value as given
 * @returns the text to quote
 */
export function shownValue(value: string): string {
  const noQuery = value.replace(/[?#][\s\S]*$/, '');
  // Everything between the scheme (with one or more slashes of either kind) and the last `@` goes:
  // a password may hold an `@` or a `/`, and `https:/u:p@h` or `://u:p@h` still carry one. Without
  // slashes, `admin:pw@h` names no scheme, so all of it up to the `@` goes.
  const noUserinfo = noQuery.replace(/^([a-z][a-z0-9+.-]*:[\\/]+)?[\s\S]*@/i, '$1');
  const oneLine = noUserinfo.replace(/\p{Cc}/gu, '?');
  return oneLine.length > 100 ? `${oneLine.slice(0, 100)}…` : oneLine;
}

/**
 * For a value written without `scheme://` (`auth.example.com`, `localhost:8080`), the URL it most
 * likely means: `http://` for loopback hosts, else `https://`. Undefined when it has a scheme or
 * would not parse either way.
 */
function schemeSuggestion(value: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || /^https?:/i.test(value) || value === '') {
    return undefined;
  }
  try {
    const guess = new URL(`http://${value}`);
    const scheme = isLoopbackHostname(guess.hostname) ? 'http' : 'https';
    return `${scheme}://${value}`;
  } catch {
    return undefined;
  }
}
