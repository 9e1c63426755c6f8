// Generated once per run, before any test file: the RS256 key pairs tests sign with. RSA key
// generation is the slowest honest step of many files' set-up (and slower still on a busy
// machine), so no file makes its own.

import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { TestProject } from 'vitest/node';

/** How many distinct key pairs the pool holds: enough for a file that needs "another key". */
const POOL_SIZE = 3;

export default async function setup(project: TestProject): Promise<void> {
  const keys = await Promise.all(
    Array.from({ length: POOL_SIZE }, async () => {
      const { privateKey, publicKey } = await generateKeyPair('RS256', {
        modulusLength: 2048,
        extractable: true,
      });
      return { privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
    }),
  );
  project.provide('rsaKeys', keys);
}

declare module 'vitest' {
  export interface ProvidedContext {
    rsaKeys: { privateJwk: JWK; publicJwk: JWK }[];
  }
}
