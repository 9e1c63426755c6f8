import { createPublicKey, type JsonWebKey, verify } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, importJWK, type JWK, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthSecTestServer } from '../src/index.js';
import { call, decodeJwt, manualClock, pull } from './helpers.js';

let server: AuthSecTestServer;
afterEach(async () => {
  await server?.close();
});

async function bundleOf(workspaceId: string) {
  const res = await call(server.bundleUrl(workspaceId));
  expect(res.status).toBe(200);
  return res.json as { keys: Array<Record<string, unknown>> };
}

describe('delegation tokens', () => {
  it('are RS256 JWTs with exactly the contract header: alg, typ and no kid', async () => {
    server = await AuthSecTestServer.start();
    const { delegation } = await server.createDelegatedAgent();
    expect(decodeProtectedHeader(delegation.token)).toEqual({ alg: 'RS256', typ: 'JWT' });
  });

  it('carry the contract claims', async () => {
    const clock = manualClock();
    server = await AuthSecTestServer.start({ generation: 'session', clock: clock.now });
    const { agent, session, delegation } = await server.createDelegatedAgent({
      permissions: ['read:metrics'],
      audience: ['authsec-api'],
      ttlSeconds: 900,
      agentType: 'langchain',
    });
    const { payload } = decodeJwt(delegation.token);
    const iat = Math.floor(clock.now() / 1000);
    expect(payload).toEqual({
      iss: `spiffe://${server.workspaceId}`,
      sub: `spiffe://authsec.dev/tenants/${server.workspaceId}/agents/langchain/${agent.clientId}`,
      aud: ['authsec-api'],
      exp: iat + 900,
      nbf: iat,
      iat,
      jti: delegation.jti,
      permissions: ['read:metrics'],
      client_id: agent.clientId,
      agent_type: 'langchain',
      user_id: session.userId,
      email: session.email,
      workspace_id: server.workspaceId,
    });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('verify against the workspace bundle with jose, using its single key though the token names none', async () => {
    server = await AuthSecTestServer.start();
    const { delegation } = await server.createDelegatedAgent();
    const bundle = await bundleOf(server.workspaceId);
    expect(bundle.keys).toHaveLength(1);
    expect(bundle.keys[0]).toMatchObject({
      kty: 'RSA',
      use: 'sig',
      kid: 'default',
      alg: 'RS256',
      e: 'AQAB',
    });
    expect(Object.keys(bundle.keys[0] ?? {}).sort()).toEqual([
      'alg',
      'e',
      'kid',
      'kty',
      'n',
      'use',
    ]);
    const { payload } = await jwtVerify(delegation.token, createLocalJWKSet(bundle as never), {
      algorithms: ['RS256'],
      audience: 'authsec-api',
    });
    expect(payload.jti).toBe(delegation.jti);
  });

  it('are signed with one key per workspace', async () => {
    server = await AuthSecTestServer.start();
    const other = await server.createWorkspace();
    const { delegation } = await server.createDelegatedAgent({ workspaceId: other });
    const home = await bundleOf(server.workspaceId);
    const theirs = await bundleOf(other);
    expect(theirs.keys[0]?.n).not.toBe(home.keys[0]?.n);
    await expect(jwtVerify(delegation.token, createLocalJWKSet(home as never))).rejects.toThrow();
    await expect(
      jwtVerify(delegation.token, createLocalJWKSet(theirs as never)),
    ).resolves.toBeDefined();
  });

  it('after a key rotation, new tokens verify only with the new bundle key', async () => {
    server = await AuthSecTestServer.start();
    const { agent, delegation: before } = await server.createDelegatedAgent();
    const oldBundle = await bundleOf(server.workspaceId);
    await server.rotateWorkspaceKey();
    const after = await server.delegate(agent.clientId);
    const newBundle = await bundleOf(server.workspaceId);
    expect(newBundle.keys[0]?.kid).not.toBe('default');
    await expect(jwtVerify(after.token, createLocalJWKSet(oldBundle as never))).rejects.toThrow();
    await expect(
      jwtVerify(after.token, createLocalJWKSet(newBundle as never)),
    ).resolves.toBeDefined();
    await expect(jwtVerify(before.token, createLocalJWKSet(newBundle as never))).rejects.toThrow();
  });

  it('take claim, header and body overrides for hostile-server tests', async () => {
    server = await AuthSecTestServer.start();
    const { agent } = await server.createDelegatedAgent({
      overrides: {
        claims: {
          client_id: '11111111-1111-4111-8111-111111111111',
          sub: 'spiffe://evil/agent',
          extra: 1,
          email: undefined,
        },
        header: { kid: 'surprise' },
        body: {
          spiffe_id: 'spiffe://authsec.dev/ns/default/sa/ai-agent',
          issued_at: undefined,
          note: 'x',
        },
      },
    });
    const res = await pull(server, agent.clientId);
    const { header, payload } = decodeJwt(String(res.json.token));
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'surprise' });
    expect(payload.client_id).toBe('11111111-1111-4111-8111-111111111111');
    expect(payload.sub).toBe('spiffe://evil/agent');
    expect(payload.extra).toBe(1);
    expect(payload).not.toHaveProperty('email');
    expect(res.json.spiffe_id).toBe('spiffe://authsec.dev/ns/default/sa/ai-agent');
    expect(res.json).not.toHaveProperty('issued_at');
    expect(res.json.note).toBe('x');
  });

  it('stay signed by the bundle key with extra header fields, and lie only in the header for another alg', async () => {
    server = await AuthSecTestServer.start();
    const { delegation } = await server.createDelegatedAgent({
      overrides: { header: { kid: 'surprise', cty: 'x' } },
    });
    const bundle = await bundleOf(server.workspaceId);
    const key = await importJWK(bundle.keys[0] as JWK, 'RS256');
    const { protectedHeader } = await jwtVerify(delegation.token, key, { algorithms: ['RS256'] });
    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'surprise', cty: 'x' });

    const lying = await server.delegate(delegation.clientId, {
      overrides: { header: { alg: 'HS256' } },
    });
    await expect(jwtVerify(lying.token, key)).rejects.toThrow();
    const [h, p, sig] = lying.token.split('.');
    const rsaKey = createPublicKey({ key: bundle.keys[0] as JsonWebKey, format: 'jwk' });
    const signedByRsa = verify(
      'RSA-SHA256',
      Buffer.from(`${h}.${p}`),
      rsaKey,
      Buffer.from(sig ?? '', 'base64url'),
    );
    expect(signedByRsa).toBe(true);
  });

  it('can be the minimal documented body', async () => {
    server = await AuthSecTestServer.start();
    const drop = Object.fromEntries(
      [
        'spiffe_id',
        'permissions',
        'audience',
        'ttl_seconds',
        'client_id',
        'tenant_id',
        'status',
        'issued_at',
        'updated_at',
      ].map((k) => [k, undefined]),
    );
    const { agent } = await server.createDelegatedAgent({ overrides: { body: drop } });
    const res = await pull(server, agent.clientId);
    expect(Object.keys(res.json).sort()).toEqual(['expires_at', 'token']);
  });

  it('can name another alg, or none with an empty signature', async () => {
    server = await AuthSecTestServer.start();
    const { agent } = await server.createDelegatedAgent({
      overrides: { header: { alg: 'HS256' } },
    });
    expect(decodeJwt(server.delegation(agent.clientId)?.token ?? '').header.alg).toBe('HS256');
    const none = await server.delegate(agent.clientId, { overrides: { header: { alg: 'none' } } });
    expect(none.token.endsWith('.')).toBe(true);
    const bundle = await bundleOf(server.workspaceId);
    await expect(jwtVerify(none.token, createLocalJWKSet(bundle as never))).rejects.toThrow();
  });

  it('can be signed with a key outside the bundle', async () => {
    server = await AuthSecTestServer.start();
    const { delegation } = await server.createDelegatedAgent({
      overrides: { signWithForeignKey: true },
    });
    const bundle = await bundleOf(server.workspaceId);
    await expect(jwtVerify(delegation.token, createLocalJWKSet(bundle as never))).rejects.toThrow(
      /signature/,
    );
  });

  it('can have expires_at shifted away from exp, any lifetime, or be minted already expired', async () => {
    const clock = manualClock();
    server = await AuthSecTestServer.start({ clock: clock.now });
    const { agent } = await server.createDelegatedAgent({
      overrides: { expiresAtShiftSeconds: 600 },
    });
    const shifted = await pull(server, agent.clientId);
    const exp = Number(decodeJwt(String(shifted.json.token)).payload.exp);
    expect(Math.floor(Date.parse(String(shifted.json.expires_at)) / 1000)).toBe(exp + 600);

    const long = await server.delegate(agent.clientId, {
      overrides: { lifetimeSeconds: 3 * 86_400 },
    });
    const p = decodeJwt(long.token).payload;
    expect(Number(p.exp) - Number(p.iat)).toBe(3 * 86_400);

    const past = await server.delegate(agent.clientId, {
      overrides: { issuedAtOffsetSeconds: -7200, lifetimeSeconds: 3600 },
    });
    expect(decodeJwt(past.token).payload.exp).toBeLessThan(clock.now() / 1000);
    expect((await pull(server, agent.clientId)).status).toBe(410);
  });

  it('keep the token out of a delegation record printed with JSON or inspect', async () => {
    server = await AuthSecTestServer.start();
    const { delegation } = await server.createDelegatedAgent();
    expect(typeof delegation.token).toBe('string');
    expect(JSON.stringify(delegation)).not.toContain(delegation.token.split('.')[2] ?? 'x');
    const { inspect } = await import('node:util');
    expect(inspect(delegation)).not.toContain(delegation.token.split('.')[2] ?? 'x');
  });
});

describe('GET /authsec/spiresvc/v1/jwt/bundle', () => {
  it('answers 400 for a missing or non-UUID workspace_id and 404 for an unknown one', async () => {
    server = await AuthSecTestServer.start();
    expect((await call(`${server.url}/authsec/spiresvc/v1/jwt/bundle`)).status).toBe(400);
    expect((await call(server.bundleUrl('ws-1'))).status).toBe(400);
    const unknown = await call(server.bundleUrl('6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11'));
    expect(unknown.status).toBe(404);
    expect(typeof unknown.json.error).toBe('string');
  });
});
