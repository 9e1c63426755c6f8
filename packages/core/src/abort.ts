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

/** The scopes following each signal: one real listener per signal, however many scopes follow it. */
const followers = new WeakMap<AbortSignal, Set<(signal: AbortSignal) => void>>();

/** Calls `listener` once when `signal` aborts, sharing one event listener among all followers. */
function follow(signal: AbortSignal, listener: (signal: AbortSignal) => void): void {
  let set = followers.get(signal);
  if (set === undefined) {
    const created = new Set<(signal: AbortSignal) => void>();
    set = created;
    followers.set(signal, created);
    signal.addEventListener('abort', notifyFollowers, { once: true });
  }
  set.add(listener);
}

/** Stops `listener` following `signal`; the event listener goes with the last follower. */
function unfollow(signal: AbortSignal, listener: (signal: AbortSignal) => void): void {
  const set = followers.get(signal);
  if (set === undefined || !set.delete(listener) || set.size > 0) return;
  followers.delete(signal);
  signal.removeEventListener('abort', notifyFollowers);
}

function notifyFollowers(this: AbortSignal): void {
  const set = followers.get(this);
  followers.delete(this);
  if (set !== undefined) for (const listener of set) listener(this);
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
  /** Stops following `parent` (its abort no longer reaches this scope); the rest stays. */
  release(parent: AbortSignal): void;
  /** Clears the timers and removes every listener; the signal keeps its state. Idempotent. */
  dispose(): void;
}

/**
 * A signal that aborts when any parent does or when a time limit passes, built from one
 * `AbortController`, `setTimeout` and listeners that {@link SignalScope.dispose} removes. However many
 * scopes follow one long-lived signal (a client's close signal, a run's signal under 50 concurrent
 * calls), the signal carries one event listener, so no runtime warns of a listener leak.
 *
 * Not `AbortSignal.any` with `AbortSignal.timeout`: Node 20 holds timeout signals weakly, so once
 * nothing else references one, a garbage collection removes it and it never fires (a request then
 * waits forever); and every `AbortSignal.any` registers with its long-lived parents for good (a
 * client's close signal grows by each request). Here the timers hold the controller until they
 * fire or are cleared, and the listeners go with `dispose()` or the first abort. The timers do not
 * keep a process alive on their own (`unref` where the runtime has it).
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
  const controller = new AbortController();
  const followed = new Set<AbortSignal>();
  const timers: ReturnType<typeof setTimeout>[] = [];
  let cause: AbortCause | undefined;
  let firedLimitMs: number | undefined;
  const dispose = () => {
    for (const timer of timers) clearTimeout(timer);
    timers.length = 0;
    for (const parent of followed) unfollow(parent, onParentAbort);
    followed.clear();
  };
  const abort = (why: AbortCause, reason: unknown) => {
    if (controller.signal.aborted) return;
    cause = why;
    dispose();
    controller.abort(reason);
  };
  const onParentAbort = (parent: AbortSignal) => abort('parent', parent.reason);
  for (const parent of parents) {
    if (parent === undefined) continue;
    if (parent.aborted) {
      abort('parent', parent.reason);
      break;
    }
    followed.add(parent);
    follow(parent, onParentAbort);
  }
  for (const limit of limitsMs) {
    if (limit === undefined || controller.signal.aborted) continue;
    const timer = setTimeout(
      () => {
        firedLimitMs = limit;
        abort(
          'timeout',
          new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
        );
      },
      Math.max(0, limit),
    );
    (timer as { unref?: () => void }).unref?.();
    timers.push(timer);
  }
  return {
    signal: controller.signal,
    get cause() {
      return cause;
    },
    get firedLimitMs() {
      return firedLimitMs;
    },
    release(parent) {
      if (followed.delete(parent)) unfollow(parent, onParentAbort);
    },
    dispose,
  };
}
