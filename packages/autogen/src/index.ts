// @authsec/autogen: function maps, OpenAI tool schemas and small AutoGen-style agents on AuthSec delegation tokens.

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
  AssistantAgent,
  type AssistantAgentOptions,
  type AssistantMessage,
  DEFAULT_SYSTEM_MESSAGE,
  type GenerateReplyOptions,
} from './assistant-agent.js';
export {
  type AuthSecFunction,
  type DefineFunctionOptions,
  defineFunction,
  type FunctionContext,
  type FunctionImplementation,
} from './define-function.js';
export {
  AuthSecToolCallsError,
  type ExecuteToolCallsOptions,
  executeToolCalls,
} from './execute-tool-calls.js';
export {
  type CreateFunctionMapOptions,
  createFunctionMap,
  type FunctionCallOptions,
  type FunctionMap,
  type FunctionMapResult,
  type MappedFunction,
} from './function-map.js';
export type {
  ChatCompletionBody,
  ChatCompletionLike,
  ChatCompletionsClient,
  LlmConfig,
  ModelConfig,
} from './llm-config.js';
export {
  type AutoGenErrorCode,
  FunctionCallError,
  type ToolErrorJSON,
} from './tool-result.js';
export {
  type ChatResult,
  type HumanInputMode,
  type HumanInputRequest,
  type InitiateChatOptions,
  type TerminationReason,
  UserProxyAgent,
  type UserProxyAgentOptions,
} from './user-proxy-agent.js';
export type { ChatMessage, FunctionToolDefinition, ToolCall, ToolMessage } from './wire.js';
