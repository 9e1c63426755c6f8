import { afterEach, describe, expect, it } from 'vitest';
import { AuthSecTestServer } from '../src/index.js';
import { bearer, call, decodeJwt, manualClock, pull } from './helpers.js';

let server: AuthSecTestServer;
afterEach(async () => {
  await server?.close();
});

describe('server generations', () => {
  it('legacy servers need no session and say tenant_id in the body and the token', async () => {
    server = await AuthSecTestServer.start({ generation: 'legacy' });
    const { agent, env } = await server.createDelegatedAgent();
    const res = await pull(server, agent.clientId);
    expect(res.status).toBe(200);
    expect(res.json.tenant_id).toBe(server.workspaceId);
    expect(res.json).not.toHaveProperty('workspace_id');
    const { payload } = decodeJwt(String(res.json.token));
    expect(payload.tenant_id).toBe(server.workspaceId);
    expect(payload).not.toHaveProperty('workspace_id');
    expect(env).not.toHaveProperty('AUTHSEC_SESSION_TOKEN');
  });

  it('session servers answer 401 with WWW-Authenticate to a pull without a session', async () => {
    server = await AuthSecTestServer.start({ generation: 'session' });
    const { agent } = await server.createDelegatedAgent();
    const res = await pull(server, agent.clientId);
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ error: 'authorization header required' });
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="authsec"');
  });

  it('session servers answer 401 "Invalid or expired token" to a bad or expired session', async () => {
    const clock = manualClock();
    server = await AuthSecTestServer.start({ generation: 'session', clock: clock.now });
    const { agent, session } = await server.createDelegatedAgent();
    const forged = await pull(server, agent.clientId, bearer(`${session.token.slice(0, -4)}AAAA`));
    expect(forged.status).toBe(401);
    expect(forged.json).toEqual({ error: 'Invalid or expired token' });
    expect(forged.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="authsec", error="invalid_token"/,
    );
    expect((await pull(server, agent.clientId, bearer(session.token))).status).toBe(200);
    clock.advance(3601);
    const expired = await pull(server, agent.clientId, bearer(session.token));
    expect(expired.status).toBe(401);
    expect(expired.json.error).toBe('Invalid or expired token');
  });

  it('session servers answer 401 "session has been revoked" after a sign-out', async () => {
    server = await AuthSecTestServer.start({ generation: 'session' });
    const { agent, session, env } = await server.createDelegatedAgent();
    expect(env.AUTHSEC_SESSION_TOKEN).toBe(session.token);
    expect(server.revokeSession(session.token)).toBe(true);
    const res = await pull(server, agent.clientId, bearer(session.token));
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ error: 'session has been revoked' });
  });

  it('session servers say workspace_id and answer an unknown client with "No active delegation token found"', async () => {
    server = await AuthSecTestServer.start({ generation: 'session' });
    const { agent, session } = await server.createDelegatedAgent();
    const ok = await pull(server, agent.clientId, bearer(session.token));
    expect(ok.json.workspace_id).toBe(server.workspaceId);
    expect(ok.json).not.toHaveProperty('tenant_id');
    expect(decodeJwt(String(ok.json.token)).payload.workspace_id).toBe(server.workspaceId);
    const unknown = await pull(
      server,
      '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11',
      bearer(session.token),
    );
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toBe('No active delegation token found');
  });

  it('owner-only servers answer 404 to a caller who neither delegated nor administers', async () => {
    server = await AuthSecTestServer.start({ generation: 'owner-only' });
    const { agent, session } = await server.createDelegatedAgent();
    const stranger = await server.createSession();
    const admin = await server.createSession({ admin: true });
    const otherWorkspace = await server.createWorkspace();
    const foreignAdmin = await server.createSession({ admin: true, workspaceId: otherWorkspace });
    expect((await pull(server, agent.clientId, bearer(session.token))).status).toBe(200);
    expect((await pull(server, agent.clientId, bearer(admin.token))).status).toBe(200);
    const denied = await pull(server, agent.clientId, bearer(stranger.token));
    expect(denied.status).toBe(404);
    expect(denied.json.error).toBe('No active delegation token found');
    expect((await pull(server, agent.clientId, bearer(foreignAdmin.token))).status).toBe(404);
    expect((await pull(server, agent.clientId)).status).toBe(401);
  });

  it('requireSession alone makes a legacy server ask for a session, keeping tenant_id', async () => {
    server = await AuthSecTestServer.start({ generation: 'legacy', requireSession: true });
    const { agent, session, env } = await server.createDelegatedAgent();
    expect(server.switches).toMatchObject({ requireSession: true, ownerOnly: false });
    const none = await pull(server, agent.clientId);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm="authsec"/);
    const ok = await pull(server, agent.clientId, bearer(session.token));
    expect(ok.status).toBe(200);
    expect(ok.json.tenant_id).toBe(server.workspaceId);
    expect(env.AUTHSEC_SESSION_TOKEN).toBe(session.token);
    const unknown = await pull(
      server,
      '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11',
      bearer(session.token),
    );
    expect(unknown.json.error).toBe('Client not found');
  });

  it('ownerOnly alone implies a session and hides the token from other users', async () => {
    server = await AuthSecTestServer.start({ generation: 'legacy', ownerOnly: true });
    expect(server.switches.requireSession).toBe(true);
    const { agent, session } = await server.createDelegatedAgent();
    const stranger = await server.createSession();
    expect((await pull(server, agent.clientId)).status).toBe(401);
    expect((await pull(server, agent.clientId, bearer(stranger.token))).status).toBe(404);
    expect((await pull(server, agent.clientId, bearer(session.token))).status).toBe(200);
  });

  it('a session server can be told not to require one', async () => {
    server = await AuthSecTestServer.start({ generation: 'session', requireSession: false });
    const { agent, env } = await server.createDelegatedAgent();
    const res = await pull(server, agent.clientId);
    expect(res.status).toBe(200);
    expect(res.json.workspace_id).toBe(server.workspaceId);
    expect(env).not.toHaveProperty('AUTHSEC_SESSION_TOKEN');
  });

  it('owner-only servers tell a stranger nothing about an expired token', async () => {
    const clock = manualClock();
    server = await AuthSecTestServer.start({ generation: 'owner-only', clock: clock.now });
    const { agent, session } = await server.createDelegatedAgent({ ttlSeconds: 60 });
    const stranger = await server.createSession();
    clock.advance(61);
    expect((await pull(server, agent.clientId, bearer(stranger.token))).status).toBe(404);
    // the stranger's pull did not use up the one 410
    expect((await pull(server, agent.clientId, bearer(session.token))).status).toBe(410);
  });

  it('the bundle and remote validation need no session on session servers', async () => {
    server = await AuthSecTestServer.start({ generation: 'owner-only' });
    const { delegation } = await server.createDelegatedAgent();
    const bundle = await call(server.bundleUrl());
    expect(bundle.status).toBe(200);
    const validated = await call(`${server.url}/authsec/spiresvc/v1/jwt/validate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: delegation.token }),
    });
    expect(validated.status).toBe(200);
    expect(validated.json.valid).toBe(true);
  });

  it('individual switches override the preset', async () => {
    server = await AuthSecTestServer.start({
      generation: 'legacy',
      workspaceField: 'workspace_id',
      unknownClientError: 'no-active-token',
      nullLists: true,
    });
    const { agent } = await server.createDelegatedAgent({ permissions: ['read:records'] });
    const res = await pull(server, agent.clientId);
    expect(res.json.workspace_id).toBe(server.workspaceId);
    expect(res.json.permissions).toBeNull();
    expect(res.json.audience).toBeNull();
    expect(decodeJwt(String(res.json.token)).payload.permissions).toEqual(['read:records']);
    const unknown = await pull(server, '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11');
    expect(unknown.json.error).toBe('No active delegation token found');
  });

  it.each([
    [0, 'Z', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/],
    [3, 'Z', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/],
    [6, '+05:30', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+05:30$/],
    [9, '-08:00', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}-08:00$/],
  ])(
    'writes expires_at with %i fractional digits and offset %s',
    async (fractionDigits, offset, shape) => {
      const clock = manualClock();
      server = await AuthSecTestServer.start({
        clock: clock.now,
        expiresAt: { fractionDigits, offset },
      });
      const { agent, delegation } = await server.createDelegatedAgent({ ttlSeconds: 3600 });
      const res = await pull(server, agent.clientId);
      const expiresAt = String(res.json.expires_at);
      expect(expiresAt).toMatch(shape);
      // the same instant whatever the offset (to the millisecond where digits allow)
      const parsed = Date.parse(expiresAt.replace(/(\.\d{3})\d+/, '$1'));
      expect(Math.abs(parsed - delegation.expiresAtMs)).toBeLessThan(1000);
      expect(Math.floor(parsed / 1000)).toBe(decodeJwt(delegation.token).payload.exp);
    },
  );

  it('writes expires_at, issued_at and updated_at as the service does unless told otherwise', async () => {
    server = await AuthSecTestServer.start({ clock: manualClock().now });
    const { agent, delegation } = await server.createDelegatedAgent({ ttlSeconds: 3600 });
    const body = (await pull(server, agent.clientId)).json;
    const serviceShape = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,5}[1-9])?Z$/;
    for (const field of ['expires_at', 'issued_at', 'updated_at']) {
      expect(String(body[field]), field).toMatch(serviceShape);
    }
    expect(server.switches.expiresAt).toEqual({
      fractionDigits: 6,
      trimTrailingZeros: true,
      offset: 'Z',
    });
    const parsed = Date.parse(String(body.expires_at).replace(/(\.\d{3})\d+/, '$1'));
    expect(parsed).toBe(delegation.expiresAtMs);
  });

  it('rejects an unknown generation and a bad timestamp format at start', async () => {
    await expect(AuthSecTestServer.start({ generation: 'v9' as never })).rejects.toThrow(
      /Unknown server generation 'v9'/,
    );
    await expect(AuthSecTestServer.start({ expiresAt: { fractionDigits: 10 } })).rejects.toThrow(
      RangeError,
    );
    await expect(AuthSecTestServer.start({ expiresAt: { offset: '+5:30' } })).rejects.toThrow(
      /offset/,
    );
  });
});
