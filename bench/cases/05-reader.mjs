// The LlamaIndex reader: AuthSecReader.loadData() over 10,000 records against fetch + JSON.parse +
// `new Document` with the same text, id and metadata (the token's facts from the same warm client).
// A second row adds to that floor the per-Document hash the reader computes (SHA-256 of the text and
// the stable metadata, with Node's createHash as a careful Node user would), and reads every
// Document's `hash` on our side (the reader computes it on first read), so it compares like with like.

import { createHash } from 'node:crypto';
import { AuthSecReader } from '@authsec/llamaindex';
import { Document } from '@llamaindex/core/schema';
import { newClient } from '../lib/clients.mjs';
import { pair } from '../lib/measure.mjs';

const SECURITY = [
  'source_endpoint',
  'ingestion_auth',
  'clearance_required',
  'clearance_key',
  'record_index',
  'spiffe_id',
  'token_jti',
  'permissions',
  'ingested_at',
  'authsec_mode',
];
const VOLATILE = new Set(['ingested_at', 'token_jti', 'record_index']);
const LIFTED = new Set(['id', 'clearance', 'clearance_required']);

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const canonicalJson = (value) =>
  JSON.stringify(value, (_k, inner) =>
    isObject(inner)
      ? Object.fromEntries(
          Object.keys(inner)
            .sort()
            .map((k) => [k, inner[k]]),
        )
      : inner,
  );
function hashOf(text, metadata) {
  const stable = Object.keys(metadata)
    .filter((k) => !VOLATILE.has(k))
    .sort()
    .map((k) => [k, metadata[k]]);
  return createHash('sha256')
    .update(canonicalJson({ text, metadata: stable }))
    .digest('base64');
}

export default {
  name: 'llamaindex reader',
  async run(ctx) {
    const client = newClient(ctx.servers);
    const info = await client.getDelegationTokenInfo();
    const url = `${ctx.servers.apiUrl}/api/records`;
    const endpoint = 'records';
    const reader = new AuthSecReader({ client });
    const count = ctx.servers.records;

    const byHand = (withHash) => async () => {
      const token = await client.getDelegationToken();
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      if (!res.ok) throw new Error(`API answered ${res.status}`);
      const { records } = JSON.parse(await res.text());
      const ingestedAt = new Date().toISOString();
      const permissions = info.permissions.join(' ');
      const documents = [];
      for (let index = 0; index < records.length; index++) {
        const record = records[index];
        const text = Object.entries(record)
          .filter(([key, value]) => !LIFTED.has(key) && value !== undefined)
          .map(
            ([key, value]) => `${key}: ${typeof value === 'string' ? value : canonicalJson(value)}`,
          )
          .join('\n');
        const metadata = {
          record_id: record.id,
          source_endpoint: endpoint,
          ingestion_auth: 'AuthSec AI Verified',
          clearance_required: record.clearance,
          clearance_key: record.clearance.toLowerCase(),
          record_index: index,
          spiffe_id: info.spiffeId,
          token_jti: info.jti,
          permissions,
          ingested_at: ingestedAt,
          authsec_mode: info.mode,
        };
        const document = new Document({
          id_: `${endpoint}#${record.id}`,
          text,
          metadata,
          excludedEmbedMetadataKeys: [...SECURITY, 'record_id'],
          excludedLlmMetadataKeys: [...SECURITY],
        });
        if (withHash) document.hash = hashOf(text, metadata);
        documents.push(document);
      }
      return documents;
    };

    const ours = async () => {
      const documents = await reader.loadData({ endpoint, scope: 'read:records' });
      if (documents.length !== count) throw new Error(`loaded ${documents.length} of ${count}`);
      return documents;
    };
    // The reader's hash is computed on its first read: read them all, as ingestion does.
    const oursHashed = async () => {
      const documents = await ours();
      let length = 0;
      for (const document of documents) length += document.hash.length;
      if (length === 0) throw new Error('no hashes');
      return documents;
    };
    const rounds = ctx.count(10, 2);
    const plain = await pair({ ours, baseline: byHand(false), rounds, batch: 1, warmup: 2 });
    ctx.add({
      name: `AuthSecReader ${count} records vs fetch + JSON.parse + new Document`,
      unit: 'ms',
      goal: 1.5,
      ...plain,
      ours: plain.ours / 1000,
      baseline: plain.baseline / 1000,
    });
    const hashed = await pair({
      ours: oursHashed,
      baseline: byHand(true),
      rounds,
      batch: 1,
      warmup: 1,
    });
    ctx.add({
      name: `AuthSecReader ${count} records vs the same + hashes`,
      unit: 'ms',
      goal: 1.2,
      ...hashed,
      ours: hashed.ours / 1000,
      baseline: hashed.baseline / 1000,
    });
    await client.close();
  },
};
