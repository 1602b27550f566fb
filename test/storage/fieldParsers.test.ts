import { describe, expect, it } from 'vitest';
import { TIMING_DEFAULT, TIMING_END, TIMING_START } from '../../src/engine/types.js';
import { significantDigits } from '../../src/storage/csv/fieldParsers.js';
import { ascendingOrder } from '../../src/storage/csv/growable.js';
import { timingCode } from '../../src/storage/csv/index.js';

describe('significantDigits (decides whether a flow amount is kept as exact decimal beside its float)', () => {
  it.each([
    ['0', 0],
    ['1000', 1], // trailing zeros of an integer are not significant for exactness
    ['-001.2300e5', 3], // 1.23e5
    ['0.0033', 2],
    ['12106.12', 7],
    ['123456789012345', 15],
    ['1234567890123.4567', 17],
    ['+.5', 1],
  ])('%s has %i', (text, n) => {
    expect(significantDigits(text)).toBe(n);
  });
});

describe('timingCode', () => {
  it('maps blank, end and start (trimmed, any case); rejects anything else', () => {
    expect(timingCode('')).toBe(TIMING_DEFAULT);
    expect(timingCode('  ')).toBe(TIMING_DEFAULT);
    expect(timingCode(' End ')).toBe(TIMING_END);
    expect(timingCode('START')).toBe(TIMING_START);
    expect(timingCode('begin')).toBeUndefined();
  });
});

describe('ascendingOrder', () => {
  it('returns undefined for already non-decreasing keys', () => {
    expect(ascendingOrder([1, 1, 2, 5])).toBeUndefined();
  });
  it('orders by key and keeps ties in input order', () => {
    // keys 5,1,5,0 -> 0 (index 3), 1 (index 1), 5 (index 0), 5 (index 2)
    expect([...ascendingOrder([5, 1, 5, 0])!]).toEqual([3, 1, 0, 2]);
  });
});
