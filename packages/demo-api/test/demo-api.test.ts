import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoEnvironment, startDemoApi, startDemoEnvironment } from '../src/index.js';
import { type Answer, call } from './helpers.js';

let demo: DemoEnvironment;
let reader: string;
let billing: string;
let writer: string;

beforeAll(async () => {
  demo = await startDemoEnvironment();
  reader = demo.agents.reader.delegation.token;
  billing = demo.agents.billing.delegation.token;
  writer = demo.agents.writer.delegation.token;
});
afterAll(() => demo?.close());

const get = (path: string, token?: string): Promise<Answer> =>
  call(`${demo.api.url}${path}`, token);

/** A fresh agent of the demo workspace (so its token is not in the verifier's cache yet). */
async function freshToken(
  options: Parameters<DemoEnvironment['authsec']['createDelegatedAgent']>[0],
) {
  return (await demo.authsec.createDelegatedAgent(options)).delegation.token;
}

describe('routes with the right permission', () => {
  it('GET /docs answers any valid token with the internal docs', async () => {
    for (const token of [reader, billing, writer]) {
      const res = await get('/docs', token);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const docs = res.json.docs as Record<string, unknown>[];
      expect(docs.length).toBeGreaterThanOrEqual(3);
      for (const doc of docs) {
        expect(Object.keys(doc).sort()).toEqual(['body', 'id', 'title', 'updated_at']);
      }
    }
  });

  it('GET /customers/:id answers read:customers with the customer', async () => {
    const res = await get('/customers/42', reader);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      id: '42',
      name: 'Acme Logistics',
      email: 'billing@acme-logistics.example',
      plan: 'enterprise',
      region: 'us-east',
    });
    for (const id of ['7', '1001']) {
      expect((await get(`/customers/${id}`, billing)).json.id).toBe(id);
    }
  });

  it('GET /customers/:id answers 404 JSON for an unknown customer', async () => {
    const res = await get('/customers/999999', reader);
    expect(res.status).toBe(404);
    expect(res.json.error).toBe('not_found');
  });

  it('GET /billing/customers/:id answers billing:read with the balance and invoices', async () => {
    const res = await get('/billing/customers/42', billing);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      customer_id: '42',
      balance_cents: 1_250_000,
      currency: 'USD',
    });
    const invoices = res.json.invoices as Record<string, unknown>[];
    expect(invoices.length).toBeGreaterThan(0);
    expect(invoices[0]).toEqual({
      id: expect.any(String),
      amount_cents: expect.any(Number),
      status: expect.stringMatching(/^(paid|open|overdue)$/),
      issued_on: expect.any(String),
      due_on: expect.any(String),
    });
    expect((await get('/billing/customers/404404', billing)).status).toBe(404);
  });

  it('GET /secure-vault/records answers read:records with clearance-labelled records', async () => {
    const res = await get('/secure-vault/records', reader);
    expect(res.status).toBe(200);
    const records = res.json.records as Record<string, unknown>[];
    expect(records).toHaveLength(6);
    for (const record of records) {
      expect(record).toEqual({
        id: expect.stringMatching(/^rec-\d{4}$/),
        title: expect.any(String),
        content: expect.any(String),
        owner: expect.any(String),
        clearance: expect.stringMatching(/^(public|internal|confidential|secret|TopSecret)$/),
        updated_at: expect.any(String),
      });
    }
    expect(records[0]).toMatchObject({ title: 'Q2 revenue target', clearance: 'TopSecret' });
    expect(new Set(records.map((r) => r.clearance))).toEqual(
      new Set(['public', 'internal', 'confidential', 'secret', 'TopSecret']),
    );
  });

  it('GET /secure-vault/metrics answers read:metrics with the Q2 revenue target', async () => {
    const res = await get('/secure-vault/metrics', reader);
    expect(res.status).toBe(200);
    const metrics = res.json.metrics as Record<string, unknown>[];
    expect(metrics).toContainEqual({
      name: 'q2_revenue_target',
      value: 4_200_000,
      unit: 'USD',
      period: '2026-Q2',
    });
  });

  it('answers the same data on every call and every server (deterministic seeds)', async () => {
    const first = await get('/secure-vault/metrics', reader);
    const other = await startDemoEnvironment();
    try {
      const again = await call(
        `${other.api.url}/secure-vault/metrics`,
        other.agents.reader.delegation.token,
      );
      expect(again.text).toBe(first.text);
    } finally {
      await other.close();
    }
  });
});

describe('403 insufficient_scope', () => {
  it('the reader on billing gets 403 with the missing scope in WWW-Authenticate', async () => {
    const res = await get('/billing/customers/42', reader);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="demo-api", error="insufficient_scope", scope="billing:read"',
    );
    expect(res.json).toEqual({ error: 'insufficient_scope', required: 'billing:read' });
  });

  it('read:metrics does not grant read:records (exact match, no hierarchy)', async () => {
    const token = await freshToken({ permissions: ['read:metrics'] });
    expect((await get('/secure-vault/metrics', token)).status).toBe(200);
    const res = await get('/secure-vault/records', token);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('scope="read:records"');
  });

  it('no wildcard, prefix, case or whitespace variant grants a permission', async () => {
    const token = await freshToken({
      permissions: ['billing:*', 'billing', 'Billing:Read', 'billing:read:all', ' billing:read'],
    });
    const res = await get('/billing/customers/42', token);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="demo-api", error="insufficient_scope", scope="billing:read"',
    );
  });

  it('each agent is refused the routes outside its delegation', async () => {
    const cases: [string, string, string][] = [
      [billing, '/secure-vault/records', 'read:records'],
      [billing, '/secure-vault/metrics', 'read:metrics'],
      [writer, '/customers/42', 'read:customers'],
      [writer, '/secure-vault/metrics', 'read:metrics'],
    ];
    for (const [token, path, scope] of cases) {
      const res = await get(path, token);
      expect(res.status, path).toBe(403);
      expect(res.json).toEqual({ error: 'insufficient_scope', required: scope });
    }
  });

  it('a token with no permissions still reads /docs but nothing scoped', async () => {
    const token = await freshToken({ permissions: [] });
    expect((await get('/docs', token)).status).toBe(200);
    expect((await get('/customers/42', token)).status).toBe(403);
  });
});

describe('401 without a valid token', () => {
  it('no Authorization header: 401 with a bare Bearer challenge', async () => {
    const res = await get('/docs');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="demo-api"');
    expect(res.json.error).toBe('unauthorized');
  });

  it('another scheme, or an empty bearer, counts as no token', async () => {
    for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer ', 'Bearer']) {
      const res = await call(`${demo.api.url}/docs`, undefined, { headers: { authorization } });
      expect(res.status, authorization).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="demo-api"');
    }
  });

  it('a token in the query string is not accepted', async () => {
    const res = await get(`/docs?access_token=${encodeURIComponent(reader)}`);
    expect(res.status).toBe(401);
    expect(res.text.includes(reader)).toBe(false);
  });

  it('a garbage bearer: 401 invalid_token, reason malformed', async () => {
    const res = await get('/docs', 'not-a-jwt');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="demo-api", error="invalid_token", error_description="malformed"',
    );
    expect(res.json).toEqual({ error: 'invalid_token', reason: 'malformed' });
  });

  it('a token of another workspace: 401 invalid_token', async () => {
    const workspaceId = await demo.authsec.createWorkspace();
    const token = await freshToken({ workspaceId, permissions: ['read:records'] });
    const res = await get('/secure-vault/records', token);
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ error: 'invalid_token', reason: 'workspace' });
  });

  it('an expired token: 401 invalid_token, reason expired', async () => {
    const token = await freshToken({
      permissions: ['read:records'],
      overrides: { issuedAtOffsetSeconds: -7200, lifetimeSeconds: 3600 },
    });
    const res = await get('/secure-vault/records', token);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error_description="expired"');
    expect(res.json).toEqual({ error: 'invalid_token', reason: 'expired' });
  });

  it('a token for another audience: 401, reason audience', async () => {
    const token = await freshToken({ permissions: ['read:records'], audience: ['billing-api'] });
    const res = await get('/secure-vault/records', token);
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ error: 'invalid_token', reason: 'audience' });
  });

  it('a token signed with a key outside the bundle: 401, reason signature', async () => {
    const token = await freshToken({
      permissions: ['read:records'],
      overrides: { signWithForeignKey: true },
    });
    const res = await get('/secure-vault/records', token);
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ error: 'invalid_token', reason: 'signature' });
  });

  it('a revoked token: 401, reason revoked (remote validation)', async () => {
    const fresh = await demo.authsec.createDelegatedAgent({ permissions: ['read:records'] });
    // Revoke before the token's first use: the verifier caches a result for a few seconds.
    expect(demo.authsec.revoke(fresh.agent.clientId)).toBe(true);
    const res = await get('/secure-vault/records', fresh.delegation.token);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error_description="revoked"');
    expect(res.json).toEqual({ error: 'invalid_token', reason: 'revoked' });
  });

  it('authenticates before routing: an unknown route without a token is 401, not 404', async () => {
    expect((await get('/nope')).status).toBe(401);
  });
});

describe('404 and 405', () => {
  it('an unknown route with a valid token: 404 JSON', async () => {
    for (const path of ['/nope', '/docs/', '/secure-vault', '/customers', '/customers/42/orders']) {
      const res = await get(path, reader);
      expect(res.status, path).toBe(404);
      expect(res.json.error).toBe('not_found');
    }
  });

  it('a malformed percent-escape in a path parameter: 400 JSON, not 404 or 500', async () => {
    for (const path of ['/customers/%E0%A4%A', '/billing/customers/%zz', '/customers/%C3%28']) {
      const res = await get(path, reader);
      expect(res.status, path).toBe(400);
      expect(res.json).toEqual({
        error: 'invalid_request',
        reason: 'the path has a malformed percent-escape',
      });
    }
    // Still authenticated first.
    expect((await get('/customers/%E0%A4%A')).status).toBe(401);
  });

  it('a known route with another method: 405 with Allow', async () => {
    const del = await call(`${demo.api.url}/docs`, reader, { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET');
    expect(del.json).toEqual({ error: 'method_not_allowed', allow: ['GET'] });
    const put = await call(`${demo.api.url}/secure-vault/records`, reader, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
  });
});

describe('request records', () => {
  it('records method, path without query, status and whether a bearer came; never the token', async () => {
    const before = demo.api.requests.length;
    await get('/secure-vault/records/page?limit=2', reader);
    await get('/billing/customers/7', reader);
    await get('/docs');
    const recent = demo.api.requests.slice(before);
    expect(recent).toEqual([
      {
        method: 'GET',
        path: '/secure-vault/records/page',
        status: 200,
        bearer: true,
        clientId: demo.agents.reader.agent.clientId,
      },
      {
        method: 'GET',
        path: '/billing/customers/7',
        status: 403,
        bearer: true,
        clientId: demo.agents.reader.agent.clientId,
        error: 'insufficient_scope (billing:read)',
      },
      { method: 'GET', path: '/docs', status: 401, bearer: false, error: 'missing_token' },
    ]);
    const dump = JSON.stringify(demo.api.requests);
    for (const token of [reader, billing, writer]) expect(dump.includes(token)).toBe(false);
  });
});

describe('request log', () => {
  it('keeps only the latest maxRecordedRequests answers, and refuses a limit below 1 before listening', async () => {
    await using api = await startDemoApi({
      authsecUrl: demo.authsec.url,
      workspaceId: demo.authsec.workspaceId,
      maxRecordedRequests: 3,
    });
    for (const path of ['/a', '/b', '/c', '/d', '/e']) await fetch(`${api.url}${path}`);
    expect(api.requests.map((r) => r.path)).toEqual(['/c', '/d', '/e']);
    await expect(
      startDemoApi({
        authsecUrl: demo.authsec.url,
        workspaceId: demo.authsec.workspaceId,
        maxRecordedRequests: 0,
      }),
    ).rejects.toThrow(/maxRecordedRequests must be a whole number of at least 1/);
  });

  it('keeps 1000 answers by default', async () => {
    await using api = await startDemoApi({
      authsecUrl: demo.authsec.url,
      workspaceId: demo.authsec.workspaceId,
    });
    const paths = Array.from({ length: 1005 }, (_, i) => `/n${i}`);
    for (let i = 0; i < paths.length; i += 50) {
      await Promise.all(paths.slice(i, i + 50).map((path) => fetch(`${api.url}${path}`)));
    }
    expect(api.requests).toHaveLength(1000);
  });
});
