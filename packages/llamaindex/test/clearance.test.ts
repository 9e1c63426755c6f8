import { startDemoEnvironment } from '@authsec/demo-api';
import type { NodeWithScore } from '@llamaindex/core/schema';
import { Settings, VectorStoreIndex } from 'llamaindex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthSecClearancePostprocessor,
  AuthSecClient,
  AuthSecConfigError,
  AuthSecReader,
  ClearanceScale,
  clearanceFilters,
  normalizeClearance,
} from '../src/index.js';
import { HashingEmbedding } from './hashing-embedding.js';
import { RecordingLLM } from './recording-llm.js';

describe('ClearanceScale', () => {
  it('orders public < internal < confidential < secret < top_secret by default', () => {
    const scale = new ClearanceScale();
    expect(
      ['public', 'internal', 'confidential', 'secret', 'top_secret'].map((l) => scale.rank(l)),
    ).toEqual([0, 1, 2, 3, 4]);
    expect(scale.allows('secret', 'confidential')).toBe(true);
    expect(scale.allows('confidential', 'secret')).toBe(false);
  });

  it("matches labels case- and separator-insensitively, so the seed's TopSecret is top_secret", () => {
    const scale = new ClearanceScale();
    expect(normalizeClearance('Top-Secret')).toBe('topsecret');
    for (const label of ['TopSecret', 'TOP_SECRET', 'top secret', 'top-secret']) {
      expect(scale.rank(label)).toBe(4);
    }
    expect(scale.allows('top_secret', 'TopSecret')).toBe(true);
  });

  it('denies missing and unknown labels, and refuses an unknown caller clearance', () => {
    const scale = new ClearanceScale();
    expect(scale.allows('top_secret', undefined)).toBe(false);
    expect(scale.allows('top_secret', 'cosmic')).toBe(false);
    expect(() => scale.allows('cosmic', 'public')).toThrow(/not on the scale/);
  });

  it('accepts a custom order and refuses duplicates and an empty scale', () => {
    const traffic = new ClearanceScale(['green', 'amber', 'red']);
    expect(traffic.allows('amber', 'green')).toBe(true);
    expect(traffic.allows('amber', 'red')).toBe(false);
    expect(() => new ClearanceScale([])).toThrow(AuthSecConfigError);
    expect(() => new ClearanceScale(['Secret', 'secret'])).toThrow(/appears twice/);
  });
});

describe('clearance filtering at retrieval', () => {
  let demo: Awaited<ReturnType<typeof startDemoEnvironment>>;
  let client: AuthSecClient;
  let index: VectorStoreIndex;

  beforeAll(async () => {
    demo = await startDemoEnvironment();
    client = new AuthSecClient({
      baseUrl: demo.env.AUTHSEC_BASE_URL ?? '',
      clientId: demo.env.AUTHSEC_AGENT_CLIENT_ID ?? '',
      downstreamUrl: demo.api.url,
      logLevel: 'silent',
    });
    Settings.embedModel = new HashingEmbedding();
    const docs = await new AuthSecReader({ client }).loadData({
      endpoint: 'secure-vault/records',
      scope: 'read:records',
    });
    // One record with no label, to prove unlabeled nodes are denied by default.
    const unlabeled = await new AuthSecReader({ mode: 'mock', logLevel: 'silent' }).loadData({
      endpoint: 'notes',
      mockRecords: [
        { id: 'note-1', title: 'Unlabeled note about revenue' },
        { id: 'note-2', title: 'Cosmic revenue memo', clearance: 'cosmic' },
      ],
    });
    index = await VectorStoreIndex.fromDocuments([...docs, ...unlabeled]);
  });

  afterAll(async () => {
    await client.close();
    await demo.close();
  });

  const labels = (nodes: NodeWithScore[]) =>
    nodes.map((n) => n.node.metadata.clearance_required ?? '(none)').sort();

  it('the postprocessor drops nodes above the caller clearance and unlabeled ones', async () => {
    const retriever = index.asRetriever({ similarityTopK: 10 });
    const nodes = await retriever.retrieve({ query: 'revenue target incident roadmap' });
    expect(labels(nodes)).toContain('TopSecret');
    const kept = await new AuthSecClearancePostprocessor({
      clearance: 'confidential',
    }).postprocessNodes(nodes);
    expect(labels(kept)).toEqual(['confidential', 'confidential', 'internal', 'public']);
    const withUnlabeled = await new AuthSecClearancePostprocessor({
      clearance: 'confidential',
      allowUnlabeled: true,
    }).postprocessNodes(nodes);
    expect(labels(withUnlabeled)).toContain('(none)');
    // A label that is not on the scale is denied like no label, and admitted with it.
    expect(labels(nodes)).toContain('cosmic');
    expect(labels(kept)).not.toContain('cosmic');
    expect(labels(withUnlabeled)).toContain('cosmic');
  });

  it('works as a query-engine node postprocessor: the LLM never sees what the caller may not', async () => {
    const llm = new RecordingLLM('Answer from the cleared records.');
    Settings.llm = llm;
    const engine = index.asQueryEngine({
      similarityTopK: 10,
      nodePostprocessors: [new AuthSecClearancePostprocessor({ clearance: 'internal' })],
    });
    const response = await engine.query({ query: 'What is the Q2 revenue target?' });
    expect(response.toString()).toBe('Answer from the cleared records.');
    expect(labels(response.sourceNodes ?? [])).toEqual(['internal', 'public']);
    const prompt = llm.prompts.join('\n');
    expect(prompt).toContain('Monthly churn fell to 1.4%');
    expect(prompt).toContain('Starter: USD 290 a month');
    // The TopSecret record's body and every security key stay out of the prompt.
    expect(prompt).not.toContain('USD 4.2M');
    expect(prompt).not.toContain('AuthSec AI Verified');
    expect(prompt).not.toMatch(/clearance_required|token_jti|spiffe_id|permissions:/);
    expect(() => new AuthSecClearancePostprocessor({ clearance: 'cosmic' })).toThrow(
      AuthSecConfigError,
    );
  });

  it('clearanceFilters works as preFilters of a query engine', async () => {
    const llm = new RecordingLLM();
    Settings.llm = llm;
    const engine = index.asQueryEngine({
      similarityTopK: 10,
      preFilters: clearanceFilters({ clearance: 'confidential' }),
    });
    const response = await engine.query({ query: 'revenue target incident' });
    expect(labels(response.sourceNodes ?? [])).toEqual([
      'confidential',
      'confidential',
      'internal',
      'public',
    ]);
    expect(llm.prompts.join('\n')).not.toContain('USD 4.2M');
  });

  it('clearanceFilters keeps the vector store from returning nodes above the clearance', async () => {
    const filters = clearanceFilters({ clearance: 'secret' });
    const nodes = await index
      .asRetriever({ similarityTopK: 10, filters })
      .retrieve({ query: 'revenue target roadmap' });
    expect(labels(nodes)).toEqual(['confidential', 'confidential', 'internal', 'public', 'secret']);

    const top = await index
      .asRetriever({ similarityTopK: 10, filters: clearanceFilters({ clearance: 'TopSecret' }) })
      .retrieve({ query: 'revenue target' });
    expect(labels(top)).toContain('TopSecret');
    expect(labels(top)).not.toContain('(none)');
    expect(labels(top)).not.toContain('cosmic');

    const open = await index
      .asRetriever({
        similarityTopK: 10,
        filters: clearanceFilters({ clearance: 'public', allowUnlabeled: true }),
      })
      .retrieve({ query: 'revenue note pricing' });
    expect(labels(open)).toEqual(['(none)', 'cosmic', 'public']);
  });

  it('clearanceFilters follows a custom scale', () => {
    expect(clearanceFilters({ clearance: 'amber', scale: ['green', 'amber', 'red'] })).toEqual({
      filters: [{ key: 'clearance_key', operator: 'in', value: ['green', 'amber'] }],
    });
  });
});
