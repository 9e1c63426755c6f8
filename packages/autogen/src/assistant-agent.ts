// AssistantAgent: the seed's model-backed agent that answers with text or tool calls.

import { AuthSecAbortedError, AuthSecConfigError, AuthSecResponseError } from '@authsec/core';
import {
  type ChatCompletionLike,
  type LlmConfig,
  llmConfigProblems,
  resolveLlm,
} from './llm-config.js';
import type { ChatMessage, FunctionToolDefinition, ToolCall } from './wire.js';

/** An assistant reply in OpenAI's format. */
export interface AssistantMessage {
  role: 'assistant';
  content: string | null;
  name?: string;
  tool_calls?: ToolCall[];
}

/** Options of {@link AssistantAgent}. */
export interface AssistantAgentOptions {
  /** The model: `{ config_list: [{ model, api_key, base_url }] }` or `{ client, model }`. */
  llmConfig: LlmConfig;
  /** The system prompt. @default {@link DEFAULT_SYSTEM_MESSAGE} */
  systemMessage?: string;
}

/** Options of {@link AssistantAgent.generateReply}. */
export interface GenerateReplyOptions {
  /** Tools to offer when the agent's `llmConfig` names none. */
  tools?: readonly FunctionToolDefinition[];
  signal?: AbortSignal;
}

/** The default system prompt: use the functions, then say TERMINATE. */
export const DEFAULT_SYSTEM_MESSAGE =
  'You are a helpful AI assistant. Use the functions you are given to get data; never invent it. ' +
  'If a function returns an error, explain it or call again with fixed arguments. ' +
  'Reply TERMINATE when the task is done.';

/**
 * An agent backed by an OpenAI-compatible chat model, mirroring AutoGen's `AssistantAgent`.
 * It never runs functions itself: its tool calls are answered by a {@link UserProxyAgent}.
 * @example
 * ```ts
 * const assistant = new AssistantAgent('assistant', {
 *   llmConfig: { config_list: [{ model: 'gpt-4o-mini', api_key: process.env.OPENAI_API_KEY }] },
 * });
 * ```
 */
export class AssistantAgent {
  /** The agent's name. */
  readonly name: string;
  /** The system prompt sent first. */
  readonly systemMessage: string;
  readonly #llmConfig: LlmConfig;
  #llm: ReturnType<typeof resolveLlm> | undefined;

  /**
   * Creates the agent; nothing is sent until {@link AssistantAgent.generateReply}.
   * @param name - the agent's name, sent as the messages' `name` (no spaces or `<|\\/>`, as OpenAI requires)
   * @param options - `llmConfig`, `systemMessage`
   * @throws AuthSecConfigError for a name OpenAI refuses, or a missing or incomplete `llmConfig`
   */
  constructor(name: string, options: AssistantAgentOptions) {
    const problems = [
      ...agentNameProblems('AssistantAgent', name),
      ...llmConfigProblems(options?.llmConfig),
    ];
    if (problems.length > 0) throw AuthSecConfigError.fromProblems(problems);
    this.name = name;
    this.systemMessage = options.systemMessage ?? DEFAULT_SYSTEM_MESSAGE;
    this.#llmConfig = options.llmConfig;
  }

  /** The tools named in `llmConfig`, if any. */
  get tools(): readonly FunctionToolDefinition[] | undefined {
    return this.#llmConfig.tools;
  }

  /**
   * Asks the model for the next message of the conversation.
   * @param messages - the conversation so far, without the system message
   * @param options - fallback `tools`, `signal`
   * @returns the assistant message (text, tool calls or both)
   * @throws the client's errors (e.g. the `openai` package's `APIError`); AuthSecConfigError as
   *   the constructor (`openai` missing, no API key); AuthSecResponseError for an answer without a
   *   message; AuthSecAbortedError when `signal` aborts
   */
  async generateReply(
    messages: readonly ChatMessage[],
    options: GenerateReplyOptions = {},
  ): Promise<AssistantMessage> {
    this.#llm ??= resolveLlm(this.#llmConfig);
    const { client, model } = await this.#llm;
    const tools = this.#llmConfig.tools ?? options.tools ?? [];
    let completion: ChatCompletionLike;
    try {
      completion = await client.chat.completions.create(
        {
          model,
          messages: [{ role: 'system', content: this.systemMessage }, ...messages],
          ...(tools.length > 0 && { tools: [...tools] }),
          ...(this.#llmConfig.temperature !== undefined && {
            temperature: this.#llmConfig.temperature,
          }),
        },
        options.signal === undefined ? {} : { signal: options.signal },
      );
    } catch (error) {
      // The client's own abort error differs per client; one typed error for every cancelled run.
      if (options.signal?.aborted) {
        throw new AuthSecAbortedError('The model request was aborted by its signal.');
      }
      throw error;
    }
    const message = completion?.choices?.[0]?.message;
    if (message === undefined || message === null) {
      throw new AuthSecResponseError(
        'The model answered without a message: check that llmConfig points at a chat completions endpoint.',
        { issues: ['choices[0].message'] },
      );
    }
    const toolCalls = message.tool_calls ?? [];
    return {
      role: 'assistant',
      content: message.content ?? null,
      name: this.name,
      ...(toolCalls.length > 0 && { tool_calls: toolCalls.map((call) => ({ ...call })) }),
    };
  }
}

const AGENT_NAME = /^[^\s<|\\/>]{1,64}$/;

/**
 * The problems of an agent name, which is sent as each message's `name`.
 * @internal
 * @param kind - the class, for the message
 * @param name - the name given
 * @returns the problems, empty when OpenAI accepts it
 */
export function agentNameProblems(kind: string, name: unknown): string[] {
  return typeof name === 'string' && AGENT_NAME.test(name)
    ? []
    : [
        `${kind} name ${JSON.stringify(name)} is not allowed: use 1–64 characters without spaces or <|\\/>, e.g. user_proxy (OpenAI's rule for a message name)`,
      ];
}
