// Strict RFC 3339 date-time parsing for `expires_at`, which Date.parse would accept far too loosely.

// Anchored, so leading or trailing whitespace never matches; offsets need the colon (RFC 3339 §5.6).
const DATE_TIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses a strict RFC 3339 date-time (such as `2026-05-21T07:25:36.123456789+05:30`) into epoch milliseconds.
 *
 * Digits past the millisecond are truncated; a leap second (`:60`) is rejected because no
 * JavaScript clock can represent it.
 *
 * @param value - the text to parse, exactly as received
 * @returns epoch milliseconds, or `undefined` when `value` is not a valid RFC 3339 date-time
 * @example
 * ```ts
 * parseRfc3339('2026-05-21T07:25:36Z'); // 1779348336000
 * parseRfc3339('2026-05-21'); // undefined
 * ```
 */
export function parseRfc3339(value: string): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = DATE_TIME_RE.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', sign, offH = '0', offM = '0'] = match;
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = [
    y,
    mo,
    d,
    h,
    mi,
    s,
    offH,
    offM,
  ].map(Number) as [number, number, number, number, number, number, number, number];
  // setUTCFullYear, not Date.UTC, which maps years 0–99 to 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  // A day past the month's end (Feb 30, or Feb 29 outside a leap year) rolls over: refuse it.
  if (month < 1 || month > 12 || date.getUTCDate() !== day) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) {
    return undefined;
  }
  date.setUTCHours(hour, minute, second, Number(fraction.padEnd(3, '0').slice(0, 3)));
  // A local time at +05:30 is 5.5 hours ahead of UTC, so the offset is subtracted.
  const offset = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes);
  return date.getTime() - offset * 60_000;
}
