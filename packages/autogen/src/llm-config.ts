// The assistant's model settings: the seed's `config_list` or a ready OpenAI-compatible client.

import { AuthSecConfigError } from '@authsec/core';
import type { FunctionToolDefinition, ToolCall } from './wire.js';

/** One entry of AutoGen's `config_list`. */
export interface ModelConfig {
  model: string;
  /**
   * `undefined` is the same as leaving it out, so `process.env.OPENAI_API_KEY` can be passed as it is.
   * @default the `openai` client's own default, `OPENAI_API_KEY`
   */
  api_key?: string | undefined;
  /** An OpenAI-compatible endpoint, e.g. `http://127.0.0.1:8000/v1`. @default OpenAI */
  base_url?: string | undefined;
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
 * @param config - the agent's `llmConfig`
 * @returns the client and the model name
 * @throws AuthSecConfigError for an empty `config_list`, a missing `model`, `openai` not installed,
 *   or no API key (neither `api_key` nor `OPENAI_API_KEY`)
 */
export async function resolveLlm(
  config: LlmConfig,
): Promise<{ client: ChatCompletionsClient; model: string }> {
  if ('client' in config) return { client: config.client, model: config.model };
  const entry = config.config_list?.[0];
  if (entry === undefined) {
    throw AuthSecConfigError.fromProblems([
      'llmConfig.config_list is empty: give it one entry, { model, api_key, base_url }',
    ]);
  }
  let OpenAI: typeof import('openai').OpenAI;
  try {
    ({ OpenAI } = await import('openai'));
  } catch {
    throw AuthSecConfigError.fromProblems([
      'llmConfig.config_list needs the openai package: run `npm install openai`, or pass llmConfig: { client, model }',
    ]);
  }
  try {
    const client = new OpenAI({
      ...(entry.api_key !== undefined && { apiKey: entry.api_key }),
      ...(entry.base_url !== undefined && { baseURL: entry.base_url }),
    });
    return { client: client as unknown as ChatCompletionsClient, model: entry.model };
  } catch {
    // The openai client refuses to start without a key; its own error is replaced by one that
    // names both places a key can come from.
    throw AuthSecConfigError.fromProblems([
      entry.api_key
        ? 'the openai client refused llmConfig.config_list[0]: check model, api_key and base_url'
        : 'llmConfig.config_list[0].api_key is missing: pass `api_key` or set `OPENAI_API_KEY`',
    ]);
  }
}

/**
 * Checks an {@link LlmConfig} before any request, listing every problem.
 * @internal
 * @param config - the agent's `llmConfig`
 * @returns the problems, empty when it is usable
 */
export function llmConfigProblems(config: LlmConfig | undefined): string[] {
  if (config === undefined || typeof config !== 'object') {
    return [
      'llmConfig is missing: pass { config_list: [{ model, api_key, base_url }] } or { client, model }',
    ];
  }
  const problems: string[] = [];
  if ('client' in config) {
    if (typeof config.client?.chat?.completions?.create !== 'function') {
      problems.push('llmConfig.client must have chat.completions.create, like an OpenAI client');
    }
    if (typeof config.model !== 'string' || config.model.trim() === '') {
      problems.push('llmConfig.model is missing: name the model, e.g. gpt-4o-mini');
    }
    return problems;
  }
  if (!Array.isArray(config.config_list) || config.config_list.length === 0) {
    return ['llmConfig.config_list is empty: give it one entry, { model, api_key, base_url }'];
  }
  const entry = config.config_list[0] as ModelConfig;
  if (typeof entry?.model !== 'string' || entry.model.trim() === '') {
    problems.push('llmConfig.config_list[0].model is missing: name the model, e.g. gpt-4o-mini');
  }
  if (entry?.base_url !== undefined && !/^https?:\/\//.test(String(entry.base_url))) {
    problems.push(
      'llmConfig.config_list[0].base_url must be an http(s) URL, e.g. http://127.0.0.1:8000/v1',
    );
  }
  return problems;
}
