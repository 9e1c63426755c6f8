// The TokenStore seam: where a cache may share pulled tokens beyond one process (memory by default).

/** One stored entry: the serialized token and when it stops being usable (epoch ms). */
export interface TokenStoreEntry {
  readonly value: string;
  readonly expiresAtMs: number;
}

/**
 * A held cross-process lock; release it once the work it guards is done.
 *
 * @example
 * ```ts
 * const lock = await store.acquireLock?.('k', 60_000);
 * try {
 *   // pull, then store.set(…)
 * } finally {
 *   await lock?.release();
 * }
 * ```
 */
export interface TokenStoreLock {
  /** Lets go of the lock, only if this holder still owns it; never throws for a lock already gone. */
  release(): Promise<void>;
}

/**
 * Where the token cache shares pulled tokens. The client consults it after its in-memory copy and
 * before a pull: memory → `get` → (`acquireLock` → pull → `set` → `release`, or wait for the
 * holder's value) → pull. The in-memory {@link MemoryTokenStore} is the default; `@authsec/redis`
 * shares tokens between processes.
 *
 * Keys are derived by the client (base URL, client id and a SHA-256 fingerprint of the session
 * credential when one is used, never the credential itself); values are serialized token facts,
 * so they hold the token: a store that leaves the process must protect them (`@authsec/redis`
 * encrypts them).
 *
 * A store may throw or reject: the client then logs one warning per outage and behaves as a
 * process without a store until a later call succeeds.
 *
 * @example
 * ```ts
 * import { AuthSecClient, MemoryTokenStore } from '@authsec/core';
 *
 * const store = new MemoryTokenStore();
 * const client = new AuthSecClient({ baseUrl: 'https://prod.api.authsec.ai', clientId: '…', store });
 * ```
 */
export interface TokenStore {
  /**
   * The value under `key`, or `undefined` when missing, expired or unreadable.
   * @param key - the client's store key
   * @returns the stored value, if any
   */
  get(key: string): Promise<string | undefined>;
  /**
   * Stores `value` under `key` for `ttlMs` milliseconds; a TTL of 0 or less stores nothing.
   * @param key - the client's store key
   * @param value - the serialized token facts
   * @param ttlMs - how long the value may be read: the token's life minus the refresh margin
   */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /**
   * Removes `key`.
   * @param key - the client's store key
   */
  delete(key: string): Promise<void>;
  /**
   * Optional cross-process single flight.
   * @param key - the client's store key (the store names its own lock from it)
   * @param ttlMs - how long the lock lives if its holder never releases it
   * @returns a lock, or `undefined` when another holder has it
   */
  acquireLock?(key: string, ttlMs: number): Promise<TokenStoreLock | undefined>;
  /**
   * Optional: tell every process that `key` is no longer valid.
   * @param key - the client's store key
   */
  publishInvalidation?(key: string): Promise<void>;
  /**
   * Optional: be told of invalidations published elsewhere.
   * @param listener - called with the invalidated key
   * @returns a function that unsubscribes `listener`
   */
  onInvalidation?(listener: (key: string) => void): () => void;
  /**
   * Optional: how long a client that found the lock held waits for the holder's value before
   * pulling itself, in milliseconds. The client's default is its `totalTimeoutMs`.
   */
  readonly waitTimeoutMs?: number | undefined;
}

/**
 * The default store: a per-process map whose entries expire with their TTL, with an in-process
 * lock and invalidation, so several clients sharing one instance share one pull.
 *
 * @example
 * ```ts
 * import { MemoryTokenStore } from '@authsec/core';
 *
 * const store = new MemoryTokenStore();
 * await store.set('k', 'v', 60_000);
 * await store.get('k'); // 'v'
 * ```
 */
export class MemoryTokenStore implements TokenStore {
  readonly #entries = new Map<string, TokenStoreEntry>();
  readonly #locks = new Map<string, { owner: object; expiresAtMs: number }>();
  readonly #listeners = new Set<(key: string) => void>();
  readonly #now: () => number;

  /**
   * @param options - `now`: the clock in epoch ms, injectable for tests (default `Date.now`)
   */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** @returns the value under `key`, or `undefined` when missing or expired */
  async get(key: string): Promise<string | undefined> {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Stores `value` for `ttlMs` ms; a TTL of 0 or less removes `key` instead. */
  async set(key: string, value: string, ttlMs: number): Promise<void> {
    if (!(ttlMs > 0)) {
      this.#entries.delete(key);
      return;
    }
    this.#entries.set(key, { value, expiresAtMs: this.#now() + ttlMs });
  }

  /** Removes `key`. */
  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  /** @returns a lock held for `ttlMs` ms at most, or `undefined` while another holder has it */
  async acquireLock(key: string, ttlMs: number): Promise<TokenStoreLock | undefined> {
    const now = this.#now();
    const held = this.#locks.get(key);
    if (held !== undefined && held.expiresAtMs > now) return undefined;
    const owner = {};
    this.#locks.set(key, { owner, expiresAtMs: now + Math.max(1, ttlMs) });
    return {
      release: async () => {
        // Compare-and-delete: a lock that expired and was taken by another holder stays theirs.
        if (this.#locks.get(key)?.owner === owner) this.#locks.delete(key);
      },
    };
  }

  /** Calls every listener of this store with `key`, at once. */
  async publishInvalidation(key: string): Promise<void> {
    for (const listener of [...this.#listeners]) {
      try {
        listener(key);
      } catch {
        // One listener's failure must not keep the others from hearing of it.
      }
    }
  }

  /** @returns a function that removes `listener` */
  onInvalidation(listener: (key: string) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}
