import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoEnvironment, MAX_BODY_BYTES, startDemoEnvironment } from '../src/index.js';
import { call, post } from './helpers.js';

let demo: DemoEnvironment;
let reader: string;
let writer: string;

// The paging tests run first: they count the 25 seeded records before the POST tests add more.
beforeAll(async () => {
  demo = await startDemoEnvironment();
  reader = demo.agents.reader.delegation.token;
  writer = demo.agents.writer.delegation.token;
});
afterAll(() => demo?.close());

const url = (path: string) => `${demo.api.url}${path}`;

interface Page {
  data: { id: string }[];
  next_cursor: string | null;
  next: string | null;
}

describe('GET /secure-vault/records/page', () => {
  it('following next to the end visits 25 records once each, in order', async () => {
    const ids: string[] = [];
    let next: string | null = '/secure-vault/records/page?limit=5';
    let pages = 0;
    while (next !== null) {
      const res = await call(url(next), reader);
      expect(res.status).toBe(200);
      const page = res.json as unknown as Page;
      expect(page.data.length).toBeLessThanOrEqual(5);
      if (page.next !== null) {
        expect(page.next).toMatch(/^\/secure-vault\/records\/page\?limit=5&cursor=[\w-]+$/);
        expect(page.next).toContain(`cursor=${page.next_cursor}`);
      } else {
        expect(page.next_cursor).toBeNull();
      }
      ids.push(...page.data.map((r) => r.id));
      next = page.next;
      pages += 1;
    }
    expect(pages).toBe(5);
    expect(ids).toHaveLength(25);
    expect(new Set(ids).size).toBe(25);
    expect(ids).toEqual([...ids].sort());
  });

  it('pages 10 records by default and includes the records of /secure-vault/records first', async () => {
    const page = (await call(url('/secure-vault/records/page'), reader)).json as unknown as Page;
    expect(page.data).toHaveLength(10);
    const current = (await call(url('/secure-vault/records'), reader)).json.records as Page['data'];
    expect(page.data.slice(0, 6)).toEqual(current.slice(0, 6));
  });

  it('the last page has next and next_cursor null', async () => {
    const res = await call(url('/secure-vault/records/page?limit=100'), reader);
    const page = res.json as unknown as Page;
    expect(page.data.length).toBeGreaterThanOrEqual(25);
    expect(page.next).toBeNull();
    expect(page.next_cursor).toBeNull();
  });

  it('a bad limit is 400 with a reason', async () => {
    for (const limit of ['0', '-1', '101', 'abc', '2.5', '', '1e1', '0x10']) {
      const res = await call(url(`/secure-vault/records/page?limit=${limit}`), reader);
      expect(res.status, `limit=${limit}`).toBe(400);
      expect(res.json).toEqual({
        error: 'invalid_request',
        reason: 'limit must be a whole number from 1 to 100',
      });
    }
  });

  it('a cursor the API did not hand out is 400', async () => {
    for (const cursor of ['nope', Buffer.from('{"after":"rec-9999"}').toString('base64url'), '']) {
      const res = await call(url(`/secure-vault/records/page?cursor=${cursor}`), reader);
      expect(res.status, cursor).toBe(400);
      expect(res.json.error).toBe('invalid_request');
    }
  });

  it('needs read:records', async () => {
    const res = await call(url('/secure-vault/records/page'), demo.agents.billing.delegation.token);
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ error: 'insufficient_scope', required: 'read:records' });
  });
});

describe('POST /secure-vault/records', () => {
  it('creates a record owned by the calling agent: 201, then listed and paged', async () => {
    const res = await post(url('/secure-vault/records'), writer, {
      title: 'Q3 planning notes',
      content: 'Draft targets for Q3, pending board review.',
      clearance: 'confidential',
    });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({
      id: 'rec-1001',
      title: 'Q3 planning notes',
      content: 'Draft targets for Q3, pending board review.',
      owner: demo.agents.writer.agent.clientId,
      clearance: 'confidential',
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const listed = (await call(url('/secure-vault/records'), writer)).json.records as unknown[];
    expect(listed).toHaveLength(7);
    expect(listed.at(-1)).toEqual(res.json);
    const all = (await call(url('/secure-vault/records/page?limit=100'), writer)).json as unknown;
    expect((all as Page).data.at(-1)).toEqual(res.json);
  });

  it('clearance defaults to internal; a second record gets the next id', async () => {
    const res = await post(url('/secure-vault/records'), writer, {
      title: '  Standup notes  ',
      content: 'Nothing blocked.',
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      id: 'rec-1002',
      title: 'Standup notes',
      clearance: 'internal',
    });
  });

  it('records created on one server are not on another', async () => {
    const other = await startDemoEnvironment();
    try {
      const res = await call(
        `${other.api.url}/secure-vault/records`,
        other.agents.writer.delegation.token,
      );
      expect(res.json.records).toHaveLength(6);
    } finally {
      await other.close();
    }
  });

  it('an invalid body is 400 with a reason naming the problem', async () => {
    const cases: [unknown, string][] = [
      [{ content: 'x' }, 'title is required'],
      [{ title: 'x', content: '   ' }, 'content must not be blank'],
      [{ title: 7, content: 'x' }, 'title must be a string'],
      [
        { title: 'x', content: 'y', clearance: 'top-secret' },
        'clearance must be one of public, internal, confidential, secret, TopSecret',
      ],
      [{ title: 'x', content: 'y', owner: 'me' }, 'unknown field "owner"'],
      [{ title: 'x'.repeat(201), content: 'y' }, 'title is longer than 200 characters'],
      [{}, 'title is required; content is required'],
      [[], 'the body must be a JSON object with title and content'],
      ['{"title": ', 'the body is not valid JSON'],
      ['', 'the body is empty'],
    ];
    for (const [body, reason] of cases) {
      const res = await post(url('/secure-vault/records'), writer, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json).toEqual({ error: 'invalid_request', reason });
    }
  });

  it('another content type is 415; a body over 64 KiB is 413', async () => {
    const text = await call(url('/secure-vault/records'), writer, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'title=x',
    });
    expect(text.status).toBe(415);
    expect(text.json.error).toBe('invalid_request');
    const big = await post(url('/secure-vault/records'), writer, {
      title: 'big',
      content: 'x'.repeat(MAX_BODY_BYTES),
    });
    expect(big.status).toBe(413);
    expect(big.json).toEqual({
      error: 'invalid_request',
      reason: 'the body is larger than 65536 bytes',
    });
    // The connection is still usable afterwards.
    expect((await call(url('/docs'), writer)).status).toBe(200);
  });

  it('needs records:write: the reader gets 403 and nothing is created', async () => {
    const res = await post(url('/secure-vault/records'), reader, { title: 'x', content: 'y' });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('scope="records:write"');
    const unauthenticated = await post(url('/secure-vault/records'), undefined, {
      title: 'x',
      content: 'y',
    });
    expect(unauthenticated.status).toBe(401);
    const listed = (await call(url('/secure-vault/records'), reader)).json.records as unknown[];
    expect(listed.every((r) => (r as { title: string }).title !== 'x')).toBe(true);
  });
});
