// Strict RFC 3339 date-time parsing for `expires_at`, which Date.parse would accept far too loosely.

// Anchored, so leading or trailing whitespace never matches; offsets need the colon (RFC 3339 §5.6).
const DATE_TIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

// Days since 1970-01-01 by Hinnant's civil algorithm: Date.UTC maps years 0–99 to 1900–1999.
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

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
  const [, y, mo, d, h, mi, s, fraction = '', sign, offH, offM] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12) return undefined;
  if (day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;

  let offsetMinutes = 0;
  if (sign !== undefined) {
    const offsetHours = Number(offH);
    const offsetMins = Number(offM);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }

  const millis = Number(fraction.padEnd(3, '0').slice(0, 3));
  const local =
    daysFromCivil(year, month, day) * MS_PER_DAY +
    ((hour * 60 + minute) * 60 + second) * 1000 +
    millis;
  // A local time at +05:30 is 5.5 hours ahead of UTC, so the offset is subtracted.
  return local - offsetMinutes * MS_PER_MINUTE;
}
