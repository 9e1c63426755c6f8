import { afterEach, describe, expect, it } from 'vitest';
import { AuthSecTestServer } from '../src/index.js';
import { call, manualClock } from './helpers.js';

let server: AuthSecTestServer;
afterEach(async () => {
  await server?.close();
});

function validate(body: unknown) {
  return call(`${server.url}/authsec/spiresvc/v1/jwt/validate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('POST /authsec/spiresvc/v1/jwt/validate', () => {
  it('says valid with the token facts, and not valid after revocation', async () => {
    server = await AuthSecTestServer.start({ generation: 'session' });
    const { agent, delegation } = await server.createDelegatedAgent({
      permissions: ['read:records'],
    });
    const ok = await validate({
      token: delegation.token,
      audience: 'authsec-api',
      workspace_id: server.workspaceId,
    });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({
      valid: true,
      spiffe_id: agent.spiffeId,
      sub: agent.spiffeId,
      workspace_id: server.workspaceId,
      permissions: ['read:records'],
      audience: ['authsec-api'],
      expires_at: new Date(delegation.expiresAtMs - (delegation.expiresAtMs % 1000)).toISOString(),
    });
    expect((ok.json.claims as Record<string, unknown>).jti).toBe(delegation.jti);
    server.revoke(agent.clientId);
    const revoked = await validate({ token: delegation.token });
    expect(revoked.json).toEqual({ valid: false, error: 'token has been revoked' });
  });

  it('answers exactly the contract fields, times as RFC 3339 from the token', async () => {
    const clock = manualClock();
    server = await AuthSecTestServer.start({ clock: clock.now });
    const { agent, delegation } = await server.createDelegatedAgent({ ttlSeconds: 600 });
    const res = await validate({ token: delegation.token });
    expect(Object.keys(res.json).sort()).toEqual(
      [
        'audience',
        'claims',
        'expires_at',
        'issued_at',
        'permissions',
        'spiffe_id',
        'sub',
        'valid',
        'workspace_id',
      ].sort(),
    );
    const iatMs = Math.floor(clock.now() / 1000) * 1000;
    expect(res.json.issued_at).toBe(new Date(iatMs).toISOString());
    expect(res.json.expires_at).toBe(new Date(iatMs + 600_000).toISOString());
    expect((res.json.claims as Record<string, unknown>).client_id).toBe(agent.clientId);
  });

  it('checks an audience given as a list: valid when any entry matches', async () => {
    server = await AuthSecTestServer.start();
    const { delegation } = await server.createDelegatedAgent({ audience: ['records-api'] });
    expect(
      (await validate({ token: delegation.token, audience: ['billing-api', 'records-api'] })).json
        .valid,
    ).toBe(true);
    expect((await validate({ token: delegation.token, audience: ['billing-api'] })).json).toEqual({
      valid: false,
      error: 'jwt_claim_validation_failed',
    });
    for (const audience of [42, [], [''], '']) {
      const res = await validate({ token: delegation.token, audience });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatch(/audience must be/);
    }
    expect((await validate({ token: delegation.token, workspace_id: 7 })).status).toBe(400);
  });

  it('keeps a token replaced by a re-delegation valid until it expires, unlike a revoked one', async () => {
    server = await AuthSecTestServer.start();
    const { agent, delegation: first } = await server.createDelegatedAgent();
    const second = await server.delegate(agent.clientId);
    expect((await validate({ token: first.token })).json.valid).toBe(true);
    server.revoke(agent.clientId);
    expect((await validate({ token: second.token })).json.valid).toBe(false);
    expect((await validate({ token: first.token })).json.valid).toBe(true);
  });

  it('rejects a wrong audience, another workspace, an expired token and a foreign signature', async () => {
    const clock = manualClock();
    server = await AuthSecTestServer.start({ clock: clock.now });
    const { agent, delegation } = await server.createDelegatedAgent({ ttlSeconds: 60 });
    expect((await validate({ token: delegation.token, audience: 'billing-api' })).json.valid).toBe(
      false,
    );
    const other = await server.createWorkspace();
    expect((await validate({ token: delegation.token, workspace_id: other })).json).toEqual({
      valid: false,
      error: 'token belongs to another workspace',
    });
    const foreign = await server.delegate(agent.clientId, {
      overrides: { signWithForeignKey: true },
    });
    expect((await validate({ token: foreign.token })).json.valid).toBe(false);
    clock.advance(120);
    expect((await validate({ token: delegation.token })).json).toEqual({
      valid: false,
      error: 'jwt_expired',
    });
  });

  it('rejects a token whose workspace claim and issuer disagree', async () => {
    server = await AuthSecTestServer.start();
    const { delegation } = await server.createDelegatedAgent({
      overrides: { claims: { iss: 'spiffe://6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11' } },
    });
    expect((await validate({ token: delegation.token })).json).toEqual({
      valid: false,
      error: 'workspace claim and issuer disagree',
    });
  });

  it('answers 400 without a token and for a body that is not JSON', async () => {
    server = await AuthSecTestServer.start();
    expect((await validate({})).status).toBe(400);
    const bad = await call(`${server.url}/authsec/spiresvc/v1/jwt/validate`, {
      method: 'POST',
      body: '{',
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ error: 'invalid JSON body' });
    expect((await validate({ token: 'not.a.jwt' })).json.valid).toBe(false);
  });
});
