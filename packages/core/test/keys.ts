// The run's shared RS256 key pairs (made once in global-setup.ts), for tests that sign tokens.

import { importJWK, type JWK } from 'jose';
import { inject } from 'vitest';

export interface SharedKeyPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public half as a JWK, without `kid`, `use` or `alg`. */
  publicJwk: JWK;
}

let next = 0;

/**
 * A key pair from the run's pool: each call in a file returns the next one, so two calls give two
 * different keys (the pool holds three).
 */
export async function sharedRsaKeyPair(): Promise<SharedKeyPair> {
  const pool = inject('rsaKeys');
  const entry = pool[next++ % pool.length];
  if (!entry) throw new Error('the RS256 key pool is empty: is test/global-setup.ts configured?');
  const [privateKey, publicKey] = await Promise.all([
    importJWK(entry.privateJwk, 'RS256', { extractable: true }),
    importJWK(entry.publicJwk, 'RS256', { extractable: true }),
  ]);
  return {
    privateKey: privateKey as CryptoKey,
    publicKey: publicKey as CryptoKey,
    publicJwk: { ...entry.publicJwk },
  };
}
