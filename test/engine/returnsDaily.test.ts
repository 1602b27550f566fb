import { describe, expect, it } from 'vitest';
import { dailyTwr, linkDailyTwr, movedFlowCount } from '../../src/engine/dailyTwr.js';
import { flowsByValuationDay } from '../../src/engine/netFlows.js';
import { twrPeriodResults } from '../../src/engine/periodReturns.js';
import type { PeriodSpec } from '../../src/engine/periods.js';
import { portfolio } from './returnsHelpers.js';

const ITD: PeriodSpec[] = [{ label: 'ITD', code: 'ITD' }];

function itd(p: ReturnType<typeof portfolio>, timing: 'start' | 'end' = 'end') {
  const [r] = twrPeriodResults(p, ITD, undefined, { method: 'daily', flowTiming: timing });
  return r!;
}

// Four consecutive business days, Tue 2024-01-02 .. Fri 2024-01-05.
const VALS: [string, number][] = [
  ['2024-01-02', 1000],
  ['2024-01-03', 1010],
  ['2024-01-04', 1525],
  ['2024-01-05', 1500],
];

describe('daily TWR', () => {
  it('no flows: chain of V_t / V_{t-1}, equal to V_E / V_B - 1', () => {
    const d = dailyTwr(portfolio(VALS), 'end');
    expect(d.returns[1]).toBeCloseTo(1010 / 1000 - 1, 15);
    expect(d.returns[2]).toBeCloseTo(1525 / 1010 - 1, 15);
    expect(d.returns[3]).toBeCloseTo(1500 / 1525 - 1, 15);
    const r = linkDailyTwr(d, 0, 3);
    expect(r.status).toBe('ok');
    expect(r.value).toBeCloseTo(1500 / 1000 - 1, 14); // 0.5
  });

  it('end-of-day flow: r_t = (V_t - F_t) / V_{t-1} - 1', () => {
    const r = itd(portfolio(VALS, [['2024-01-04', 500, 'end']]));
    // r1 = 1010/1000 - 1; r2 = (1525 - 500)/1010 - 1; r3 = 1500/1525 - 1
    const expected = (1010 / 1000) * ((1525 - 500) / 1010) * (1500 / 1525) - 1; // = 1.025 * 1500/1525 - 1
    expect(r.status).toBe('ok');
    expect(r.cumulative_return).toBeCloseTo(expected, 14);
    expect(r.cumulative_return).toBeCloseTo(1.025 * (1500 / 1525) - 1, 14); // -0.0081967...
    expect(r.annualized_return).toBeNull();
    expect(r.annualized).toBe(false);
    expect(r.days).toBe(3);
    expect(r.base_date).toBe('2024-01-02');
    expect(r.start_date).toBe('2024-01-03');
    expect(r.end_date).toBe('2024-01-05');
  });

  it('start-of-day flow: r_t = V_t / (V_{t-1} + F_t) - 1', () => {
    const r = itd(portfolio(VALS, [['2024-01-04', 500, 'start']]));
    const expected = (1010 / 1000) * (1525 / (1010 + 500)) * (1500 / 1525) - 1; // = 1.01 * 1500 / 1510 - 1
    expect(r.cumulative_return).toBeCloseTo(expected, 14);
    expect(r.cumulative_return).toBeCloseTo((1.01 * 1500) / 1510 - 1, 14);
  });

  it('timing code 0 follows the run default; explicit codes override it', () => {
    const dflt = portfolio(VALS, [['2024-01-04', 500]]);
    expect(itd(dflt, 'end').cumulative_return).toBeCloseTo(1.025 * (1500 / 1525) - 1, 14);
    expect(itd(dflt, 'start').cumulative_return).toBeCloseTo((1.01 * 1500) / 1510 - 1, 14);
    const explicitEnd = portfolio(VALS, [['2024-01-04', 500, 'end']]);
    expect(itd(explicitEnd, 'start').cumulative_return).toBeCloseTo(1.025 * (1500 / 1525) - 1, 14);
  });

  it('both timings on one day: r_t = (V_t - FE_t) / (V_{t-1} + FS_t) - 1', () => {
    const r = itd(
      portfolio(VALS, [
        ['2024-01-04', 300, 'start'],
        ['2024-01-04', 200, 'end'],
      ]),
    );
    const expected = (1010 / 1000) * ((1525 - 200) / (1010 + 300)) * (1500 / 1525) - 1;
    expect(r.cumulative_return).toBeCloseTo(expected, 14);
  });

  it('a flow on the first valuation date is part of the starting value', () => {
    const r = itd(portfolio(VALS, [['2024-01-02', 400, 'end']]));
    expect(r.cumulative_return).toBeCloseTo(0.5, 14); // 1500/1000 - 1, the flow enters no return
  });

  it('flows on the last day: end flow in the closing value, start flow in the opening value', () => {
    const end = itd(portfolio(VALS, [['2024-01-05', -100, 'end']]));
    // r3 = (1500 - (-100))/1525 - 1
    expect(end.cumulative_return).toBeCloseTo((1525 / 1000) * (1600 / 1525) - 1, 14); // 0.6
    const start = itd(portfolio(VALS, [['2024-01-05', -100, 'start']]));
    // r3 = 1500/(1525 - 100) - 1
    expect(start.cumulative_return).toBeCloseTo((1525 / 1000) * (1500 / 1425) - 1, 14);
  });

  it('weekend flows join the next valuation day as start-of-day flows and are counted', () => {
    const p = portfolio(
      [
        ['2024-01-05', 1000], // Fri
        ['2024-01-08', 1210], // Mon
        ['2024-01-09', 1220], // Tue
      ],
      [
        ['2024-01-06', 100, 'end'], // Sat
        ['2024-01-07', 50, 'end'], // Sun
      ],
    );
    const f = flowsByValuationDay(p, 'end');
    expect(f).toEqual({ index: [1], start: [150], end: [0], moved: [2], problem: null }); // both join Monday (index 1)
    const r = itd(p);
    // r(Mon) = 1210/(1000 + 150) - 1; r(Tue) = 1220/1210 - 1
    expect(r.cumulative_return).toBeCloseTo((1210 / 1150) * (1220 / 1210) - 1, 14); // 1220/1150 - 1
    expect(r.warnings).toContain('2 cash flows dated on days without a valuation moved to the next valuation day as start-of-day flows');
    const d = dailyTwr(p, 'end');
    expect(movedFlowCount(d, 1, 2)).toBe(0); // (Mon, Tue] holds no moved flow
    expect(movedFlowCount(d, 0, 1)).toBe(2);
  });

  it('flow slots: first-date flows skipped, timings netted per slot, moved flows start-of-day', () => {
    const p = portfolio(
      [
        ['2024-01-05', 1000], // Fri
        ['2024-01-08', 1000], // Mon
        ['2024-01-09', 1000], // Tue
      ],
      [
        ['2024-01-05', 7, 'start'], // first valuation date: in the starting value
        ['2024-01-06', 1, 'end'], // Sat -> Mon start
        ['2024-01-08', 2, 'start'],
        ['2024-01-08', 4, 'end'],
        ['2024-01-08', 8], // run default
        ['2024-01-09', 16, 'start'],
      ],
    );
    expect(flowsByValuationDay(p, 'end')).toEqual({ index: [1, 2], start: [3, 16], end: [12, 0], moved: [1, 0], problem: null });
    expect(flowsByValuationDay(p, 'start')).toEqual({ index: [1, 2], start: [11, 16], end: [4, 0], moved: [1, 0], problem: null });
  });

  it('several flows on a day are netted exactly (0.1 + 0.2 is 0.3)', () => {
    const p = portfolio(VALS, [
      ['2024-01-03', 0.1, 'end'],
      ['2024-01-03', 0.2, 'end'],
    ]);
    expect(flowsByValuationDay(p, 'end')).toMatchObject({ index: [1], end: [0.3], start: [0] });
  });

  it('a zero start-of-day value gives invalid_input naming the date', () => {
    const p = portfolio([
      ['2024-01-02', 1000],
      ['2024-01-03', 0],
      ['2024-01-04', 100],
    ]);
    const [itdR, mtd] = twrPeriodResults(
      p,
      [
        { label: 'ITD', code: 'ITD' },
        { label: 'x', code: 'CUSTOM', from: p.valuations.dates[1]! + 0, to: p.valuations.dates[1]! },
      ],
      undefined,
      { method: 'daily', flowTiming: 'end' },
    );
    expect(itdR!.status).toBe('invalid_input');
    expect(itdR!.cumulative_return).toBeNull();
    expect(itdR!.warnings.join(' ')).toContain('2024-01-04');
    // (2024-01-02, 2024-01-03] is a -100% day and is valid: the zero is a closing value there.
    expect(mtd!.status).toBe('ok');
    expect(mtd!.cumulative_return).toBe(-1);
  });

  it('a zero value with a start-of-day contribution is a valid denominator', () => {
    const p = portfolio(
      [
        ['2024-01-02', 0],
        ['2024-01-03', 1050],
      ],
      [['2024-01-03', 1000, 'start']],
    );
    expect(itd(p).cumulative_return).toBeCloseTo(0.05, 14); // 1050/(0 + 1000) - 1
  });

  it('a flow before the first valuation gives invalid_input for every period', () => {
    const r = itd(portfolio(VALS, [['2023-12-29', 10]]));
    expect(r.status).toBe('invalid_input');
    expect(r.warnings.join(' ')).toContain('2023-12-29');
  });

  it('with a workspace: the same returns and growth, as views into a reused (dirty) workspace', () => {
    const p = portfolio(VALS, [
      ['2024-01-03', 20, 'end'],
      ['2024-01-04', 500, 'start'],
    ]);
    const fresh = dailyTwr(p, 'end');
    const workspace = new Float64Array(16).fill(Number.NaN); // left over from an earlier portfolio
    const reused = dailyTwr(p, 'end', workspace);
    expect(reused.returns.buffer).toBe(workspace.buffer);
    expect(Array.from(reused.returns)).toEqual(Array.from(fresh.returns));
    expect(Array.from(reused.growth)).toEqual(Array.from(fresh.growth));
    expect(reused.returns[0]).toBe(0);
    // too small a workspace: new arrays, the workspace untouched
    const small = new Float64Array(7);
    const own = dailyTwr(p, 'end', small);
    expect(own.returns.buffer).not.toBe(small.buffer);
    expect(Array.from(own.growth)).toEqual(Array.from(fresh.growth));
  });

  it('prefix products match the direct product over 2,520 days to 1e-13', () => {
    // Deterministic pseudo-random walk (LCG), values rounded to cents.
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const n = 2521;
    const dates = Array.from({ length: n }, (_, i) => 19000 + i);
    const values: number[] = [1e6];
    for (let i = 1; i < n; i++) values.push(Math.round(values[i - 1]! * (1 + (rnd() - 0.5) * 0.04) * 100) / 100);
    const p = {
      portfolioId: 'X',
      valuations: { dates: Int32Array.from(dates), values: Float64Array.from(values) },
      flows: { dates: new Int32Array(0), amounts: new Float64Array(0), timing: new Uint8Array(0) },
    };
    const d = dailyTwr(p, 'end');
    for (const [b, e] of [
      [0, 2520],
      [2490, 2520],
      [2519, 2520],
      [1000, 1252],
      [7, 2000],
    ] as const) {
      let direct = 1;
      for (let i = b + 1; i <= e; i++) direct *= values[i]! / values[i - 1]!;
      const viaPrefix = linkDailyTwr(d, b, e).value!;
      expect(Math.abs(viaPrefix - (direct - 1))).toBeLessThan(1e-13);
      expect(Math.abs(viaPrefix - (values[e]! / values[b]! - 1))).toBeLessThan(1e-12);
    }
  });
});
