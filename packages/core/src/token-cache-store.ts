// The token cache's path through a shared token store: read it, take its lock (or wait for the
// process holding it), read again, and only then pull, writing the new token back.

import type { SharedPull } from './refresh-policy.js';
import type { TokenStoreLock } from './token-store.js';
import type { StoreLink } from './token-store-link.js';
import type { TokenFacts } from './types.js';

/** What the store path needs from the cache. */
export interface StoreCache {
  /** The token memory holds now. */
  readonly current: TokenFacts | undefined;
  /** Bumped by every invalidation: a token read before one must not be kept after it. */
  generation(): number;
  /** Keeps a token another process stored, if memory was not invalidated since `generation`. */
  adopt(facts: TokenFacts, generation: number): TokenFacts;
  /** Pulls from AuthSec; under `shared`, the token is written to the store before it is served. */
  pull(shared?: SharedPull): Promise<TokenFacts>;
}

/**
 * A token after a memory miss: from the store, from the process pulling right now, or from a pull
 * this process makes under the store's lock.
 * @param link - the shared store
 * @param cache - the memory cache
 * @param rejected - the token a protected API rejected (a forced re-pull), if any
 * @returns the token to serve
 */
export async function pullThroughStore(
  link: StoreLink,
  cache: StoreCache,
  rejected: TokenFacts | undefined,
): Promise<TokenFacts> {
  const previous = cache.current;
  const key = await link.key();
  if (key === undefined) return cache.pull();
  const refused = rejected?.token;
  let generation = cache.generation();
  const found = await link.read(key, refused);
  if (found !== undefined) return cache.adopt(found, generation);
  if (rejected !== undefined) {
    // The shared entry holds the rejected token or nothing: no process may serve it again.
    await link.invalidate(key);
    generation = cache.generation();
  }
  let lock: TokenStoreLock | undefined;
  const got = await link.lock(key);
  if (got === 'held') {
    const outcome = await link.waitForHolder(key, refused);
    if (outcome.kind === 'value') return cache.adopt(outcome.facts, generation);
    if (outcome.kind === 'lock') lock = outcome.lock;
  } else if (got !== 'unsupported') {
    lock = got;
  }
  try {
    if (lock !== undefined) {
      // The holder before us may have stored its token between our read and our lock.
      const late = await link.read(key, refused);
      if (late !== undefined) return cache.adopt(late, generation);
    }
    return await cache.pull({ link, key, previous });
  } finally {
    if (lock !== undefined) await link.release(lock);
  }
}
