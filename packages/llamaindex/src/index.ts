// @authsec/llamaindex: a LlamaIndex.TS reader for protected APIs, with AuthSec delegation tokens.

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
  AuthSecNetworkError,
  AuthSecOriginNotAllowedError,
  AuthSecPermissionError,
  AuthSecRateLimitedError,
  AuthSecResponseError,
  AuthSecTimeoutError,
  AuthSecTokenRejectedError,
  AuthSecUnauthenticatedError,
  type DelegationTokenInfo,
  getDefaultClient,
  getDelegationToken,
  isAuthSecError,
  isFatalAuthSecError,
  type QueryValue,
} from '@authsec/core';
export { ClearanceScale, DEFAULT_CLEARANCE_LEVELS, normalizeClearance } from './clearance.js';
export {
  AuthSecClearancePostprocessor,
  type ClearanceFilterOptions,
  clearanceFilters,
} from './clearance-filter.js';
export {
  CLEARANCE_KEY_METADATA_KEY,
  CLEARANCE_METADATA_KEY,
  INGESTION_AUTH,
  SECURITY_METADATA_KEYS,
  VOLATILE_METADATA_KEYS,
} from './metadata-keys.js';
export {
  AuthSecReader,
  type AuthSecReaderOptions,
  AuthSecSecureReader,
  type LoadDataOptions,
} from './reader.js';
