import { describe, expect, it } from 'vitest';
import { dailyBytesRefused, nextUtcMidnight, secondsUntilNextUtcDay, utcDayOf } from './caps';

describe('UTC days of the daily caps', () => {
  it('names the UTC day, whatever the local time zone', () => {
    expect(utcDayOf(Date.parse('2025-03-01T00:00:00.000Z'))).toBe('2025-03-01');
    expect(utcDayOf(Date.parse('2025-03-01T23:59:59.999Z'))).toBe('2025-03-01');
    expect(utcDayOf(Date.parse('2025-03-01T23:30:00.000-05:00'))).toBe('2025-03-02');
    expect(utcDayOf(Date.parse('2024-02-29T12:00:00.000Z'))).toBe('2024-02-29');
  });

  it('finds the next UTC midnight, a full day ahead at midnight itself', () => {
    expect(nextUtcMidnight(Date.parse('2025-03-01T12:00:00.000Z'))).toBe(
      Date.parse('2025-03-02T00:00:00.000Z'),
    );
    expect(nextUtcMidnight(Date.parse('2025-03-01T00:00:00.000Z'))).toBe(
      Date.parse('2025-03-02T00:00:00.000Z'),
    );
    expect(nextUtcMidnight(Date.parse('2025-12-31T23:59:59.999Z'))).toBe(
      Date.parse('2026-01-01T00:00:00.000Z'),
    );
  });

  it('counts whole seconds to midnight, rounding up, never below one', () => {
    expect(secondsUntilNextUtcDay(Date.parse('2025-03-01T00:00:00.000Z'))).toBe(86_400);
    expect(secondsUntilNextUtcDay(Date.parse('2025-03-01T23:00:00.000Z'))).toBe(3_600);
    expect(secondsUntilNextUtcDay(Date.parse('2025-03-01T23:59:58.500Z'))).toBe(2);
    expect(secondsUntilNextUtcDay(Date.parse('2025-03-01T23:59:59.999Z'))).toBe(1);
  });

  it('refuses bytes past the daily cap with LIMIT_REACHED and the seconds to midnight', () => {
    const error = dailyBytesRefused(
      'blobBytesPerUserPerDay',
      1000,
      600,
      Date.parse('2025-03-01T22:00:00.000Z'),
    );

    expect(error).toMatchObject({
      code: 'LIMIT_REACHED',
      cap: 'blobBytesPerUserPerDay',
      limit: 1000,
      retryAfterSeconds: 7_200,
    });
    expect(error.message).toContain('2025-03-01');
  });
});
