// @authsec/core/verify: the token verifier alone, for resource servers that load no agent-side code.

export {
  AuthSecConfigError,
  AuthSecError,
  type AuthSecErrorCode,
  type AuthSecErrorJSON,
  type AuthSecErrorOptions,
  AuthSecHttpError,
  AuthSecNetworkError,
  AuthSecPermissionError,
  AuthSecResponseError,
  AuthSecTimeoutError,
  AuthSecTokenError,
  type AuthSecTokenErrorReason,
  isAuthSecError,
} from './errors.js';
export {
  createDelegationTokenVerifier,
  type DelegationTokenClaims,
  requirePermissions,
  type VerifyDelegationTokenOptions,
  verifyDelegationToken,
} from './verify.js';
