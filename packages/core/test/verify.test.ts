import { randomUUID } from 'node:crypto';
import { AuthSecTestServer } from '@authsec/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createDelegationTokenVerifier, verifyDelegationToken } from '../src/verify.js';
import { manualClock } from './support.js';
import { delegationClaims, expectTokenError, NOW_MS, rsaKey, sign } from './verify-support.js';

const servers: AuthSecTestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Parameters<typeof AuthSecTestServer.start>[0] = {}) {
  const clock = manualClock();
  const server = await AuthSecTestServer.start({ clock: clock.now, ...options });
  servers.push(server);
  const options_ = {
    baseUrl: server.url,
    workspaceId: server.workspaceId,
    audience: 'authsec-api',
    clock: clock.now,
    env: {},
  };
  const bundles = () => server.requests.filter((r) => r.kind === 'bundle').length;
  const validations = () => server.requests.filter((r) => r.kind === 'validate').length;
  return { server, clock, options: options_, bundles, validations };
}

describe('verifying tokens delegated by AuthSec', () => {
  it('accepts a delegated token and returns its typed claims', async () => {
    const { server, options } = await start();
    const { agent, delegation } = await server.createDelegatedAgent({
      permissions: ['read:records'],
      audience: ['authsec-api'],
    });
    const claims = await createDelegationTokenVerifier(options).verify(delegation.token);
    expect(claims).toMatchObject({
      iss: `spiffe://${server.workspaceId}`,
      sub: agent.spiffeId,
      aud: ['authsec-api'],
      jti: delegation.jti,
      permissions: ['read:records'],
      workspaceId: server.workspaceId,
      client_id: agent.clientId,
      agent_type: agent.agentType,
      tenant_id: server.workspaceId,
    });
  });

  it('accepts the legacy (tenant_id) and newer (workspace_id) generations alike', async () => {
    for (const generation of ['legacy', 'session'] as const) {
      const { server, options } = await start({ generation });
      const { delegation } = await server.createDelegatedAgent();
      const claims = await verifyDelegationToken(delegation.token, options);
      expect(claims.workspaceId).toBe(server.workspaceId);
      expect(generation === 'legacy' ? claims.tenant_id : claims.workspace_id).toBe(
        server.workspaceId,
      );
    }
  });

  it('asks for the bundle of the token workspace at baseUrl, and nothing else', async () => {
    const { server, options } = await start();
    const { delegation } = await server.createDelegatedAgent();
    await createDelegationTokenVerifier(options).verify(delegation.token);
    expect(server.requests.map((r) => [r.kind, r.method, r.path, r.query])).toContainEqual([
      'bundle',
      'GET',
      '/authsec/spiresvc/v1/jwt/bundle',
      { workspace_id: server.workspaceId },
    ]);
    expect(server.requests.filter((r) => r.kind !== 'delegate')).toHaveLength(1);
  });

  it('refuses an expired AuthSec token and one lasting over 24 h', async () => {
    const { server, options } = await start();
    const { agent, delegation } = await server.createDelegatedAgent({
      overrides: { issuedAtOffsetSeconds: -7200, lifetimeSeconds: 3600 },
    });
    const verifier = createDelegationTokenVerifier(options);
    await expectTokenError(verifier.verify(delegation.token), 'expired', delegation.token);
    const long = await server.delegate(agent.clientId, {
      overrides: { lifetimeSeconds: 86_400 + 3600 },
    });
    await expectTokenError(verifier.verify(long.token), 'lifetime', long.token);
  });

  it('refuses alg none and HS256 tokens from the server before any key request', async () => {
    const { server, options, bundles } = await start();
    const verifier = createDelegationTokenVerifier(options);
    for (const alg of ['none', 'HS256']) {
      const { delegation } = await server.createDelegatedAgent({ overrides: { header: { alg } } });
      await expectTokenError(verifier.verify(delegation.token), 'algorithm', delegation.token);
    }
    expect(bundles()).toBe(0);
  });

  it('refuses the wrong audience', async () => {
    const { server, options } = await start();
    const { delegation } = await server.createDelegatedAgent({ audience: ['orders-api'] });
    await expectTokenError(
      verifyDelegationToken(delegation.token, options),
      'audience',
      delegation.token,
    );
  });
});

describe('the key cache', () => {
  it('fetches the bundle once: a warm verify makes no request at all', async () => {
    const { server, options, bundles } = await start();
    const { delegation } = await server.createDelegatedAgent();
    const verifier = createDelegationTokenVerifier(options);
    await verifier.verify(delegation.token);
    const before = server.requests.length;
    for (let i = 0; i < 5; i++) await verifier.verify(delegation.token);
    expect(bundles()).toBe(1);
    expect(server.requests).toHaveLength(before);
  });

  it('shares one bundle request among concurrent cold verifies', async () => {
    const { server, options, bundles } = await start();
    const { delegation } = await server.createDelegatedAgent();
    const verifier = createDelegationTokenVerifier(options);
    await Promise.all(Array.from({ length: 8 }, () => verifier.verify(delegation.token)));
    expect(bundles()).toBe(1);
  });

  it('shares the cache across verifyDelegationToken calls with the same baseUrl', async () => {
    const { server, options, bundles } = await start();
    const { delegation } = await server.createDelegatedAgent();
    await verifyDelegationToken(delegation.token, options);
    await verifyDelegationToken(delegation.token, { ...options, requiredPermissions: [] });
    await verifyDelegationToken(delegation.token, { ...options, baseUrl: `${server.url}/` });
    expect(bundles()).toBe(1);
    // A verifier of its own has caches of its own.
    await createDelegationTokenVerifier(options).verify(delegation.token);
    expect(bundles()).toBe(2);
  });

  it('refetches once after AuthSec rotates its key, then at most every 30 s', async () => {
    const { server, clock, options, bundles } = await start();
    const { agent, delegation } = await server.createDelegatedAgent();
    const verifier = createDelegationTokenVerifier(options);
    await verifier.verify(delegation.token);
    expect(bundles()).toBe(1);

    await server.rotateWorkspaceKey();
    const fresh = await server.delegate(agent.clientId);
    await expect(verifier.verify(fresh.token)).resolves.toMatchObject({ jti: fresh.jti });
    expect(bundles()).toBe(2);
    // The new key is cached: no more requests for tokens it signed.
    await verifier.verify(fresh.token);
    expect(bundles()).toBe(2);

    const forged = await server.delegate(agent.clientId, {
      overrides: { signWithForeignKey: true },
    });
    await expectTokenError(verifier.verify(forged.token), 'signature', forged.token);
    expect(bundles()).toBe(2);

    clock.advance(29);
    await expectTokenError(verifier.verify(forged.token), 'signature', forged.token);
    expect(bundles()).toBe(2);

    clock.advance(2);
    await expectTokenError(verifier.verify(forged.token), 'signature', forged.token);
    expect(bundles()).toBe(3);
    await expectTokenError(verifier.verify(forged.token), 'signature', forged.token);
    expect(bundles()).toBe(3);
  });

  it('refetches after an unknown kid, rate-limited like a failed signature', async () => {
    const { server, options, bundles } = await start();
    const { agent, delegation } = await server.createDelegatedAgent();
    const verifier = createDelegationTokenVerifier(options);
    await verifier.verify(delegation.token);
    const withKid = await server.delegate(agent.clientId, {
      overrides: { header: { kid: 'not-in-bundle' } },
    });
    await expectTokenError(verifier.verify(withKid.token), 'signature', withKid.token, /kid/);
    await expectTokenError(verifier.verify(withKid.token), 'signature', withKid.token, /kid/);
    expect(bundles()).toBe(2);
  });

  it('does not refetch when the bundle was fetched for this very token', async () => {
    const { server, options, bundles } = await start();
    const { delegation } = await server.createDelegatedAgent({
      overrides: { signWithForeignKey: true },
    });
    await expectTokenError(
      createDelegationTokenVerifier(options).verify(delegation.token),
      'signature',
      delegation.token,
    );
    expect(bundles()).toBe(1);
  });

  it('refreshes an hour-old bundle in the background while its keys keep verifying', async () => {
    const { server, clock, options, bundles } = await start();
    const { delegation } = await server.createDelegatedAgent({ ttlSeconds: 86_400 });
    const verifier = createDelegationTokenVerifier(options);
    await verifier.verify(delegation.token);
    clock.advance(3600);
    await verifier.verify(delegation.token);
    await expect.poll(bundles).toBe(2);
    await verifier.verify(delegation.token);
    expect(bundles()).toBe(2);
  });

  it('answers reason workspace when AuthSec does not know a trusted workspace (404)', async () => {
    const { server, options, bundles } = await start();
    const ws = randomUUID();
    const key = await rsaKey();
    const token = await sign(key, delegationClaims(ws), {});
    const verifier = createDelegationTokenVerifier({
      ...options,
      workspaceId: [server.workspaceId, ws],
      clock: () => NOW_MS,
    });
    const error = await expectTokenError(verifier.verify(token), 'workspace', token, /404/);
    expect({ status: error.status, path: error.path }).toEqual({
      status: 404,
      path: '/authsec/spiresvc/v1/jwt/bundle',
    });
    // The 404 is remembered for a while, so a flood of such tokens stays off AuthSec.
    await expectTokenError(verifier.verify(token), 'workspace', token);
    expect(bundles()).toBe(1);
  });
});

describe('revocation', () => {
  it('sees a revocation only with checkRevocation: local verification cannot', async () => {
    const { server, options, validations } = await start();
    const { agent, delegation } = await server.createDelegatedAgent();
    server.revoke(agent.clientId);
    await expect(
      createDelegationTokenVerifier(options).verify(delegation.token),
    ).resolves.toBeDefined();
    expect(validations()).toBe(0);
    await expectTokenError(
      createDelegationTokenVerifier({ ...options, checkRevocation: true }).verify(delegation.token),
      'revoked',
      delegation.token,
      /revoked/,
    );
    expect(validations()).toBe(1);
  });

  it('caches the answer for 10 s, positive and negative', async () => {
    const { server, clock, options, validations } = await start();
    const { agent, delegation } = await server.createDelegatedAgent();
    const verifier = createDelegationTokenVerifier({ ...options, checkRevocation: true });
    await verifier.verify(delegation.token);
    server.revoke(agent.clientId);
    clock.advance(9);
    await expect(verifier.verify(delegation.token)).resolves.toBeDefined();
    expect(validations()).toBe(1);
    clock.advance(2);
    await expectTokenError(verifier.verify(delegation.token), 'revoked', delegation.token);
    await expectTokenError(verifier.verify(delegation.token), 'revoked', delegation.token);
    expect(validations()).toBe(2);
    clock.advance(11);
    await expectTokenError(verifier.verify(delegation.token), 'revoked', delegation.token);
    expect(validations()).toBe(3);
  });

  it('asks AuthSec only after the local checks pass', async () => {
    const { server, options, validations } = await start();
    const { delegation } = await server.createDelegatedAgent({ permissions: ['read:metrics'] });
    const verifier = createDelegationTokenVerifier({
      ...options,
      checkRevocation: true,
      requiredPermissions: ['read:records'],
    });
    await expectTokenError(verifier.verify(delegation.token), 'permission', delegation.token);
    expect(validations()).toBe(0);
  });
});
