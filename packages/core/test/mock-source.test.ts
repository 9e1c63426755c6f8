// Tests for mock mode's token source: contract-shaped RS256 tokens, options, abort, and no key material on show.

import { inspect } from 'node:util';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { AuthSecAbortedError, AuthSecConfigError, isAuthSecError } from '../src/errors.js';
import {
  MOCK_CLIENT_ID,
  MOCK_ISSUER,
  MOCK_WORKSPACE_ID,
  MockTokenSource,
} from '../src/mock-source.js';
import { parseTokenResponse } from '../src/token-response.js';
import { sharedRsaKeyPair } from './keys.js';

const NOW = Date.parse('2026-05-21T07:00:00.750Z');
const NOW_SECONDS = Math.floor(NOW / 1000);
const SUBJECT = `${MOCK_ISSUER}/ns/default/sa/ai-agent`;

describe('MockTokenSource', () => {
  it('mints an RS256 JWT with the contract header: alg RS256, typ JWT, no kid', async () => {
    const { token } = await new MockTokenSource().fetchToken();
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'JWT' });
    // A 2048-bit RSA signature is 256 bytes.
    expect(Buffer.from(token.split('.')[2] ?? '', 'base64url')).toHaveLength(256);
  });

  it('mints the contract claim shape, plainly marked as mock', async () => {
    const { token } = await new MockTokenSource({ now: () => NOW }).fetchToken();
    const claims = decodeJwt(token);
    expect(claims).toEqual({
      iss: MOCK_ISSUER,
      sub: SUBJECT,
      aud: ['authsec-api'],
      iat: NOW_SECONDS,
      nbf: NOW_SECONDS,
      exp: NOW_SECONDS + 3600,
      jti: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
      permissions: ['read:records', 'read:metrics', 'billing:read'],
      client_id: MOCK_CLIENT_ID,
      agent_type: 'mock',
      workspace_id: MOCK_WORKSPACE_ID,
      mock: true,
    });
  });

  it('returns frozen facts with mode mock that match the claims', async () => {
    const facts = await new MockTokenSource({ now: () => NOW }).fetchToken();
    const claims = decodeJwt(facts.token);
    expect(facts).toEqual({
      token: facts.token,
      expiresAt: new Date((NOW_SECONDS + 3600) * 1000),
      permissions: ['read:records', 'read:metrics', 'billing:read'],
      audience: ['authsec-api'],
      spiffeId: SUBJECT,
      clientId: MOCK_CLIENT_ID,
      workspaceId: MOCK_WORKSPACE_ID,
      jti: claims.jti,
      mode: 'mock',
    });
    expect(Object.isFrozen(facts)).toBe(true);
    expect(Object.isFrozen(facts.permissions)).toBe(true);
    expect(Object.isFrozen(facts.audience)).toBe(true);
  });

  it('has mode mock before any token is fetched', () => {
    expect(new MockTokenSource().mode).toBe('mock');
  });

  it('mints tokens that pass the live checks for their client id', async () => {
    const facts = await new MockTokenSource({ now: () => NOW }).fetchToken();
    const live = parseTokenResponse({ token: facts.token }, { clientId: MOCK_CLIENT_ID, now: NOW });
    expect(live.expiresAt).toEqual(facts.expiresAt);
    expect(live.mode).toBe('live');
  });

  it('signs with its own key: verifying against a different RS256 key fails', async () => {
    const { token } = await new MockTokenSource().fetchToken();
    const other = await sharedRsaKeyPair();
    await expect(
      jwtVerify(token, other.publicKey, { algorithms: ['RS256'] }),
    ).rejects.toBeInstanceOf(joseErrors.JWSSignatureVerificationFailed);
    expect(decodeJwt(token).iss).toBe(MOCK_ISSUER);
  });

  it('gives every call a new jti and a new token', async () => {
    const source = new MockTokenSource({ now: () => NOW });
    const results = await Promise.all([
      source.fetchToken(),
      source.fetchToken(),
      source.fetchToken(),
    ]);
    const jtis = new Set(results.map((r) => r.jti));
    expect(jtis.size).toBe(3);
    expect(new Set(results.map((r) => r.token)).size).toBe(3);
    for (const r of results) expect(decodeJwt(r.token).jti).toBe(r.jti);
  });

  it('uses ttlSeconds for exp and expiresAt, from the injected clock', async () => {
    let now = NOW;
    const source = new MockTokenSource({ ttlSeconds: 900, now: () => now });
    const first = await source.fetchToken();
    const claims = decodeJwt(first.token);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(900);
    expect(first.expiresAt.getTime()).toBe((NOW_SECONDS + 900) * 1000);
    now += 60_000;
    const second = await source.fetchToken();
    expect(second.expiresAt.getTime()).toBe((NOW_SECONDS + 60 + 900) * 1000);
  });

  it('accepts the lifetime bounds, 1 s and 24 h', async () => {
    const short = await new MockTokenSource({ ttlSeconds: 1, now: () => NOW }).fetchToken();
    expect(short.expiresAt.getTime()).toBe((NOW_SECONDS + 1) * 1000);
    const long = await new MockTokenSource({ ttlSeconds: 86_400, now: () => NOW }).fetchToken();
    expect(long.expiresAt.getTime()).toBe((NOW_SECONDS + 86_400) * 1000);
  });

  it.each([0, -1, 1.5, 86_401, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses ttlSeconds %s with AuthSecConfigError naming the option',
    (ttlSeconds) => {
      let caught: unknown;
      try {
        new MockTokenSource({ ttlSeconds });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(AuthSecConfigError);
      expect((caught as AuthSecConfigError).code).toBe('ERR_AUTHSEC_CONFIG');
      expect((caught as AuthSecConfigError).message).toMatch(/ttlSeconds/);
    },
  );

  it('uses the permissions, audience and clientId options in claims and facts', async () => {
    const clientId = '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11';
    const facts = await new MockTokenSource({
      clientId,
      permissions: ['read:metrics'],
      audience: ['authsec-api', 'demo-api'],
    }).fetchToken();
    const claims = decodeJwt(facts.token);
    expect(claims.permissions).toEqual(['read:metrics']);
    expect(claims.aud).toEqual(['authsec-api', 'demo-api']);
    expect(claims.client_id).toBe(clientId);
    expect(facts.permissions).toEqual(['read:metrics']);
    expect(facts.audience).toEqual(['authsec-api', 'demo-api']);
    expect(facts.clientId).toBe(clientId);
  });

  it('gives empty permissions when asked for none', async () => {
    const facts = await new MockTokenSource({ permissions: [] }).fetchToken();
    expect(decodeJwt(facts.token).permissions).toEqual([]);
    expect(facts.permissions).toEqual([]);
  });

  it('copies option arrays, so later changes by the caller do not leak into tokens', async () => {
    const permissions = ['read:records'];
    const source = new MockTokenSource({ permissions });
    permissions.push('admin:everything');
    expect((await source.fetchToken()).permissions).toEqual(['read:records']);
  });

  it('rejects with AuthSecAbortedError when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('caller gave up'));
    const error = await new MockTokenSource()
      .fetchToken({ signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthSecAbortedError);
    expect(isAuthSecError(error)).toBe(true);
    expect((error as AuthSecAbortedError).code).toBe('ERR_AUTHSEC_ABORTED');
    expect((error as AuthSecAbortedError).message).toMatch(/aborted/);
    expect((error as AuthSecAbortedError).cause).toBe(controller.signal.reason);
  });

  it('rejects with AuthSecAbortedError when aborted while the key is being generated', async () => {
    const controller = new AbortController();
    const pending = new MockTokenSource().fetchToken({ signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AuthSecAbortedError);
  });

  it('still mints after an aborted call', async () => {
    const source = new MockTokenSource();
    const controller = new AbortController();
    const aborted = source.fetchToken({ signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(AuthSecAbortedError);
    const facts = await source.fetchToken({ signal: new AbortController().signal });
    expect(facts.mode).toBe('mock');
  });

  it('shows only { mode, issuer } to JSON.stringify and util.inspect, before and after minting', async () => {
    const source = new MockTokenSource({ clientId: '6f1c9a52-3e0a-4d8e-9b57-2a1f0e6c8d11' });
    const summary = { mode: 'mock', issuer: MOCK_ISSUER };
    expect(JSON.parse(JSON.stringify(source))).toEqual(summary);
    await source.fetchToken();
    expect(JSON.parse(JSON.stringify(source))).toEqual(summary);
    const shown = inspect(source, { depth: 10, showHidden: true });
    expect(shown).toBe(inspect(summary));
    for (const leak of ['CryptoKey', 'privateKey', 'RSASSA', 'kty', '6f1c9a52']) {
      expect(shown).not.toContain(leak);
    }
    expect(Object.keys(source)).toEqual(['mode']);
  });
});
