// A small deterministic embedding for offline tests: hashed bag of words, counting its calls.

import { BaseEmbedding } from '@llamaindex/core/embeddings';

export class HashingEmbedding extends BaseEmbedding {
  /** Every text embedded, in order. */
  readonly embedded: string[] = [];

  constructor(readonly dimensions = 128) {
    super();
  }

  async getTextEmbedding(text: string): Promise<number[]> {
    this.embedded.push(text);
    const vector = new Array<number>(this.dimensions).fill(0);
    for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
      let h = 2166136261;
      for (const ch of word) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
      vector[(h >>> 0) % this.dimensions] = (vector[(h >>> 0) % this.dimensions] ?? 0) + 1;
    }
    const norm = Math.hypot(...vector) || 1;
    return vector.map((v) => v / norm);
  }
}
