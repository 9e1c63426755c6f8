// @authsec/langchain: delegation-aware LangChain.js tools that call protected APIs with AuthSec tokens.

// What users need next to the adapter, from @authsec/core: the same list in every adapter
// (tests/adapters checks that it is, name for name).
export {
  AuthSecAbortedError,
  AuthSecClient,
  AuthSecClientNotFoundError,
  type AuthSecClientOptions,
  AuthSecClosedError,
  AuthSecConfigError,
  AuthSecDelegationExpiredError,
  AuthSecDelegationNotFoundError,
  AuthSecError,
  type AuthSecErrorCode,
  type AuthSecErrorJSON,
  AuthSecHttpError,
  type AuthSecMode,
  AuthSecNetworkError,
  AuthSecNotAuthSecServerError,
  AuthSecOriginNotAllowedError,
  AuthSecPermissionError,
  AuthSecPullForbiddenError,
  AuthSecRateLimitedError,
  type AuthSecRequestJsonOptions,
  type AuthSecRequestOptions,
  AuthSecResponseError,
  AuthSecTimeoutError,
  AuthSecTokenError,
  AuthSecTokenRejectedError,
  AuthSecUnauthenticatedError,
  closeDefaultClient,
  type DelegationTokenInfo,
  expandPath,
  type GetTokenOptions,
  getDefaultClient,
  getDelegationToken,
  isAuthSecError,
  isFatalAuthSecError,
  type LogFields,
  type LogFormat,
  type Logger,
  type LogLevel,
  type QueryValue,
  type SessionTokenProvider,
} from '@authsec/core';
export {
  AuthSecStructuredTool,
  type AuthSecToolFields,
  type AuthSecToolFunction,
  createAuthSecTool,
} from './authsec-tool.js';
export {
  type AuthSecRequestToolMethod,
  type AuthSecRequestToolOptions,
  createAuthSecRequestTool,
} from './request-tool.js';
export type { AuthSecToolContext } from './tool-context.js';
export type { ToolErrorResult } from './tool-result.js';
