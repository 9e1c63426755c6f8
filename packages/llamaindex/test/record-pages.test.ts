import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { type DemoEnvironment, startDemoEnvironment } from '@authsec/demo-api';
import { DownstreamServer } from '@authsec/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthSecAbortedError,
  AuthSecClient,
  AuthSecNetworkError,
  AuthSecOriginNotAllowedError,
  AuthSecReader,
  AuthSecResponseError,
  AuthSecTimeoutError,
} from '../src/index.js';

let demo: DemoEnvironment;
let api: DownstreamServer;
let reader: AuthSecReader;
/** Called when GET /slow arrives, so a test can abort exactly then. */
let slowArrived: (() => void) | undefined;

const rows = [
  { id: 'a', body: 'alpha' },
  { id: 'b', body: 'beta' },
];

beforeAll(async () => {
  demo = await startDemoEnvironment();
  api = await DownstreamServer.start({
    routes: {
      'GET /records': { body: { records: rows } },
      'GET /data': { body: { data: rows } },
      // Always one more page, each with a new cursor: only maxPages ends it.
      'GET /endless': (req) => {
        const n = Number(req.query.cursor ?? 0);
        return { body: { items: [{ id: `e${n}`, n }], next_cursor: String(n + 1) } };
      },
      'GET /cursor-loop': (req) =>
        req.query.cursor === 'B'
          ? { body: { data: [{ id: 'b' }], next_cursor: 'A' } }
          : { body: { data: [{ id: 'a' }], next_cursor: 'B' } },
      'GET /link-loop/1': { body: { data: [{ id: 1 }], links: { next: '/link-loop/2?page=2' } } },
      'GET /link-loop/2': { body: { data: [{ id: 2 }], next: '/link-loop/1' } },
      'GET /relative/a/one': { body: { data: [{ id: 1 }], next: 'two?x=1' } },
      'GET /relative/a/two': { body: { data: [{ id: 2 }], next: '' } },
      'GET /big': { body: { data: [{ id: 1, text: 'x'.repeat(4096) }] } },
      'GET /not-json': { headers: { 'content-type': 'text/html' }, body: '<html>login</html>' },
      'GET /no-list': { body: { total: 2 } },
      'GET /slow': () => {
        slowArrived?.();
        return { delayMs: 30_000, body: [] };
      },
    },
  });
  reader = new AuthSecReader({
    client: new AuthSecClient({
      baseUrl: demo.env.AUTHSEC_BASE_URL ?? '',
      clientId: demo.env.AUTHSEC_AGENT_CLIENT_ID ?? '',
      downstreamUrl: api.url,
      logLevel: 'silent',
    }),
  });
});

afterAll(async () => {
  await reader.client.close();
  await api.close();
  await demo.close();
});

async function failure(promise: Promise<unknown>): Promise<AuthSecResponseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthSecResponseError);
  expect((error as AuthSecResponseError).code).toBe('ERR_AUTHSEC_BAD_RESPONSE');
  return error as AuthSecResponseError;
}

describe('record shapes', () => {
  it('reads { records } and { data }', async () => {
    for (const endpoint of ['records', 'data']) {
      const docs = await reader.loadData({ endpoint });
      expect(docs.map((d) => d.text)).toEqual(['body: alpha', 'body: beta']);
    }
  });

  it('says which shapes it expects when the answer holds no list', async () => {
    const error = await failure(reader.loadData({ endpoint: 'no-list', scope: 'read:records' }));
    expect(error.message).toMatch(
      /^Could not load no-list with scope read:records: The answer to GET \/no-list holds no list/,
    );
    expect(error.hint).toContain('select');
  });

  it('refuses an answer that is not JSON, without quoting it', async () => {
    const error = await failure(reader.loadData({ endpoint: 'not-json' }));
    expect(error.message).toContain('GET /not-json is not JSON');
    expect(error.message).not.toContain('login');
  });

  it('stops reading a page larger than maxResponseBytes', async () => {
    const error = await failure(reader.loadData({ endpoint: 'big', maxResponseBytes: 1024 }));
    expect(error.message).toContain('larger than 1024 bytes');
    expect(await reader.loadData({ endpoint: 'big' })).toHaveLength(1);
  });
});

describe('pagination', () => {
  it('stops after 100 pages by default, and at maxPages when given', async () => {
    const before = api.requestsTo('/endless').length;
    const docs = await reader.loadData({ endpoint: 'endless' });
    expect(docs).toHaveLength(100);
    expect(api.requestsTo('/endless').length - before).toBe(100);
    expect(docs.at(-1)?.id_).toBe('endless#e99');
    const three = await reader.loadData({ endpoint: 'endless', maxPages: 3 });
    expect(three.map((d) => d.metadata.record_id)).toEqual(['e0', 'e1', 'e2']);
    const one = await reader.loadData({ endpoint: 'endless', pagination: false });
    expect(one).toHaveLength(1);
  });

  it('stops at maxRecords without fetching another page', async () => {
    const before = api.requestsTo('/endless').length;
    const docs = await reader.loadData({ endpoint: 'endless', maxRecords: 5 });
    expect(docs).toHaveLength(5);
    expect(api.requestsTo('/endless').length - before).toBe(5);
  });

  it('detects a cursor that comes back, and a link back to a page already read', async () => {
    const cursor = await failure(reader.loadData({ endpoint: 'cursor-loop' }));
    expect(cursor.message).toContain('pagination loops');
    expect(api.requestsTo('/cursor-loop').map((r) => r.query.cursor)).toEqual([
      undefined,
      'B',
      'A',
    ]);
    const link = await failure(reader.loadData({ endpoint: 'link-loop/1' }));
    expect(link.message).toContain('page 3 of /link-loop/2 points back');
  });

  it('resolves a relative next link against the page it came from', async () => {
    const docs = await reader.loadData({ endpoint: 'relative/a/one' });
    expect(docs.map((d) => d.metadata.record_id)).toEqual(['1', '2']);
    expect(api.requestsTo('/relative/a/two')[0]?.query).toEqual({ x: '1' });
    // Every page is stamped with the endpoint as passed, not the page URL.
    expect(docs[1]?.metadata.source_endpoint).toBe('relative/a/one');
  });

  it('refuses an absolute endpoint on an origin the token may not go to, sending nothing', async () => {
    const elsewhere = await DownstreamServer.start({ routes: { '/x': { body: [] } } });
    try {
      const error = await reader
        .loadData({ endpoint: `${elsewhere.url}/x?key=abc`, scope: 'read:records' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthSecOriginNotAllowedError);
      expect((error as AuthSecOriginNotAllowedError).message).toContain(
        `Could not load ${elsewhere.url}/x with scope read:records`,
      );
      expect((error as Error).message).not.toContain('abc');
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });
});

describe('signal and timeoutMs', () => {
  it('aborts a page request in flight with AuthSecAbortedError', async () => {
    const arrived = new Promise<void>((resolve) => {
      slowArrived = resolve;
    });
    const controller = new AbortController();
    const loading = reader.loadData({ endpoint: 'slow', signal: controller.signal });
    await arrived;
    controller.abort();
    const error = await loading.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthSecAbortedError);
    expect((error as AuthSecAbortedError).code).toBe('ERR_AUTHSEC_ABORTED');
  });

  it('gives up on a slow page with AuthSecTimeoutError naming endpoint and scope', async () => {
    slowArrived = undefined;
    const error = await reader
      .loadData({ endpoint: 'slow', scope: 'read:records', timeoutMs: 100 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthSecTimeoutError);
    expect((error as AuthSecTimeoutError).code).toBe('ERR_AUTHSEC_TIMEOUT');
    expect((error as Error).message).toMatch(/^Could not load slow with scope read:records: /);
  });
});

describe('bodies without a declared length', () => {
  // A raw server, because the test server always declares Content-Length: these pages stream in
  // chunks, one of them far past the cap, one cut off half way.
  let raw: Server;
  let rawReader: AuthSecReader;
  beforeAll(async () => {
    raw = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url?.startsWith('/chunked-big')) {
        res.write('{"data":[');
        for (let i = 0; i < 64; i++) res.write(`{"id":${i},"text":"${'y'.repeat(1000)}"},`);
        res.end('{"id":"last"}]}');
      } else if (req.url?.startsWith('/chunked-ok')) {
        res.write('{"data":[{"id":"a"},');
        res.end('{"id":"b"}]}');
      } else {
        res.write('{"data":[{"id":"a"},');
        setImmediate(() => res.destroy());
      }
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    rawReader = new AuthSecReader({
      client: new AuthSecClient({
        baseUrl: demo.env.AUTHSEC_BASE_URL ?? '',
        clientId: demo.env.AUTHSEC_AGENT_CLIENT_ID ?? '',
        downstreamUrl: `http://127.0.0.1:${(raw.address() as AddressInfo).port}`,
        logLevel: 'silent',
      }),
    });
  });
  afterAll(async () => {
    await rawReader.client.close();
    await new Promise((resolve) => raw.close(resolve));
  });

  it('reads a chunked page within the bound', async () => {
    const docs = await rawReader.loadData({ endpoint: 'chunked-ok', maxResponseBytes: 1024 });
    expect(docs.map((d) => d.metadata.record_id)).toEqual(['a', 'b']);
  });

  it('stops reading a chunked page once it passes maxResponseBytes', async () => {
    const error = await failure(
      rawReader.loadData({ endpoint: 'chunked-big', maxResponseBytes: 4096 }),
    );
    expect(error.message).toContain('GET /chunked-big is larger than 4096 bytes');
    expect(error.hint).toContain('maxResponseBytes');
    expect(inspect(error)).not.toContain('yyyy');
  });

  it('turns a connection cut mid-page into AuthSecNetworkError', async () => {
    const token = await rawReader.client.getDelegationToken();
    const error = await rawReader.loadData({ endpoint: 'cut' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthSecNetworkError);
    expect((error as AuthSecNetworkError).code).toBe('ERR_AUTHSEC_NETWORK');
    expect((error as Error).message).toContain('GET /cut');
    expect(inspect(error)).not.toContain(token);
  });
});
