// The TokenStore seam: where a cache may share pulled tokens beyond one process (memory by default).

/** One stored entry: the serialized token and when it stops being usable (epoch ms). */
export interface TokenStoreEntry {
  readonly value: string;
  readonly expiresAtMs: number;
}

/**
 * A place the token cache keeps pulled tokens; the in-memory store is the default.
 *
 * @example
 * ```ts
 * const store: TokenStore = new MemoryTokenStore();
 * await store.set('k', 'v', 60_000);
 * ```
 */
export interface TokenStore {
  /** Returns the value under `key`, or `undefined` when missing or expired. */
  get(key: string): Promise<string | undefined>;
  /** Stores `value` under `key` for `ttlMs` milliseconds. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Removes `key`. */
  delete(key: string): Promise<void>;
}

/**
 * The default store: a per-process map whose entries expire with their TTL.
 *
 * @param now - the clock in epoch ms, injectable for tests
 * @example
 * ```ts
 * const store = new MemoryTokenStore();
 * ```
 */
export class MemoryTokenStore implements TokenStore {
  readonly #entries = new Map<string, TokenStoreEntry>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async get(key: string): Promise<string | undefined> {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    if (!(ttlMs > 0)) {
      this.#entries.delete(key);
      return;
    }
    this.#entries.set(key, { value, expiresAtMs: this.#now() + ttlMs });
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }
}
