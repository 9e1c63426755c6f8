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
