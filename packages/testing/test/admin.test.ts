import { afterEach, describe, expect, it } from 'vitest';
import { AuthSecTestServer } from '../src/index.js';
import { admin, call, decodeJwt, pull } from './helpers.js';

let server: AuthSecTestServer;
afterEach(async () => {
  await server?.close();
});

describe('admin endpoints', () => {
  it('delegate-token needs an admin session: 401 without one, 403 for a plain user', async () => {
    server = await AuthSecTestServer.start();
    const agent = server.createAgent();
    server.createPolicy({ clientId: agent.clientId, permissions: ['read:records'] });
    const none = await admin(server, agent.clientId, 'delegate-token', undefined);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="authsec"');
    const user = await server.createSession();
    expect((await admin(server, agent.clientId, 'delegate-token', user.token)).status).toBe(403);
    expect((await admin(server, agent.clientId, 'revoke-token', user.token)).status).toBe(403);
  });

  it('delegate-token mints a token from the policy with the asked audience and ttl', async () => {
    server = await AuthSecTestServer.start();
    const agent = server.createAgent();
    server.createPolicy({
      clientId: agent.clientId,
      permissions: ['read:metrics', 'read:records'],
      maxDurationSeconds: 7200,
    });
    const session = await server.createSession({ admin: true, userId: 'alice' });
    const res = await admin(server, agent.clientId, 'delegate-token', session.token, {
      agent_type: 'llamaindex',
      audience: ['authsec-api', 'records-api'],
      ttl_seconds: 1200,
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      message: 'Delegation token issued',
      permissions: ['read:metrics', 'read:records'],
      audience: ['authsec-api', 'records-api'],
      ttl_seconds: 1200,
    });
    const { payload } = decodeJwt(String(res.json.token));
    expect(payload).toMatchObject({
      agent_type: 'llamaindex',
      user_id: 'alice',
      aud: ['authsec-api', 'records-api'],
    });
    expect(Number(payload.exp) - Number(payload.iat)).toBe(1200);
    expect((await pull(server, agent.clientId)).json.token).toBe(res.json.token);
  });

  it('delegate-token refuses a ttl over the policy maximum, bad input and an agent without a policy', async () => {
    server = await AuthSecTestServer.start();
    const agent = server.createAgent();
    const session = await server.createSession({ admin: true });
    const noPolicy = await admin(server, agent.clientId, 'delegate-token', session.token);
    expect(noPolicy.status).toBe(404);
    server.createPolicy({ clientId: agent.clientId, permissions: ['read:records'] });
    const tooLong = await admin(server, agent.clientId, 'delegate-token', session.token, {
      ttl_seconds: 3601,
    });
    expect(tooLong.status).toBe(400);
    expect(String(tooLong.json.error)).toMatch(/maximum duration \(3600s\)/);
    const bad = await admin(server, agent.clientId, 'delegate-token', session.token, {
      audience: 'x',
      ttl_seconds: -1,
    });
    expect(bad.status).toBe(400);
    expect(String(bad.json.error)).toMatch(/audience.*; ttl_seconds/);
    expect((await admin(server, agent.clientId, 'delegate-token', session.token, '{')).status).toBe(
      400,
    );
  });

  it('re-delegation over HTTP replaces the token every later pull returns', async () => {
    server = await AuthSecTestServer.start({ generation: 'session' });
    const { agent, session, delegation } = await server.createDelegatedAgent();
    const adminSession = await server.createSession({ admin: true, userId: 'bob' });
    const before = await pull(server, agent.clientId, { authorization: `Bearer ${session.token}` });
    expect(before.json.token === delegation.token).toBe(true);
    const res = await admin(server, agent.clientId, 'delegate-token', adminSession.token, {
      ttl_seconds: 600,
    });
    expect(res.status).toBe(201);
    expect(res.json.workspace_id).toBe(server.workspaceId);
    for (let i = 0; i < 2; i++) {
      const after = await pull(server, agent.clientId, {
        authorization: `Bearer ${session.token}`,
      });
      expect(after.json.token === res.json.token).toBe(true);
      expect(after.json.ttl_seconds).toBe(600);
    }
    expect(res.json.token === delegation.token).toBe(false);
    expect(server.requests.map((r) => r.kind)).toEqual(['pull', 'delegate', 'pull', 'pull']);
  });

  it('delegate-token answers 401 with the session errors for a revoked or forged session', async () => {
    server = await AuthSecTestServer.start();
    const agent = server.createAgent();
    server.createPolicy({ clientId: agent.clientId, permissions: ['read:records'] });
    const session = await server.createSession({ admin: true });
    server.revokeSession(session.token);
    const revoked = await admin(server, agent.clientId, 'delegate-token', session.token);
    expect(revoked.status).toBe(401);
    expect(revoked.json).toEqual({ error: 'session has been revoked' });
    const forged = await admin(server, agent.clientId, 'revoke-token', `${session.token}x`);
    expect(forged.json).toEqual({ error: 'Invalid or expired token' });
    expect(forged.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it('answers 404 "Client not found" for an unknown agent, 405 for GET and 413 for a huge body', async () => {
    server = await AuthSecTestServer.start();
    const session = await server.createSession({ admin: true });
    const unknown = await admin(
      server,
      '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11',
      'delegate-token',
      session.token,
    );
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toBe('Client not found');
    expect(typeof unknown.json.details).toBe('string');
    const agent = server.createAgent();
    server.createPolicy({ clientId: agent.clientId, permissions: [] });
    const get = await call(
      `${server.url}/authsec/uflow/admin/agents/${agent.clientId}/revoke-token`,
    );
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const huge = await admin(server, agent.clientId, 'delegate-token', session.token, {
      agent_type: 'x'.repeat(70 * 1024),
    });
    expect(huge.status).toBe(413);
    expect(huge.json).toEqual({ error: 'request body too large' });
    expect(server.delegation(agent.clientId)).toBeUndefined();
  });

  it('answers 400 with a JSON error for a malformed percent-escape in the agent id', async () => {
    server = await AuthSecTestServer.start();
    const session = await server.createSession({ admin: true });
    for (const id of ['%E0%A4%A', '%', '%zz', '%C3%28']) {
      for (const action of ['delegate-token', 'revoke-token'] as const) {
        const res = await admin(server, id, action, session.token);
        expect(res.status, `${id} ${action}`).toBe(400);
        expect(res.json).toEqual({ error: 'malformed percent-escape in the agent id' });
      }
    }
    // Recorded as what it is, with the status answered.
    expect(server.requests.at(-1)).toMatchObject({ kind: 'revoke', status: 400 });
  });

  it('an admin of another workspace cannot touch the agent', async () => {
    server = await AuthSecTestServer.start();
    const { agent } = await server.createDelegatedAgent();
    const other = await server.createWorkspace();
    const stranger = await server.createSession({ admin: true, workspaceId: other });
    expect((await admin(server, agent.clientId, 'revoke-token', stranger.token)).status).toBe(404);
    expect((await pull(server, agent.clientId)).status).toBe(200);
  });

  it('revoke-token ends the delegation; a second revoke answers 404', async () => {
    server = await AuthSecTestServer.start();
    const { agent } = await server.createDelegatedAgent();
    const session = await server.createSession({ admin: true });
    const res = await admin(server, agent.clientId, 'revoke-token', session.token);
    expect(res.status).toBe(200);
    expect((await pull(server, agent.clientId)).status).toBe(404);
    expect((await admin(server, agent.clientId, 'revoke-token', session.token)).status).toBe(404);
  });

  it('policies cap the maximum duration at 24 hours and default to 1 hour', () => {
    return AuthSecTestServer.start().then(async (s) => {
      server = s;
      const agent = server.createAgent();
      expect(
        server.createPolicy({ clientId: agent.clientId, permissions: [] }).maxDurationSeconds,
      ).toBe(3600);
      expect(() =>
        server.createPolicy({
          clientId: agent.clientId,
          permissions: [],
          maxDurationSeconds: 86_401,
        }),
      ).toThrow(/24 h/);
      expect(
        server.createPolicy({
          clientId: agent.clientId,
          permissions: [],
          maxDurationSeconds: 86_400,
        }).maxDurationSeconds,
      ).toBe(86_400);
      await expect(server.delegate(agent.clientId, { ttlSeconds: 86_401 })).rejects.toThrow(
        /maximum duration/,
      );
    });
  });

  it.each([0, -60, 1.5, Number.NaN])('refuses a policy maximum duration of %s', async (max) => {
    server = await AuthSecTestServer.start();
    const agent = server.createAgent();
    expect(() =>
      server.createPolicy({ clientId: agent.clientId, permissions: [], maxDurationSeconds: max }),
    ).toThrow(RangeError);
  });

  it('says what to do when a programmatic delegation cannot be made', async () => {
    server = await AuthSecTestServer.start();
    const agent = server.createAgent();
    await expect(server.delegate(agent.clientId)).rejects.toThrow(/call createPolicy\(/);
    server.createPolicy({ clientId: agent.clientId, permissions: [] });
    await expect(server.delegate(agent.clientId, { ttlSeconds: 7200 })).rejects.toThrow(
      /raise maxDurationSeconds with createPolicy\(\)/,
    );
    await expect(server.delegate(agent.clientId, { ttlSeconds: 0 })).rejects.toThrow(
      /positive integer.*lifetimeSeconds/,
    );
    await expect(
      server.delegate(agent.clientId, { overrides: { lifetimeSeconds: Number.NaN } }),
    ).rejects.toThrow(/overrides.lifetimeSeconds must be a finite number/);
    expect(() =>
      server.createPolicy({ clientId: '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11', permissions: [] }),
    ).toThrow(/register it with createAgent\(\)/);
  });

  it('createDelegatedAgent gives the policy the default 1 h unless told otherwise', async () => {
    server = await AuthSecTestServer.start();
    const { policy, delegation } = await server.createDelegatedAgent();
    expect(policy.maxDurationSeconds).toBe(3600);
    expect(delegation.ttlSeconds).toBe(3600);
    const { policy: longer } = await server.createDelegatedAgent({
      ttlSeconds: 600,
      maxDurationSeconds: 86_400,
    });
    expect(longer.maxDurationSeconds).toBe(86_400);
  });
});
