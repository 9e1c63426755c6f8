// Waiting on work that cannot take a signal itself, while still honouring one.

/**
 * Settles like `promise`, or rejects with `signal.reason` as soon as `signal` aborts.
 * The work goes on either way; its late failure is marked handled.
 * @param promise - the work
 * @param signal - the signal to honour
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** What follows a parent signal: told once when it aborts. */
interface Follower {
  onParentAbort(parent: AbortSignal): void;
}

/** The scopes following each signal: one real listener per signal, however many scopes follow it. */
const followers = new WeakMap<AbortSignal, Set<Follower>>();

/** Signals that keep their one shared listener once they have it: see {@link anchorSignal}. */
const anchored = new WeakSet<AbortSignal>();

/**
 * Marks a long-lived signal the SDK owns (a client's close signal) so that scopes following it
 * share one event listener that stays until it aborts, instead of adding and removing it each
 * time the number of followers goes from 0 to 1 and back: calls one after another then touch no
 * event listener at all. The signal carries that one listener, never more; a scope's `dispose()`
 * and `release()` still stop it following.
 * @param signal - a signal that lives as long as its owner
 */
export function anchorSignal(signal: AbortSignal): void {
  anchored.add(signal);
}

/** Calls `follower.onParentAbort` once when `signal` aborts, sharing one event listener among all followers. */
function follow(signal: AbortSignal, follower: Follower): void {
  let set = followers.get(signal);
  if (set === undefined) {
    set = new Set<Follower>();
    followers.set(signal, set);
    signal.addEventListener('abort', notifyFollowers, { once: true });
  }
  set.add(follower);
}

/** Stops `follower` following `signal`; the event listener goes with the last follower (unless anchored). */
function unfollow(signal: AbortSignal, follower: Follower): void {
  const set = followers.get(signal);
  if (set === undefined || !set.delete(follower) || set.size > 0 || anchored.has(signal)) return;
  followers.delete(signal);
  signal.removeEventListener('abort', notifyFollowers);
}

function notifyFollowers(this: AbortSignal): void {
  const set = followers.get(this);
  followers.delete(this);
  if (set !== undefined) for (const follower of set) follower.onParentAbort(this);
}

/** Why a {@link SignalScope}'s signal aborted. */
export type AbortCause = 'parent' | 'timeout';

/** A signal tied to parent signals and time limits, and the means to let go of them. */
export interface SignalScope {
  /** Aborts with the first parent's reason, or a `TimeoutError` DOMException when a limit passes. */
  readonly signal: AbortSignal;
  /** Why the signal aborted; `undefined` while it has not. */
  readonly cause: AbortCause | undefined;
  /** The time limit that fired, in milliseconds, when `cause` is `timeout`. */
  readonly firedLimitMs: number | undefined;
  /**
   * Settles like `work`, or rejects with the signal's reason as soon as it aborts (the work goes on;
   * its late failure is marked handled). As {@link raceAbort} on `signal`, without adding an event
   * listener to it: the scope tells the waiting call itself.
   */
  race<T>(work: Promise<T>): Promise<T>;
  /** Stops following `parent` (its abort no longer reaches this scope); the rest stays. */
  release(parent: AbortSignal): void;
  /** Clears the timer and removes every listener; the signal keeps its state. Idempotent. */
  dispose(): void;
}

/**
 * A signal that aborts when any parent does or when a time limit passes, built from one
 * `AbortController`, one `setTimeout` (the smallest limit: it fires first) and listeners that
 * {@link SignalScope.dispose} removes. However many scopes follow one long-lived signal (a client's
 * close signal, a run's signal under 50 concurrent calls), the signal carries one event listener,
 * so no runtime warns of a listener leak.
 *
 * Not `AbortSignal.any` with `AbortSignal.timeout`: Node 20 holds timeout signals weakly, so once
 * nothing else references one, a garbage collection removes it and it never fires (a request then
 * waits forever); and every `AbortSignal.any` registers with its long-lived parents for good (a
 * client's close signal grows by each request). Here the timer holds the controller until it
 * fires or is cleared, and the listeners go with `dispose()` or the first abort. The timer does not
 * keep a process alive on its own (`unref` where the runtime has it).
 * @param parents - signals to follow (`undefined` entries are skipped)
 * @param limitsMs - time limits from now, in milliseconds (`undefined` entries are skipped)
 * @example
 * ```ts
 * const scope = signalScope([closeSignal, callerSignal], [timeoutMs]);
 * try {
 *   return await fetch(url, { signal: scope.signal });
 * } finally {
 *   scope.dispose();
 * }
 * ```
 */
export function signalScope(
  parents: readonly (AbortSignal | undefined)[],
  limitsMs: readonly (number | undefined)[] = [],
): SignalScope {
  return new Scope(parents, limitsMs);
}

/** Aborts a scope whose time limit passed (a plain function: `setTimeout` hands it the scope). */
function expire(scope: Scope): void {
  scope.expire();
}

function ignore(): void {}

class Scope implements SignalScope, Follower {
  readonly #controller = new AbortController();
  /** The parents followed: usually one or two, so an array beats a Set. */
  #followed: AbortSignal[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #limitMs: number | undefined;
  #cause: AbortCause | undefined;
  #firedLimitMs: number | undefined;
  /** Rejects the call {@link Scope.race} is waiting on. */
  #rejectRace: ((reason: unknown) => void) | undefined;

  constructor(
    parents: readonly (AbortSignal | undefined)[],
    limitsMs: readonly (number | undefined)[],
  ) {
    for (const parent of parents) {
      if (parent === undefined) continue;
      if (parent.aborted) {
        this.#abort('parent', parent.reason);
        return;
      }
      this.#followed.push(parent);
      follow(parent, this);
    }
    let limit: number | undefined;
    for (const ms of limitsMs)
      if (ms !== undefined && (limit === undefined || ms < limit)) limit = ms;
    if (limit === undefined) return;
    this.#limitMs = limit;
    const timer = setTimeout(expire, Math.max(0, limit), this);
    (timer as { unref?: () => void }).unref?.();
    this.#timer = timer;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get cause(): AbortCause | undefined {
    return this.#cause;
  }

  get firedLimitMs(): number | undefined {
    return this.#firedLimitMs;
  }

  onParentAbort(parent: AbortSignal): void {
    this.#abort('parent', parent.reason);
  }

  expire(): void {
    this.#timer = undefined;
    this.#firedLimitMs = this.#limitMs;
    this.#abort(
      'timeout',
      new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
    );
  }

  race<T>(work: Promise<T>): Promise<T> {
    const signal = this.#controller.signal;
    if (signal.aborted) {
      work.catch(ignore);
      return Promise.reject(signal.reason);
    }
    // One waiting call at a time is all the SDK makes; a second one waits the ordinary way.
    if (this.#rejectRace !== undefined) return raceAbort(work, signal);
    return new Promise<T>((resolve, reject) => {
      this.#rejectRace = reject;
      work.then(
        (value) => {
          this.#rejectRace = undefined;
          resolve(value);
        },
        (error: unknown) => {
          this.#rejectRace = undefined;
          reject(error);
        },
      );
    });
  }

  release(parent: AbortSignal): void {
    const at = this.#followed.indexOf(parent);
    if (at === -1) return;
    this.#followed.splice(at, 1);
    unfollow(parent, this);
  }

  dispose(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const followed = this.#followed;
    if (followed.length === 0) return;
    this.#followed = [];
    for (const parent of followed) unfollow(parent, this);
  }

  #abort(why: AbortCause, reason: unknown): void {
    if (this.#controller.signal.aborted) return;
    this.#cause = why;
    this.dispose();
    this.#controller.abort(reason);
    const reject = this.#rejectRace;
    this.#rejectRace = undefined;
    reject?.(reason);
  }
}
