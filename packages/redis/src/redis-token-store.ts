// RedisTokenStore: core's TokenStore on Redis (ioredis), with a lock, invalidations and sealed values.

import { randomUUID } from 'node:crypto';
import {
  AuthSecClosedError,
  AuthSecNetworkError,
  AuthSecTimeoutError,
  type Logger,
  type TokenStore,
  type TokenStoreLock,
} from '@authsec/core';
import type { Redis } from 'ioredis';
import { createStoreLogger, type StoreLogger } from './log.js';
import {
  aesGcmSealer,
  decodeKey,
  KEY_HINT,
  plaintextSealer,
  type Sealer,
  throwKeyProblems,
} from './sealing.js';

/** Options for {@link RedisTokenStore}. */
export interface RedisTokenStoreOptions {
  /**
   * An ioredis client. The store runs its commands on it and duplicates it once for pub/sub;
   * `close()` never quits it. Commands must not wait forever: `operationTimeoutMs` bounds each one.
   */
  redis: Redis;
  /**
   * The AES-256-GCM key values are sealed with: 32 random bytes, base64. Env: `AUTHSEC_STORE_KEY`.
   * Required unless `unsafePlaintext` is true.
   */
  key?: string | undefined;
  /**
   * Earlier keys, for rotation: values sealed with any of them are still read; new values are
   * sealed with `key`. Env: `AUTHSEC_STORE_PREVIOUS_KEYS` (comma-separated). @default []
   */
  previousKeys?: readonly string[] | undefined;
  /** Store tokens unencrypted (warns once). Only for a Redis nobody else can read. @default false */
  unsafePlaintext?: boolean | undefined;
  /** Prepended to every Redis key and the invalidation channel. @default 'authsec:' */
  prefix?: string | undefined;
  /**
   * How long the single-flight lock lives when its holder never releases it, in ms.
   * @default about twice the client's total pull time limit (the client passes it)
   */
  lockTtlMs?: number | undefined;
  /** How long a client that finds the lock held waits for the holder's token before pulling itself, in ms. @default 10000 */
  waitTimeoutMs?: number | undefined;
  /** The time limit of each Redis command, in ms; a slower answer counts as Redis being down. @default 1000 */
  operationTimeoutMs?: number | undefined;
  /** Where the store's own warnings go (already redacted). @default console, `[AuthSec SDK]` lines at `warn` */
  logger?: Logger | undefined;
  /** Where `AUTHSEC_STORE_KEY` and `AUTHSEC_STORE_PREVIOUS_KEYS` are read. @default process.env */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

const DEFAULT_PREFIX = 'authsec:';
const DEFAULT_WAIT_TIMEOUT_MS = 10_000;
const DEFAULT_OPERATION_TIMEOUT_MS = 1_000;

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
    const problems: string[] = [];
    const redis = options?.redis as Redis | undefined;
    if (redis === undefined || redis === null || typeof redis.get !== 'function') {
      problems.push('redis is missing: pass `redis`, an ioredis client (`new Redis(url)`)');
    }
    const env = options?.env ?? defaultEnv();
    const plaintext = options?.unsafePlaintext === true;
    let sealer: Sealer | undefined;
    if (plaintext) {
      sealer = plaintextSealer();
    } else {
      const keyText = nonEmpty(options?.key) ?? nonEmpty(env.AUTHSEC_STORE_KEY);
      const keyName = nonEmpty(options?.key) !== undefined ? '`key`' : 'AUTHSEC_STORE_KEY';
      const previousTexts =
        options?.previousKeys !== undefined
          ? [...options.previousKeys]
          : (nonEmpty(env.AUTHSEC_STORE_PREVIOUS_KEYS)?.split(',') ?? []);
      const previousName =
        options?.previousKeys !== undefined ? 'previousKeys' : 'AUTHSEC_STORE_PREVIOUS_KEYS';
      if (keyText === undefined) {
        problems.push(
          `key is missing: pass \`key\` or set AUTHSEC_STORE_KEY (32 random bytes, base64; ${KEY_HINT}), or pass \`unsafePlaintext: true\` to store tokens unencrypted`,
        );
      }
      const current = keyText === undefined ? undefined : decodeKey(keyText, keyName, problems);
      const previous: Uint8Array[] = [];
      previousTexts.forEach((text, index) => {
        if (typeof text !== 'string' || text.trim() === '') return;
        const bytes = decodeKey(text, `${previousName}[${index}]`, problems);
        if (bytes !== undefined) previous.push(bytes);
      });
      if (current !== undefined) sealer = aesGcmSealer(current, previous);
    }
    const prefix = options?.prefix ?? DEFAULT_PREFIX;
    if (typeof prefix !== 'string') problems.push('prefix must be a string');
    const lockTtlMs = checkMs(options?.lockTtlMs, 'lockTtlMs', problems);
    const waitTimeoutMs = checkMs(options?.waitTimeoutMs, 'waitTimeoutMs', problems);
    const operationTimeoutMs = checkMs(options?.operationTimeoutMs, 'operationTimeoutMs', problems);
    if (problems.length > 0 || sealer === undefined || redis === undefined) {
      throwKeyProblems(problems);
    }
    this.#redis = redis;
    this.#sealer = sealer;
    this.#prefix = prefix;
    this.#channel = `${prefix}invalidations`;
    this.#lockTtlMs = lockTtlMs;
    this.waitTimeoutMs = waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    this.#operationTimeoutMs = operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
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

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    const redisKey = this.#dataKey(key);
    if (!(ttlMs > 0)) {
      await this.#run('DEL', () => this.#redis.del(redisKey));
      return;
    }
    const sealed = await this.#sealer.seal(redisKey, value);
    await this.#run('SET', () => this.#redis.set(redisKey, sealed, 'PX', Math.ceil(ttlMs)));
  }

  async delete(key: string): Promise<void> {
    const redisKey = this.#dataKey(key);
    await this.#run('DEL', () => this.#redis.del(redisKey));
  }

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

  async publishInvalidation(key: string): Promise<void> {
    // Listeners in this process hear it now; the echo from Redis is skipped by its origin id.
    this.#notify(key);
    const message = JSON.stringify({ key, from: this.#id });
    await this.#run('PUBLISH', () => this.#redis.publish(this.#channel, message));
  }

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
    const limit = this.#operationTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new AuthSecTimeoutError(`Redis did not answer ${command} within ${limit} ms.`, {
            timeoutMs: limit,
            hint: 'Check that Redis is reachable, or raise operationTimeoutMs.',
          }),
        );
      }, limit);
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(redisFailure(command, error));
        },
      );
    });
  }
}

/**
 * An ioredis error, rebuilt without it: ioredis errors keep the command and its arguments (a
 * sealed token) and the connection options (a password).
 */
function redisFailure(command: string, error: unknown): Error {
  if (error instanceof AuthSecClosedError || error instanceof AuthSecTimeoutError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const name = error instanceof Error ? error.name : 'Error';
  const detail = typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code) ? code : name;
  return new AuthSecNetworkError(`Redis failed on ${command} (${detail}).`, {
    hint: 'Check that Redis is reachable and accepts this client.',
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function checkMs(value: unknown, name: string, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    problems.push(`${name} must be a positive number of milliseconds`);
    return undefined;
  }
  return value;
}

function defaultEnv(): Readonly<Record<string, string | undefined>> {
  return typeof process === 'undefined' ? {} : process.env;
}
