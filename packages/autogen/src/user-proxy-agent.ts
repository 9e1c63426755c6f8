// UserProxyAgent: runs the assistant's tool calls from a function map, as AutoGen's user proxy does.

import { AuthSecAbortedError, AuthSecConfigError } from '@authsec/core';
import {
  type AssistantAgent,
  type AssistantMessage,
  agentNameProblems,
} from './assistant-agent.js';
import { executeToolCalls } from './execute-tool-calls.js';
import type { FunctionMap, FunctionMapResult } from './function-map.js';
import type { ChatMessage, FunctionToolDefinition, ToolMessage } from './wire.js';

/** When the user proxy asks a human, as in AutoGen. */
export type HumanInputMode = 'NEVER' | 'ALWAYS' | 'TERMINATE';

/** What {@link UserProxyAgentOptions.getHumanInput} is asked with. */
export interface HumanInputRequest {
  /** A line to show the human. */
  prompt: string;
  /** The assistant message being answered. */
  message: AssistantMessage;
  chatHistory: readonly ChatMessage[];
}

/** Options of {@link UserProxyAgent}. */
export interface UserProxyAgentOptions {
  /** `createFunctionMap()`'s result (its `tools` are offered to the assistant) or a plain map. */
  functionMap?: FunctionMapResult | FunctionMap;
  /**
   * `NEVER`: answer tool calls automatically. `ALWAYS`: ask before each reply; empty input runs the
   * calls, text declines them and is sent instead, `exit` ends. `TERMINATE`: ask only when the chat
   * would end (an answer without tool calls, `TERMINATE`, or the limit); empty input ends it.
   * @default 'NEVER' (AutoGen's Python default is ALWAYS, which needs a terminal)
   */
  humanInputMode?: HumanInputMode;
  /** Asks the human; required unless `humanInputMode` is `NEVER`. */
  getHumanInput?: (request: HumanInputRequest) => string | Promise<string>;
  /** Automatic replies (rounds of tool calls) in a row before the chat stops. @default 10 */
  maxConsecutiveAutoReply?: number;
  /** Tool calls run at once. @default 4 */
  concurrency?: number;
  /**
   * How long running tool calls may take to settle after the chat's `signal` aborts before they
   * are answered as aborted and the chat rejects (see `executeToolCalls`). @default 100
   */
  abortGraceMs?: number;
}

/** Options of {@link UserProxyAgent.initiateChat}. */
export interface InitiateChatOptions {
  /** The first message to the assistant. */
  message: string;
  signal?: AbortSignal;
}

/** Why a chat ended. */
export type TerminationReason =
  | 'no_tool_calls'
  | 'terminate_message'
  | 'max_consecutive_auto_reply'
  | 'human_exit';

/** The transcript of a chat. */
export interface ChatResult {
  /** Every message, the first user message first (no system message). */
  chatHistory: ChatMessage[];
  /** The last assistant text, without `TERMINATE`. */
  summary: string;
  terminationReason: TerminationReason;
  /** What the human typed, in order. */
  humanInputs: string[];
}

const TERMINATE = /\bTERMINATE\b/;

/**
 * A proxy for the user that answers an {@link AssistantAgent}'s tool calls from a function map,
 * mirroring AutoGen's `UserProxyAgent`.
 * @example
 * ```ts
 * const userProxy = new UserProxyAgent('user_proxy', { functionMap, humanInputMode: 'NEVER' });
 * const { chatHistory, summary } = await userProxy.initiateChat(assistant, {
 *   message: 'Get data for customer 42.',
 * });
 * ```
 */
export class UserProxyAgent {
  /** The agent's name. */
  readonly name: string;
  readonly humanInputMode: HumanInputMode;
  readonly maxConsecutiveAutoReply: number;
  readonly #functionMap: FunctionMap;
  readonly #tools: readonly FunctionToolDefinition[];
  readonly #getHumanInput: UserProxyAgentOptions['getHumanInput'];
  readonly #concurrency: number;
  readonly #abortGraceMs: number;

  /**
   * Creates the proxy; nothing runs until {@link UserProxyAgent.initiateChat}.
   * @param name - the agent's name, sent as the user messages' `name` (no spaces or `<|\\/>`)
   * @param options - `functionMap`, `humanInputMode`, `getHumanInput`, `maxConsecutiveAutoReply`,
   *   `concurrency`, `abortGraceMs`
   * @throws AuthSecConfigError for a name OpenAI refuses, an unknown mode, a missing
   *   `getHumanInput`, a negative limit, a `concurrency` below 1 or a negative `abortGraceMs`;
   *   every problem at once
   */
  constructor(name: string, options: UserProxyAgentOptions = {}) {
    this.name = name;
    this.humanInputMode = options.humanInputMode ?? 'NEVER';
    this.maxConsecutiveAutoReply = options.maxConsecutiveAutoReply ?? 10;
    const problems = agentNameProblems('UserProxyAgent', name);
    if (!['NEVER', 'ALWAYS', 'TERMINATE'].includes(this.humanInputMode)) {
      problems.push(
        `humanInputMode ${JSON.stringify(this.humanInputMode)} is unknown: use NEVER, ALWAYS or TERMINATE`,
      );
    } else if (this.humanInputMode !== 'NEVER' && typeof options.getHumanInput !== 'function') {
      problems.push(
        `humanInputMode ${this.humanInputMode} needs a getHumanInput function: pass getHumanInput, or use humanInputMode NEVER`,
      );
    }
    if (!Number.isInteger(this.maxConsecutiveAutoReply) || this.maxConsecutiveAutoReply < 0) {
      problems.push('maxConsecutiveAutoReply must be an integer of at least 0');
    }
    const concurrency = options.concurrency ?? 4;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      problems.push('concurrency must be an integer of at least 1');
    }
    const abortGraceMs = options.abortGraceMs ?? 100;
    if (!Number.isFinite(abortGraceMs) || abortGraceMs < 0) {
      problems.push('abortGraceMs must be a number of milliseconds, 0 or more');
    }
    if (problems.length > 0) throw AuthSecConfigError.fromProblems(problems);
    const map = options.functionMap ?? {};
    const isResult = isFunctionMapResult(map);
    this.#functionMap = isResult ? map.functionMap : map;
    this.#tools = isResult ? map.tools : [];
    this.#getHumanInput = options.getHumanInput;
    this.#concurrency = concurrency;
    this.#abortGraceMs = abortGraceMs;
  }

  /**
   * Sends `message` to the assistant and answers its tool calls until it replies without tool
   * calls or says `TERMINATE`, the human ends it, or `maxConsecutiveAutoReply` is reached.
   * @param assistant - the assistant to talk to
   * @param options - the first `message`, `signal`
   * @returns the transcript, the summary and why it ended
   * @throws AuthSecToolCallsError when a function fails fatally (revoked delegation, config …) or
   *   the signal aborts during the tool calls (within `abortGraceMs`, even if a function ignores
   *   the signal; its `cause` is an AuthSecAbortedError); AuthSecAbortedError when it aborts
   *   between turns;
   *   the assistant's errors (see {@link AssistantAgent.generateReply})
   */
  async initiateChat(assistant: AssistantAgent, options: InitiateChatOptions): Promise<ChatResult> {
    const { signal } = options;
    const chatHistory: ChatMessage[] = [
      { role: 'user', content: options.message, name: this.name },
    ];
    const humanInputs: string[] = [];
    let autoReplies = 0;
    const end = (terminationReason: TerminationReason): ChatResult => ({
      chatHistory,
      summary: summarise(chatHistory),
      terminationReason,
      humanInputs,
    });

    for (;;) {
      if (signal?.aborted) throw new AuthSecAbortedError('The chat was aborted by its signal.');
      const reply = await assistant.generateReply(chatHistory, {
        tools: this.#tools,
        ...(signal !== undefined && { signal }),
      });
      chatHistory.push(reply);
      const calls = reply.tool_calls ?? [];
      const says = TERMINATE.test(reply.content ?? '');
      const finished = calls.length === 0 || says;
      const limit = autoReplies >= this.maxConsecutiveAutoReply;
      const reason: TerminationReason = says
        ? 'terminate_message'
        : finished
          ? 'no_tool_calls'
          : 'max_consecutive_auto_reply';

      const ask =
        this.humanInputMode === 'ALWAYS' ||
        (this.humanInputMode === 'TERMINATE' && (finished || limit));
      if (ask && this.#getHumanInput) {
        const input = await this.#getHumanInput({
          prompt: `Reply to ${assistant.name}: press enter to ${finished || limit ? 'end' : 'run the tool calls'}, type a message, or 'exit'.`,
          message: reply,
          chatHistory,
        });
        humanInputs.push(input);
        if (input.trim() === 'exit') return end('human_exit');
        if (input.trim() !== '') {
          // Every tool call needs an answer before the next user message, so decline them.
          chatHistory.push(...[...new Set(calls.map((call) => call.id))].map(declined));
          chatHistory.push({ role: 'user', content: input, name: this.name });
          autoReplies = 0;
          continue;
        }
        if (this.humanInputMode === 'TERMINATE') return end(reason);
      }
      if (finished || limit) return end(reason);
      chatHistory.push(
        ...(await executeToolCalls(calls, this.#functionMap, {
          concurrency: this.#concurrency,
          abortGraceMs: this.#abortGraceMs,
          ...(signal !== undefined && { signal }),
        })),
      );
      autoReplies += 1;
    }
  }
}

function isFunctionMapResult(value: FunctionMapResult | FunctionMap): value is FunctionMapResult {
  const candidate = value as Partial<FunctionMapResult>;
  return typeof candidate.functionMap === 'object' && Array.isArray(candidate.tools);
}

function declined(toolCallId: string): ToolMessage {
  return {
    role: 'tool',
    tool_call_id: toolCallId,
    content: JSON.stringify({
      name: 'Declined',
      code: 'ERR_AUTOGEN_DECLINED',
      message: 'The user declined this call; read their message instead.',
    }),
  };
}

function summarise(history: readonly ChatMessage[]): string {
  for (let index = history.length - 1; index >= 0; index -= 1) {
    const message = history[index];
    if (message?.role === 'assistant' && typeof message.content === 'string') {
      const text = message.content.replace(TERMINATE, '').trim();
      if (text !== '') return text;
    }
  }
  return '';
}
