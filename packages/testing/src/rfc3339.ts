// Formats instants the way AuthSec writes `expires_at`: RFC 3339 with 0–9 fractional digits and any offset.

/**
 * How the emulator writes `expires_at` and the row timestamps. The default is what the service
 * sends: it stores microseconds and writes them as Go's `time.RFC3339Nano` does, trailing zeros
 * trimmed and no fraction at all when it is zero (`2026-05-21T07:25:36.12345Z`, `…:36Z`).
 */
export interface TimestampFormat {
  /**
   * Digits after the seconds, 0–9. Digits past milliseconds come from a sub-millisecond
   * part the emulator keeps, so 9 digits look like a nanosecond Go `time.Time`.
   * @default 6 (microseconds, as the service stores them)
   */
  fractionDigits?: number;
  /**
   * Drop trailing zeros of the fraction, and the fraction itself when it is all zeros.
   * @default true when `fractionDigits` is not given (the service's format), else false
   */
  trimTrailingZeros?: boolean;
  /**
   * `Z`, or an offset such as `+05:30` or `-08:00`; the instant is the same either way.
   * @default 'Z'
   */
  offset?: string;
}

const OFFSET_RE = /^(Z|[+-](\d{2}):(\d{2}))$/;

/** Checks a format once, so a typo fails at server start rather than mid-test. */
export function validateTimestampFormat(format: TimestampFormat): Required<TimestampFormat> {
  const fractionDigits = format.fractionDigits ?? 6;
  const trimTrailingZeros = format.trimTrailingZeros ?? format.fractionDigits === undefined;
  const offset = format.offset ?? 'Z';
  if (!Number.isInteger(fractionDigits) || fractionDigits < 0 || fractionDigits > 9) {
    throw new RangeError(`expiresAt.fractionDigits must be an integer 0–9, got ${fractionDigits}`);
  }
  if (typeof trimTrailingZeros !== 'boolean') {
    throw new RangeError(
      `expiresAt.trimTrailingZeros must be a boolean, got ${JSON.stringify(trimTrailingZeros)}`,
    );
  }
  const match = OFFSET_RE.exec(offset);
  if (!match || (match[2] !== undefined && (Number(match[2]) > 23 || Number(match[3]) > 59))) {
    throw new RangeError(`expiresAt.offset must be 'Z' or like '+05:30', got '${offset}'`);
  }
  return { fractionDigits, trimTrailingZeros, offset };
}

function offsetMinutes(offset: string): number {
  if (offset === 'Z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  return sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
}

/**
 * Writes an instant as RFC 3339.
 * @param ms - epoch milliseconds
 * @param subMillisecondNanos - 0–999 999, the nanoseconds below the millisecond
 */
export function formatRfc3339(
  ms: number,
  format: Required<TimestampFormat>,
  subMillisecondNanos = 0,
): string {
  const shifted = new Date(Math.floor(ms) + offsetMinutes(format.offset) * 60_000);
  const base = shifted.toISOString().slice(0, 19);
  const nanos =
    String(((Math.floor(ms) % 1000) + 1000) % 1000).padStart(3, '0') +
    String(subMillisecondNanos).padStart(6, '0');
  let digits = nanos.slice(0, format.fractionDigits);
  if (format.trimTrailingZeros) digits = digits.replace(/0+$/, '');
  const fraction = digits === '' ? '' : `.${digits}`;
  return `${base}${fraction}${format.offset}`;
}
