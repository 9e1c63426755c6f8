// Signs compact JWS tokens: RS256 with jose, anything else by hand so tests can name another alg or none.

import { CompactSign, exportJWK, generateKeyPair, type JWK, type JWSHeaderParameters } from 'jose';
import { base64url } from './encoding.js';

/** An RS256 key pair whose private half never leaves this module's objects. */
export class SigningKey {
  readonly #privateKey: CryptoKey;
  readonly publicJwk: Readonly<JWK>;

  private constructor(privateKey: CryptoKey, publicJwk: JWK) {
    this.#privateKey = privateKey;
    this.publicJwk = Object.freeze(publicJwk);
  }

  /** Generates a fresh 2048-bit RSA key pair; `kid` is what the bundle advertises. */
  static async generate(kid = 'default'): Promise<SigningKey> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', {
      modulusLength: 2048,
      extractable: false,
    });
    const { n, e } = await exportJWK(publicKey);
    if (!n || !e) throw new Error('RSA key export gave no modulus or exponent');
    return new SigningKey(privateKey, { kty: 'RSA', use: 'sig', kid, alg: 'RS256', n, e });
  }

  /**
   * Signs `payload` under `header`. An `RS256` header is signed with jose; any other `alg` is
   * still signed with this RSA key (RSASSA-PKCS1-v1_5 SHA-256), so the header lies about the
   * algorithm, and `alg: 'none'` yields an empty signature: the tokens a verifier must refuse.
   */
  async sign(header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> {
    const claims = new TextEncoder().encode(JSON.stringify(payload));
    if (header.alg === 'RS256') {
      return new CompactSign(claims)
        .setProtectedHeader(header as JWSHeaderParameters & { alg: 'RS256' })
        .sign(this.#privateKey);
    }
    const input = `${base64url(JSON.stringify(header))}.${base64url(claims)}`;
    if (header.alg === 'none') return `${input}.`;
    const signature = await crypto.subtle.sign(
      'RSASSA-PKCS1-v1_5',
      this.#privateKey,
      new TextEncoder().encode(input),
    );
    return `${input}.${base64url(new Uint8Array(signature))}`;
  }

  toJSON(): Readonly<JWK> {
    return this.publicJwk;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SigningKey { kid: '${this.publicJwk.kid}', public only }`;
  }
}
