// The one list of names every adapter re-exports from @authsec/core, so one install is enough.

/**
 * Values: the client and its shared default, the token call, the error classes with their two
 * predicates, and `expandPath` for building request paths from model input.
 */
export const CORE_VALUES = [
  'AuthSecAbortedError',
  'AuthSecClient',
  'AuthSecClientNotFoundError',
  'AuthSecClosedError',
  'AuthSecConfigError',
  'AuthSecDelegationExpiredError',
  'AuthSecDelegationNotFoundError',
  'AuthSecError',
  'AuthSecHttpError',
  'AuthSecNetworkError',
  'AuthSecNotAuthSecServerError',
  'AuthSecOriginNotAllowedError',
  'AuthSecPermissionError',
  'AuthSecPullForbiddenError',
  'AuthSecRateLimitedError',
  'AuthSecResponseError',
  'AuthSecTimeoutError',
  'AuthSecTokenError',
  'AuthSecTokenRejectedError',
  'AuthSecUnauthenticatedError',
  'closeDefaultClient',
  'expandPath',
  'getDefaultClient',
  'getDelegationToken',
  'isAuthSecError',
  'isFatalAuthSecError',
] as const;

/** Types: what the client's options, its token facts, its requests and its logger are typed with. */
export const CORE_TYPES = [
  'AuthSecClientOptions',
  'AuthSecErrorCode',
  'AuthSecErrorJSON',
  'AuthSecMode',
  'AuthSecRequestJsonOptions',
  'AuthSecRequestOptions',
  'DelegationTokenInfo',
  'GetTokenOptions',
  'LogFields',
  'LogFormat',
  'Logger',
  'LogLevel',
  'QueryValue',
  'SessionTokenProvider',
] as const;
