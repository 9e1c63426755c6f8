// The leak finder itself: it catches whole and partial secrets and key shapes, and allows the SDK's redacted previews.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { fingerprint, redact } from '@authsec/core';
import { AuthSecTestServer } from '@authsec/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeak, findLeaks, MIN_LEAK_CHARS, type Secret } from '../support/secrets.js';

let server: AuthSecTestServer;
let token: string;
let jti: string;
let secrets: Secret[];
const storeKey = randomBytes(32).toString('base64');

beforeAll(async () => {
  server = await AuthSecTestServer.start();
  const { delegation } = await server.createDelegatedAgent();
  token = delegation.token;
  jti = delegation.jti;
  secrets = [
    { kind: 'delegation token', value: token },
    { kind: 'AUTHSEC_STORE_KEY', value: storeKey },
  ];
});
afterAll(async () => {
  await server?.close();
});

describe('findLeaks', () => {
  it('finds a whole token, and names it without printing it', () => {
    const leaks = findLeaks(`Authorization: Bearer ${token}\n`, secrets);
    expect(leaks.map((l) => l.kind)).toContain('a whole JWT');
    expect(leaks.some((l) => l.kind.startsWith('delegation token'))).toBe(true);
    expect(() => expectNoLeak('a header line', `Bearer ${token}`, secrets)).toThrow(
      /a header line leaks \d+ secret/,
    );
    try {
      expectNoLeak('a header line', `Bearer ${token}`, secrets);
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(token.slice(0, MIN_LEAK_CHARS));
    }
  });

  it(`finds any ${MIN_LEAK_CHARS}-character run of a token's signature or of a store key`, () => {
    const signature = token.slice(token.lastIndexOf('.') + 1);
    const part = signature.slice(10, 10 + MIN_LEAK_CHARS);
    expect(findLeaks(`sig=${part}`, secrets).map((l) => l.kind)).toEqual([
      `delegation token (${MIN_LEAK_CHARS}+ characters of it)`,
    ]);
    expect(findLeaks(`key ${storeKey.slice(3, 3 + MIN_LEAK_CHARS)}!`, secrets)).toHaveLength(1);
    expect(findLeaks(`sig=${part.slice(1)}`, secrets)).toEqual([]);
  });

  it('allows what the SDK prints by design: the fingerprint, the redaction marker, the jti', () => {
    const printed = [
      fingerprint(token),
      String(redact(`Bearer ${token}`)),
      inspect(redact({ token, accessToken: token })),
      `${token.slice(0, 12)}… (${token.length} chars; never printed whole)`,
      jti,
    ].join('\n');
    expect(findLeaks(printed, secrets)).toEqual([]);
  });

  it('finds a PEM private key and a JWK private exponent, as JSON and as inspect shows them', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const jwk = privateKey.export({ format: 'jwk' });
    expect(findLeaks(pem, []).map((l) => l.kind)).toEqual(['a PEM private key']);
    expect(findLeaks(JSON.stringify({ d: jwk.d }), []).map((l) => l.kind)).toEqual([
      'a JWK private exponent (d)',
    ]);
    expect(findLeaks(inspect({ d: jwk.d }), []).map((l) => l.kind)).toEqual([
      'a JWK private exponent (d)',
    ]);
    expect(findLeaks(JSON.stringify({ p: jwk.p }), []).map((l) => l.kind)).toEqual([
      'a JWK private prime (p, q, dp, dq, qi)',
    ]);
    // The server's public key bundle has no private member.
    const bundle = await (await fetch(server.bundleUrl())).text();
    expect(bundle).toContain('"n":');
    expect(findLeaks(bundle, [])).toEqual([]);
  });
});
