// The lazy, synchronous Document hash equals the Web Crypto algorithm it replaced, record for record.

import { describe, expect, it } from 'vitest';
import { VOLATILE_METADATA_KEYS } from '../src/metadata-keys.js';
import { canonicalJson, recordToDocument } from '../src/record-document.js';

function slowCanonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    typeof inner === 'object' && inner !== null && !Array.isArray(inner)
      ? Object.fromEntries(
          Object.keys(inner)
            .sort()
            .map((k) => [k, (inner as Record<string, unknown>)[k]]),
        )
      : inner,
  );
}

async function oldHash(text: string, metadata: Record<string, unknown>): Promise<string> {
  const stable = Object.keys(metadata)
    .filter((key) => !VOLATILE_METADATA_KEYS.has(key))
    .sort()
    .map((key) => [key, metadata[key]]);
  const bytes = new Uint8Array(
    await crypto.subtle.digest(
      'SHA-256',
      new TextEncoder().encode(slowCanonicalJson({ text, metadata: stable })),
    ),
  );
  return btoa(String.fromCharCode(...bytes));
}

const mapping = {
  idField: 'id',
  clearanceField: undefined,
  defaultClearance: undefined,
  metadataFields: ['tags', 'owner'],
  toText: undefined,
  toMetadata: undefined,
};
const context = {
  sourceEndpoint: 'secure-vault/records',
  info: { permissions: ['read:records'], mode: 'live', jti: 'j-1' },
  ingestedAt: '2026-12-05T00:00:00.000Z',
} as never;

describe('Document hash', () => {
  it('equals the previous Web Crypto algorithm on 500 varied records', async () => {
    for (let i = 0; i < 500; i++) {
      const record =
        i % 3 === 0
          ? {
              id: i,
              title: `t${i}`,
              body: 'é😀 ✓',
              tags: ['a', i],
              owner: { z: 1, a: { y: 2, b: i } },
            }
          : i % 3 === 1
            ? { z: i, id: `r${i}`, 10: 'n', a: null, clearance: 'internal' }
            : { id: i, nested: [{ b: 1, a: 2 }], owner: 'x', extra: undefined };
      const document = recordToDocument(record, i, mapping, context);
      expect(document.hash).toBe(await oldHash(document.text, document.metadata));
    }
  });

  it('canonicalJson sorts keys whatever their order, and keeps sorted input as it is', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
    expect(canonicalJson({ a: 1, b: [{ c: 1 }] })).toBe('{"a":1,"b":[{"c":1}]}');
    expect(canonicalJson({ b: 1, 2: 'x', 10: 'y' })).toBe(
      slowCanonicalJson({ b: 1, 2: 'x', 10: 'y' }),
    );
    expect(canonicalJson({ at: new Date(0) })).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
  });
});
