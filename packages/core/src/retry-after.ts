// Parses `Retry-After`: delay-seconds or an HTTP date.

/**
 * Milliseconds to wait according to a `Retry-After` value, or undefined when it says nothing usable.
 * @param value - the header value
 * @param now - the current time in epoch milliseconds
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date) || !/[a-z]/i.test(trimmed)) return undefined;
  return Math.max(0, date - now);
}
