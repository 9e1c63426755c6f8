// Proves core's own base64url and JWT segment decoding agree with jose's, byte for byte, and refuse
// what is not base64url JSON without throwing.

import { base64url } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  base64urlDecode,
  base64urlEncode,
  isPlainObject,
  segmentJson,
} from '../src/jwt-segments.js';

/** Every length from 0 to 70 bytes (all three padding cases), each byte value present. */
const SAMPLES = Array.from({ length: 71 }, (_, length) =>
  Uint8Array.from({ length }, (_, i) => (i * 37 + length * 11) % 256),
);

describe('base64urlEncode / base64urlDecode', () => {
  it('encode bytes exactly as jose does (unpadded, - and _)', () => {
    for (const bytes of SAMPLES) expect(base64urlEncode(bytes)).toBe(base64url.encode(bytes));
    expect(base64urlEncode(Uint8Array.of(0xfb, 0xff, 0xbf))).toBe('-_-_');
  });

  it('encode a string as its UTF-8, as jose does', () => {
    for (const text of ['', '{"alg":"RS256"}', 'ünïcödé ✓ 🔑', '{"jti":"a/b+c"}']) {
      expect(base64urlEncode(text)).toBe(base64url.encode(text));
    }
  });

  it('decode what jose encodes back to the same bytes, padded or not', () => {
    for (const bytes of SAMPLES) {
      const text = base64url.encode(bytes);
      expect(base64urlDecode(text)).toEqual(bytes);
      expect(base64urlDecode(text.padEnd(Math.ceil(text.length / 4) * 4, '='))).toEqual(bytes);
    }
  });

  it('decode throws on text that is not base64 (a length of 4n+1, a stray character)', () => {
    expect(() => base64urlDecode('abcde')).toThrow();
    expect(() => base64urlDecode('ab$d')).toThrow();
  });
});

describe('segmentJson', () => {
  const encode = (value: unknown) => base64url.encode(JSON.stringify(value));

  it('returns the JSON object a segment encodes', () => {
    expect(segmentJson(encode({ alg: 'RS256', kid: 'k1' }))).toEqual({ alg: 'RS256', kid: 'k1' });
    expect(segmentJson(encode({ jti: 'ünï ✓' }))).toEqual({ jti: 'ünï ✓' });
  });

  it('returns undefined, never throws, for anything that is not a base64url JSON object', () => {
    const invalidUtf8 = base64url.encode(Uint8Array.of(0x7b, 0x22, 0xff, 0x22, 0x7d));
    for (const segment of [
      undefined,
      '',
      encode([1, 2]),
      encode('text'),
      encode(null),
      base64url.encode('not json'),
      invalidUtf8,
      `${encode({ a: 1 })}=`,
      'abcde',
      'a.b',
      'eyJ hbGc',
    ]) {
      expect(segmentJson(segment), String(segment)).toBeUndefined();
    }
  });
});

describe('isPlainObject', () => {
  it('is true for objects, false for arrays, null and primitives', () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
    for (const value of [[], null, undefined, 'x', 1, true])
      expect(isPlainObject(value)).toBe(false);
  });
});
