// A small offline LLM for tests: records every prompt it is sent and answers with a fixed text.

import {
  BaseLLM,
  type ChatResponse,
  type ChatResponseChunk,
  type LLMChatParamsNonStreaming,
  type LLMChatParamsStreaming,
  type LLMMetadata,
} from '@llamaindex/core/llms';

export class RecordingLLM extends BaseLLM {
  /** The text of every message sent, one entry per chat call. */
  readonly prompts: string[] = [];
  metadata: LLMMetadata = {
    model: 'recording-llm',
    temperature: 0,
    topP: 1,
    contextWindow: 8192,
    tokenizer: undefined,
    structuredOutput: false,
  };

  constructor(readonly answer = 'Recorded.') {
    super();
  }

  chat(params: LLMChatParamsStreaming): Promise<AsyncIterable<ChatResponseChunk>>;
  chat(params: LLMChatParamsNonStreaming): Promise<ChatResponse>;
  async chat(
    params: LLMChatParamsStreaming | LLMChatParamsNonStreaming,
  ): Promise<AsyncIterable<ChatResponseChunk> | ChatResponse> {
    this.prompts.push(
      params.messages
        .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
        .join('\n'),
    );
    const answer = this.answer;
    if (params.stream) {
      return (async function* () {
        yield { delta: answer, raw: null };
      })();
    }
    return { message: { role: 'assistant', content: answer }, raw: null };
  }
}
