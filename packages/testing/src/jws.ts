// Signs compact JWS tokens by hand so tests can give a token any header (another alg, a kid, none).

import { exportJWK, generateKeyPair, type JWK } from 'jose';
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
   * Signs `payload` under `header` with RSASSA-PKCS1-v1_5 SHA-256, whatever `header.alg` says,
   * except `alg: 'none'`, which yields an empty signature.
   */
  async sign(header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string> {
    const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
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
