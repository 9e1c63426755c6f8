import { inspect } from 'node:util';
import { type DemoEnvironment, startDemoEnvironment } from '@authsec/demo-api';
import { DownstreamServer } from '@authsec/testing';
import { type Document, MetadataMode } from '@llamaindex/core/schema';
import { Settings, storageContextFromDefaults, VectorStoreIndex } from 'llamaindex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthSecClient,
  AuthSecConfigError,
  AuthSecReader,
  INGESTION_AUTH,
  SECURITY_METADATA_KEYS,
} from '../src/index.js';
import { HashingEmbedding } from './hashing-embedding.js';

let demo: DemoEnvironment;
let api: DownstreamServer;
let reader: AuthSecReader;
let token: string;
/** What GET /rows answers; tests change it to simulate the API's data changing. */
let rows: Record<string, unknown>[];

beforeAll(async () => {
  demo = await startDemoEnvironment();
  api = await DownstreamServer.start({
    routes: {
      'GET /rows': () => ({ body: { records: rows } }),
      'GET /labels': {
        body: [
          { id: 'a', clearance_required: 'Secret', body: 'only clearance_required' },
          { id: 'b', clearance: 'internal', clearance_required: 'secret', body: 'both' },
          { id: 'c', level: 'TopSecret', clearance: 'public', body: 'custom field' },
          { id: 'd', body: 'no label' },
          { id: 'e', clearance: ['secret'], body: 'a list is not a label' },
          { id: 'f', clearance: '  ', body: 'blank label' },
        ],
      },
    },
  });
  const client = new AuthSecClient({
    baseUrl: demo.env.AUTHSEC_BASE_URL ?? '',
    clientId: demo.env.AUTHSEC_AGENT_CLIENT_ID ?? '',
    downstreamUrl: api.url,
    logLevel: 'silent',
  });
  reader = new AuthSecReader({ client });
  token = await client.getDelegationToken();
});

afterAll(async () => {
  await reader.client.close();
  await api.close();
  await demo.close();
});

function byId(docs: Document[]): Record<string, Document> {
  return Object.fromEntries(docs.map((d) => [String(d.metadata.record_id), d]));
}

describe('security metadata', () => {
  it('stamps exactly the documented keys, and never the token', async () => {
    rows = [{ id: 'r1', title: 'Roadmap', clearance: 'TopSecret' }];
    const [doc] = await reader.loadData({ endpoint: 'rows?limit=1#top', scope: 'read:records' });
    if (!doc) throw new Error('no document');
    const info = await reader.client.getDelegationTokenInfo();
    expect(Object.keys(doc.metadata).sort()).toEqual(
      [
        'authsec_mode',
        'clearance_key',
        'clearance_required',
        'ingested_at',
        'ingestion_auth',
        'permissions',
        'record_id',
        'record_index',
        'source_endpoint',
        'spiffe_id',
        'token_jti',
      ].sort(),
    );
    expect(doc.metadata).toEqual({
      source_endpoint: 'rows',
      ingestion_auth: INGESTION_AUTH,
      clearance_required: 'TopSecret',
      clearance_key: 'topsecret',
      record_id: 'r1',
      record_index: 0,
      spiffe_id: info.spiffeId,
      token_jti: info.jti,
      permissions: info.permissions.join(' '),
      ingested_at: doc.metadata.ingested_at,
      authsec_mode: 'live',
    });
    expect(INGESTION_AUTH).toBe('AuthSec AI Verified');
    expect(info.spiffeId).toMatch(/^spiffe:\/\//);
    expect(new Date(String(doc.metadata.ingested_at)).toISOString()).toBe(doc.metadata.ingested_at);
    const printed = `${inspect(doc, { depth: 8 })}${JSON.stringify(doc)}`;
    expect(printed.includes(token)).toBe(false);
    expect(printed.includes(token.split('.')[2] ?? token)).toBe(false);
  });

  it('replaces a token the API echoes, in the text and in lifted metadata, by core marker', async () => {
    rows = [{ id: 'r1', note: `you sent Bearer ${token}`, echoed: token }];
    const [doc] = await reader.loadData({
      endpoint: 'rows',
      metadataFields: ['echoed'],
      toMetadata: (record) => ({ seen: [(record as { echoed: string }).echoed] }),
    });
    if (!doc) throw new Error('no document');
    expect(doc.text).toMatch(/^note: you sent Bearer \[jwt eyJ[\w-]{9}… \(jti [\w-]{1,8}\)\]$/);
    expect(doc.metadata.echoed).toMatch(/^\[jwt eyJ[\w-]{9}…/);
    expect(doc.metadata.seen).toMatch(/^\["\[jwt eyJ[\w-]{9}…/);
    const printed = `${doc.getContent(MetadataMode.ALL)}${JSON.stringify(doc.toJSON())}`;
    expect(printed.includes(token.split('.')[2] ?? token)).toBe(false);
  });

  it('stamps source_endpoint without the user info, query or fragment of an absolute URL', async () => {
    rows = [{ id: 'r1', title: 'Roadmap' }];
    const [doc] = await reader.loadData({ endpoint: `${api.url}/rows?api_key=k-123#frag` });
    expect(doc?.metadata.source_endpoint).toBe(`${api.url}/rows`);
    expect(doc?.id_).toBe(`${api.url}/rows#r1`);
    expect(JSON.stringify(doc?.metadata)).not.toContain('k-123');
  });

  it('takes clearance from clearance, then clearance_required, or clearanceField; else defaultClearance', async () => {
    const plain = byId(await reader.loadData({ endpoint: 'labels' }));
    expect(plain.a?.metadata.clearance_required).toBe('Secret');
    expect(plain.b?.metadata.clearance_required).toBe('internal');
    expect(plain.c?.metadata.clearance_required).toBe('public');
    expect(plain.d?.metadata).not.toHaveProperty('clearance_required');
    expect(plain.d?.metadata).not.toHaveProperty('clearance_key');
    expect(plain.f?.metadata).not.toHaveProperty('clearance_required');
    // Both clearance fields are lifted out of the text.
    expect(plain.b?.text).toBe('body: both');

    const custom = byId(await reader.loadData({ endpoint: 'labels', clearanceField: 'level' }));
    expect(custom.c?.metadata).toMatchObject({
      clearance_required: 'TopSecret',
      clearance_key: 'topsecret',
    });
    expect(custom.c?.text).toBe('clearance: public\nbody: custom field');
    expect(custom.a?.metadata).not.toHaveProperty('clearance_required');

    const defaulted = byId(
      await reader.loadData({ endpoint: 'labels', defaultClearance: 'internal' }),
    );
    expect(defaulted.d?.metadata.clearance_required).toBe('internal');
    expect(defaulted.f?.metadata.clearance_required).toBe('internal');
    expect(defaulted.a?.metadata.clearance_required).toBe('Secret');
  });

  it('keeps a clearance that is not a string as an unknown label, never the default', async () => {
    const docs = byId(await reader.loadData({ endpoint: 'labels', defaultClearance: 'public' }));
    expect(docs.e?.metadata.clearance_required).toBe('["secret"]');
    expect(docs.e?.metadata.clearance_key).not.toBe('public');
  });

  it('lets toMetadata add keys but never forge the security metadata', async () => {
    rows = [
      { id: 'r1', title: 'Secret plan', clearance: 'secret', team: 'core' },
      { id: 'r2', title: 'Unlabeled note' },
    ];
    const docs = await reader.loadData({
      endpoint: 'rows',
      metadataFields: ['team', 'ingestion_auth'],
      toMetadata: (record) => ({
        team_upper: String(record.team ?? '').toUpperCase(),
        tags: ['a', 'b'],
        clearance_required: 'public',
        clearance_key: 'public',
        source_endpoint: 'forged',
        token_jti: 'forged',
        authsec_mode: 'mock',
      }),
    });
    expect(docs[0]?.metadata).toMatchObject({
      team: 'core',
      team_upper: 'CORE',
      tags: '["a","b"]',
      clearance_required: 'secret',
      clearance_key: 'secret',
      source_endpoint: 'rows',
      ingestion_auth: INGESTION_AUTH,
      authsec_mode: 'live',
    });
    expect(docs[0]?.metadata.token_jti).not.toBe('forged');
    expect(docs[1]?.metadata).not.toHaveProperty('clearance_required');
    expect(docs[1]?.metadata).not.toHaveProperty('clearance_key');
    // Extra metadata is visible to the LLM; security metadata is not.
    expect(docs[0]?.getContent(MetadataMode.LLM)).toContain('team_upper: CORE');

    const bad = await reader
      .loadData({ endpoint: 'rows', toMetadata: () => 'oops' as never })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(AuthSecConfigError);
    expect((bad as AuthSecConfigError).message).toContain(
      '`toMetadata` must return a plain object',
    );
  });

  it('never lets metadataFields alone forge the security metadata', async () => {
    rows = [{ id: 'r1', token_jti: 'forged', authsec_mode: 'mock', record_index: 99 }];
    const [doc] = await reader.loadData({
      endpoint: 'rows',
      metadataFields: ['token_jti', 'authsec_mode', 'record_index'],
    });
    expect(doc?.metadata).toMatchObject({ authsec_mode: 'live', record_index: 0 });
    expect(doc?.metadata.token_jti).not.toBe('forged');
  });

  it('gives every Document its own excluded-key lists', async () => {
    rows = [{ id: 'r1' }, { id: 'r2' }];
    const [first, second] = await reader.loadData({ endpoint: 'rows' });
    first?.excludedLlmMetadataKeys.pop();
    expect(second?.excludedLlmMetadataKeys).toEqual([...SECURITY_METADATA_KEYS]);
    expect(second?.excludedEmbedMetadataKeys).toEqual([...SECURITY_METADATA_KEYS, 'record_id']);
  });

  it('writes every field not lifted as key: value lines, or uses toText', async () => {
    rows = [{ id: 7, title: 'Pricing', tags: ['b2b'], meta: { z: 1, a: 2 }, empty: null }];
    const [doc] = await reader.loadData({ endpoint: 'rows' });
    expect(doc?.text).toBe('title: Pricing\ntags: ["b2b"]\nmeta: {"a":2,"z":1}\nempty: null');
    expect(doc?.metadata.record_id).toBe('7');
    const [custom] = await reader.loadData({
      endpoint: 'rows',
      toText: (r, i) => `#${i} ${String(r.title)}`,
    });
    expect(custom?.text).toBe('#0 Pricing');
    const bad = await reader
      .loadData({ endpoint: 'rows', toText: () => 42 as never })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(AuthSecConfigError);
    expect((bad as AuthSecConfigError).code).toBe('ERR_AUTHSEC_CONFIG');
  });
});

describe('ids', () => {
  it('come from idField and the endpoint, and stay when the API reorders the records', async () => {
    rows = [
      { key: 'k1', title: 'One' },
      { key: 'k2', title: 'Two' },
    ];
    const first = await reader.loadData({ endpoint: 'rows', idField: 'key' });
    rows = [...rows].reverse();
    const second = await reader.loadData({ endpoint: 'rows', idField: 'key' });
    expect(first.map((d) => d.id_)).toEqual(['rows#k1', 'rows#k2']);
    expect(second.map((d) => d.id_)).toEqual(['rows#k2', 'rows#k1']);
    expect(second[0]?.metadata.record_index).toBe(0);
    // The position changed, not the record: the hash stays.
    expect(second[1]?.hash).toBe(first[0]?.hash);
  });

  it('tell apart records that share an id by their content, not their position', async () => {
    const a = { id: 'dup', title: 'Alpha' };
    const b = { id: 'dup', title: 'Beta' };
    rows = [a, b, a];
    const first = await reader.loadData({ endpoint: 'rows' });
    rows = [b, a, a];
    const second = await reader.loadData({ endpoint: 'rows' });
    const idOf = (docs: Document[], title: string) =>
      docs.filter((d) => d.text === `title: ${title}`).map((d) => d.id_);
    expect(new Set(first.map((d) => d.id_)).size).toBe(3);
    expect(first[0]?.id_).toBe('rows#dup');
    expect(first[1]?.id_).toMatch(/^rows#dup~[0-9a-f]{16}$/);
    expect(first[2]?.id_).toMatch(/^rows#dup~[0-9a-f]{16}$/);
    // Beta keeps one id whichever position it has, once it is not the first with that id.
    rows = [a, a, b];
    const third = await reader.loadData({ endpoint: 'rows' });
    expect(idOf(third, 'Beta')).toEqual(idOf(first, 'Beta'));
    expect(new Set(second.map((d) => d.id_)).size).toBe(3);
  });
});

describe('hashes and re-ingestion', () => {
  it('re-ingesting unchanged records embeds nothing new; a changed record is embedded again, alone', async () => {
    const embedModel = new HashingEmbedding();
    Settings.embedModel = embedModel;
    const storageContext = await storageContextFromDefaults({});
    rows = [
      { id: 'r1', title: 'Q2 revenue target', clearance: 'secret' },
      { id: 'r2', title: 'Incident report', clearance: 'internal' },
      { id: 'r3', title: 'Pricing page', clearance: 'public' },
    ];
    const first = await reader.loadData({ endpoint: 'rows' });
    await VectorStoreIndex.fromDocuments(first, { storageContext });
    expect(embedModel.embedded).toHaveLength(3);
    // What was embedded holds the record, not its security metadata.
    for (const text of embedModel.embedded) {
      expect(text).not.toContain(INGESTION_AUTH);
      expect(text).not.toContain(String(first[0]?.metadata.token_jti));
      for (const key of SECURITY_METADATA_KEYS) expect(text).not.toContain(`${key}:`);
    }

    // A new token and a later time, same records: same hashes, nothing embedded.
    await demo.authsec.delegate(demo.agents.reader.agent.clientId);
    reader.client.invalidate();
    const before = first[0]?.metadata.ingested_at;
    let second = await reader.loadData({ endpoint: 'rows' });
    while (second[0]?.metadata.ingested_at === before) {
      second = await reader.loadData({ endpoint: 'rows' });
    }
    expect(second[0]?.metadata.token_jti).not.toBe(first[0]?.metadata.token_jti);
    expect(second.map((d) => d.hash)).toEqual(first.map((d) => d.hash));
    await VectorStoreIndex.fromDocuments(second, { storageContext });
    expect(embedModel.embedded).toHaveLength(3);

    // One record changes: only it is embedded again.
    rows = [rows[0] ?? {}, { ...rows[1], title: 'Incident report, updated' }, rows[2] ?? {}];
    const third = await reader.loadData({ endpoint: 'rows' });
    expect(third[1]?.hash).not.toBe(first[1]?.hash);
    expect(third[0]?.hash).toBe(first[0]?.hash);
    await VectorStoreIndex.fromDocuments(third, { storageContext });
    expect(embedModel.embedded).toHaveLength(4);
    expect(embedModel.embedded.at(-1)).toContain('Incident report, updated');
    token = await reader.client.getDelegationToken();
  });

  it('changes the hash when a clearance label changes', async () => {
    rows = [{ id: 'r1', title: 'Roadmap', clearance: 'internal' }];
    const [a] = await reader.loadData({ endpoint: 'rows' });
    rows = [{ id: 'r1', title: 'Roadmap', clearance: 'secret' }];
    const [b] = await reader.loadData({ endpoint: 'rows' });
    expect(b?.id_).toBe(a?.id_);
    expect(b?.hash).not.toBe(a?.hash);
  });

  it('keeps the exclusions on the nodes a VectorStoreIndex retrieves', async () => {
    Settings.embedModel = new HashingEmbedding();
    rows = [{ id: 'r1', title: 'Q2 revenue target of USD 4.2M', clearance: 'secret' }];
    const index = await VectorStoreIndex.fromDocuments(await reader.loadData({ endpoint: 'rows' }));
    const [hit] = await index.asRetriever({ similarityTopK: 1 }).retrieve({ query: 'revenue' });
    if (!hit) throw new Error('nothing retrieved');
    expect(hit.node.metadata.clearance_required).toBe('secret');
    for (const mode of [MetadataMode.LLM, MetadataMode.EMBED]) {
      const content = hit.node.getContent(mode);
      expect(content).toContain('USD 4.2M');
      expect(content).not.toContain(INGESTION_AUTH);
      for (const key of SECURITY_METADATA_KEYS) expect(content).not.toContain(`${key}:`);
    }
  });
});
