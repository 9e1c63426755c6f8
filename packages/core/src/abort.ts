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

/** Stops `follower` following `signal`; the event listener goes with the last follower. */
function unfollow(signal: AbortSignal, follower: Follower): void {
  const set = followers.get(signal);
  if (set === undefined || !set.delete(follower) || set.size > 0) return;
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
   * listener to it: the scope tells the waiting call itself. One call waits at a time (the
   * SDK never waits twice on one scope).
   */
  race<T>(work: Promise<T>): Promise<T>;
  /** Stops following `parent` (its abort no longer reaches this scope); the rest stays. */
  release(parent: AbortSignal): void;
  /** Clears the timer and removes every listener; the signal keeps its state. Idempotent. */
  dispose(): void;
  /**
   * As {@link SignalScope.dispose}, then, when the signal never aborted, hands it to a later scope
   * (a fresh `AbortController` per call is most of the price of a time limit on Node 20). Call it
   * only once nothing can still be aborted through the signal: the fetch given it has settled and
   * its response's body has been read to the end (aborting a finished fetch changes nothing).
   * The scope is not used afterwards.
   */
  recycle(): void;
}

/**
 * A signal that aborts when any parent does or when a time limit passes, built from one
 * `AbortController`, a place on the one shared timer (the smallest limit: it fires first) and
 * listeners that {@link SignalScope.dispose} removes. However many scopes follow one long-lived
 * signal (a client's close signal, a run's signal under 50 concurrent calls), the signal carries
 * one event listener, so no runtime warns of a listener leak.
 *
 * Not `AbortSignal.any` with `AbortSignal.timeout`: Node 20 holds timeout signals weakly, so once
 * nothing else references one, a garbage collection removes it and it never fires (a request then
 * waits forever); and every `AbortSignal.any` registers with its long-lived parents for good (a
 * client's close signal grows by each request). Here the shared timer's set holds the scope until
 * its limit fires or it is disposed, and the listeners go with `dispose()` or the first abort. The
 * timer does not keep a process alive on its own (`unref` where the runtime has it).
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

/** A monotonic clock in milliseconds (every runtime with fetch has `performance`). */
const now = (): number => performance.now();

/**
 * The scopes waiting on a time limit, all served by one timer armed for the earliest of them. A
 * timer per scope would cost a `setTimeout` and a `clearTimeout` per call, and on Node a timer
 * list created and torn down each time; here a call adds its scope to a set and removes it, and
 * the timer is re-armed only when a limit comes before the armed one. The set holds each scope
 * (and so its controller) strongly until it fires or is disposed: a garbage collection never
 * loses a time limit.
 */
const timed = new Set<Scope>();
let timer: ReturnType<typeof setTimeout> | undefined;
/** A time that never comes. */
const NEVER = Number.POSITIVE_INFINITY;
/** When the armed timer fires, on the `now()` clock; NEVER while none is armed. */
let timerAt = NEVER;

/** Makes sure the timer fires by `at` (it may fire earlier, for another scope). */
function armBy(at: number): void {
  if (at >= timerAt) return;
  if (timer !== undefined) clearTimeout(timer);
  timerAt = at;
  timer = setTimeout(expireDue, Math.max(0, at - now()));
  // The limit never keeps a process alive on its own.
  (timer as { unref?: () => void }).unref?.();
}

/** Aborts every scope whose limit has passed, then re-arms for the earliest one left. */
function expireDue(): void {
  timer = undefined;
  timerAt = NEVER;
  const at = now();
  let next = NEVER;
  for (const scope of timed) {
    if (scope.deadline <= at) scope.expire();
    else if (scope.deadline < next) next = scope.deadline;
  }
  if (next !== NEVER) armBy(next);
}

function ignore(): void {}

/** A controller and the number of scopes it has served. */
interface Pooled {
  readonly controller: AbortController;
  uses: number;
}

/** Controllers of scopes that ended without an abort, for the next scopes. */
const spare: Pooled[] = [];
/** Enough for the calls a client makes at once in practice; more are made fresh. */
const SPARE_MAX = 16;
/**
 * The scopes one controller serves before it is let go. A fetch leaves its own listener on the
 * signal until the garbage collector has its request, so a signal reused for ever would gather
 * them; this bounds them.
 */
const USES_MAX = 16;

class Scope implements SignalScope, Follower {
  readonly #pooled: Pooled = spare.pop() ?? { controller: new AbortController(), uses: 0 };
  readonly #controller = this.#pooled.controller;
  /** The parents followed: usually one or two, so an array beats a Set. */
  #followed: AbortSignal[] = [];
  /** When the limit passes, on the `now()` clock, while the scope is in `timed`. */
  deadline = NEVER;
  #limitMs: number | undefined;
  #cause: AbortCause | undefined;
  #firedLimitMs: number | undefined;
  /** Set once the controller went back to the spares: another scope may own it now. */
  #recycled = false;
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
    // Past 2^31 - 1 ms a runtime fires a timer at once: such a limit waits 24.8 days instead.
    this.deadline = now() + (limit > 0 ? Math.min(limit, 2147483647) : 0);
    timed.add(this);
    armBy(this.deadline);
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
    timed.delete(this);
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
    // The shared timer stays armed: when it fires it finds this scope gone.
    timed.delete(this);
    for (const parent of this.#followed.splice(0)) unfollow(parent, this);
  }

  recycle(): void {
    this.dispose();
    if (this.#recycled) return;
    this.#recycled = true;
    const pooled = this.#pooled;
    pooled.uses += 1;
    if (!this.#controller.signal.aborted && pooled.uses < USES_MAX && spare.length < SPARE_MAX)
      spare.push(pooled);
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
