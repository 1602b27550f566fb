import { describe, expect, it } from 'vitest';
import { annualize, deannualize } from '../../src/engine/annualize.js';
import { formatIsoDate } from '../../src/engine/calendarDate.js';
import { parsePeriodList, resolvePeriod, type PeriodCode, type PeriodSpec, type PeriodWindow } from '../../src/engine/periods.js';
import { UsageError } from '../../src/errors.js';
import { day } from './returnsHelpers.js';

/** Every calendar day from..to. */
function everyDay(from: string, to: string): Int32Array {
  const a = day(from);
  return Int32Array.from({ length: day(to) - a + 1 }, (_, i) => a + i);
}

/** Monday..Friday from..to. */
function weekdays(from: string, to: string): Int32Array {
  // 1970-01-01 was a Thursday: (d + 3) % 7 is 0 on Mondays.
  return Int32Array.from(Array.from(everyDay(from, to)).filter((d) => (d + 3) % 7 < 5));
}

function show(w: PeriodWindow) {
  return {
    start: formatIsoDate(w.start),
    end: formatIsoDate(w.end),
    base: w.base === null ? null : formatIsoDate(w.base),
    endValuation: w.endValuation === null ? null : formatIsoDate(w.endValuation),
    status: w.status,
    annualize: w.annualize,
    days: w.days,
  };
}

const code = (c: PeriodCode): PeriodSpec => ({ label: c, code: c });

describe('parsePeriodList', () => {
  it('parses codes in order, case-insensitively, dropping duplicates', () => {
    expect(parsePeriodList('MTD,QTD,YTD,1Y,3Y,5Y,10Y,ITD')).toEqual(['MTD', 'QTD', 'YTD', '1Y', '3Y', '5Y', '10Y', 'ITD']);
    expect(parsePeriodList(' ytd , 1y,YTD')).toEqual(['YTD', '1Y']);
  });
  it('throws UsageError on unknown or empty codes', () => {
    expect(() => parsePeriodList('MTD,2Y')).toThrow(UsageError);
    expect(() => parsePeriodList('MTD,2Y')).toThrow(/unknown period '2Y'/);
    expect(() => parsePeriodList('MTD,,YTD')).toThrow(UsageError);
    expect(() => parsePeriodList('')).toThrow(UsageError);
  });
});

describe('resolvePeriod with daily valuations 2019-12-31 .. 2024-12-31', () => {
  const dates = everyDay('2019-12-31', '2024-12-31');
  const asOf = day('2024-05-15');
  const r = (c: PeriodCode, at = asOf) => show(resolvePeriod(code(c), at, dates));

  it('every code on 2024-05-15', () => {
    expect(r('MTD')).toEqual({ start: '2024-05-01', end: '2024-05-15', base: '2024-04-30', endValuation: '2024-05-15', status: 'ok', annualize: false, days: 15 });
    expect(r('QTD')).toMatchObject({ start: '2024-04-01', base: '2024-03-31', days: 45, annualize: false });
    expect(r('YTD')).toMatchObject({ start: '2024-01-01', base: '2023-12-31', days: 136, annualize: false }); // 31+29+31+30+15
    expect(r('1Y')).toMatchObject({ start: '2023-05-16', base: '2023-05-15', days: 366, annualize: true });
    expect(r('3Y')).toMatchObject({ start: '2021-05-16', base: '2021-05-15', days: 365 * 3 + 1, annualize: true });
    expect(r('5Y')).toMatchObject({ base: null, status: 'insufficient_history', annualize: false, days: 0 }); // 2019-05-15 < 2019-12-31
    expect(r('10Y')).toMatchObject({ status: 'insufficient_history' });
    expect(r('ITD')).toMatchObject({ start: '2020-01-01', base: '2019-12-31', days: 1597, annualize: true }); // 366+365+365+365+136
  });

  it('quarter starts: QTD in each quarter', () => {
    expect(r('QTD', day('2024-01-10')).base).toBe('2023-12-31');
    expect(r('QTD', day('2024-03-31')).base).toBe('2023-12-31');
    expect(r('QTD', day('2024-07-01')).base).toBe('2024-06-30');
    expect(r('QTD', day('2024-12-31')).base).toBe('2024-09-30');
  });

  it('leap-year edges', () => {
    // MTD in March 2024 starts after 29 February
    expect(r('MTD', day('2024-03-01'))).toMatchObject({ base: '2024-02-29', days: 1 });
    // 1Y to 2024-02-29: same day a year earlier is clamped to 2023-02-28
    expect(r('1Y', day('2024-02-29'))).toMatchObject({ start: '2023-03-01', base: '2023-02-28', days: 366, annualize: true });
    // 1Y to 2024-02-28 has the same base and 365 days
    expect(r('1Y', day('2024-02-28'))).toMatchObject({ base: '2023-02-28', days: 365 });
    // 1Y to 2023-03-01 starts on 2022-03-02
    expect(r('1Y', day('2023-03-01'))).toMatchObject({ base: '2022-03-01', days: 365 });
    // YTD on 31 December of a leap year spans a full year of 366 days and is annualised
    expect(r('YTD', day('2024-12-31'))).toMatchObject({ base: '2023-12-31', days: 366, annualize: true });
    expect(r('YTD', day('2024-12-30'))).toMatchObject({ days: 365, annualize: false });
    // 3Y to 2024-02-29 -> 2021-02-28
    expect(r('3Y', day('2024-02-29'))).toMatchObject({ base: '2021-02-28', days: 1096 });
  });

  it('insufficient_history exactly at the first valuation boundary', () => {
    // YTD 2020: base 2019-12-31 is the first valuation -> ok
    expect(r('YTD', day('2020-06-30')).status).toBe('ok');
    // MTD December 2019 would need 2019-11-30 -> insufficient
    expect(r('MTD', day('2019-12-31')).status).toBe('insufficient_history');
    // 1Y to 2020-12-30 needs 2019-12-30 -> insufficient (one day short, never shortened)
    expect(r('1Y', day('2020-12-30')).status).toBe('insufficient_history');
    expect(r('1Y', day('2020-12-31'))).toMatchObject({ status: 'ok', base: '2019-12-31', days: 366 });
  });

  it('no_data when the as-of date precedes every valuation or the period has no valuation', () => {
    expect(r('ITD', day('2019-06-30'))).toMatchObject({ status: 'no_data', endValuation: null });
    expect(r('ITD', day('2019-12-31'))).toMatchObject({ status: 'no_data', base: null, days: 0 });
    // base 2023-12-29 exists but nothing is valued after it
    expect(resolvePeriod(code('MTD'), day('2024-01-01'), Int32Array.from([day('2023-12-29')])).status).toBe('no_data');
    expect(resolvePeriod(code('ITD'), day('2024-01-01'), new Int32Array(0)).status).toBe('no_data');
  });

  it('custom periods: from is the first day, to the end', () => {
    const w = show(resolvePeriod({ label: '2024-01-01..2024-06-30', code: 'CUSTOM', from: day('2024-01-01'), to: day('2024-06-30') }, asOf, dates));
    expect(w).toMatchObject({ start: '2024-01-01', end: '2024-06-30', base: '2023-12-31', endValuation: '2024-06-30', days: 182, annualize: false });
    const y = show(resolvePeriod({ label: 'y', code: 'CUSTOM', from: day('2022-07-01'), to: day('2023-06-30') }, asOf, dates));
    expect(y).toMatchObject({ base: '2022-06-30', days: 365, annualize: true });
    expect(resolvePeriod({ label: 'c', code: 'CUSTOM', from: day('2019-12-31'), to: day('2020-01-05') }, asOf, dates).status).toBe(
      'insufficient_history',
    );
    expect(() => resolvePeriod({ label: 'bad', code: 'CUSTOM', from: day('2024-02-01'), to: day('2024-01-01') }, asOf, dates)).toThrow(UsageError);
  });
});

describe('resolvePeriod with business-day valuations', () => {
  const dates = weekdays('2021-01-01', '2024-06-28');

  it('an as-of Sunday ends on the Friday valuation; bases fall back to the last valuation on or before', () => {
    const at = day('2024-06-30'); // Sunday
    const mtd = show(resolvePeriod(code('MTD'), at, dates));
    expect(mtd).toMatchObject({ start: '2024-06-01', end: '2024-06-30', base: '2024-05-31', endValuation: '2024-06-28', days: 28 });
    // 2023-06-30 was a Friday: 1Y is 364 days of valuations yet spans a calendar year, so it is annualised
    expect(show(resolvePeriod(code('1Y'), at, dates))).toMatchObject({ base: '2023-06-30', days: 364, annualize: true });
    // YTD base 2023-12-31 was a Sunday -> Friday 2023-12-29
    expect(show(resolvePeriod(code('YTD'), at, dates))).toMatchObject({ base: '2023-12-29', days: 182 });
  });

  it('a period with no valuation after its base is no_data', () => {
    // MTD on Monday 2024-07-01 after the data ended on Friday 2024-06-28
    expect(resolvePeriod(code('MTD'), day('2024-07-01'), dates)).toMatchObject({ status: 'no_data' });
  });
});

describe('annualize', () => {
  it('geometric over days/365', () => {
    expect(annualize(0.21, 730)).toBeCloseTo(0.1, 15); // 1.1^2 = 1.21
    expect(annualize(0.1, 365)).toBeCloseTo(0.1, 15);
    expect(annualize(0.1, 366)).toBeCloseTo(Math.pow(1.1, 365 / 366) - 1, 15);
    expect(annualize(-0.19, 730)).toBeCloseTo(-0.1, 15); // 0.9^2 = 0.81
    expect(deannualize(0.1, 730)).toBeCloseTo(0.21, 15);
    expect(annualize(-1, 400)).toBe(-1);
  });
});
