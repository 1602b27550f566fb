/**
 * The return engine's shortcuts give the very same float64 values as the plain computations they
 * replace: daily TWR's branch-free link of all-valid portfolios, the net flows per valuation day
 * found by strides, XIRR's netting into arrays made at their size.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dailyTwr } from '../../src/engine/dailyTwr.js';
import { xirr } from '../../src/engine/xirr.js';
import { flowProblem, flowsByValuationDay } from '../../src/engine/netFlows.js';
import { sumMoney } from '../../src/engine/money.js';
import { TIMING_END, TIMING_START } from '../../src/engine/types.js';
import type { PortfolioData } from '../../src/engine/types.js';
import { portfolioFromArrays } from './returnsHelpers.js';

/** The same bits (0 and -0 told apart, NaN equal to NaN). */
const sameArray = (x: ArrayLike<number>, y: ArrayLike<number>): boolean => x.length === y.length && Array.from(x).every((v, i) => Object.is(v, y[i]));

/** Day by day, as the formula reads: r_i = (V_i - FE_i) / (V_{i-1} + FS_i) - 1, invalid unless den > 0 and V_i >= 0. */
function dailyByFormula(p: PortfolioData, timing: 'start' | 'end') {
  const v = p.valuations.values;
  const n = v.length;
  const f = flowsByValuationDay(p, timing);
  const returns = new Float64Array(n);
  const growth = new Float64Array(n);
  const invalid: number[] = [];
  if (n > 0) growth[0] = 1;
  let g = 1;
  for (let i = 1; i < n; i++) {
    const k = f.index.indexOf(i);
    const num = k >= 0 ? v[i]! - f.end[k]! : v[i]!;
    const den = k >= 0 ? v[i - 1]! + f.start[k]! : v[i - 1]!;
    if (den > 0 && v[i]! >= 0) {
      returns[i] = num / den - 1;
      g *= num / den;
    } else {
      returns[i] = NaN;
      invalid.push(i);
    }
    growth[i] = g;
  }
  return { returns, growth, invalid };
}

/** Flow by flow: each joins the first valuation day on or after its date (start-of-day when it is moved there). */
function slotsByLookup(p: PortfolioData, timing: 'start' | 'end') {
  const vd = Array.from(p.valuations.dates);
  const groups = new Map<number, { start: number[]; end: number[]; moved: number }>();
  p.flows.dates.forEach((d, k) => {
    if (d === vd[0]) return;
    const j = vd.findIndex((v) => v >= d);
    const t = p.flows.timing[k];
    const moved = d !== vd[j];
    const start = moved || (t === TIMING_START ? true : t === TIMING_END ? false : timing === 'start');
    const g = groups.get(j) ?? { start: [], end: [], moved: 0 };
    (start ? g.start : g.end).push(p.flows.amounts[k]!);
    if (moved) g.moved++;
    groups.set(j, g);
  });
  const net = (xs: number[]) => (xs.length === 0 ? 0 : xs.length === 1 ? 0 + xs[0]! : sumMoney(xs));
  const index = [...groups.keys()];
  return { index, start: index.map((j) => net(groups.get(j)!.start)), end: index.map((j) => net(groups.get(j)!.end)), moved: index.map((j) => groups.get(j)!.moved) };
}

describe('flowsByValuationDay', () => {
  it('puts every flow in the slot of the first valuation day on or after it, netted per timing', () => {
    const arb = fc
      .tuple(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 80 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: -500, max: 500 }), fc.integer({ min: 0, max: 2 })), { maxLength: 30 }))
      .map(([gaps, flows]) => {
        let d = 20000;
        const dates = [d, ...gaps.map((g) => (d += g))];
        const sorted = flows.map(([off, a, t]) => [Math.min(dates[0]! + off, d), a / 100, t] as const).sort((x, y) => x[0] - y[0]);
        return portfolioFromArrays(dates, dates.map(() => 100), sorted.map((f) => f[0]), sorted.map((f) => f[1]), sorted.map((f) => f[2]));
      });
    fc.assert(
      fc.property(arb, fc.constantFrom<'start' | 'end'>('start', 'end'), (p, timing) => {
        expect(flowProblem(p)).toBeNull();
        const { problem, ...slots } = flowsByValuationDay(p, timing);
        expect(problem).toBeNull();
        const want = slotsByLookup(p, timing);
        expect(slots.index).toEqual(want.index);
        expect(slots.moved).toEqual(want.moved);
        expect(sameArray(slots.start, want.start)).toBe(true);
        expect(sameArray(slots.end, want.end)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('dailyTwr', () => {
  // values: mostly ordinary, sometimes 0, negative, tiny or huge (the product overflows), NaN
  const value = fc.oneof(
    { weight: 30, arbitrary: fc.double({ min: 1, max: 1e7, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(0, -0, -5, 1e-300, 1e300, Number.MAX_VALUE, NaN, Infinity) },
  );
  const flow = fc.tuple(fc.integer({ min: 0, max: 60 }), fc.oneof(fc.double({ min: -2e6, max: 2e6, noNaN: true }), fc.constantFrom(0, -1e7)), fc.integer({ min: 0, max: 2 }));
  const portfolioArb = fc
    .tuple(fc.array(fc.tuple(fc.integer({ min: 1, max: 4 }), value), { minLength: 1, maxLength: 40 }), fc.array(flow, { maxLength: 12 }))
    .map(([vals, flows]) => {
      let d = 19000;
      const dates = vals.map(([gap]) => (d += gap));
      const sorted = [...flows].sort((x, y) => x[0] - y[0]);
      // flow dates on or between valuation days (some on days without a valuation)
      const last = dates[dates.length - 1]!;
      const fd = sorted.map(([off]) => Math.min(dates[0]! + off, last));
      return portfolioFromArrays(
        dates,
        vals.map(([, v]) => v),
        fd,
        sorted.map(([, a]) => a),
        sorted.map(([, , t]) => t),
      );
    });

  it('gives the returns, growth and invalid days of the day-by-day formula, bit for bit', () => {
    let allValid = 0;
    fc.assert(
      fc.property(portfolioArb, fc.constantFrom<'start' | 'end'>('start', 'end'), fc.boolean(), (p, timing, reuse) => {
        const n = p.valuations.values.length;
        const workspace = reuse ? new Float64Array(2 * n + 3).fill(7) : undefined;
        const d = dailyTwr(p, timing, workspace);
        const want = dailyByFormula(p, timing);
        expect(sameArray(d.returns, want.returns)).toBe(true);
        expect(sameArray(d.growth, want.growth)).toBe(true);
        expect(d.invalid).toEqual(want.invalid);
        if (want.invalid.length === 0) allValid++;
      }),
      { numRuns: 1000 },
    );
    expect(allValid).toBeGreaterThan(100);
  });

  it('counts the flows moved from days without a valuation', () => {
    const p = portfolioFromArrays([19000, 19003, 19004], [100, 110, 120], [19001, 19002, 19003, 19004], [1, 2, 3, 4], [1, 1, 1, 2]);
    const d = dailyTwr(p, 'end');
    expect(d.movedAt).toEqual([1]);
    expect(d.movedCum).toEqual([2]);
  });
});

describe('xirr', () => {
  /** Stable date order, then one amount per date (summed from 0 in that order), zero nets left out. */
  function netted(dates: number[], amounts: number[]): [number[], number[]] {
    const order = dates.map((_, i) => i).sort((x, y) => dates[x]! - dates[y]! || x - y);
    const ds: number[] = [];
    const as: number[] = [];
    for (let k = 0; k < order.length; ) {
      const day = dates[order[k]!]!;
      let net = 0;
      for (; k < order.length && dates[order[k]!] === day; k++) net += amounts[order[k]!]!;
      if (net !== 0) {
        ds.push(day);
        as.push(net);
      }
    }
    return [ds, as];
  }

  it('nets and orders the cash flows as the netted, ordered list would give', () => {
    const flow = fc.tuple(fc.integer({ min: 0, max: 800 }), fc.oneof(fc.integer({ min: -2000, max: 2000 }).map((x) => x / 4), fc.constantFrom(0, -0)));
    fc.assert(
      fc.property(fc.array(flow, { minLength: 1, maxLength: 14 }), (flows) => {
        const dates = flows.map(([d]) => 19000 + d);
        const amounts = flows.map(([, a]) => a);
        const [ds, as] = netted(dates, amounts);
        expect(xirr(dates, amounts)).toEqual(xirr(ds, as));
      }),
      { numRuns: 1000 },
    );
  });
});
