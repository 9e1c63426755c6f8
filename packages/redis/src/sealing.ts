// Tokens at rest: AES-256-GCM with Web Crypto, a random 96-bit IV per write, the Redis key as AAD.

import { AuthSecConfigError } from '@authsec/core';

/** Marks a value sealed with AES-GCM; the format version lets a later one read old values. */
const SEALED = 'aesgcm1:';
/** Marks a value written with `unsafePlaintext: true`. */
const PLAIN = 'plain1:';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const BASE64_RE = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** How stored values are protected: sealed with keys, or (only when asked for) plain text. */
export interface Sealer {
  readonly encrypted: boolean;
  /** How many earlier keys can still read values. */
  readonly previousKeyCount: number;
  seal(redisKey: string, value: string): Promise<string>;
  /** The value, or `undefined` when no key opens it (or its kind does not match this sealer). */
  open(redisKey: string, stored: string): Promise<string | undefined>;
}

/**
 * Decodes a base64 (or base64url) 32-byte key, or explains what is wrong, never quoting the value.
 * @param raw - the key as given
 * @param name - how the problem names it: `key`, `previousKeys[1]`, `AUTHSEC_STORE_KEY`
 * @param problems - where a problem is added
 */
export function decodeKey(raw: string, name: string, problems: string[]): Uint8Array | undefined {
  const text = raw.trim();
  if (!BASE64_RE.test(text)) {
    problems.push(`${name} is not base64: ${KEY_HINT}`);
    return undefined;
  }
  const bytes = new Uint8Array(Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
  if (bytes.length !== KEY_BYTES) {
    problems.push(`${name} must decode to ${KEY_BYTES} bytes (got ${bytes.length}): ${KEY_HINT}`);
    return undefined;
  }
  return bytes;
}

/** How to make a key: every problem message ends with it. */
export const KEY_HINT =
  'generate one with `openssl rand -base64 32` (or `node -e "console.log(crypto.randomBytes(32).toString(\'base64\'))"`)';

/** The plaintext sealer of `unsafePlaintext: true`; it refuses sealed values rather than guess. */
export function plaintextSealer(): Sealer {
  return {
    encrypted: false,
    previousKeyCount: 0,
    seal: async (_redisKey, value) => `${PLAIN}${value}`,
    open: async (_redisKey, stored) =>
      stored.startsWith(PLAIN) ? stored.slice(PLAIN.length) : undefined,
  };
}

/**
 * The AES-GCM sealer: writes with `current`, reads with it or any of `previous`. Plain values are
 * refused, so nobody who can write to Redis can plant a token without a key.
 * @param current - the 32-byte key new values are sealed with
 * @param previous - earlier keys, still accepted for reading during a rotation
 */
export function aesGcmSealer(current: Uint8Array, previous: readonly Uint8Array[]): Sealer {
  const importKey = (bytes: Uint8Array) =>
    globalThis.crypto.subtle.importKey('raw', bytes as BufferSource, 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]);
  // Imported once, lazily: CryptoKeys are not extractable, so the bytes are dropped after this.
  let keys: Promise<CryptoKey[]> | undefined;
  const loaded = () => {
    keys ??= Promise.all([current, ...previous].map(importKey));
    return keys;
  };
  const encoder = new TextEncoder();
  return {
    encrypted: true,
    previousKeyCount: previous.length,
    async seal(redisKey, value) {
      const [key] = await loaded();
      const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const sealed = await globalThis.crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: encoder.encode(redisKey) },
        key as CryptoKey,
        encoder.encode(value),
      );
      return `${SEALED}${toBase64(iv)}.${toBase64(new Uint8Array(sealed))}`;
    },
    async open(redisKey, stored) {
      if (!stored.startsWith(SEALED)) return undefined;
      const [ivText, dataText, extra] = stored.slice(SEALED.length).split('.');
      if (ivText === undefined || dataText === undefined || extra !== undefined) return undefined;
      const iv = fromBase64(ivText);
      const data = fromBase64(dataText);
      if (iv.length !== IV_BYTES) return undefined;
      const additionalData = encoder.encode(redisKey);
      for (const key of await loaded()) {
        try {
          const plain = await globalThis.crypto.subtle.decrypt(
            { name: 'AES-GCM', iv: iv as BufferSource, additionalData },
            key,
            data as BufferSource,
          );
          return new TextDecoder().decode(plain);
        } catch {
          // Not this key (or tampered with, or moved from another Redis key): try the next one.
        }
      }
      return undefined;
    },
  };
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

function fromBase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

/** Throws the one configuration error for every key problem. */
export function throwKeyProblems(problems: readonly string[]): never {
  throw AuthSecConfigError.fromProblems(problems);
}
