// Which AuthSec errors an agent framework should stop on, and which a model can act on.

import { isAuthSecError } from './errors.js';

/**
 * True for failures no model can fix by changing its tool call, so an agent run must stop:
 * configuration, a rejected, revoked or expired delegation, an unknown client, a session problem,
 * AuthSec refusing the pull (403, `ERR_AUTHSEC_PULL_FORBIDDEN`), a base URL that is not an AuthSec
 * server, a closed client, a disallowed origin, or an AuthSec answer that breaks the contract. A
 * downstream API's missing scope (403, `ERR_AUTHSEC_FORBIDDEN`), its 404, rate limits and network
 * trouble are not fatal: hand `error.toJSON()` to the model as the tool result.
 * @param error - anything caught
 * @returns whether the run should stop
 * @example
 * ```ts
 * catch (error) {
 *   if (isFatalAuthSecError(error)) throw error;
 *   return JSON.stringify(isAuthSecError(error) ? error.toJSON() : { error: 'tool failed' });
 * }
 * ```
 */
export function isFatalAuthSecError(error: unknown): boolean {
  if (!isAuthSecError(error)) return false;
  if (FATAL_CODES.has(error.code)) return true;
  // A pull answer that breaks the contract will not improve by retrying the tool call; a
  // protected API's odd answer might, so only AuthSec's own count.
  return error.code === 'ERR_AUTHSEC_BAD_RESPONSE' && error.path?.includes('/authsec/') === true;
}

// Codes rather than classes, so errors from another copy of this package are classified the same way.
const FATAL_CODES: ReadonlySet<string> = new Set([
  'ERR_AUTHSEC_CONFIG',
  'ERR_AUTHSEC_TOKEN_REJECTED',
  'ERR_AUTHSEC_DELEGATION_NOT_FOUND',
  'ERR_AUTHSEC_DELEGATION_EXPIRED',
  'ERR_AUTHSEC_CLIENT_NOT_FOUND',
  'ERR_AUTHSEC_UNAUTHENTICATED',
  'ERR_AUTHSEC_CLOSED',
  'ERR_AUTHSEC_ORIGIN_NOT_ALLOWED',
  'ERR_AUTHSEC_PULL_FORBIDDEN',
  'ERR_AUTHSEC_NOT_AUTHSEC_SERVER',
]);
