import { AuthSecTestServer } from '@authsec/testing';
import { describe, expect, it } from 'vitest';
import { DEMO_AGENTS, DEMO_ROUTES, startDemoApi, startDemoEnvironment } from '../src/index.js';
import { call } from './helpers.js';

describe('startDemoEnvironment', () => {
  it('starts AuthSec and the API, delegates three agents and returns their env', async () => {
    await using demo = await startDemoEnvironment();
    expect(demo.env).toEqual({
      AUTHSEC_BASE_URL: demo.authsec.url,
      AUTHSEC_AGENT_CLIENT_ID: demo.agents.reader.agent.clientId,
      AUTHSEC_WORKSPACE_ID: demo.authsec.workspaceId,
      DOWNSTREAM_URL: demo.api.url,
    });
    expect(demo.api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const name of ['reader', 'billing', 'writer'] as const) {
      const agent = demo.agents[name];
      expect(agent.policy.permissions).toEqual(DEMO_AGENTS[name]);
      expect(agent.delegation.workspaceId).toBe(demo.authsec.workspaceId);
      expect(agent.delegation.audience).toEqual(['authsec-api']);
    }
    expect(DEMO_AGENTS.reader).toEqual(['read:records', 'read:metrics', 'read:customers']);
    expect(DEMO_AGENTS.billing).toEqual(['billing:read', 'read:customers']);
    expect(DEMO_AGENTS.writer).toEqual(['read:records', 'records:write']);
  });

  it('an agent pulling its token from the AuthSec server can call the API with it', async () => {
    await using demo = await startDemoEnvironment();
    const pulled = await call(demo.authsec.pullUrl(demo.env.AUTHSEC_AGENT_CLIENT_ID ?? ''));
    expect(pulled.status).toBe(200);
    const token = String(pulled.json.token);
    const res = await call(`${demo.env.DOWNSTREAM_URL}/secure-vault/records`, token);
    expect(res.status).toBe(200);
  });

  it('puts the session token into env for a generation that requires one', async () => {
    await using demo = await startDemoEnvironment({ authsec: { generation: 'session' } });
    expect(demo.env.AUTHSEC_SESSION_TOKEN).toBe(demo.agents.reader.session.token);
  });

  it('close() stops both servers and is idempotent', async () => {
    const demo = await startDemoEnvironment();
    const first = demo.close();
    expect(demo.close()).toBe(first);
    await first;
    await demo.close();
    await demo.api.close();
    await expect(fetch(`${demo.api.url}/docs`)).rejects.toThrow();
    await expect(
      fetch(demo.authsec.pullUrl(demo.env.AUTHSEC_AGENT_CLIENT_ID ?? '')),
    ).rejects.toThrow();
  });

  it('every documented route answers 2xx to the agent holding its scope', async () => {
    await using demo = await startDemoEnvironment();
    const holders = Object.values(demo.agents);
    const samples: Record<string, string> = {
      '/customers/:id': '/customers/42',
      '/billing/customers/:id': '/billing/customers/42',
    };
    for (const route of DEMO_ROUTES) {
      const holder = holders.find(
        (h) => route.scope === null || h.policy.permissions.includes(route.scope),
      );
      expect(holder, route.path).toBeDefined();
      const res = await call(
        `${demo.api.url}${samples[route.path] ?? route.path}`,
        holder?.delegation.token,
        {
          method: route.method,
          ...(route.method === 'POST' && {
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ title: 't', content: 'c' }),
          }),
        },
      );
      expect(res.status, `${route.method} ${route.path}`).toBeGreaterThanOrEqual(200);
      expect(res.status, `${route.method} ${route.path}`).toBeLessThan(300);
    }
  });
});

describe('startDemoApi', () => {
  it('answers 503 when AuthSec cannot be reached, without leaking the token', async () => {
    const authsec = await AuthSecTestServer.start();
    const { delegation } = await authsec.createDelegatedAgent({ permissions: ['read:records'] });
    await authsec.close();
    await using api = await startDemoApi({
      authsecUrl: authsec.url,
      workspaceId: authsec.workspaceId,
    });
    const res = await call(`${api.url}/secure-vault/records`, delegation.token);
    expect(res.status).toBe(503);
    expect(res.json.error).toBe('authsec_unavailable');
    expect(api.requests.at(-1)).toMatchObject({ status: 503, error: 'authsec_unavailable' });
  });

  it('checkRevocation: false verifies locally, so a revoked token passes until it expires', async () => {
    await using authsec = await AuthSecTestServer.start();
    await using api = await startDemoApi({
      authsecUrl: authsec.url,
      workspaceId: authsec.workspaceId,
      checkRevocation: false,
    });
    const { agent, delegation } = await authsec.createDelegatedAgent({
      permissions: ['read:records'],
    });
    authsec.revoke(agent.clientId);
    expect((await call(`${api.url}/secure-vault/records`, delegation.token)).status).toBe(200);
    expect(authsec.requests.some((r) => r.kind === 'validate')).toBe(false);
  });

  it('by default a token checked within the last 10 s is not asked about again (revocation shows later)', async () => {
    await using demo = await startDemoEnvironment();
    const { agent, delegation } = await demo.authsec.createDelegatedAgent({
      permissions: ['read:records'],
    });
    const url = `${demo.api.url}/secure-vault/records`;
    expect((await call(url, delegation.token)).status).toBe(200);
    demo.authsec.revoke(agent.clientId);
    expect((await call(url, delegation.token)).status).toBe(200);
  });

  it('revocationCacheSeconds: 0 asks AuthSec on every request, so a revocation shows at once', async () => {
    await using demo = await startDemoEnvironment({ api: { revocationCacheSeconds: 0 } });
    const { agent, delegation } = await demo.authsec.createDelegatedAgent({
      permissions: ['read:records'],
    });
    const url = `${demo.api.url}/secure-vault/records`;
    expect((await call(url, delegation.token)).status).toBe(200);
    demo.authsec.revoke(agent.clientId);
    const res = await call(url, delegation.token);
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ error: 'invalid_token', reason: 'revoked' });
    expect(demo.api.requests.at(-1)?.error).toBe('invalid_token (revoked)');
  });

  it('refuses bad options before listening', async () => {
    const base = { authsecUrl: 'http://127.0.0.1:1', workspaceId: crypto.randomUUID() };
    await expect(startDemoApi({ ...base, revocationCacheSeconds: -1 })).rejects.toMatchObject({
      code: 'ERR_AUTHSEC_CONFIG',
    });
    await expect(
      startDemoApi({ ...base, authsecUrl: 'http://authsec.example.com' }),
    ).rejects.toMatchObject({ code: 'ERR_AUTHSEC_CONFIG' });
    await expect(startDemoApi({ ...base, workspaceId: 'not-a-uuid' })).rejects.toMatchObject({
      code: 'ERR_AUTHSEC_CONFIG',
    });
  });

  it('accepts tokens of any listed workspace and a custom audience', async () => {
    await using authsec = await AuthSecTestServer.start();
    const second = await authsec.createWorkspace();
    await using api = await startDemoApi({
      authsecUrl: authsec.url,
      workspaceId: [authsec.workspaceId, second],
      audience: 'demo-api',
    });
    for (const workspaceId of [authsec.workspaceId, second]) {
      const { delegation } = await authsec.createDelegatedAgent({
        workspaceId,
        audience: ['demo-api'],
      });
      expect((await call(`${api.url}/docs`, delegation.token)).status).toBe(200);
    }
    const { delegation } = await authsec.createDelegatedAgent({});
    const res = await call(`${api.url}/docs`, delegation.token);
    expect(res.json).toEqual({ error: 'invalid_token', reason: 'audience' });
  });

  it('calls onRequest after each answer and keeps going if it throws', async () => {
    await using authsec = await AuthSecTestServer.start();
    const seen: string[] = [];
    await using api = await startDemoApi({
      authsecUrl: authsec.url,
      workspaceId: authsec.workspaceId,
      onRequest: (r) => {
        seen.push(`${r.method} ${r.path} ${r.status}`);
        throw new Error('log sink down');
      },
    });
    expect((await call(`${api.url}/docs?x=1`)).status).toBe(401);
    expect(seen).toEqual(['GET /docs 401']);
  });

  it('close() is idempotent', async () => {
    await using authsec = await AuthSecTestServer.start();
    const api = await startDemoApi({ authsecUrl: authsec.url, workspaceId: authsec.workspaceId });
    await Promise.all([api.close(), api.close()]);
    await api.close();
    await api[Symbol.asyncDispose]();
    await expect(fetch(`${api.url}/docs`)).rejects.toThrow();
  });
});
