// The token cache: serves from memory until the refresh margin, shares one pull among concurrent callers.

import { raceAbort } from './abort.js';
import { AuthSecAbortedError, AuthSecClosedError, isAuthSecError } from './errors.js';
import type { SdkLogger } from './logger.js';
import { fingerprint } from './redact.js';
import { recoverFromFailure, SAME_TOKEN_PAUSE_MS, type SharedPull } from './refresh-policy.js';
import { pullThroughStore, type StoreCache } from './token-cache-store.js';
import type { StoreLink } from './token-store-link.js';
import type { AuthSecMode, TokenFacts } from './types.js';

/** A place tokens come from: AuthSec (live) or the local mock source. */
export interface TokenSource {
  readonly mode: AuthSecMode;
  fetchToken(options: { signal?: AbortSignal }): Promise<TokenFacts>;
}

export interface TokenCacheOptions {
  source: TokenSource;
  /** Where mock tokens come from after a live failure, when the user opted in. */
  fallback: TokenSource | undefined;
  clock: () => number;
  refreshMarginMs: number;
  log: SdkLogger;
  /** Aborted when the client closes: ends in-flight pulls. */
  closeSignal: AbortSignal;
  /** A shared store consulted between memory and a pull (live mode only). */
  store?: StoreLink | undefined;
}

export class TokenCache {
  readonly #o: TokenCacheOptions;
  #current: TokenFacts | undefined;
  #inflight: Promise<TokenFacts> | undefined;
  /** No pull before this time while the current token is still valid. */
  #pauseUntil = 0;
  #warnedJti: string | undefined;
  #generation = 0;
  /** Forced re-pulls after a downstream 401, by rejected token: when, and their outcome. */
  readonly #rejections = new Map<string, { at: number; outcome: Promise<TokenFacts> }>();

  constructor(options: TokenCacheOptions) {
    this.#o = options;
    // Another process saw this token revoked or rejected: drop the copy, read the store next time.
    const unsubscribe = options.store?.subscribe(() => {
      this.#forget();
      options.log.log(
        'info',
        'Cache',
        'token.invalidated',
        'Another process invalidated the shared delegation token: dropping the cached copy.',
      );
    });
    if (unsubscribe !== undefined) {
      options.closeSignal.addEventListener('abort', unsubscribe, { once: true });
    }
  }

  /** The cached token, if any (for summaries; never triggers a pull). */
  peek(): TokenFacts | undefined {
    return this.#current;
  }

  /** A token valid now: from memory when fresh, otherwise from one shared pull. */
  get(signal?: AbortSignal): Promise<TokenFacts> {
    const current = this.#current;
    if (current !== undefined) {
      const now = this.#o.clock();
      const expiresAt = current.expiresAt.getTime();
      // The hot path: no I/O, no logging, no allocation beyond the promise.
      if (now < expiresAt - this.#o.refreshMarginMs) return Promise.resolve(current);
      if (now < expiresAt && now < this.#pauseUntil) return Promise.resolve(current);
    }
    return this.#join(signal);
  }

  /**
   * Forgets the cached token; the next call pulls (or, with a shared store, reads it first). A pull
   * in flight is not cached when it lands.
   */
  invalidate(): void {
    this.#forget();
  }

  #forget(): void {
    this.#current = undefined;
    this.#pauseUntil = 0;
    this.#generation += 1;
  }

  /**
   * After a protected API answered 401 to `rejected`: one pull shared by every request that saw
   * that token, ignoring the same-token pause, at most once per token every 15 s (later 401s
   * reuse the outcome without pulling).
   * @returns the token to retry with, and whether it differs from the rejected one
   * @throws the pull's own AuthSecError (e.g. AuthSecDelegationNotFoundError after a revocation)
   */
  async refreshAfterRejection(
    rejected: TokenFacts,
    signal?: AbortSignal,
  ): Promise<{ facts: TokenFacts; changed: boolean }> {
    const now = this.#o.clock();
    const current = this.#current;
    if (
      current !== undefined &&
      current.token !== rejected.token &&
      now < current.expiresAt.getTime()
    ) {
      return { facts: current, changed: true };
    }
    for (const [token, entry] of this.#rejections) {
      if (now - entry.at >= SAME_TOKEN_PAUSE_MS) this.#rejections.delete(token);
    }
    let entry = this.#rejections.get(rejected.token);
    if (entry === undefined) {
      this.#o.log.log(
        'info',
        'Delegation',
        'token.rejected',
        'The API rejected the delegation token (401): asking AuthSec for a newer one.',
        {
          jti: rejected.jti,
        },
      );
      entry = { at: now, outcome: this.#join(undefined, rejected) };
      this.#rejections.set(rejected.token, entry);
    }
    const facts = await (signal ? raceAbort(entry.outcome, signal) : entry.outcome);
    return { facts, changed: facts.token !== rejected.token };
  }

  #join(signal: AbortSignal | undefined, rejected?: TokenFacts): Promise<TokenFacts> {
    if (this.#o.closeSignal.aborted) return Promise.reject(new AuthSecClosedError());
    if (signal?.aborted) return Promise.reject(new AuthSecAbortedError());
    if (this.#inflight === undefined) {
      const pull: Promise<TokenFacts> = this.#shared(rejected).finally(() => {
        if (this.#inflight === pull) this.#inflight = undefined;
      });
      // Every waiter gets the outcome; if all of them left, a failure must not go unhandled.
      pull.catch(() => undefined);
      this.#inflight = pull;
    }
    const shared = this.#inflight;
    if (!signal) return shared;
    // A caller that gives up leaves; the shared pull goes on for the others.
    return raceAbort(shared, signal).catch((error: unknown) => {
      if (signal.aborted && !isAuthSecError(error)) throw new AuthSecAbortedError();
      throw error;
    });
  }

  /** Memory missed: the shared store (read, lock, read again) when there is one, then a pull. */
  #shared(rejected: TokenFacts | undefined): Promise<TokenFacts> {
    const forced = rejected !== undefined;
    const link = this.#o.store;
    if (link === undefined) return this.#pull(forced);
    const cache: StoreCache = {
      current: this.#current,
      generation: () => this.#generation,
      adopt: (facts, generation) => this.#adopt(facts, generation),
      pull: (shared) => this.#pull(forced, shared),
    };
    return pullThroughStore(link, cache, rejected);
  }

  /** Takes a token another process pulled and shared. */
  #adopt(facts: TokenFacts, generation: number): TokenFacts {
    const current = this.#current;
    // Keep the object callers already hold, so cache hits stay identical.
    if (current !== undefined && current.token === facts.token) return current;
    if (generation === this.#generation) {
      this.#current = facts;
      this.#pauseUntil = 0;
    }
    if (this.#o.log.enabled('info')) {
      this.#o.log.log(
        'info',
        'Cache',
        'token.shared',
        'Delegation token read from the shared token store.',
        {
          token: fingerprint(facts.token),
          jti: facts.jti,
          expiresAt: facts.expiresAt.toISOString(),
        },
      );
    }
    return facts;
  }

  async #pull(forced: boolean, shared?: SharedPull): Promise<TokenFacts> {
    const { source, log, clock, closeSignal } = this.#o;
    const generation = this.#generation;
    const previous = shared === undefined ? this.#current : shared.previous;
    if (log.enabled('info')) {
      log.log(
        'info',
        'Delegation',
        'token.pull',
        source.mode === 'live'
          ? 'Requesting delegation token from AuthSec…'
          : 'Minting a mock delegation token…',
      );
    }
    let facts: TokenFacts;
    try {
      facts = await source.fetchToken({ signal: closeSignal });
    } catch (error) {
      return recoverFromFailure(error, this.#o, {
        previous,
        forced,
        shared,
        forget: () => {
          if (generation === this.#generation) this.invalidate();
        },
        pauseUntil: (ms) => {
          this.#pauseUntil = ms;
        },
      });
    }
    // Shared before callers see it, so the lock is released only once the value is readable.
    if (shared !== undefined && facts.mode === 'live') await shared.link.write(shared.key, facts);
    const now = clock();
    if (generation === this.#generation) {
      if (previous !== undefined && facts.token === previous.token) {
        // AuthSec hands back the stored token until an admin re-delegates: keep it, pull less.
        this.#pauseUntil = now + SAME_TOKEN_PAUSE_MS;
        if (this.#warnedJti !== facts.jti) {
          this.#warnedJti = facts.jti;
          log.log(
            'warn',
            'Warning',
            'token.same',
            'AuthSec returned the same delegation token: not renewed until an admin re-delegates.',
            {
              jti: facts.jti,
              expiresAt: facts.expiresAt.toISOString(),
              hint: 'Ask an AuthSec admin to delegate a new token before it expires.',
            },
          );
        }
        // Keep the object callers already hold, so cache hits stay identical and allocation-free.
        facts = previous;
      } else {
        this.#pauseUntil = 0;
      }
      this.#current = facts;
    }
    if (log.enabled('info')) {
      log.log(
        'info',
        'Success',
        'token.acquired',
        `${facts.mode === 'live' ? 'LIVE' : 'MOCK'} delegation token acquired.`,
        {
          token: fingerprint(facts.token),
          jti: facts.jti,
          expiresAt: facts.expiresAt.toISOString(),
          permissions: facts.permissions,
        },
      );
      // The seed's [Token] line: enough to tell tokens apart, never enough to use one.
      log.log('info', 'Token', 'token.fingerprint', fingerprint(facts.token), {
        jti: facts.jti,
        spiffeId: facts.spiffeId,
      });
    }
    return facts;
  }
}
