// The emulator's request log: a bounded ring of records, with running totals that eviction never lowers.

import type { RecordedRequest, RequestKind } from './http.js';

/** How many request records a server keeps when no limit is given. */
export const DEFAULT_MAX_RECORDED_REQUESTS = 1000;

/**
 * Checks a record limit: a whole number of at least 1, or `Infinity` to keep every record.
 * @param value - the limit as given (option, flag or environment variable)
 * @param source - where it came from, for the message
 * @returns the limit
 * @throws RangeError for anything else
 */
export function validateMaxRecordedRequests(value: number, source = 'maxRecordedRequests'): number {
  if (value === Number.POSITIVE_INFINITY || (Number.isInteger(value) && value >= 1)) return value;
  throw new RangeError(
    `${source} must be a whole number of at least 1 (or Infinity to keep every record), got ${value}`,
  );
}

interface Waiter {
  check(): void;
  fail(reason: string): void;
}

/** Keeps the latest `max` records, oldest first, and counts every request since start or clear. */
export class RequestLog {
  readonly max: number;
  readonly #ring: (RecordedRequest | undefined)[] = [];
  #head = 0; // index of the oldest record once the ring is full
  readonly #totals = new Map<RequestKind | undefined, number>();
  readonly #waiters = new Set<Waiter>();
  #closed = false;

  constructor(max: number = DEFAULT_MAX_RECORDED_REQUESTS) {
    this.max = validateMaxRecordedRequests(max);
  }

  push(record: RecordedRequest): void {
    if (this.#ring.length < this.max) {
      this.#ring.push(record);
    } else {
      this.#ring[this.#head] = record;
      this.#head = (this.#head + 1) % this.max;
    }
    for (const key of [undefined, record.kind]) {
      this.#totals.set(key, (this.#totals.get(key) ?? 0) + 1);
    }
    for (const waiter of [...this.#waiters]) waiter.check();
  }

  /** The records kept, oldest first (a copy). */
  list(kind?: RequestKind): RecordedRequest[] {
    const ordered = [...this.#ring.slice(this.#head), ...this.#ring.slice(0, this.#head)];
    return (ordered as RecordedRequest[]).filter((r) => kind === undefined || r.kind === kind);
  }

  /** The records kept now (at most `max`). */
  get size(): number {
    return this.#ring.length;
  }

  /** Every request (of one kind) since start or the last clear, evicted ones included. */
  total(kind?: RequestKind): number {
    return this.#totals.get(kind) ?? 0;
  }

  clear(): void {
    this.#ring.length = 0;
    this.#head = 0;
    this.#totals.clear();
  }

  /** Resolves once `total(kind)` reaches `count`; see `AuthSecTestServer.waitForRequests`. */
  waitFor(
    count: number,
    kind: RequestKind | undefined,
    timeoutMs: number,
  ): Promise<RecordedRequest[]> {
    if (!Number.isInteger(count) || count < 0) {
      return Promise.reject(new RangeError(`count must be a whole number ≥ 0, got ${count}`));
    }
    if (this.total(kind) >= count) return Promise.resolve(this.list(kind));
    if (this.#closed) return Promise.reject(new Error('AuthSecTestServer is closed'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        check: () => {
          if (this.total(kind) < count) return;
          finish();
          resolve(this.list(kind));
        },
        fail: (reason) => {
          finish();
          reject(new Error(reason));
        },
      };
      const timer = setTimeout(() => {
        waiter.fail(
          `waited ${timeoutMs} ms for ${count} ${kind ?? 'any'} request(s) but ${this.total(kind)} arrived: ` +
            'check that the client under test uses this server’s url',
        );
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      this.#waiters.add(waiter);
    });
  }

  /** Fails every pending wait; later waits that are not already satisfied reject at once. */
  close(): void {
    this.#closed = true;
    for (const waiter of [...this.#waiters]) {
      waiter.fail('AuthSecTestServer closed while waiting for requests');
    }
  }
}
