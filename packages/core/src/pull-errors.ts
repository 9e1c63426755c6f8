// Turns a failed HTTP call (an answer or a transport failure) into the right AuthSec error, with a
// fix: the one status mapper of the pull, requests and verifiers (and, re-exported, the one
// network-error builder).

import { PULL_PATH } from './config.js';
import { parseErrorBody } from './error-body.js';
import {
  AuthSecClientNotFoundError,
  AuthSecDelegationExpiredError,
  AuthSecDelegationNotFoundError,
  type AuthSecError,
  AuthSecHttpError,
  AuthSecNotAuthSecServerError,
  AuthSecPermissionError,
  AuthSecPullForbiddenError,
  AuthSecRateLimitedError,
  AuthSecTokenRejectedError,
  AuthSecUnauthenticatedError,
} from './errors.js';
import { parseRetryAfter } from './retry-after.js';
import { parseRfc3339 } from './rfc3339.js';
import { requiredScopeOf } from './www-authenticate.js';

export { type NetworkErrorContext, networkError } from './network-errors.js';
export { requiredScopeOf };

/** The hint of a 401 in mock mode, where no real API accepts the token. */
export const MOCK_REJECTED_HINT =
  'Real APIs reject mock-mode tokens: set AUTHSEC_BASE_URL and AUTHSEC_AGENT_CLIENT_ID to go live.';

/** What the mapping needs to know about a non-2xx answer. */
export interface HttpFailure {
  /**
   * Who was asked: AuthSec for the agent's token (`pull`), a protected API with the token (`api`),
   * or AuthSec on behalf of a verifier (`verifier`).
   */
  call: 'pull' | 'api' | 'verifier';
  status: number;
  method: string;
  /** The path only, never the query. */
  path: string;
  headers: Headers;
  /** The body (read for the pull only: only contract phrases are ever repeated). */
  text?: string;
  /** The pull URL's origin, to name the server in errors. */
  origin?: string;
  /** How the session credential was supplied, for the pull's 401 hint. */
  session?: 'none' | 'static-option' | 'static-env' | 'provider';
  /** The client's mode: in mock mode an API's 401 says the token was a mock. */
  mode?: 'live' | 'mock';
  /** What a verifier's call was for, e.g. `the key bundle request`. */
  what?: string;
}

const CLIENT_NOT_FOUND = 'Client not found';
const NO_ACTIVE_TOKEN = 'No active delegation token found';

// The contract's fixed `error` phrases (AUTHSEC_CONTRACT.md, "Answers"), the only server text an
// error repeats: anything else could echo a credential the request carried, however short.
const CONTRACT_PHRASES: ReadonlyMap<string, string> = new Map(
  [
    'client_id is required (query param or X-Client-ID header)',
    'Invalid client_id format',
    'authorization header required',
    'Invalid or expired token',
    'session has been revoked',
    CLIENT_NOT_FOUND,
    NO_ACTIVE_TOKEN,
    'Delegation token has expired',
  ].map((phrase) => [phrase.toLowerCase(), phrase]),
);

/**
 * The contract's phrase for the server's `error` text when it is one (compared trimmed and
 * case-insensitively), else undefined: only fixed phrases are repeated in an error message.
 * @param text - the `error` field of an AuthSec JSON error body
 * @returns the contract's phrase, or undefined
 */
export function quotableServerText(text: string | undefined): string | undefined {
  return text === undefined ? undefined : CONTRACT_PHRASES.get(text.trim().toLowerCase());
}

/**
 * The AuthSec error for a non-2xx answer: one class per status a caller handles differently, the
 * wording of who answered, a fix. Reads nothing from the response but `failure.text`.
 * @param failure - the answer and the call it answered
 * @returns the typed error
 */
export function errorForStatus(failure: HttpFailure): AuthSecError {
  const { status, method, path, call } = failure;
  const facts = { status, method, path };
  if (call === 'verifier') return verifierError(failure);
  const retryAfterMs = parseRetryAfter(failure.headers.get('retry-after'), Date.now());
  if (call === 'api') {
    if (status === 401) {
      return new AuthSecTokenRejectedError(
        `The API rejected the delegation token (401 from ${method} ${path}).`,
        {
          jti: undefined,
          ...facts,
          hint:
            failure.mode === 'mock'
              ? MOCK_REJECTED_HINT
              : 'Check that the API expects this token (audience, workspace).',
        },
      );
    }
    if (status === 403) {
      const scope = requiredScopeOf(failure.headers);
      return new AuthSecPermissionError(
        scope
          ? `The API refused ${method} ${path} (403): the delegation lacks the "${scope}" permission.`
          : `The API refused ${method} ${path} (403).`,
        {
          requiredScope: scope,
          ...facts,
          hint: scope
            ? `Ask an AuthSec admin to add "${scope}" to this agent's trust delegation.`
            : 'Ask an AuthSec admin which permission this needs.',
        },
      );
    }
    if (status === 429) {
      return new AuthSecRateLimitedError(`The API rate-limited ${method} ${path} (429).`, {
        retryAfterMs,
        ...facts,
        hint: 'Wait retryAfterMs, then try again.',
      });
    }
    if ([301, 302, 303, 307, 308].includes(status)) {
      return new AuthSecHttpError(
        `The API redirected ${method} ${path} (${status}); not followed.`,
        {
          ...facts,
          hint: 'Call the final URL directly: a body is never resent to another origin.',
        },
      );
    }
    return new AuthSecHttpError(`The API answered ${status} to ${method} ${path}.`, {
      ...facts,
      ...(status >= 500 && retryAfterMs !== undefined && { retryAfterMs }),
      hint:
        status >= 500 ? 'The API is failing; try again later.' : 'Check the path and the request.',
    });
  }
  const body = parseErrorBody(failure.text ?? '');
  const quoted = quotableServerText(body.error);
  const said = quoted ? ` "${quoted}"` : '';
  switch (status) {
    case 400:
      return new AuthSecHttpError(`AuthSec rejected the pull with 400${said}.`, {
        ...facts,
        hint: /client_id/i.test(body.error ?? '')
          ? 'Check AUTHSEC_AGENT_CLIENT_ID for stray spaces, quotes or line breaks.'
          : 'The request was malformed; upgrade @authsec/core or report it.',
      });
    case 401:
      return new AuthSecUnauthenticatedError(
        `AuthSec refused the pull with 401${said}: it needs a valid session credential.`,
        { ...facts, hint: unauthenticatedHint(failure.session ?? 'none') },
      );
    case 403:
      return new AuthSecPullForbiddenError(
        'AuthSec refused to hand this agent its delegation token (403).',
        {
          requiredScope: requiredScopeOf(failure.headers),
          ...facts,
          hint: "Ask a workspace admin to check this agent's trust delegation and the session's rights.",
        },
      );
    case 404:
      if (quoted === undefined) return notAuthSecServer(failure);
      if (quoted === CLIENT_NOT_FOUND) {
        return new AuthSecClientNotFoundError(
          'AuthSec does not know this agent client id (404 "Client not found").',
          {
            ...facts,
            hint: 'Check AUTHSEC_AGENT_CLIENT_ID (dashboard: Clients → AI Agents) and AUTHSEC_BASE_URL.',
          },
        );
      }
      if (quoted !== NO_ACTIVE_TOKEN) return notAuthSecServer(failure);
      return new AuthSecDelegationNotFoundError(
        'AuthSec has no active delegation token for this agent (404): never delegated, revoked, or not pullable by this session.',
        {
          ...facts,
          hint: 'Ask an AuthSec admin to delegate a token to this agent (dashboard: Trust Delegation).',
        },
      );
    case 410: {
      const expiredAt = body.expiredAt === undefined ? undefined : parseRfc3339(body.expiredAt);
      return new AuthSecDelegationExpiredError('The delegation for this agent has expired (410).', {
        expiredAt: expiredAt === undefined ? undefined : new Date(expiredAt),
        ...facts,
        hint: 'Ask an AuthSec admin to delegate a new token to this agent.',
      });
    }
    case 429:
      return new AuthSecRateLimitedError(
        `AuthSec rate-limited the pull (429)${retryAfterMs === undefined ? '' : `; it asked to wait ${Math.ceil(retryAfterMs / 1000)} s`}.`,
        {
          retryAfterMs,
          ...facts,
          hint: 'Reuse one AuthSecClient per process: it caches the token.',
        },
      );
    default:
      if (status >= 300 && status < 400) {
        return new AuthSecHttpError(
          `AuthSec answered the pull with a redirect (${status}); not followed.`,
          {
            ...facts,
            hint: 'Set AUTHSEC_BASE_URL to the final server root.',
          },
        );
      }
      return new AuthSecHttpError(
        `AuthSec answered the pull with ${status}${said}${status >= 500 ? ' after retries' : ''}.`,
        {
          ...facts,
          ...(retryAfterMs !== undefined && { retryAfterMs }),
          hint:
            status >= 500
              ? 'AuthSec (or a proxy before it) is failing; try again later.'
              : 'Check AUTHSEC_BASE_URL: it must be the AuthSec server root.',
        },
      );
  }
}

/** A verifier's call to AuthSec: it never follows a redirect (status 0 is a browser's opaque one). */
function verifierError({ status, method, path, what }: HttpFailure): AuthSecHttpError {
  const facts = { status, method, path };
  if (status === 0 || (status >= 300 && status < 400)) {
    return new AuthSecHttpError(
      `AuthSec answered ${what} with a redirect${status ? ` (${status})` : ''}; not followed.`,
      { ...facts, hint: 'Set `baseUrl` / AUTHSEC_BASE_URL to the final AuthSec server root.' },
    );
  }
  return new AuthSecHttpError(`AuthSec answered ${what} with ${status}.`, {
    ...facts,
    hint:
      status >= 500
        ? 'AuthSec (or a proxy before it) is failing; try again later.'
        : 'Check that `baseUrl` / AUTHSEC_BASE_URL is the AuthSec server root.',
  });
}

/** A 404 whose body is none of the contract's: the base URL names another server or prefix. */
function notAuthSecServer(failure: HttpFailure): AuthSecNotAuthSecServerError {
  const prefix = failure.path.endsWith(PULL_PATH) ? failure.path.slice(0, -PULL_PATH.length) : '';
  const baseUrl = failure.origin === undefined ? undefined : `${failure.origin}${prefix}`;
  return new AuthSecNotAuthSecServerError(
    `No AuthSec server at ${baseUrl ?? 'the base URL'}: the pull got a 404 body AuthSec never sends.`,
    {
      baseUrl,
      status: 404,
      method: 'GET',
      path: failure.path,
      hint: 'Set AUTHSEC_BASE_URL (or `baseUrl`) to the AuthSec server root, with no extra path.',
    },
  );
}

function unauthenticatedHint(session: NonNullable<HttpFailure['session']>): string {
  switch (session) {
    case 'none':
      return 'Pass `sessionToken` (a string or function) or set AUTHSEC_SESSION_TOKEN.';
    case 'static-env':
      return 'AUTHSEC_SESSION_TOKEN is invalid, expired or revoked: update it, or pass a `sessionToken` function.';
    case 'static-option':
      return 'The `sessionToken` credential is invalid, expired or revoked: pass a fresh one, or a function.';
    case 'provider':
      return 'AuthSec rejected what your `sessionToken` function returned, twice (then with forceRefresh: true).';
  }
}
