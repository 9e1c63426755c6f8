// @authsec/testing: local AuthSec-compatible, recording downstream and OpenAI-compatible servers for tests.

export {
  AuthSecTestServer,
  type AuthSecTestServerOptions,
  BUNDLE_PATH,
  type DelegatedAgent,
  type DelegatedAgentOptions,
  PULL_PATH,
  startAuthSecServer,
  VALIDATE_PATH,
} from './authsec-server.js';
export { closedPortUrl } from './closed-port.js';
export {
  type DownstreamHandler,
  type DownstreamRequest,
  type DownstreamResponse,
  DownstreamServer,
  type DownstreamServerOptions,
  startDownstreamServer,
} from './downstream-server.js';
export type { PullFault } from './faults.js';
export type { RecordedRequest, RequestKind } from './http.js';
export { isLoopbackHost } from './loopback.js';
export {
  type ChatCompletionRequest,
  OpenAITestServer,
  type OpenAITestServerOptions,
  type ReplyScript,
  type ScriptedReply,
  type ScriptedToolCall,
  startOpenAITestServer,
} from './openai-server.js';
export type { TimestampFormat } from './rfc3339.js';
export {
  type ResolvedSwitches,
  SERVER_GENERATIONS,
  type ServerGeneration,
  type ServerSwitches,
} from './settings.js';
export { DEFAULT_DURATION_SECONDS, MAX_DURATION_SECONDS } from './state.js';
export type {
  CreateAgentOptions,
  CreatePolicyOptions,
  CreateSessionOptions,
  DelegateOptions,
  DelegationRecord,
  TestAgent,
  TestPolicy,
  TestSession,
  TokenOverrides,
} from './types.js';
