import { afterEach, describe, expect, it } from 'vitest';
import { AuthSecTestServer } from '../src/index.js';
import { call, decodeJwt, manualClock, pull } from './helpers.js';

let server: AuthSecTestServer;
afterEach(async () => {
  await server?.close();
});

describe('GET /authsec/uflow/sdk/delegation-token', () => {
  it('answers 200 with the success body field for field', async () => {
    server = await AuthSecTestServer.start();
    const { agent, delegation } = await server.createDelegatedAgent({
      permissions: ['read:records', 'billing:read'],
      audience: ['authsec-api', 'billing-api'],
      ttlSeconds: 1800,
    });
    const res = await pull(server, agent.clientId);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(res.json).sort()).toEqual(
      [
        'audience',
        'client_id',
        'expires_at',
        'issued_at',
        'permissions',
        'spiffe_id',
        'status',
        'tenant_id',
        'token',
        'ttl_seconds',
        'updated_at',
      ].sort(),
    );
    expect(res.json).toMatchObject({
      token: delegation.token,
      spiffe_id: agent.spiffeId,
      permissions: ['read:records', 'billing:read'],
      audience: ['authsec-api', 'billing-api'],
      ttl_seconds: 1800,
      client_id: agent.clientId,
      tenant_id: server.workspaceId,
      status: 'active',
    });
    const { payload } = decodeJwt(String(res.json.token));
    expect(payload.sub).toBe(res.json.spiffe_id);
    // expires_at and exp name the same second
    expect(Math.floor(Date.parse(String(res.json.expires_at)) / 1000)).toBe(payload.exp);
  });

  it('hands back the same token on every pull until an admin re-delegates', async () => {
    server = await AuthSecTestServer.start();
    const { agent } = await server.createDelegatedAgent();
    const first = await pull(server, agent.clientId);
    const second = await pull(server, agent.clientId);
    expect(second.json.token).toBe(first.json.token);
    await server.delegate(agent.clientId);
    const third = await pull(server, agent.clientId);
    expect(third.json.token).not.toBe(first.json.token);
    expect(decodeJwt(String(third.json.token)).payload.jti).not.toBe(
      decodeJwt(String(first.json.token)).payload.jti,
    );
  });

  it('reads client_id from the query first, then from X-Client-ID', async () => {
    server = await AuthSecTestServer.start();
    const { agent } = await server.createDelegatedAgent();
    const other = server.createAgent();
    const viaHeader = await call(`${server.url}/authsec/uflow/sdk/delegation-token`, {
      headers: { 'x-client-id': agent.clientId },
    });
    expect(viaHeader.status).toBe(200);
    expect(viaHeader.json.client_id).toBe(agent.clientId);
    // the query wins over the header: `other` has no delegation, so 404
    const queryWins = await call(server.pullUrl(other.clientId), {
      headers: { 'x-client-id': agent.clientId },
    });
    expect(queryWins.status).toBe(404);
    const emptyQuery = await call(`${server.url}/authsec/uflow/sdk/delegation-token?client_id=`, {
      headers: { 'x-client-id': agent.clientId },
    });
    expect(emptyQuery.status).toBe(200);
  });

  it('answers 400 when no client id is sent', async () => {
    server = await AuthSecTestServer.start();
    const res = await call(`${server.url}/authsec/uflow/sdk/delegation-token`);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      error: 'client_id is required (query param or X-Client-ID header)',
    });
  });

  it.each([
    ['not-a-uuid'],
    [' 6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11'],
    ['6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11\n'],
    ['6f1c9a523e0a4d8e9b572a1f0e6c8d11'],
  ])('answers 400 Invalid client_id format for %j', async (id) => {
    server = await AuthSecTestServer.start();
    const res = await call(
      `${server.url}/authsec/uflow/sdk/delegation-token?client_id=${encodeURIComponent(id)}`,
    );
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'Invalid client_id format' });
  });

  it('answers 404 "Client not found" for an unknown client on legacy servers', async () => {
    server = await AuthSecTestServer.start({ generation: 'legacy' });
    const res = await pull(server, '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11');
    expect(res.status).toBe(404);
    expect(res.json.error).toBe('Client not found');
    expect(typeof res.json.details).toBe('string');
  });

  it('answers 404 "No active delegation token found" for an agent never delegated', async () => {
    server = await AuthSecTestServer.start();
    const agent = server.createAgent();
    const res = await pull(server, agent.clientId);
    expect(res.status).toBe(404);
    expect(res.json).toEqual({
      error: 'No active delegation token found',
      details:
        'An admin must delegate a token first via POST /uflow/admin/agents/:id/delegate-token',
    });
  });

  it('answers 404 after revocation, and 200 again after a new delegation', async () => {
    server = await AuthSecTestServer.start();
    const { agent } = await server.createDelegatedAgent();
    expect((await pull(server, agent.clientId)).status).toBe(200);
    expect(server.revoke(agent.clientId)).toBe(true);
    expect(server.revoke(agent.clientId)).toBe(false);
    const revoked = await pull(server, agent.clientId);
    expect(revoked.status).toBe(404);
    expect(revoked.json.error).toBe('No active delegation token found');
    await server.delegate(agent.clientId);
    expect((await pull(server, agent.clientId)).status).toBe(200);
  });

  it('answers 410 once for an expired token, then 404', async () => {
    const clock = manualClock();
    server = await AuthSecTestServer.start({ clock: clock.now });
    const { agent, delegation } = await server.createDelegatedAgent({ ttlSeconds: 60 });
    expect((await pull(server, agent.clientId)).status).toBe(200);
    clock.advance(61);
    const expired = await pull(server, agent.clientId);
    expect(expired.status).toBe(410);
    expect(Object.keys(expired.json).sort()).toEqual(['details', 'error', 'expired_at']);
    expect(expired.json.error).toBe('Delegation token has expired');
    expect(expired.json).not.toHaveProperty('token');
    expect(Date.parse(String(expired.json.expired_at).replace(/(\.\d{3})\d+/, '$1'))).toBe(
      delegation.expiresAtMs,
    );
    expect(String(expired.json.details)).toMatch(/^Admin must re-delegate/);
    const after = await pull(server, agent.clientId);
    expect(after.status).toBe(404);
    expect(after.json.error).toBe('No active delegation token found');
    expect(server.delegation(agent.clientId)?.status).toBe('expired');
  });

  it('answers 200 again with a new token once an admin re-delegates an expired row', async () => {
    const clock = manualClock();
    server = await AuthSecTestServer.start({ clock: clock.now });
    const { agent, delegation } = await server.createDelegatedAgent({ ttlSeconds: 60 });
    clock.advance(60);
    expect((await pull(server, agent.clientId)).status).toBe(410);
    expect((await pull(server, agent.clientId)).status).toBe(404);
    const renewed = await server.delegate(agent.clientId);
    const res = await pull(server, agent.clientId);
    expect(res.status).toBe(200);
    expect(res.json.token === renewed.token).toBe(true);
    expect(res.json.token === delegation.token).toBe(false);
  });

  it.each([
    [0, 'a zero lifetime'],
    [-30, 'a negative lifetime'],
  ])('answers 410 on the first pull of a token minted with %i s (%s)', async (lifetimeSeconds) => {
    server = await AuthSecTestServer.start();
    const { agent, delegation } = await server.createDelegatedAgent({
      overrides: { lifetimeSeconds },
    });
    const { payload } = decodeJwt(delegation.token);
    expect(Number(payload.exp) - Number(payload.iat)).toBe(lifetimeSeconds);
    expect((await pull(server, agent.clientId)).status).toBe(410);
    expect((await pull(server, agent.clientId)).status).toBe(404);
  });

  it('answers 410 to only one of two concurrent pulls at expiry', async () => {
    const clock = manualClock();
    server = await AuthSecTestServer.start({ clock: clock.now });
    const { agent } = await server.createDelegatedAgent({ ttlSeconds: 60 });
    clock.advance(61);
    const statuses = await Promise.all([
      pull(server, agent.clientId),
      pull(server, agent.clientId),
    ]);
    expect(statuses.map((r) => r.status).sort()).toEqual([404, 410]);
  });

  it('expectedPullBody() is exactly what a pull answers', async () => {
    server = await AuthSecTestServer.start({ expiresAt: { fractionDigits: 9, offset: '+02:00' } });
    const { agent } = await server.createDelegatedAgent({ permissions: ['read:metrics'] });
    const res = await pull(server, agent.clientId);
    expect(res.json).toEqual(server.expectedPullBody(agent.clientId));
    expect(server.expectedPullBody(server.createAgent().clientId)).toBeUndefined();
  });

  it('keeps issued_at from the first delegation, so it can predate the token iat', async () => {
    const clock = manualClock();
    server = await AuthSecTestServer.start({ clock: clock.now });
    const { agent } = await server.createDelegatedAgent();
    clock.advance(600);
    await server.delegate(agent.clientId);
    const res = await pull(server, agent.clientId);
    const { payload } = decodeJwt(String(res.json.token));
    expect(Date.parse(String(res.json.issued_at)) / 1000).toBeLessThan(Number(payload.iat));
    expect(Math.floor(Date.parse(String(res.json.updated_at)) / 1000)).toBe(payload.iat);
  });

  it('answers null permissions when the policy grants none', async () => {
    server = await AuthSecTestServer.start();
    const { agent } = await server.createDelegatedAgent({ permissions: [] });
    const res = await pull(server, agent.clientId);
    expect(res.json.permissions).toBeNull();
    expect(res.json.audience).toEqual(['authsec-api']);
  });

  it('answers 405 for another method and 404 for an unknown path', async () => {
    server = await AuthSecTestServer.start();
    const res = await call(`${server.url}/authsec/uflow/sdk/delegation-token`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
    expect((await call(`${server.url}/authsec/nope`)).status).toBe(404);
  });
});
