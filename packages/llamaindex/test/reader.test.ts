import { inspect } from 'node:util';
import { type DemoEnvironment, startDemoEnvironment } from '@authsec/demo-api';
import { DownstreamServer } from '@authsec/testing';
import { Document, MetadataMode } from '@llamaindex/core/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthSecClient,
  AuthSecConfigError,
  AuthSecOriginNotAllowedError,
  AuthSecPermissionError,
  AuthSecReader,
  AuthSecResponseError,
  AuthSecSecureReader,
  INGESTION_AUTH,
  SECURITY_METADATA_KEYS,
} from '../src/index.js';

let demo: DemoEnvironment;
let client: AuthSecClient;
let reader: AuthSecReader;
let token: string;

const silent = { logLevel: 'silent' } as const;

function clientFor(env: Readonly<Record<string, string>>, extra = {}) {
  return new AuthSecClient({
    baseUrl: env.AUTHSEC_BASE_URL ?? '',
    clientId: env.AUTHSEC_AGENT_CLIENT_ID ?? '',
    downstreamUrl: demo.api.url,
    ...silent,
    ...extra,
  });
}

function expectNoToken(value: unknown, secret = token) {
  const signature = secret.split('.')[2] ?? secret;
  for (const text of [inspect(value, { depth: 8 }), JSON.stringify(value) ?? '', String(value)]) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(signature);
  }
}

beforeAll(async () => {
  demo = await startDemoEnvironment();
  client = clientFor(demo.env);
  reader = new AuthSecReader({ client });
  token = await client.getDelegationToken();
});

afterAll(async () => {
  await client.close();
  await demo.close();
});

describe('AuthSecReader.loadData', () => {
  it('returns real Documents with the security metadata stamped on each', async () => {
    const docs = await reader.loadData({ endpoint: 'secure-vault/records', scope: 'read:records' });
    expect(docs).toHaveLength(6);
    const info = await client.getDelegationTokenInfo();
    for (const [i, doc] of docs.entries()) {
      expect(doc).toBeInstanceOf(Document);
      expect(doc.metadata).toMatchObject({
        source_endpoint: 'secure-vault/records',
        ingestion_auth: INGESTION_AUTH,
        record_index: i,
        spiffe_id: info.spiffeId,
        token_jti: info.jti,
        permissions: 'read:records read:metrics read:customers',
        authsec_mode: 'live',
      });
      expect(Date.parse(doc.metadata.ingested_at as string)).not.toBeNaN();
    }
    expect(docs[0]?.metadata).toMatchObject({
      clearance_required: 'TopSecret',
      clearance_key: 'topsecret',
      record_id: 'rec-0001',
    });
    expectNoToken(docs);
  });

  it('is the seed name AuthSecSecureReader, a drop-in LlamaIndex reader', async () => {
    expect(AuthSecSecureReader).toBe(AuthSecReader);
    const seedReader = new AuthSecSecureReader({ client });
    const docs = await seedReader.loadData({
      endpoint: 'secure-vault/metrics',
      scope: 'read:metrics',
    });
    expect(docs.length).toBeGreaterThan(0);
    expect(docs[0]?.text).toContain('q2_revenue_target');
    expect(docs[0]?.metadata.clearance_required).toBeUndefined();
  });

  it('puts every field not lifted into metadata into the text as key: value lines', async () => {
    const [doc] = await reader.loadData({
      endpoint: 'secure-vault/records',
      scope: 'read:records',
      metadataFields: ['owner'],
      maxRecords: 1,
    });
    const lines = doc?.text.split('\n') ?? [];
    expect(lines.map((line) => line.split(':')[0])).toEqual(['title', 'content', 'updated_at']);
    expect(lines[0]).toBe('title: Q2 revenue target');
    expect(doc?.text).toMatch(/^content: The board approved/m);
    expect(doc?.text).not.toMatch(/^(id|clearance|owner):/m);
    expect(doc?.metadata.owner).toBe('finance');
  });

  it('keeps security metadata out of the embedded and the LLM text', async () => {
    const [doc] = await reader.loadData({
      endpoint: 'secure-vault/records',
      scope: 'read:records',
    });
    if (!doc) throw new Error('no document');
    const embed = doc.getContent(MetadataMode.EMBED);
    const llm = doc.getContent(MetadataMode.LLM);
    for (const key of SECURITY_METADATA_KEYS) {
      expect(embed).not.toContain(`${key}:`);
      expect(llm).not.toContain(`${key}:`);
    }
    expect(llm).toContain('record_id: rec-0001');
    expect(doc.getContent(MetadataMode.ALL)).toContain('clearance_required: TopSecret');
  });

  it('derives ids from the record id and the endpoint, never the position', async () => {
    const all = await reader.loadData({ endpoint: 'secure-vault/records', scope: 'read:records' });
    const fromPage = await reader.loadData({
      endpoint: 'secure-vault/records/page?limit=3',
      scope: 'read:records',
      maxRecords: 3,
    });
    expect(all.map((d) => d.id_).slice(0, 2)).toEqual([
      'secure-vault/records#rec-0001',
      'secure-vault/records#rec-0002',
    ]);
    expect(fromPage[0]?.id_).toBe('secure-vault/records/page#rec-0001');
    expect(fromPage[0]?.metadata.source_endpoint).toBe('secure-vault/records/page');
  });

  it('falls back to a content hash id for records without an id', async () => {
    const toText = (r: Record<string, unknown>) => String(r.title);
    const a = await reader.loadData({
      endpoint: 'secure-vault/records',
      scope: 'read:records',
      idField: 'missing',
      toText,
    });
    const b = await reader.loadData({
      endpoint: 'secure-vault/records',
      scope: 'read:records',
      idField: 'missing',
      toText,
    });
    expect(a[0]?.id_).toMatch(/^secure-vault\/records#sha256-[0-9a-f]{32}$/);
    expect(a.map((d) => d.id_)).toEqual(b.map((d) => d.id_));
    expect(new Set(a.map((d) => d.id_)).size).toBe(a.length);
  });

  it('changes the hash when the content changes', async () => {
    const base = { endpoint: 'secure-vault/records', scope: 'read:records', maxRecords: 1 };
    const [a] = await reader.loadData(base);
    const [b] = await reader.loadData({ ...base, toText: () => 'something else' });
    expect(a?.id_).toBe(b?.id_);
    expect(a?.hash).not.toBe(b?.hash);
  });

  it('checks the scope against the token before any request, and never sends it', async () => {
    const metricsAgent = await demo.authsec.createDelegatedAgent({ permissions: ['read:metrics'] });
    const metricsClient = clientFor(metricsAgent.env);
    const apiRequests = demo.api.requests.length;
    const error = await new AuthSecReader({ client: metricsClient })
      .loadData({ endpoint: 'secure-vault/records', scope: 'read:records' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthSecPermissionError);
    const permission = error as AuthSecPermissionError;
    expect(permission.code).toBe('ERR_AUTHSEC_FORBIDDEN');
    expect(permission.requiredScope).toBe('read:records');
    expect(permission.message).toContain('secure-vault/records');
    expect(permission.message).toContain('read:records');
    expect(demo.api.requests.length).toBe(apiRequests);
    for (const pull of demo.authsec.pulls)
      expect(JSON.stringify(pull)).not.toContain('read:records');
    expectNoToken(permission, metricsAgent.delegation.token);
    await metricsClient.close();
  });

  it('surfaces a 403 from the API as AuthSecPermissionError naming the endpoint and scope', async () => {
    const metricsAgent = await demo.authsec.createDelegatedAgent({ permissions: ['read:metrics'] });
    const metricsClient = clientFor(metricsAgent.env);
    // No scope declared: the request is sent and the API refuses it.
    const error = await new AuthSecReader({ client: metricsClient })
      .loadData({ endpoint: 'secure-vault/records' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthSecPermissionError);
    const permission = error as AuthSecPermissionError;
    expect(permission.status).toBe(403);
    expect(permission.requiredScope).toBe('read:records');
    expect(permission.message).toMatch(/^Could not load secure-vault\/records: The API refused/);
    expect(permission.toJSON()).toMatchObject({ code: 'ERR_AUTHSEC_FORBIDDEN', status: 403 });
    expect(demo.api.requests.at(-1)).toMatchObject({ status: 403, path: '/secure-vault/records' });
    expectNoToken(permission, metricsAgent.delegation.token);
    await metricsClient.close();
  });
});

describe('AuthSecReader pagination', () => {
  it('follows next links across every page of the paged listing', async () => {
    const docs = await reader.loadData({
      endpoint: 'secure-vault/records/page',
      scope: 'read:records',
      query: { limit: 10 },
    });
    expect(docs).toHaveLength(25);
    expect(new Set(docs.map((d) => d.id_)).size).toBe(25);
  });

  it('stops at maxPages and at maxRecords', async () => {
    const before = demo.api.requests.length;
    const twoPages = await reader.loadData({
      endpoint: 'secure-vault/records/page',
      scope: 'read:records',
      query: { limit: 4 },
      maxPages: 2,
    });
    expect(twoPages).toHaveLength(8);
    expect(demo.api.requests.length - before).toBe(2);
    const seven = await reader.loadData({
      endpoint: 'secure-vault/records/page',
      scope: 'read:records',
      query: { limit: 4 },
      maxRecords: 7,
    });
    expect(seven).toHaveLength(7);
  });

  it('reads the { data }, { items } and bare-array shapes, cursors and select', async () => {
    const rows = [
      { id: 'a', body: 'alpha' },
      { id: 'b', body: 'beta' },
    ];
    const api = await DownstreamServer.start({
      routes: {
        'GET /array': { body: rows },
        'GET /items': { body: { items: rows } },
        'GET /cursor': (req) =>
          req.query.cursor === 'p2'
            ? { body: { data: [rows[1]], next_cursor: null } }
            : { body: { data: [rows[0]], next_cursor: 'p2' } },
        'GET /custom': { body: { result: { rows } } },
        'GET /two-lists': { body: { rows, others: rows } },
        'GET /loop': { body: { data: rows, next: '/loop' } },
      },
    });
    const local = new AuthSecReader({
      client: clientFor(demo.env, { downstreamUrl: api.url }),
    });
    try {
      for (const endpoint of ['/array', '/items', '/cursor']) {
        const docs = await local.loadData({ endpoint, scope: 'read:records' });
        expect(docs.map((d) => d.text)).toEqual(['body: alpha', 'body: beta']);
      }
      expect(api.requestsTo('/cursor').map((r) => r.query.cursor)).toEqual([undefined, 'p2']);
      const custom = await local.loadData({
        endpoint: '/custom',
        select: (body) => (body as { result: { rows: typeof rows } }).result.rows,
      });
      expect(custom).toHaveLength(2);

      const loop = await local.loadData({ endpoint: '/loop' }).catch((e: unknown) => e);
      expect(loop).toBeInstanceOf(AuthSecResponseError);
      expect((loop as AuthSecResponseError).code).toBe('ERR_AUTHSEC_BAD_RESPONSE');
      expect((loop as Error).message).toContain('pagination loops');

      const bad = await local.loadData({ endpoint: '/two-lists' }).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(AuthSecResponseError);
      expect((bad as Error).message).toMatch(
        /Could not load \/two-lists: .*holds no list of records/,
      );
      for (const request of api.requests) expect(request.url).not.toContain('read:records');
    } finally {
      await local.client.close();
      await api.close();
    }
  });

  it('refuses a next link to an origin the token may not go to, sending nothing there', async () => {
    const elsewhere = await DownstreamServer.start({ routes: { '/steal': { body: [] } } });
    const api = await DownstreamServer.start({
      routes: { 'GET /page': { body: { data: [{ id: 1 }], next: `${elsewhere.url}/steal` } } },
    });
    const local = new AuthSecReader({ client: clientFor(demo.env, { downstreamUrl: api.url }) });
    try {
      const error = await local.loadData({ endpoint: '/page' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthSecOriginNotAllowedError);
      expect((error as AuthSecOriginNotAllowedError).code).toBe('ERR_AUTHSEC_ORIGIN_NOT_ALLOWED');
      expect(elsewhere.requests).toHaveLength(0);
      expectNoToken(error);
    } finally {
      await local.client.close();
      await api.close();
      await elsewhere.close();
    }
  });

  it('rejects bad bounds and a missing endpoint before any request', async () => {
    const sent = demo.api.requests.length;
    for (const options of [
      { endpoint: '' },
      { endpoint: 'x', maxPages: 0 },
      { endpoint: 'x', maxRecords: 1.5 },
    ]) {
      const error = await reader.loadData(options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthSecConfigError);
      expect((error as AuthSecConfigError).code).toBe('ERR_AUTHSEC_CONFIG');
    }
    expect(demo.api.requests.length).toBe(sent);
    expect(() => new AuthSecReader({ client, clientId: 'x' })).toThrow(AuthSecConfigError);
  });
});

describe('AuthSecReader in mock mode', () => {
  it('yields sample records without any network, each marked authsec_mode mock', async () => {
    const mock = new AuthSecReader({ mode: 'mock', ...silent });
    expect(mock.client.mode).toBe('mock');
    const before = demo.authsec.requests.length;
    const docs = await mock.loadData({ endpoint: 'secure-vault/records', scope: 'read:records' });
    expect(docs).toHaveLength(2);
    expect(docs[0]?.metadata).toMatchObject({
      authsec_mode: 'mock',
      clearance_required: 'TopSecret',
      source_endpoint: 'secure-vault/records',
    });
    const metrics = await mock.loadData({
      endpoint: 'secure-vault/metrics',
      scope: 'read:metrics',
    });
    expect(metrics[0]?.text).toContain('q2_revenue_target');
    expect(demo.authsec.requests.length).toBe(before);
    const mockToken = await mock.client.getDelegationToken();
    expectNoToken(docs, mockToken);
    await mock.client.close();
  });

  it('still checks the scope against the mock token', async () => {
    const mock = new AuthSecReader({
      mode: 'mock',
      mock: { permissions: ['read:metrics'] },
      ...silent,
    });
    const error = await mock
      .loadData({ endpoint: 'secure-vault/records', scope: 'read:records' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthSecPermissionError);
    expect((error as AuthSecPermissionError).requiredScope).toBe('read:records');
    await mock.client.close();
  });
});
