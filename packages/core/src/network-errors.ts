// The AuthSec error for a call that got no HTTP answer (DNS, refused, reset, TLS): who could not be
// reached, the system code or a few plain words, and a fix for that cause.

import { AuthSecNetworkError } from './errors.js';

// Node's TLS codes: ERR_TLS_*, ERR_SSL_*, *_CERT_* (self-signed, expired, untrusted), UNABLE_TO_VERIFY_*.
const TLS_CODES = /CERT|SSL|TLS|UNABLE_TO_VERIFY/i;

/** Who a network error names, and the fix it gives when the cause is not a known one. */
export interface NetworkErrorContext {
  /** Who could not be reached. @default 'AuthSec' */
  peer?: 'AuthSec' | 'the API';
  /** @default 'GET' */
  method?: string;
  /** The fix for every cause (the API's calls, a verifier's). @default a fix per cause, for AUTHSEC_BASE_URL */
  hint?: string;
}

/**
 * The AuthSec error for a failure with no HTTP answer (DNS, refused, reset, TLS). The raw error is
 * dropped (it can hold the request): only its system code or a few plain words are kept.
 * @param error - what fetch threw
 * @param origin - the origin that could not be reached
 * @param path - the request path, without query
 * @param context - who was asked, the method, a fixed hint
 * @returns the network error
 */
export function networkError(
  error: unknown,
  origin: string,
  path: string,
  context: NetworkErrorContext = {},
): AuthSecNetworkError {
  const code = causeCode(error);
  const why = code ?? causePhrase(error);
  return new AuthSecNetworkError(
    `Could not reach ${context.peer ?? 'AuthSec'} at ${origin}${why ? ` (${why})` : ''}.`,
    {
      method: context.method ?? 'GET',
      path,
      hint: context.hint ?? networkHint(code, origin),
    },
  );
}

function networkHint(code: string | undefined, origin: string): string {
  if (code !== undefined && TLS_CODES.test(code)) {
    return "TLS failed: check that AUTHSEC_BASE_URL has the server's real host name, and that its certificate is trusted here.";
  }
  if (code === 'ECONNREFUSED') {
    return `Nothing is listening at ${origin}: check the host and port in AUTHSEC_BASE_URL, and that the server is running.`;
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `The host name of ${origin} does not resolve here: check AUTHSEC_BASE_URL for typos, and DNS or VPN.`;
  }
  return 'Confirm AUTHSEC_BASE_URL (https:// for production) and that this machine can reach it.';
}

/**
 * A fetch failure's own short phrase when it has no system code (undici's `bad port` for ports
 * fetch refuses to use): a few plain words, never a URL or anything a server sent.
 */
function causePhrase(error: unknown): string | undefined {
  const message = (error as { cause?: { message?: unknown } })?.cause?.message;
  return typeof message === 'string' && /^[a-z][a-z ]{2,30}$/i.test(message) ? message : undefined;
}

/** The system error code inside a fetch failure (undici puts it on `cause`). */
function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
