// The token cache's side of a shared TokenStore: bounded calls, one warning per outage, locking.

import { raceAbort, signalScope } from './abort.js';
import type { SdkLogger } from './logger.js';
import { parseStoredToken, serializeTokenFacts } from './shared-token.js';
import type { TokenStore, TokenStoreLock } from './token-store.js';
import type { TokenFacts } from './types.js';

/** After a store failure, how long the cache behaves as a process without a store before trying it again. */
export const STORE_RETRY_MS = 2_000;

const POLL_FIRST_MS = 20;
const POLL_MAX_MS = 250;

export interface StoreLinkOptions {
  store: TokenStore;
  /** The client's store key; rejects when it cannot be derived (the session provider failed). */
  deriveKey: () => Promise<string>;
  clientId: string;
  log: SdkLogger;
  clock: () => number;
  refreshMarginMs: number;
  /** How long a lock lives if its holder dies: about twice the pull's total time limit. */
  lockTtlMs: number;
  /** How long to wait for another holder's value before pulling. */
  waitTimeoutMs: number;
  /** The longest any one store call may take before it counts as a failure. */
  callTimeoutMs: number;
  closeSignal: AbortSignal;
}

/** What waiting on another process's pull ended with. */
export type WaitOutcome =
  | { readonly kind: 'value'; readonly facts: TokenFacts }
  | { readonly kind: 'lock'; readonly lock: TokenStoreLock }
  | { readonly kind: 'none' };

const FAILED = Symbol('store call failed');

export class StoreLink {
  readonly #o: StoreLinkOptions;
  #down = false;
  #retryAt = 0;
  #key: string | undefined;
  /** Set while this link publishes: a store that tells its own listeners at once is not news to us. */
  #publishing = 0;
  /** One warning per streak of unreadable values (a fleet mid-upgrade writes them on every refresh). */
  #unreadableWarned = false;

  constructor(options: StoreLinkOptions) {
    this.#o = options;
  }

  /** The key this client last used; invalidations for other keys are not ours. */
  isOwnKey(key: string): boolean {
    return this.#key !== undefined && key === this.#key;
  }

  /** The client's key, or `undefined` when the store is in an outage or the key cannot be made. */
  async key(): Promise<string | undefined> {
    if (this.#skipping()) return undefined;
    // A session provider that never answers must not hold the call: bounded as a store call is.
    const scope = signalScope([this.#o.closeSignal], [this.#o.callTimeoutMs]);
    try {
      this.#key = await raceAbort(this.#o.deriveKey(), scope.signal);
      return this.#key;
    } catch {
      // The session provider failed or is too slow: the pull reports that properly, without the store.
      return undefined;
    } finally {
      scope.dispose();
    }
  }

  /**
   * A usable token from the store: belongs to this client, stays fresh beyond the refresh margin,
   * and is not `rejected`.
   */
  async read(key: string, rejected?: string): Promise<TokenFacts | undefined> {
    const value = await this.#call('get', () => this.#o.store.get(key));
    if (value === FAILED || value === undefined) return undefined;
    const facts = parseStoredToken(value, this.#o.clientId);
    if (facts === undefined) {
      if (!this.#unreadableWarned) {
        this.#unreadableWarned = true;
        this.#o.log.log(
          'warn',
          'Cache',
          'store.unreadable',
          'The shared token store held a value this client cannot read: pulling instead.',
          { hint: 'Every process sharing the store must run a compatible @authsec/core.' },
        );
      }
      return undefined;
    }
    this.#unreadableWarned = false;
    if (facts.token === rejected) return undefined;
    if (this.#o.clock() >= facts.expiresAt.getTime() - this.#o.refreshMarginMs) return undefined;
    return facts;
  }

  /** Shares a freshly pulled token until its refresh margin. */
  async write(key: string, facts: TokenFacts): Promise<void> {
    const ttlMs = facts.expiresAt.getTime() - this.#o.refreshMarginMs - this.#o.clock();
    if (ttlMs <= 0) return;
    await this.#call('set', () => this.#o.store.set(key, serializeTokenFacts(facts), ttlMs));
  }

  /** Drops the shared entry and tells every process to drop its copy. */
  async invalidate(key: string): Promise<void> {
    await this.#call('delete', () => this.#o.store.delete(key));
    const { store } = this.#o;
    if (store.publishInvalidation !== undefined) {
      this.#publishing += 1;
      const sent = this.#call('publishInvalidation', () => store.publishInvalidation?.(key));
      this.#publishing -= 1;
      await sent;
    }
  }

  /**
   * The single-flight lock: `{ lock }` when this process should pull, `held` when another holds it,
   * `unsupported` when the store has no locks or is failing.
   */
  async lock(key: string): Promise<TokenStoreLock | 'held' | 'unsupported'> {
    const { store } = this.#o;
    if (store.acquireLock === undefined) return 'unsupported';
    const lock = await this.#call('acquireLock', () => store.acquireLock?.(key, this.#o.lockTtlMs));
    if (lock === FAILED) return 'unsupported';
    return lock ?? 'held';
  }

  /** Lets go of a lock; a failure only ends in the lock expiring. */
  async release(lock: TokenStoreLock): Promise<void> {
    await this.#call('release', () => lock.release());
  }

  /**
   * Waits, bounded by `waitTimeoutMs`, for the lock holder's token; takes the lock over when the
   * holder let go of it without a value (its pull failed) or died (the lock expired).
   */
  async waitForHolder(key: string, rejected?: string): Promise<WaitOutcome> {
    const deadline = Date.now() + this.#o.waitTimeoutMs;
    let pauseMs = POLL_FIRST_MS;
    while (!this.#o.closeSignal.aborted) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await sleep(Math.min(pauseMs, left), this.#o.closeSignal);
      pauseMs = Math.min(pauseMs * 2, POLL_MAX_MS);
      if (this.#skipping()) break;
      const facts = await this.read(key, rejected);
      if (facts !== undefined) return { kind: 'value', facts };
      const lock = await this.lock(key);
      if (lock === 'unsupported') break;
      if (lock !== 'held') return { kind: 'lock', lock };
    }
    return { kind: 'none' };
  }

  /** Subscribes to invalidations of this client's key; returns the unsubscribe function. */
  subscribe(onOwnKey: () => void): (() => void) | undefined {
    const { store } = this.#o;
    if (store.onInvalidation === undefined) return undefined;
    try {
      return store.onInvalidation((key) => {
        if (this.#publishing === 0 && this.isOwnKey(key)) onOwnKey();
      });
    } catch (error) {
      this.#failed('onInvalidation', error);
      return undefined;
    }
  }

  #skipping(): boolean {
    return this.#down && this.#o.clock() < this.#retryAt;
  }

  async #call<T>(operation: string, run: () => Promise<T> | undefined): Promise<T | typeof FAILED> {
    if (this.#skipping()) return FAILED;
    // Bounded by the call's time limit and by close(): a hung store never holds a closed client
    // (or the process, the timer is unref'd) for callTimeoutMs.
    const scope = signalScope([this.#o.closeSignal], [this.#o.callTimeoutMs]);
    try {
      const value = (await raceAbort(Promise.resolve(run()), scope.signal)) as T;
      if (this.#down) {
        this.#down = false;
        this.#o.log.log(
          'info',
          'Cache',
          'store.recovered',
          'The shared token store answers again: sharing tokens between processes.',
        );
      }
      return value;
    } catch (error) {
      // Closing is not an outage: no warning, and the store is not marked down.
      if (scope.cause === 'parent') return FAILED;
      this.#failed(
        operation,
        scope.cause === 'timeout'
          ? new Error(`no answer within ${this.#o.callTimeoutMs} ms`)
          : error,
      );
      return FAILED;
    } finally {
      scope.dispose();
    }
  }

  #failed(operation: string, error: unknown): void {
    this.#retryAt = this.#o.clock() + STORE_RETRY_MS;
    if (this.#down) return;
    this.#down = true;
    // Only the error's class and code: a store library's error may carry its connection options.
    const code = (error as { code?: unknown } | undefined)?.code;
    this.#o.log.log(
      'warn',
      'Warning',
      'store.unavailable',
      'The shared token store failed: this process pulls on its own until the store answers again.',
      {
        operation,
        error: error instanceof Error ? error.name : typeof error,
        ...(typeof code === 'string' && { code }),
        hint: 'Check that the store is reachable; tokens keep working meanwhile.',
      },
    );
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
