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
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    problems.push(`${option} is not a URL: pass \`${option}\` or set ${env} to ${rules.expected}`);
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
      `${option} must be the server root, not an AuthSec API path (it contains '${/\/uflow/i.test(path) ? '/uflow' : '/authsec'}'): the SDK appends /authsec/… itself. Use e.g. https://prod.api.authsec.ai`,
    );
  }
  if (problems.length > before) return undefined;
  return `${url.origin}${path.replace(/\/{2,}/g, '/')}`;
}
