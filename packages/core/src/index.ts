// @authsec/core: short-lived, scoped AuthSec delegation tokens for AI agents.

export { AuthSecClient, type AuthSecClientOptions, type GetTokenOptions } from './client.js';
export type { AuthSecModeOption, SessionTokenProvider } from './config.js';
export { closeDefaultClient, getDefaultClient, getDelegationToken } from './default-client.js';
export { withErrorContext } from './error-context.js';
export { isFatalAuthSecError } from './error-policy.js';
export {
  AuthSecAbortedError,
  AuthSecClientNotFoundError,
  AuthSecClosedError,
  AuthSecConfigError,
  AuthSecDelegationExpiredError,
  AuthSecDelegationNotFoundError,
  AuthSecError,
  type AuthSecErrorCode,
  type AuthSecErrorJSON,
  type AuthSecErrorOptions,
  AuthSecHttpError,
  AuthSecNetworkError,
  AuthSecNotAuthSecServerError,
  AuthSecOriginNotAllowedError,
  AuthSecPermissionError,
  AuthSecPullForbiddenError,
  AuthSecRateLimitedError,
  AuthSecResponseError,
  AuthSecTimeoutError,
  AuthSecTokenError,
  type AuthSecTokenErrorReason,
  AuthSecTokenRejectedError,
  AuthSecUnauthenticatedError,
  isAuthSecError,
} from './errors.js';
export { type ReadTextOptions, readText } from './http-body.js';
export type { LogFields, LogFormat, Logger, LogLevel } from './logger.js';
export {
  MOCK_CLIENT_ID,
  MOCK_ISSUER,
  MOCK_WORKSPACE_ID,
  type MockTokenOptions,
} from './mock-source.js';
export { expandPath, pathParameters } from './path-template.js';
export { fingerprint, redact } from './redact.js';
export type { AuthSecRequestJsonOptions, AuthSecRequestOptions, QueryValue } from './request.js';
export type { StandardSchemaV1 } from './standard-schema.js';
export type { DelegationTokenInfo } from './token-info.js';
export { MemoryTokenStore, type TokenStore, type TokenStoreLock } from './token-store.js';
export type { AuthSecMode } from './types.js';
export {
  createDelegationTokenVerifier,
  type DelegationTokenClaims,
  requirePermissions,
  type VerifyDelegationTokenOptions,
  verifyDelegationToken,
} from './verify.js';
export { VERSION } from './version.js';
