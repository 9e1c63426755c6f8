import { describe, expect, it } from 'vitest';
import { formatRfc3339, validateTimestampFormat } from '../src/rfc3339.js';

const ms = Date.UTC(2026, 4, 21, 7, 25, 36, 123);

describe('formatRfc3339', () => {
  it('writes 0 to 9 fractional digits, the sub-millisecond part after the milliseconds', () => {
    const f = (fractionDigits: number) =>
      formatRfc3339(ms, validateTimestampFormat({ fractionDigits }), 456_789);
    expect(f(0)).toBe('2026-05-21T07:25:36Z');
    expect(f(1)).toBe('2026-05-21T07:25:36.1Z');
    expect(f(3)).toBe('2026-05-21T07:25:36.123Z');
    expect(f(9)).toBe('2026-05-21T07:25:36.123456789Z');
  });

  it('writes what the service sends by default: microseconds, trailing zeros trimmed, no fraction when zero', () => {
    const service = validateTimestampFormat({});
    expect(service).toEqual({ fractionDigits: 6, trimTrailingZeros: true, offset: 'Z' });
    expect(formatRfc3339(ms, service, 456_789)).toBe('2026-05-21T07:25:36.123456Z');
    expect(formatRfc3339(ms, service, 400_000)).toBe('2026-05-21T07:25:36.1234Z');
    expect(formatRfc3339(ms - 23, service)).toBe('2026-05-21T07:25:36.1Z');
    expect(formatRfc3339(ms - 123, service, 999)).toBe('2026-05-21T07:25:36Z');
    expect(formatRfc3339(ms - 123, service)).toBe('2026-05-21T07:25:36Z');
    // Fixed digits when asked, trimmed only when also asked.
    expect(formatRfc3339(ms - 23, validateTimestampFormat({ fractionDigits: 9 }))).toBe(
      '2026-05-21T07:25:36.100000000Z',
    );
    expect(
      formatRfc3339(
        ms - 23,
        validateTimestampFormat({ fractionDigits: 9, trimTrailingZeros: true }),
      ),
    ).toBe('2026-05-21T07:25:36.1Z');
  });

  it('writes the same instant in local time for an offset', () => {
    const format = validateTimestampFormat({ fractionDigits: 0, offset: '+05:30' });
    expect(formatRfc3339(ms, format)).toBe('2026-05-21T12:55:36+05:30');
    expect(
      formatRfc3339(ms, validateTimestampFormat({ fractionDigits: 0, offset: '-08:00' })),
    ).toBe('2026-05-20T23:25:36-08:00');
    expect(Date.parse('2026-05-21T12:55:36+05:30')).toBe(ms - 123);
  });

  it('rejects impossible digits and offsets', () => {
    expect(() => validateTimestampFormat({ fractionDigits: -1 })).toThrow(RangeError);
    expect(() => validateTimestampFormat({ fractionDigits: 1.5 })).toThrow(RangeError);
    expect(() => validateTimestampFormat({ offset: '+24:00' })).toThrow(RangeError);
    expect(() => validateTimestampFormat({ offset: 'UTC' })).toThrow(RangeError);
    expect(() => validateTimestampFormat({ trimTrailingZeros: 'yes' as never })).toThrow(
      /trimTrailingZeros must be a boolean/,
    );
  });
});
