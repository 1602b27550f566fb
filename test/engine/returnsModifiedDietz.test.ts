import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linkedModifiedDietz, monthLastFlags } from '../../src/engine/linkedModifiedDietz.js';
import { Money } from '../../src/engine/money.js';
import { modifiedDietz } from '../../src/engine/modifiedDietz.js';
import { resolveFlows } from '../../src/engine/netFlows.js';
import { twrPeriodResults } from '../../src/engine/periodReturns.js';
import { day, portfolio, type FlowRow } from './returnsHelpers.js';

// Period (2024-01-31, 2024-02-29]: T = 29 calendar days.
const BASE = { baseDate: day('2024-01-31'), baseValue: 1000, endDate: day('2024-02-29'), endValue: 1200 };

function md(flows: FlowRow[], dflt: 'start' | 'end' = 'end') {
  return modifiedDietz(BASE, resolveFlows(portfolio([], flows).flows, dflt));
}

describe('Modified Dietz', () => {
  it('no flows: (V_E - V_B) / V_B', () => {
    expect(md([]).value).toBeCloseTo(0.2, 15);
  });

  it('end-of-day flow on 2024-02-10: t = 10, w = (29 - 10)/29', () => {
    // R = (1200 - 1000 - 100) / (1000 + 100 * 19/29)
    expect(md([['2024-02-10', 100, 'end']]).value).toBeCloseTo(100 / (1000 + (100 * 19) / 29), 15);
  });

  it('start-of-day flow on 2024-02-10: w = (29 - 10 + 1)/29', () => {
    expect(md([['2024-02-10', 100, 'start']]).value).toBeCloseTo(100 / (1000 + (100 * 20) / 29), 15);
    // timing code 0 takes the run default
    expect(md([['2024-02-10', 100]], 'start').value).toBeCloseTo(100 / (1000 + (100 * 20) / 29), 15);
  });

  it('flows on the first and last days', () => {
    // start of the first day weighs 29/29 = 1; end of the first day 28/29
    expect(md([['2024-02-01', 100, 'start']]).value).toBeCloseTo(100 / 1100, 15);
    expect(md([['2024-02-01', 100, 'end']]).value).toBeCloseTo(100 / (1000 + (100 * 28) / 29), 15);
    // end of the last day weighs 0; start of the last day 1/29
    expect(md([['2024-02-29', -100, 'end']]).value).toBeCloseTo(300 / 1000, 15);
    expect(md([['2024-02-29', -100, 'start']]).value).toBeCloseTo(300 / (1000 - 100 / 29), 15);
  });

  it('flows on the base date or after the end date are outside the period', () => {
    expect(md([['2024-01-31', 500, 'end'], ['2024-03-01', 500, 'end']]).value).toBeCloseTo(0.2, 15);
  });

  it('a withdrawal and a contribution (textbook two-flow case)', () => {
    // +300 end of 2024-02-05 (t=5, w=24/29), -50 start of 2024-02-20 (t=20, w=10/29)
    const expected = (1200 - 1000 - (300 - 50)) / (1000 + (300 * 24) / 29 - (50 * 10) / 29);
    expect(
      md([
        ['2024-02-05', 300, 'end'],
        ['2024-02-20', -50, 'start'],
      ]).value,
    ).toBeCloseTo(expected, 15);
  });

  it('amounts finer than cents take the decimal path: same formula', () => {
    const r = modifiedDietz(
      { ...BASE, baseValue: 1000.0001, endValue: 1200.0005 },
      resolveFlows(portfolio([], [['2024-02-10', 100.00005, 'end']]).flows, 'end'),
    );
    expect(r.value).toBeCloseTo((1200.0005 - 1000.0001 - 100.00005) / (1000.0001 + (100.00005 * 19) / 29), 14);
  });

  it('equals the exact decimal formula (num and den each rounded once) for whole-cent data', () => {
    const cents = (min: number, max: number) => fc.integer({ min, max }).map((c) => c / 100);
    fc.assert(
      fc.property(
        cents(1, 1e10),
        cents(0, 1e10),
        fc.array(fc.record({ t: fc.integer({ min: 1, max: 29 }), a: cents(-1e9, 1e9), start: fc.boolean() }), { maxLength: 8 }),
        (vb, ve, rows) => {
          rows.sort((x, y) => x.t - y.t);
          const flows = {
            dates: Int32Array.from(rows.map((r) => BASE.baseDate + r.t)),
            amounts: Float64Array.from(rows.map((r) => r.a)),
            start: Uint8Array.from(rows.map((r) => (r.start ? 1 : 0))),
          };
          const got = modifiedDietz({ ...BASE, baseValue: vb, endValue: ve }, flows);
          // Reference in decimal: R = (V_E - V_B - sum F) / (V_B + sum (29 - t + s) F / 29)
          let num = new Money(ve).minus(vb);
          let den = new Money(vb);
          for (const r of rows) {
            num = num.minus(new Money(r.a));
            den = den.plus(new Money(r.a).times(29 - r.t + (r.start ? 1 : 0)).div(29));
          }
          if (den.toNumber() <= 0) {
            expect(got.status).toBe('invalid_input');
            return;
          }
          expect(got.value).toBe(num.toNumber() / den.toNumber());
        },
      ),
    );
  });

  it('a non-positive denominator is invalid_input naming the period', () => {
    const r = modifiedDietz({ ...BASE, baseValue: 0 }, resolveFlows(portfolio([], [['2024-02-29', 10, 'end']]).flows, 'end'));
    expect(r.status).toBe('invalid_input');
    expect(r.status === 'invalid_input' && r.message).toContain('2024-01-31');
  });
});

describe('linked Modified Dietz', () => {
  it('monthLastFlags marks the last valuation of each calendar month', () => {
    const dates = Int32Array.from(['2024-01-30', '2024-01-31', '2024-02-01', '2024-02-28', '2024-03-29', '2025-03-03', '2025-03-04'].map(day));
    expect(Array.from(monthLastFlags(dates))).toEqual([0, 1, 0, 1, 1, 0, 1]);
  });

  const vals: [string, number][] = [
    ['2023-12-31', 1000],
    ['2024-01-15', 1550],
    ['2024-01-31', 1600],
    ['2024-02-29', 1700],
  ];
  const flows: FlowRow[] = [['2024-01-15', 500, 'end']];
  const p = portfolio(vals, flows);
  const rf = resolveFlows(p.flows, 'end');
  // January without a split: T = 31, t = 15, w = 16/31
  const jan = (1600 - 1000 - 500) / (1000 + (500 * 16) / 31);
  const feb = 1700 / 1600 - 1;

  it('links monthly Modified Dietz returns at month-end valuations', () => {
    const r = linkedModifiedDietz(p.valuations, rf, 0, 3);
    expect(r.value).toBeCloseTo((1 + jan) * (1 + feb) - 1, 15);
  });

  it('splits at a large flow using the valuation on its date', () => {
    // 500 >= 0.1 x 1000: (12-31, 01-15] has the flow at weight 0 -> 50/1000; (01-15, 01-31] -> 1600/1550 - 1
    const r = linkedModifiedDietz(p.valuations, rf, 0, 3, 0.1);
    expect(r.value).toBeCloseTo((1 + 50 / 1000) * (1600 / 1550) * (1 + feb) - 1, 15);
    // a threshold above 50% does not split
    expect(linkedModifiedDietz(p.valuations, rf, 0, 3, 0.6).value).toBeCloseTo((1 + jan) * (1 + feb) - 1, 15);
  });

  it('a large start-of-day flow belongs to the part ending on its date (weight 1/T of that part)', () => {
    const ps = portfolio(vals, [['2024-01-15', 500, 'start']]);
    const r = linkedModifiedDietz(ps.valuations, resolveFlows(ps.flows, 'end'), 0, 3, 0.1);
    // (12-31, 01-15]: T = 15, w = 1/15
    expect(r.value).toBeCloseTo((1 + 50 / (1000 + 500 / 15)) * (1600 / 1550) * (1 + feb) - 1, 15);
  });

  it('a large flow without a valuation on its date is invalid_input naming the flow', () => {
    const q = portfolio(
      vals.filter(([d]) => d !== '2024-01-15'),
      flows,
    );
    const r = linkedModifiedDietz(q.valuations, resolveFlows(q.flows, 'end'), 0, 2, 0.1);
    expect(r.status).toBe('invalid_input');
    expect(r.status === 'invalid_input' && r.message).toMatch(/large cash flow of 500 on 2024-01-15/);
    const [res] = twrPeriodResults(q, [{ label: 'ITD', code: 'ITD' }], undefined, {
      method: 'linked-modified-dietz',
      flowTiming: 'end',
      largeFlowThreshold: 0.1,
    });
    expect(res!.status).toBe('invalid_input');
    expect(res!.cumulative_return).toBeNull();
    expect(res!.warnings[0]).toMatch(/2024-01-15/);
  });

  it('month boundaries use the last valuation of each month, not the calendar month end', () => {
    const q = portfolio([
      ['2024-01-31', 100],
      ['2024-02-28', 110], // last valuation in February (no 02-29 valuation)
      ['2024-03-05', 121],
    ], [['2024-02-29', 10, 'end']]); // flow on a day after February's last valuation, in March's sub-period
    const r = linkedModifiedDietz(q.valuations, resolveFlows(q.flows, 'end'), 0, 2);
    // Feb: 110/100 - 1; (02-28, 03-05]: T = 6, t = 1, w = 5/6 -> (121 - 110 - 10)/(110 + 10 * 5/6)
    expect(r.value).toBeCloseTo(1.1 * (1 + 1 / (110 + 50 / 6)) - 1, 15);
  });
});
