// Reads the required scope from an RFC 6750 `WWW-Authenticate` challenge, keeping only a plausible one.

// One auth-param: a token name, then a token or a quoted string (RFC 9110 §11.2).
const AUTH_PARAM = /([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))/g;

/** The auth-params of a `WWW-Authenticate` value, lower-case names, first value wins. */
function challengeParams(challenge: string): Map<string, string> {
  const params = new Map<string, string>();
  // Each match consumes a whole quoted value, so text inside one is never read as a parameter.
  for (const match of challenge.matchAll(AUTH_PARAM)) {
    const name = (match[1] as string).toLowerCase();
    const value = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '');
    if (!params.has(name)) params.set(name, value);
  }
  return params;
}

// RFC 6749 §3.3: scope = scope-token *( SP scope-token ), scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+(?: [\x21\x23-\x5B\x5D-\x7E]+)*$/;
const MAX_SCOPE_LENGTH = 128;

/**
 * Reads `scope="…"` from an RFC 6750 `WWW-Authenticate: Bearer error="insufficient_scope"` challenge.
 * Only a plausible scope is kept (RFC 6749 scope-token characters, at most 128 of them): a server
 * echoing a token or anything else there yields undefined.
 * @param headers - the 403 answer's headers
 * @returns the scope (one, or several separated by single spaces), or undefined
 */
export function requiredScopeOf(headers: Headers): string | undefined {
  const challenge = headers.get('www-authenticate');
  if (!challenge) return undefined;
  const params = challengeParams(challenge);
  if (params.get('error') !== 'insufficient_scope') return undefined;
  const scope = params.get('scope')?.trim();
  if (scope === undefined || scope.length > MAX_SCOPE_LENGTH || !SCOPE.test(scope))
    return undefined;
  return scope;
}
