import { describe, expect, it } from 'vitest';
import { MemoryTokenStore } from '../src/token-store.js';

describe('MemoryTokenStore', () => {
  it('returns a stored value until its TTL passes, then undefined', async () => {
    let now = 1_000;
    const store = new MemoryTokenStore({ now: () => now });
    await store.set('k', 'v', 500);
    expect(await store.get('k')).toBe('v');
    now = 1_500;
    expect(await store.get('k')).toBeUndefined();
  });

  it('delete removes an entry and a non-positive TTL stores nothing', async () => {
    const store = new MemoryTokenStore();
    await store.set('a', '1', 60_000);
    await store.delete('a');
    expect(await store.get('a')).toBeUndefined();
    await store.set('b', '2', 0);
    expect(await store.get('b')).toBeUndefined();
  });
});
