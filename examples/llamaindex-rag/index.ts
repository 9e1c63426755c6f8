// RAG over a protected API: ingest with the AuthSec reader, index, retrieve with clearance filtering, answer.

import { parseArgs } from 'node:util';
import { type DemoEnvironment, startDemoEnvironment } from '@authsec/demo-api';
import {
  AuthSecClearancePostprocessor,
  AuthSecPermissionError,
  AuthSecReader,
  clearanceFilters,
  type LogFormat,
  type LogLevel,
} from '@authsec/llamaindex';
import { BaseEmbedding } from '@llamaindex/core/embeddings';
import { MetadataMode, type NodeWithScore } from '@llamaindex/core/schema';
import { Settings, VectorStoreIndex } from 'llamaindex';

const useOpenAI = process.argv.includes('--openai');
// `--log-level debug --log-format json` change the SDK's transcript; the client checks the values.
const { values: flags } = parseArgs({
  options: { 'log-level': { type: 'string' }, 'log-format': { type: 'string' } },
  strict: false,
});
const logOptions = {
  logLevel: flags['log-level'] as LogLevel | undefined,
  logFormat: flags['log-format'] as LogFormat | undefined,
};
const QUESTION = 'What is the Q2 revenue target?';

/** A small deterministic embedding (hashed bag of words), so the default run needs no network. */
class HashingEmbedding extends BaseEmbedding {
  constructor(private readonly dimensions = 256) {
    super();
  }
  async getTextEmbedding(text: string): Promise<number[]> {
    const vector = new Array<number>(this.dimensions).fill(0);
    for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
      let h = 2166136261;
      for (const ch of word) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
      const slot = (h >>> 0) % this.dimensions;
      vector[slot] = (vector[slot] ?? 0) + 1;
    }
    const norm = Math.hypot(...vector) || 1;
    return vector.map((v) => v / norm);
  }
}

const STOPWORDS = new Set(['what', 'is', 'the', 'a', 'an', 'of', 'for', 'to', 'in', 'and']);

function words(text: string): Set<string> {
  return new Set((text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => !STOPWORDS.has(w)));
}

/** An extractive answer: the retrieved sentence sharing most words with the question, with its source. */
function extractiveAnswer(question: string, nodes: NodeWithScore[]): string {
  const asked = words(question);
  let best: { sentence: string; node: NodeWithScore; overlap: number } | undefined;
  for (const node of nodes) {
    const text = node.node.getContent(MetadataMode.NONE);
    for (const sentence of text.split(/(?<=[.!?])\s+|\n/)) {
      const overlap = [...words(sentence)].filter((w) => asked.has(w)).length;
      if (
        !best ||
        overlap > best.overlap ||
        (overlap === best.overlap && sentence.length > best.sentence.length)
      )
        best = { sentence, node, overlap };
    }
  }
  // One shared word (say "Q2") is not an answer.
  if (!best || best.overlap < 2) return 'No retrieved record you are cleared for answers this.';
  return `${best.sentence.replace(/^content: /, '')} [${cite(best.node)}]`;
}

function cite({ node }: NodeWithScore): string {
  const m = node.metadata;
  return `${m.record_id} · clearance ${m.clearance_required ?? 'none'} · ${m.source_endpoint} · ${m.ingestion_auth} · jti ${String(m.token_jti).slice(0, 8)}`;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`Check failed: ${what}`);
  console.log(`   ✓ ${what}`);
}

let lastAnswer = '';

async function answer(index: VectorStoreIndex, clearance: string): Promise<NodeWithScore[]> {
  const retriever = index.asRetriever({
    similarityTopK: 3,
    filters: clearanceFilters({ clearance }), // the vector store never returns nodes above it
  });
  const postprocessor = new AuthSecClearancePostprocessor({ clearance }); // and a second gate
  console.log(`\n[RAG] Caller clearance "${clearance}": ${QUESTION}`);
  if (useOpenAI) {
    // The LLM sees only the nodes that passed both gates, without their security metadata.
    const engine = index.asQueryEngine({ retriever, nodePostprocessors: [postprocessor] });
    const response = await engine.query({ query: QUESTION });
    const nodes = response.sourceNodes ?? [];
    for (const node of nodes) console.log(`   source: ${cite(node)}`);
    lastAnswer = response.toString();
    console.log(`   Answer (OpenAI): ${lastAnswer}`);
    return nodes;
  }
  const nodes = await postprocessor.postprocessNodes(await retriever.retrieve({ query: QUESTION }));
  for (const node of nodes) console.log(`   source: ${cite(node)}`);
  lastAnswer = extractiveAnswer(QUESTION, nodes);
  console.log(`   Answer (extractive): ${lastAnswer}`);
  return nodes;
}

/** Client options for one demo agent: what AUTHSEC_BASE_URL, AUTHSEC_AGENT_CLIENT_ID and DOWNSTREAM_URL would say. */
function agentOptions(demo: DemoEnvironment, env: Readonly<Record<string, string>>) {
  return {
    baseUrl: env.AUTHSEC_BASE_URL ?? '',
    clientId: env.AUTHSEC_AGENT_CLIENT_ID ?? '',
    downstreamUrl: demo.api.url,
    ...(logOptions.logLevel && { logLevel: logOptions.logLevel }),
    ...(logOptions.logFormat && { logFormat: logOptions.logFormat }),
  };
}

async function main(): Promise<void> {
  if (useOpenAI && !process.env.OPENAI_API_KEY?.trim()) {
    console.error(
      '--openai needs OPENAI_API_KEY. Set it, or run without --openai for the offline demo.',
    );
    process.exitCode = 2;
    return;
  }
  let demo: DemoEnvironment | undefined;
  try {
    demo = await startDemoEnvironment();
    console.log(`[Demo] Local AuthSec server ${demo.authsec.url}, protected API ${demo.api.url}.`);
    if (useOpenAI) {
      const { OpenAI, OpenAIEmbedding } = await import('@llamaindex/openai');
      Settings.embedModel = new OpenAIEmbedding();
      Settings.llm = new OpenAI({ model: 'gpt-4o-mini' });
      console.log('[Demo] Mode: OpenAI embeddings and LLM (--openai).');
    } else {
      Settings.embedModel = new HashingEmbedding();
      console.log(
        '[Demo] Mode: offline (deterministic embedding, extractive answer). Pass --openai for OpenAI.',
      );
    }

    // 1. Ingest with the reader agent (read:records): the seed's flow.
    const reader = new AuthSecReader({
      ...agentOptions(demo, demo.env),
      logLevel: logOptions.logLevel ?? 'info',
    });
    const documents = await reader.loadData({
      endpoint: 'secure-vault/records',
      scope: 'read:records',
    });
    console.log(
      `[LlamaIndex Loader] Successfully ingested ${documents.length} document(s) from secure storage!`,
    );
    for (const doc of documents) {
      const m = doc.metadata;
      console.log(
        `   ${doc.id_}  clearance=${m.clearance_required}  ingestion_auth="${m.ingestion_auth}"`,
      );
    }
    check(documents.length === 6, 'six records ingested, each stamped with security metadata');

    // 2. Index, then retrieve and answer at two clearances.
    const index = await VectorStoreIndex.fromDocuments(documents);
    const cleared = await answer(index, 'top_secret');
    check(
      cleared.some((n) => n.node.metadata.record_id === 'rec-0001'),
      'a top_secret caller retrieves the TopSecret Q2 revenue record',
    );
    if (!useOpenAI) check(lastAnswer.includes('USD 4.2M'), 'the answer cites the USD 4.2M target');
    const limited = await answer(index, 'confidential');
    check(
      limited.every((n) =>
        ['public', 'internal', 'confidential'].includes(String(n.node.metadata.clearance_required)),
      ),
      'a confidential caller gets no node above confidential',
    );

    // 3. Least privilege: a read:metrics token cannot read records.
    const metricsAgent = await demo.authsec.createDelegatedAgent({ permissions: ['read:metrics'] });
    const metricsReader = new AuthSecReader(agentOptions(demo, metricsAgent.env));
    const metrics = await metricsReader.loadData({
      endpoint: 'secure-vault/metrics',
      scope: 'read:metrics',
    });
    console.log(
      `\n[LlamaIndex Loader] read:metrics agent ingested ${metrics.length} metric document(s).`,
    );
    try {
      await metricsReader.loadData({ endpoint: 'secure-vault/records', scope: 'read:records' });
      check(false, 'a read:metrics token is refused records');
    } catch (error) {
      if (!(error instanceof AuthSecPermissionError)) throw error;
      console.log(`[LlamaIndex Loader] Refused: ${error.message}`);
      check(
        error.requiredScope === 'read:records',
        'a read:metrics token is refused records (nothing sent)',
      );
    }
    // Without a declared scope the request is sent, and the API itself refuses it (403).
    try {
      await metricsReader.loadData({ endpoint: 'secure-vault/records' });
      check(false, 'the API refuses records to a read:metrics token');
    } catch (error) {
      if (!(error instanceof AuthSecPermissionError)) throw error;
      console.log(`[LlamaIndex Loader] Refused: ${error.message}`);
      check(error.status === 403, 'the API refuses records to a read:metrics token (403)');
    }
    await metricsReader.client.close();
    await reader.client.close();
    console.log('\n[Demo] Done: every step did what it claims.');
  } finally {
    await demo?.close();
  }
}

main().catch((error: unknown) => {
  console.error(`[Demo] Failed: ${String(error)}`);
  process.exitCode = 1;
});
