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

/**
 * A signal that aborts when any of `signals` does, with that signal's reason. Uses
 * `AbortSignal.any` where the runtime has it (Node 20.3+, current browsers); some edge runtimes
 * do not, so it falls back to listeners.
 * @param signals - the signals to follow
 */
export function anySignal(signals: readonly AbortSignal[]): AbortSignal {
  const native = (AbortSignal as { any?: (signals: AbortSignal[]) => AbortSignal }).any;
  if (typeof native === 'function') return native.call(AbortSignal, [...signals]);
  const controller = new AbortController();
  const onAbort = (event: Event) => {
    const source = event.target as AbortSignal;
    for (const signal of signals) signal.removeEventListener('abort', onAbort);
    controller.abort(source.reason);
  };
  for (const signal of signals) {
    if (signal.aborted) {
      controller.abort(signal.reason);
      return controller.signal;
    }
  }
  for (const signal of signals) signal.addEventListener('abort', onAbort, { once: true });
  return controller.signal;
}
