// RedisTokenStore: core's TokenStore on Redis (ioredis), with a lock, invalidations and sealed values.

import { randomUUID } from 'node:crypto';
import { AuthSecClosedError, type TokenStore, type TokenStoreLock } from '@authsec/core';
import type { Redis } from 'ioredis';
import { bounded } from './bounded.js';
import { createStoreLogger, type StoreLogger } from './log.js';
import { KEY_HINT, type Sealer } from './sealing.js';
import { type RedisTokenStoreOptions, resolveStoreOptions } from './store-options.js';

export type { RedisTokenStoreOptions };

// Deletes the lock only while it still holds this holder's token: an expired lock taken over by
// another process stays theirs.
const RELEASE_SCRIPT =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/**
 * Shares AuthSec delegation tokens between processes through Redis: one pull per refresh for a
 * fleet, revocations seen by every process, tokens sealed with AES-GCM at rest.
 *
 * @example
 * ```ts
 * import { AuthSecClient } from '@authsec/core';
 * import { RedisTokenStore } from '@authsec/redis';
 * import { Redis } from 'ioredis';
 *
 * const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
 * const store = new RedisTokenStore({ redis }); // key from AUTHSEC_STORE_KEY
 * const client = new AuthSecClient({ store });
 * ```
 */
export class RedisTokenStore implements TokenStore {
  readonly #redis: Redis;
  readonly #sealer: Sealer;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #lockTtlMs: number | undefined;
  readonly #operationTimeoutMs: number;
  readonly #log: StoreLogger;
  /** Tells this instance's own messages apart from other processes'. */
  readonly #id = randomUUID();
  readonly #listeners = new Set<(key: string) => void>();
  #subscriber: Redis | undefined;
  #errorListener: ((error: unknown) => void) | undefined;
  #closed = false;
  #unreadableWarned = false;

  /** How long a client waits for another holder's token before pulling itself, in ms. */
  readonly waitTimeoutMs: number;

  /**
   * Checks the options and the key; connects nothing (the pub/sub connection opens on the first
   * `onInvalidation`).
   * @param options - see {@link RedisTokenStoreOptions}
   * @throws AuthSecConfigError when `redis` is missing, or the key is missing or not 32 bytes of base64
   */
  constructor(options: RedisTokenStoreOptions) {
    const resolved = resolveStoreOptions(options);
    const { redis, sealer, prefix, plaintext } = resolved;
    this.#redis = redis;
    this.#sealer = sealer;
    this.#prefix = prefix;
    this.#channel = `${prefix}invalidations`;
    this.#lockTtlMs = resolved.lockTtlMs;
    this.waitTimeoutMs = resolved.waitTimeoutMs;
    this.#operationTimeoutMs = resolved.operationTimeoutMs;
    this.#log = createStoreLogger(options.logger);
    if (plaintext) {
      this.#log.warn(
        'RedisTokenStore stores delegation tokens UNENCRYPTED (unsafePlaintext: true): anyone who can read this Redis can use them.',
        { hint: `Set AUTHSEC_STORE_KEY (${KEY_HINT}) and drop unsafePlaintext.` },
      );
    }
    // Without a listener, ioredis prints every connection error: one line per retry is the error
    // storm a Redis outage must not cause. The client reports the outage once instead.
    if (redis.listenerCount('error') === 0) {
      this.#errorListener = () => undefined;
      redis.on('error', this.#errorListener);
    }
  }

  /**
   * The value under `key`, opened with `key` or a previous key.
   * @param key - the client's store key (the prefix is added here)
   * @returns the value, or `undefined` when missing or when no key opens it (warned once)
   * @throws AuthSecTimeoutError, AuthSecNetworkError, AuthSecClosedError
   */
  async get(key: string): Promise<string | undefined> {
    const redisKey = this.#dataKey(key);
    const stored = await this.#run('GET', () => this.#redis.get(redisKey));
    if (stored === null) return undefined;
    const value = await this.#sealer.open(redisKey, stored);
    if (value === undefined) {
      // Another key, a tampered or moved value, or a plaintext/sealed mismatch: a miss, told once.
      if (!this.#unreadableWarned) {
        this.#unreadableWarned = true;
        this.#log.warn(
          'RedisTokenStore could not open a stored token (sealed with another key, moved between keys, or written in another mode): treating it as a miss.',
          {
            hint: 'Give every process the same AUTHSEC_STORE_KEY; during a rotation list the old key in previousKeys.',
          },
        );
      }
      return undefined;
    }
    this.#unreadableWarned = false;
    return value;
  }

  /**
   * Seals `value` and stores it with `PX ttlMs`; a TTL of 0 or less deletes the key instead.
   * @param key - the client's store key
   * @param value - the serialized token facts
   * @param ttlMs - the entry's life in milliseconds
   * @throws AuthSecTimeoutError, AuthSecNetworkError, AuthSecClosedError
   */
  async set(key: string, value: string, ttlMs: number): Promise<void> {
    const redisKey = this.#dataKey(key);
    if (!(ttlMs > 0)) {
      await this.#run('DEL', () => this.#redis.del(redisKey));
      return;
    }
    const sealed = await this.#sealer.seal(redisKey, value);
    await this.#run('SET', () => this.#redis.set(redisKey, sealed, 'PX', Math.ceil(ttlMs)));
  }

  /**
   * Deletes the entry.
   * @param key - the client's store key
   * @throws AuthSecTimeoutError, AuthSecNetworkError, AuthSecClosedError
   */
  async delete(key: string): Promise<void> {
    const redisKey = this.#dataKey(key);
    await this.#run('DEL', () => this.#redis.del(redisKey));
  }

  /**
   * `SET <prefix>lock:<key> <random owner> NX PX <lockTtlMs ?? ttlMs>`.
   * @param key - the client's store key
   * @param ttlMs - the lock's life if never released (`lockTtlMs` overrides it)
   * @returns a lock whose `release()` deletes it only while it still holds this owner, or
   *   `undefined` when another holder has it
   * @throws AuthSecTimeoutError, AuthSecNetworkError, AuthSecClosedError
   */
  async acquireLock(key: string, ttlMs: number): Promise<TokenStoreLock | undefined> {
    const lockKey = `${this.#prefix}lock:${key}`;
    const owner = randomUUID();
    const px = Math.max(1, Math.ceil(this.#lockTtlMs ?? ttlMs));
    const answer = await this.#run('SET NX', () => this.#redis.set(lockKey, owner, 'PX', px, 'NX'));
    if (answer !== 'OK') return undefined;
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        await this.#run('EVAL', () => this.#redis.eval(RELEASE_SCRIPT, 1, lockKey, owner));
      },
    };
  }

  /**
   * Tells this store's listeners at once, and every other store through `<prefix>invalidations`.
   * @param key - the client's store key
   * @throws AuthSecTimeoutError, AuthSecNetworkError, AuthSecClosedError
   */
  async publishInvalidation(key: string): Promise<void> {
    // Listeners in this process hear it now; the echo from Redis is skipped by its origin id.
    this.#notify(key);
    const message = JSON.stringify({ key, from: this.#id });
    await this.#run('PUBLISH', () => this.#redis.publish(this.#channel, message));
  }

  /**
   * Listens for invalidations from other stores (and this one's own); opens the pub/sub
   * connection on first use.
   * @param listener - called with the invalidated key
   * @returns the unsubscribe function
   * @throws AuthSecClosedError after `close()`
   */
  onInvalidation(listener: (key: string) => void): () => void {
    if (this.#closed) throw new AuthSecClosedError('The RedisTokenStore is closed.');
    this.#listeners.add(listener);
    this.#subscribe();
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Unsubscribes and quits the store's own pub/sub connection; the `redis` client passed in stays
   * open (it is the caller's). Later calls reject with AuthSecClosedError.
   * @returns once the pub/sub connection is closed
   * @example
   * ```ts
   * await store.close();
   * await redis.quit();
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    if (this.#errorListener !== undefined) {
      this.#redis.off('error', this.#errorListener);
      this.#errorListener = undefined;
    }
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    if (subscriber === undefined) return;
    try {
      await this.#bounded('QUIT', subscriber.quit());
    } catch {
      // Down or slow: drop the connection instead of waiting for it.
    }
    subscriber.disconnect();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** A summary without any key material. */
  toJSON(): Record<string, unknown> {
    return {
      prefix: this.#prefix,
      encrypted: this.#sealer.encrypted,
      previousKeys: this.#sealer.previousKeyCount,
      lockTtlMs: this.#lockTtlMs ?? 'from the client',
      waitTimeoutMs: this.waitTimeoutMs,
      operationTimeoutMs: this.#operationTimeoutMs,
      subscribed: this.#subscriber !== undefined,
      closed: this.#closed,
    };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /** The same summary as text. */
  toString(): string {
    return `RedisTokenStore ${JSON.stringify(this.toJSON())}`;
  }

  #dataKey(key: string): string {
    return `${this.#prefix}${key}`;
  }

  #notify(key: string): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(key);
      } catch {
        // One listener's failure must not keep the others from hearing of it.
      }
    }
  }

  #subscribe(): void {
    if (this.#subscriber !== undefined) return;
    // Its own connection: a subscribed connection can run no other command. Queued until it
    // connects, and subscribed again after every reconnect.
    const subscriber = this.#redis.duplicate({
      enableOfflineQueue: true,
      autoResubscribe: false,
      lazyConnect: false,
    });
    this.#subscriber = subscriber;
    subscriber.on('error', () => undefined);
    subscriber.on('ready', () => {
      subscriber.subscribe(this.#channel).catch(() => undefined);
    });
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.#channel) return;
      let parsed: { key?: unknown; from?: unknown };
      try {
        parsed = JSON.parse(message) as { key?: unknown; from?: unknown };
      } catch {
        return;
      }
      if (typeof parsed.key !== 'string' || parsed.from === this.#id) return;
      this.#notify(parsed.key);
    });
  }

  async #run<T>(command: string, run: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new AuthSecClosedError('The RedisTokenStore is closed.');
    return this.#bounded(command, run());
  }

  #bounded<T>(command: string, work: Promise<T>): Promise<T> {
    return bounded(command, work, this.#operationTimeoutMs);
  }
}
