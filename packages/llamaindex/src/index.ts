// @authsec/llamaindex: a LlamaIndex.TS reader for protected APIs, with AuthSec delegation tokens.

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
export { ClearanceScale, DEFAULT_CLEARANCE_LEVELS, normalizeClearance } from './clearance.js';
export {
  AuthSecClearancePostprocessor,
  type ClearanceFilterOptions,
  clearanceFilters,
} from './clearance-filter.js';
export type { LoadDataOptions } from './load-options.js';
export {
  CLEARANCE_KEY_METADATA_KEY,
  CLEARANCE_METADATA_KEY,
  INGESTION_AUTH,
  SECURITY_METADATA_KEYS,
  VOLATILE_METADATA_KEYS,
} from './metadata-keys.js';
export { AuthSecReader, type AuthSecReaderOptions, AuthSecSecureReader } from './reader.js';
