// Retry waits: exponential steps with full jitter, shared by the pull and authorized requests.

/** The first backoff step, in milliseconds. */
export const BACKOFF_BASE_MS = 250;
/** No single backoff wait is longer than this, in milliseconds. */
export const BACKOFF_LIMIT_MS = 5_000;

/**
 * The longest wait before retry number `retry` (1 for the first retry): 250 ms, 500 ms, 1 s, …,
 * capped at {@link BACKOFF_LIMIT_MS}.
 * @param retry - which retry is next, from 1
 * @returns the ceiling of the wait, in milliseconds
 */
export function backoffCeiling(retry: number): number {
  return Math.min(BACKOFF_LIMIT_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, retry - 1));
}

/**
 * Full jitter: a uniformly random wait from 0 up to `ceilingMs`, so clients retrying after the
 * same failure spread out instead of arriving together.
 * @param ceilingMs - the longest wait
 * @param random - a source of numbers in [0, 1)
 * @returns the wait, in milliseconds
 */
export function fullJitter(ceilingMs: number, random: () => number = Math.random): number {
  return random() * ceilingMs;
}
