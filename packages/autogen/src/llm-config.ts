// The assistant's model settings: the seed's `config_list` or a ready OpenAI-compatible client.

import type { FunctionToolDefinition, ToolCall } from './wire.js';

/** One entry of AutoGen's `config_list`. */
export interface ModelConfig {
  model: string;
  /** @default the `openai` client's own default, `OPENAI_API_KEY` */
  api_key?: string;
  /** An OpenAI-compatible endpoint, e.g. `http://127.0.0.1:8000/v1`. @default OpenAI */
  base_url?: string;
}

/**
 * The request body this package sends to `chat.completions.create`: `ChatMessage`s and
 * `FunctionToolDefinition`s, typed loosely so the `openai` client's own signature fits.
 */
export interface ChatCompletionBody {
  model: string;
  messages: readonly unknown[];
  tools?: readonly unknown[];
  temperature?: number | null;
}

/** The part of a chat completion this package reads. */
export interface ChatCompletionLike {
  choices: readonly {
    message: {
      content: string | null;
      tool_calls?: readonly ToolCall[] | undefined;
    };
    finish_reason: string | null;
  }[];
}

/** Anything with OpenAI's `chat.completions.create`, such as an `OpenAI` client instance. */
export interface ChatCompletionsClient {
  chat: {
    completions: {
      create(
        body: ChatCompletionBody,
        options?: { signal?: AbortSignal },
      ): PromiseLike<ChatCompletionLike>;
    };
  };
}

/** Settings shared by both forms of {@link LlmConfig}. */
interface LlmConfigCommon {
  /** Tools to offer the model. @default the tools of the `UserProxyAgent`'s function map */
  tools?: readonly FunctionToolDefinition[];
  temperature?: number;
}

/**
 * The model an `AssistantAgent` talks to: AutoGen's `{ config_list: [{ model, api_key, base_url }] }`
 * (the first entry is used; needs the optional peer `openai`) or `{ client, model }`.
 */
export type LlmConfig =
  | (LlmConfigCommon & { config_list: readonly ModelConfig[] })
  | (LlmConfigCommon & { client: ChatCompletionsClient; model: string });

/**
 * Resolves an {@link LlmConfig} to a client and a model, importing `openai` only for `config_list`.
 * @internal
 */
export async function resolveLlm(
  config: LlmConfig,
): Promise<{ client: ChatCompletionsClient; model: string }> {
  if ('client' in config) return { client: config.client, model: config.model };
  const entry = config.config_list[0];
  if (entry === undefined) throw new TypeError('llmConfig.config_list needs at least one entry.');
  let OpenAI: typeof import('openai').OpenAI;
  try {
    ({ OpenAI } = await import('openai'));
  } catch {
    throw new Error(
      'llmConfig.config_list needs the openai package: run `npm install openai`, or pass llmConfig: { client, model }.',
    );
  }
  const client = new OpenAI({
    ...(entry.api_key !== undefined && { apiKey: entry.api_key }),
    ...(entry.base_url !== undefined && { baseURL: entry.base_url }),
  });
  return { client: client as unknown as ChatCompletionsClient, model: entry.model };
}
