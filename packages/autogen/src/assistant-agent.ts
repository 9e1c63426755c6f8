// AssistantAgent: the seed's model-backed agent that answers with text or tool calls.

import { type LlmConfig, resolveLlm } from './llm-config.js';
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
   * @param name - the agent's name
   * @param options - `llmConfig`, `systemMessage`
   * @throws TypeError without `llmConfig`
   */
  constructor(name: string, options: AssistantAgentOptions) {
    if (options?.llmConfig === undefined) {
      throw new TypeError(
        `AssistantAgent ${name} needs llmConfig: { config_list } or { client, model }.`,
      );
    }
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
   * @throws the client's errors (e.g. the `openai` package's `APIError`); Error for an empty answer
   */
  async generateReply(
    messages: readonly ChatMessage[],
    options: GenerateReplyOptions = {},
  ): Promise<AssistantMessage> {
    this.#llm ??= resolveLlm(this.#llmConfig);
    const { client, model } = await this.#llm;
    const tools = this.#llmConfig.tools ?? options.tools ?? [];
    const completion = await client.chat.completions.create(
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
    const message = completion.choices[0]?.message;
    if (message === undefined) throw new Error('The model answered without a message.');
    const toolCalls = message.tool_calls ?? [];
    return {
      role: 'assistant',
      content: message.content ?? null,
      name: this.name,
      ...(toolCalls.length > 0 && { tool_calls: toolCalls.map((call) => ({ ...call })) }),
    };
  }
}
