import { describe, expect, it } from 'vitest';
import { mwrPeriodResults, twrPeriodResults } from '../../src/engine/periodReturns.js';
import type { PeriodSpec } from '../../src/engine/periods.js';
import { xirr } from '../../src/engine/xirr.js';
import { day, portfolio } from './returnsHelpers.js';

const specs = (...codes: ('MTD' | 'QTD' | 'YTD' | '1Y' | '3Y' | 'ITD')[]): PeriodSpec[] => codes.map((c) => ({ label: c, code: c }));

// Month-end valuations through 2024, plus one mid-month valuation.
const P = portfolio(
  [
    ['2023-12-31', 100],
    ['2024-06-30', 104],
    ['2024-11-30', 108],
    ['2024-12-15', 120],
    ['2024-12-31', 121],
  ],
  [['2024-12-15', 10, 'end']],
);

describe('twrPeriodResults', () => {
  it('records for MTD, YTD (a full leap year, annualised over 366 days) and 3Y (insufficient history)', () => {
    const [mtd, ytd, y3] = twrPeriodResults(P, specs('MTD', 'YTD', '3Y'), undefined, { method: 'daily', flowTiming: 'end' });
    // MTD: (11-30, 12-15]: (120 - 10)/108 - 1; (12-15, 12-31]: 121/120 - 1
    const mtdR = (110 / 108) * (121 / 120) - 1;
    expect(mtd).toEqual({
      portfolio_id: 'P1',
      period: 'MTD',
      start_date: '2024-12-01',
      end_date: '2024-12-31',
      base_date: '2024-11-30',
      method: 'daily',
      cumulative_return: expect.closeTo(mtdR, 14),
      annualized_return: null,
      annualized: false,
      days: 31,
      status: 'ok',
      warnings: [],
    });
    const ytdR = (104 / 100) * (108 / 104) * mtdR + (104 / 100) * (108 / 104) - 1; // 1.08 x (1 + mtdR) - 1
    expect(ytd!.cumulative_return).toBeCloseTo(ytdR, 14);
    expect(ytd!.annualized).toBe(true);
    expect(ytd!.days).toBe(366);
    expect(ytd!.annualized_return).toBeCloseTo(Math.pow(1 + ytdR, 365 / 366) - 1, 14);
    expect(y3).toMatchObject({ status: 'insufficient_history', cumulative_return: null, annualized_return: null, base_date: null, days: null });
    expect(y3!.warnings[0]).toMatch(/first valuation is 2023-12-31/);
  });

  it('Modified Dietz over the YTD period (T = 366, flow t = 350, w = 16/366)', () => {
    const [ytd] = twrPeriodResults(P, specs('YTD'), undefined, { method: 'modified-dietz', flowTiming: 'end' });
    expect(ytd!.method).toBe('modified-dietz');
    expect(ytd!.cumulative_return).toBeCloseTo((121 - 100 - 10) / (100 + (10 * 16) / 366), 15);
    const [s] = twrPeriodResults(P, specs('YTD'), undefined, { method: 'modified-dietz', flowTiming: 'start' });
    // the flow's explicit 'end' timing wins over the run default
    expect(s!.cumulative_return).toBeCloseTo((121 - 100 - 10) / (100 + (10 * 16) / 366), 15);
  });

  it('linked Modified Dietz over YTD links (12-31, 06-30], (06-30, 11-30], (11-30, 12-31]', () => {
    const [ytd] = twrPeriodResults(P, specs('YTD'), undefined, { method: 'linked-modified-dietz', flowTiming: 'end' });
    // December: T = 31, t = 15, w = 16/31
    const dec = (121 - 108 - 10) / (108 + (10 * 16) / 31);
    expect(ytd!.cumulative_return).toBeCloseTo(1.04 * (108 / 104) * (1 + dec) - 1, 15);
  });

  it('an explicit as-of date between valuations ends on the last valuation before it (warning past a week)', () => {
    const [mtd] = twrPeriodResults(P, specs('MTD'), day('2024-12-20'), { method: 'daily', flowTiming: 'end' });
    expect(mtd).toMatchObject({ end_date: '2024-12-20', base_date: '2024-11-30', days: 15, warnings: [] });
    expect(mtd!.cumulative_return).toBeCloseTo(110 / 108 - 1, 15);
    const [late] = twrPeriodResults(P, specs('MTD'), day('2024-12-23'), { method: 'daily', flowTiming: 'end' });
    expect(late!.warnings).toEqual(['end value from 2024-12-15, the last valuation on or before 2024-12-23']);
  });

  it('a portfolio without valuations gives no_data records', () => {
    const [r] = twrPeriodResults(portfolio([]), specs('ITD'), undefined, { method: 'daily', flowTiming: 'end' });
    expect(r).toMatchObject({ status: 'no_data', cumulative_return: null });
  });
});

describe('mwrPeriodResults', () => {
  it('no flows over a leap year: IRR = 1.21^(365/366) - 1, cumulative = V_E/V_B - 1', () => {
    const p = portfolio([
      ['2023-12-31', 100],
      ['2024-12-31', 121],
    ]);
    const [ytd, mtd] = mwrPeriodResults(p, specs('YTD', 'MTD'), undefined, { flowTiming: 'end' });
    expect(ytd!.method).toBe('xirr');
    expect(ytd!.annualized_return).toBeCloseTo(Math.pow(1.21, 365 / 366) - 1, 14);
    expect(ytd!.cumulative_return).toBeCloseTo(0.21, 14);
    expect(ytd!.annualized).toBe(true);
    // MTD's base is the last valuation on or before 2024-11-30, here 2023-12-31 (never shortened, but said)
    expect(mtd).toMatchObject({ status: 'ok', base_date: '2023-12-31', days: 366, annualized: false, annualized_return: null });
    expect(mtd!.cumulative_return).toBeCloseTo(0.21, 14);
    expect(mtd!.warnings).toEqual(['base value from 2023-12-31, the last valuation on or before 2024-11-30']);
  });

  it('investor cash flows: -V_B, -F on its date (end) or the day before (start), +V_E', () => {
    const d0 = day('2023-12-31');
    const [end] = mwrPeriodResults(P, specs('YTD'), undefined, { flowTiming: 'end' });
    const ref = xirr([d0, day('2024-12-15'), day('2024-12-31')], [-100, -10, 121]).rate!;
    expect(end!.annualized_return).toBeCloseTo(ref, 14);
    expect(end!.cumulative_return).toBeCloseTo(Math.pow(1 + ref, 366 / 365) - 1, 14);
    const q = portfolio(
      [
        ['2023-12-31', 100],
        ['2024-12-31', 121],
      ],
      [['2024-12-15', 10, 'start']],
    );
    const [start] = mwrPeriodResults(q, specs('YTD'), undefined, { flowTiming: 'end' });
    const refStart = xirr([d0, day('2024-12-14'), day('2024-12-31')], [-100, -10, 121]).rate!;
    expect(start!.annualized_return).toBeCloseTo(refStart, 14);
    expect(refStart).not.toBeCloseTo(ref, 6);
  });

  it('a period shorter than a year has a cumulative rate and a null annualized_return', () => {
    const [mtd] = mwrPeriodResults(P, specs('MTD'), undefined, { flowTiming: 'end' });
    const irr = xirr([day('2024-11-30'), day('2024-12-15'), day('2024-12-31')], [-108, -10, 121]).rate!;
    expect(mtd!.annualized_return).toBeNull();
    expect(mtd!.cumulative_return).toBeCloseTo(Math.pow(1 + irr, 31 / 365) - 1, 14);
  });

  it('a total loss with a contribution has no rate: no_solution with null values', () => {
    const p = portfolio(
      [
        ['2024-01-31', 0],
        ['2024-02-29', 0],
      ],
      [['2024-02-10', 50, 'end']],
    );
    const [r] = mwrPeriodResults(p, specs('MTD'), undefined, { flowTiming: 'end' });
    expect(r).toMatchObject({ status: 'no_solution', cumulative_return: null, annualized_return: null });
    expect(r!.warnings.length).toBe(1);
  });
});
