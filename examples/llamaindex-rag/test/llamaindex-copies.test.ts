import { BaseEmbedding } from '@llamaindex/core/embeddings';
import { BaseLLM } from '@llamaindex/core/llms';
import { Document } from '@llamaindex/core/schema';
import { OpenAI, OpenAIEmbedding } from '@llamaindex/openai';
import { Document as LlamaIndexDocument } from 'llamaindex';
import { describe, expect, it } from 'vitest';

describe('one @llamaindex/core for llamaindex, @llamaindex/openai and the reader', () => {
  it('llamaindex and @llamaindex/openai share the @llamaindex/core the reader builds Documents with', () => {
    expect(LlamaIndexDocument).toBe(Document);
    // Constructing makes no request: the key is only read here, never sent.
    const embedding = new OpenAIEmbedding({ apiKey: 'sk-unused' });
    const llm = new OpenAI({ apiKey: 'sk-unused', model: 'gpt-4o-mini' });
    expect(embedding).toBeInstanceOf(BaseEmbedding);
    expect(llm).toBeInstanceOf(BaseLLM);
  });
});
