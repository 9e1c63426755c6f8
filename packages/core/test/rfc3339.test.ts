// Tests for strict RFC 3339 parsing: every accepted form to the exact millisecond, every near miss refused.

import { describe, expect, it } from 'vitest';
import { parseRfc3339 } from '../src/rfc3339.js';

const BASE = 1_779_348_336_000; // 2026-05-21T07:25:36Z

describe('parseRfc3339', () => {
  it.each([
    ['2026-05-21T07:25:36Z', BASE],
    ['2026-05-21T07:25:36.1Z', BASE + 100],
    ['2026-05-21T07:25:36.12Z', BASE + 120],
    ['2026-05-21T07:25:36.123Z', BASE + 123],
    ['2026-05-21T07:25:36.1234Z', BASE + 123],
    ['2026-05-21T07:25:36.123456Z', BASE + 123],
    ['2026-05-21T07:25:36.123456789Z', BASE + 123],
    ['2026-05-21T07:25:36.999999999Z', BASE + 999],
    ['2026-05-21T07:25:36.000000001Z', BASE],
    ['2026-05-21t07:25:36z', BASE],
    ['2026-05-21T12:55:36+05:30', BASE],
    ['2026-05-21T12:55:36.123456+05:30', BASE + 123],
    ['2026-05-20T23:25:36-08:00', BASE],
    ['2026-05-20T23:25:36.123456789-08:00', BASE + 123],
    ['2026-05-21T07:25:36+00:00', BASE],
    ['2026-05-21T07:25:36-00:00', BASE],
    ['2026-12-31T23:59:59+23:59', 1_798_675_259_000],
    ['2026-01-01T00:00:00-23:59', 1_767_311_940_000],
    ['2024-02-29T00:00:00Z', 1_709_164_800_000],
    ['2000-02-29T12:00:00Z', 951_825_600_000],
    ['1600-02-29T00:00:00Z', -11_670_998_400_000],
    ['1970-01-01T00:00:00Z', 0],
    ['1969-12-31T23:59:59.999Z', -1],
    ['0050-06-15T00:00:00Z', -60_575_040_000_000],
    ['0001-01-01T00:00:00Z', -62_135_596_800_000],
    ['0000-01-01T00:00:00Z', -62_167_219_200_000],
    ['9999-12-31T23:59:59.999Z', 253_402_300_799_999],
  ])('accepts %s as exactly %d ms', (value, expected) => {
    expect(parseRfc3339(value)).toBe(expected);
  });

  it.each([
    ['a date without a time', '2026-05-21'],
    ['a human date', 'May 21 2026'],
    ['a space instead of T', '2026-05-21 07:25:36Z'],
    ['a missing offset', '2026-05-21T07:25:36'],
    ['a missing offset after a fraction', '2026-05-21T07:25:36.123'],
    ['an offset without a colon', '2026-05-21T07:25:36+0530'],
    ['an offset with hours only', '2026-05-21T07:25:36+05'],
    ['a one-digit offset hour', '2026-05-21T07:25:36+5:30'],
    ['a named zone', '2026-05-21T07:25:36UTC'],
    ['a space before the offset', '2026-05-21T07:25:36 +05:30'],
    ['two zone designators', '2026-05-21T07:25:36ZZ'],
    ['ten fraction digits', '2026-05-21T07:25:36.1234567890Z'],
    ['a dot without digits', '2026-05-21T07:25:36.Z'],
    ['a comma as decimal mark', '2026-05-21T07:25:36,123Z'],
    ['month 00', '2026-00-21T07:25:36Z'],
    ['month 13', '2026-13-21T07:25:36Z'],
    ['day 00', '2026-05-00T07:25:36Z'],
    ['day 32', '2026-05-32T07:25:36Z'],
    ['April 31', '2026-04-31T07:25:36Z'],
    ['February 30', '2024-02-30T07:25:36Z'],
    ['February 29 in a common year', '2026-02-29T07:25:36Z'],
    ['February 29 in a century year not divisible by 400', '1900-02-29T07:25:36Z'],
    ['hour 24', '2026-05-21T24:00:00Z'],
    ['minute 60', '2026-05-21T07:60:36Z'],
    ['second 60 (a leap second)', '2016-12-31T23:59:60Z'],
    ['offset hours 24', '2026-05-21T07:25:36+24:00'],
    ['offset minutes 60', '2026-05-21T07:25:36+05:60'],
    ['leading whitespace', ' 2026-05-21T07:25:36Z'],
    ['trailing whitespace', '2026-05-21T07:25:36Z '],
    ['a trailing newline', '2026-05-21T07:25:36Z\n'],
    ['the empty string', ''],
    ['an expanded year', '+002026-05-21T07:25:36Z'],
    ['a two-digit year', '26-05-21T07:25:36Z'],
    ['a one-digit month', '2026-5-21T07:25:36Z'],
    ['a one-digit hour', '2026-05-21T7:25:36Z'],
    ['a time without seconds', '2026-05-21T07:25Z'],
    ['non-ASCII digits', '２０２６-05-21T07:25:36Z'],
    ['epoch milliseconds', '1779348336000'],
    ['a Date.toString()', 'Thu May 21 2026 07:25:36 GMT+0000'],
  ])('rejects %s (%j)', (_why, value) => {
    expect(parseRfc3339(value)).toBeUndefined();
  });

  it('returns undefined for a non-string from untyped callers', () => {
    expect(parseRfc3339(1_779_348_336_000 as unknown as string)).toBeUndefined();
    expect(parseRfc3339(null as unknown as string)).toBeUndefined();
  });

  it('agrees with Date.parse on every millisecond-precision UTC instant it accepts', () => {
    for (const value of [
      '2026-05-21T07:25:36.123Z',
      '2024-02-29T23:59:59.999Z',
      '1999-12-31T00:00:00.000Z',
    ]) {
      expect(parseRfc3339(value)).toBe(Date.parse(value));
    }
  });
});
