import { inspect } from 'node:util';
import * as core from '@authsec/core';
import { type DemoEnvironment, startDemoEnvironment } from '@authsec/demo-api';
import { DownstreamServer } from '@authsec/testing';
import type { BaseReader } from '@llamaindex/core/schema';
import { Document as CoreDocument } from '@llamaindex/core/schema';
import {
  IngestionPipeline,
  Document as LlamaIndexDocument,
  SentenceSplitter,
  SimpleDocumentStore,
  SimpleVectorStore,
} from 'llamaindex';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as adapter from '../src/index.js';
import {
  AuthSecClient,
  AuthSecConfigError,
  AuthSecReader,
  closeDefaultClient,
  getDefaultClient,
} from '../src/index.js';
import { HashingEmbedding } from './hashing-embedding.js';

let demo: DemoEnvironment;
const ENV_KEYS = [
  'AUTHSEC_BASE_URL',
  'AUTHSEC_AGENT_CLIENT_ID',
  'AUTHSEC_CLIENT_ID',
  'AUTHSEC_WORKSPACE_ID',
  'AUTHSEC_SESSION_TOKEN',
  'AUTHSEC_MODE',
  'AUTHSEC_LOG_LEVEL',
  'DOWNSTREAM_URL',
] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

function setEnv(values: Readonly<Record<string, string | undefined>>): void {
  for (const key of ENV_KEYS) {
    const value = values[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}

beforeAll(async () => {
  demo = await startDemoEnvironment();
});

afterEach(async () => {
  await closeDefaultClient();
  setEnv(savedEnv);
});

afterAll(async () => {
  await demo.close();
});

describe('new AuthSecReader()', () => {
  it("with nothing uses core's shared default client, configured from the environment", async () => {
    await closeDefaultClient();
    setEnv({ ...demo.env, AUTHSEC_LOG_LEVEL: 'silent' });
    const pulls = demo.authsec.pulls.length;
    const one = new AuthSecReader();
    const two = new AuthSecReader({});
    expect(one.client).toBe(getDefaultClient());
    expect(two.client).toBe(one.client);
    expect(one.client.mode).toBe('live');
    const docs = await one.loadData({ endpoint: 'secure-vault/records', scope: 'read:records' });
    await two.loadData({ endpoint: 'secure-vault/metrics', scope: 'read:metrics' });
    expect(docs).toHaveLength(6);
    // One token cache for the process: both readers used one pull.
    expect(demo.authsec.pulls.length - pulls).toBe(1);
    // Printing a reader prints its client's summary, never the token.
    const token = await one.client.getDelegationToken();
    const printed = `${inspect(one, { depth: 8 })}${String(one.client)}${JSON.stringify(one.client)}`;
    expect(printed.includes(token)).toBe(false);
    expect(printed.includes(token.split('.')[2] ?? token)).toBe(false);
  });

  it('with nothing configured (outside production) starts in mock mode and sends nothing', async () => {
    await closeDefaultClient();
    setEnv({ AUTHSEC_LOG_LEVEL: 'silent' });
    const reader = new AuthSecReader();
    expect(reader.client.mode).toBe('mock');
    const docs = await reader.loadData({ endpoint: 'secure-vault/records', scope: 'read:records' });
    expect(docs.length).toBeGreaterThan(0);
    expect(docs.every((d) => d.metadata.authsec_mode === 'mock')).toBe(true);
  });

  it('with { baseUrl, clientId, downstreamUrl } builds its own client', async () => {
    const reader = new AuthSecReader({
      baseUrl: demo.env.AUTHSEC_BASE_URL ?? '',
      clientId: demo.env.AUTHSEC_AGENT_CLIENT_ID ?? '',
      downstreamUrl: demo.api.url,
      logLevel: 'silent',
    });
    try {
      expect(reader.client).toBeInstanceOf(AuthSecClient);
      const docs = await reader.loadData({
        endpoint: 'secure-vault/records',
        scope: 'read:records',
      });
      expect(docs[0]?.metadata.authsec_mode).toBe('live');
    } finally {
      await reader.client.close();
    }
  });

  it('with { client } shares that client', async () => {
    const client = new AuthSecClient({ mode: 'mock', logLevel: 'silent' });
    expect(new AuthSecReader({ client }).client).toBe(client);
    await client.close();
  });

  it('refuses client together with client options, naming them', () => {
    const client = new AuthSecClient({ mode: 'mock', logLevel: 'silent' });
    const error = (() => {
      try {
        new AuthSecReader({ client, clientId: 'x', baseUrl: 'https://a.example' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(AuthSecConfigError);
    expect((error as AuthSecConfigError).code).toBe('ERR_AUTHSEC_CONFIG');
    expect((error as Error).message).toContain('pass either `client` or client options');
    expect((error as Error).message).toContain('clientId, baseUrl');
  });

  it('validates load at construction', () => {
    const client = new AuthSecClient({ mode: 'mock', logLevel: 'silent' });
    expect(() => new AuthSecReader({ client, load: { endpoint: '', maxPages: -1 } })).toThrow(
      /`endpoint` is missing[\s\S]*`maxPages` must be a positive integer/,
    );
  });

  it('reports invalid client options as core does', () => {
    expect(() => new AuthSecReader({ baseUrl: 'ftp://x', clientId: 'y' })).toThrow(
      AuthSecConfigError,
    );
  });
});

describe('loadData options', () => {
  it('reports every bad option at once, before any request', async () => {
    const reader = new AuthSecReader({
      baseUrl: demo.env.AUTHSEC_BASE_URL ?? '',
      clientId: demo.env.AUTHSEC_AGENT_CLIENT_ID ?? '',
      downstreamUrl: demo.api.url,
      logLevel: 'silent',
    });
    const pulls = demo.authsec.pulls.length;
    const apiRequests = demo.api.requests.length;
    const error = await reader
      .loadData({ endpoint: ' ', scope: [''], maxPages: 0, maxRecords: 1.5, idField: '' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthSecConfigError);
    expect((error as AuthSecConfigError).problems).toEqual([
      '`endpoint` is missing: pass the path or URL of the protected API',
      '`scope` must be a non-empty string or a list of them (e.g. "read:records")',
      '`maxPages` must be a positive integer (got 0)',
      '`maxRecords` must be a positive integer (got 1.5)',
      '`idField` must be a non-empty string',
    ]);
    const none = await reader.loadData().catch((e: unknown) => e);
    expect(none).toBeInstanceOf(AuthSecConfigError);
    expect((none as Error).message).toContain('`load` to the AuthSecReader constructor');
    expect(demo.authsec.pulls.length).toBe(pulls);
    expect(demo.api.requests.length).toBe(apiRequests);
    await reader.client.close();
  });
});

describe('LlamaIndex compatibility', () => {
  it('is a BaseReader that an IngestionPipeline runs, deduplicating unchanged records', async () => {
    const embedModel = new HashingEmbedding();
    const reader: BaseReader = new AuthSecReader({
      baseUrl: demo.env.AUTHSEC_BASE_URL ?? '',
      clientId: demo.env.AUTHSEC_AGENT_CLIENT_ID ?? '',
      downstreamUrl: demo.api.url,
      logLevel: 'silent',
      load: { endpoint: 'secure-vault/records', scope: 'read:records' },
    });
    const pipeline = new IngestionPipeline({
      reader,
      docStore: new SimpleDocumentStore(),
      vectorStore: new SimpleVectorStore({ embedModel }),
      transformations: [new SentenceSplitter({ chunkSize: 512 }), embedModel],
      disableCache: true,
    });
    const first = await pipeline.run();
    expect(first.length).toBeGreaterThanOrEqual(6);
    expect(embedModel.embedded).toHaveLength(first.length);
    // A new token between the runs: the records are unchanged, so nothing is embedded again.
    await demo.authsec.delegate(demo.agents.reader.agent.clientId);
    (reader as AuthSecReader).client.invalidate();
    const second = await pipeline.run();
    expect(second).toHaveLength(0);
    expect(embedModel.embedded).toHaveLength(first.length);
    await (reader as AuthSecReader).client.close();
  });

  it('makes Documents of the one @llamaindex/core that llamaindex uses', async () => {
    expect(LlamaIndexDocument).toBe(CoreDocument);
    const reader = new AuthSecReader({ mode: 'mock', logLevel: 'silent' });
    const [doc] = await reader.loadData({ endpoint: 'secure-vault/records' });
    expect(doc).toBeInstanceOf(LlamaIndexDocument);
    await reader.client.close();
  });

  it('re-exports by name what a user needs from core, so it is the only install', () => {
    const fromCore: Record<string, unknown> = { ...core };
    const fromAdapter: Record<string, unknown> = { ...adapter };
    const needed = [
      'AuthSecClient',
      'getDelegationToken',
      'getDefaultClient',
      'closeDefaultClient',
      'isAuthSecError',
      'isFatalAuthSecError',
      ...Object.keys(fromCore).filter((k) => /^AuthSec\w+Error$/.test(k)),
    ];
    expect(needed.length).toBeGreaterThan(20);
    for (const name of needed) {
      expect(fromAdapter[name] !== undefined && fromAdapter[name] === fromCore[name], name).toBe(
        true,
      );
    }
  });
});

describe('a downstream server in mock mode', () => {
  it('receives nothing: mock mode yields sample records without any request', async () => {
    const api = await DownstreamServer.start({ fallback: { body: [] } });
    const reader = new AuthSecReader({ mode: 'mock', downstreamUrl: api.url, logLevel: 'silent' });
    try {
      const docs = await reader.loadData({
        endpoint: 'secure-vault/records',
        scope: 'read:records',
      });
      expect(docs.map((d) => d.metadata.authsec_mode)).toEqual(docs.map(() => 'mock'));
      expect(docs[0]?.metadata.clearance_required).toBe('TopSecret');
      expect(api.requests).toHaveLength(0);
    } finally {
      await reader.client.close();
      await api.close();
    }
  });
});
