// The answers to a request the API refuses before routing: 401, 403 and 503, with RFC 6750 challenges.

import { type AuthSecTokenError, isAuthSecError } from '@authsec/core';
import { challenge, type Reply } from './http.js';

// Failures of AuthSec itself (not of the token): the API cannot decide, so it answers 503.
const UPSTREAM_CODES = new Set([
  'ERR_AUTHSEC_NETWORK',
  'ERR_AUTHSEC_TIMEOUT',
  'ERR_AUTHSEC_HTTP',
  'ERR_AUTHSEC_RATE_LIMITED',
  'ERR_AUTHSEC_BAD_RESPONSE',
]);

/** 401 without a bearer token: the challenge carries no error code (RFC 6750 section 3.1). */
export function missingToken(): Reply {
  return {
    status: 401,
    headers: { 'www-authenticate': challenge() },
    body: { error: 'unauthorized', message: 'Send Authorization: Bearer <delegation token>.' },
  };
}

/** 403 for a token that lacks the route's permission; the challenge names the missing one. */
export function insufficientScope(scope: string): Reply {
  return {
    status: 403,
    headers: { 'www-authenticate': challenge({ error: 'insufficient_scope', scope }) },
    body: { error: 'insufficient_scope', required: scope },
  };
}

/**
 * Turns a verification failure into the answer: 401 for the token, 503 for AuthSec.
 * @throws the error itself when it is neither (a bug: the server answers 500)
 */
export function refusal(error: unknown): { reply: Reply; error: string } {
  if (isAuthSecError(error) && error.code === 'ERR_AUTHSEC_TOKEN_INVALID') {
    const { reason } = error as AuthSecTokenError;
    return {
      reply: {
        status: 401,
        headers: {
          'www-authenticate': challenge({ error: 'invalid_token', error_description: reason }),
        },
        body: { error: 'invalid_token', reason },
      },
      error: `invalid_token (${reason})`,
    };
  }
  if (isAuthSecError(error) && UPSTREAM_CODES.has(error.code)) {
    return {
      reply: {
        status: 503,
        headers: { 'retry-after': '5' },
        body: {
          error: 'authsec_unavailable',
          message: 'The token could not be checked with AuthSec; try again shortly.',
        },
      },
      error: 'authsec_unavailable',
    };
  }
  throw error;
}
