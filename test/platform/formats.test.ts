import { describe, expect, it } from 'vitest';
import { isCalendarDate, isDateTime } from '../../src/platform/formats.ts';

describe('isDateTime', () => {
  it.each([
    ['2030-06-30T23:59:59Z', true],
    ['2030-06-30t23:59:59.123+08:00', true],
    ['2028-02-29T00:00:00Z', true],
    ['2030-06-30T23:59:60Z', false],
    ['2030-02-30T00:00:00Z', false],
    ['2029-02-29T00:00:00Z', false],
    ['2030-13-01T00:00:00Z', false],
    ['2030-01-01T24:00:00Z', false],
    ['2030-01-01T00:00:00+24:00', false],
    ['2030-01-01 00:00:00Z', false],
    ['2030-01-01T00:00:00', false],
  ])('%s is %s', (value, valid) => {
    expect(isDateTime(value)).toBe(valid);
  });
});

describe('isCalendarDate', () => {
  it.each([
    ['2030-02-28', true],
    ['2030-02-30', false],
    ['2030-00-10', false],
    ['2030-1-10', false],
  ])('%s is %s', (value, valid) => {
    expect(isCalendarDate(value)).toBe(valid);
  });
});
