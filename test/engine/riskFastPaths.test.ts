/**
 * The risk engine's shortcuts give the very same float64 values as the plain computations they
 * replace: one-pass max drawdown, counted median gap, in-place downside sum, reused means and sds
 * (no excess-return copy at a zero risk-free rate, no shifted copy at a zero MAR).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accurateGrowth, accurateSum, cumulativeGrowth } from '../../src/engine/accurateSum.js';
import { detectScale } from '../../src/engine/detectScale.js';
import { downsideDeviation, downsideDeviationByBranch, sumAndDownside } from '../../src/engine/downsideDeviation.js';
import { drawdowns } from '../../src/engine/drawdowns.js';
import { maxDrawdown, maxDrawdownByCandidates, maxDrawdownSequential } from '../../src/engine/maxDrawdown.js';
import { endOfMonth } from '../../src/engine/calendarDate.js';
import { mean } from '../../src/engine/mean.js';
import { monthlyReturns } from '../../src/engine/monthlyReturns.js';
import { sampleCovariance } from '../../src/engine/sampleCovariance.js';
import { sampleSd } from '../../src/engine/sampleSd.js';
import { riskMetrics, RISK_METRIC_KEYS } from '../../src/engine/riskMetrics.js';

import { alignSeries } from '../../src/engine/alignSeries.js';

/** Daily-like returns: mostly small, with an occasional large gain or loss (never below -100%). */
const returnsArb = fc.array(
  fc.oneof(
    { weight: 8, arbitrary: fc.double({ min: -0.08, max: 0.08, noNaN: true }) },
    { weight: 1, arbitrary: fc.double({ min: -1, max: 3, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(0, -0, -1, 1e-300, -1e-17) },
  ),
  { maxLength: 400 },
);

/** The same bits (0 and -0 told apart). */
const same = (x: number, y: number): boolean => Object.is(x, y);

/** detectScale's thresholds on the median gap, the median taken from the sorted gaps. */
function scaleBySort(dates: Int32Array): number {
  if (dates.length < 2) return 1;
  const gaps = Array.from({ length: dates.length - 1 }, (_, i) => dates[i + 1]! - dates[i]!).sort((x, y) => x - y);
  const m = gaps.length;
  const median = m % 2 === 1 ? gaps[(m - 1) / 2]! : (gaps[m / 2 - 1]! + gaps[m / 2]!) / 2;
  return median <= 4 ? 252 : median <= 10 ? 52 : median <= 45 ? 12 : median <= 135 ? 4 : 1;
}

describe('one-pass and in-place forms', () => {
  it('maxDrawdown is -min(0, drawdowns), bit for bit, and accurateGrowth is the last cumulativeGrowth', () => {
    fc.assert(
      fc.property(returnsArb, (r) => {
        const dd = drawdowns(r);
        let min = 0;
        for (const v of dd) if (v < min) min = v;
        expect(same(maxDrawdown(r), min === 0 ? 0 : -min)).toBe(true);
        const w = cumulativeGrowth(r);
        expect(same(accurateGrowth(r), w.length === 0 ? 1 : w[w.length - 1]!)).toBe(true);
      }),
      { numRuns: 300 },
    );
    expect(maxDrawdown([])).toBe(0);
    expect(maxDrawdown([0.1, 0.2])).toBe(0);
    expect(maxDrawdown([0.1, -1, 0.5])).toBe(1);
    expect(maxDrawdown([-0.5, 0.5])).toBe(0.5); // the starting wealth 1 is a peak
  });

  it('maxDrawdown on long series (the candidate method) is the sequential chain\'s figure, bit for bit', () => {
    // random walks of daily-like returns, with crashes, flat stretches, exact repeats and rebounds
    // to (almost) the same peak, so that near-ties between troughs or between peaks occur
    const step = fc.oneof(
      { weight: 60, arbitrary: fc.double({ min: -0.03, max: 0.03, noNaN: true }) },
      { weight: 3, arbitrary: fc.constantFrom(0, 0, -0, 0.01, -0.01, 0.25, -0.2, -0.5) },
      { weight: 1, arbitrary: fc.double({ min: -0.9, max: 1, noNaN: true }) },
    );
    const walk = fc.tuple(fc.array(step, { minLength: 1, maxLength: 700 }), fc.integer({ min: 1, max: 4 }), fc.boolean()).map(([base, copies, mirror]) => {
      // repeats of one stretch (and its reverse gain) make equal wealths recur
      const out: number[] = [];
      for (let c = 0; c < copies; c++) for (const r of base) out.push(r);
      if (mirror) for (const r of base) out.push(1 / (1 + r) - 1);
      return out;
    });
    const check = (r: number[]): boolean => {
      const reference = maxDrawdownSequential(r);
      const viaCandidates = maxDrawdownByCandidates(r);
      if (viaCandidates !== undefined) expect(same(viaCandidates, reference)).toBe(true);
      expect(same(maxDrawdown(r), reference)).toBe(true);
      return viaCandidates !== undefined;
    };
    fc.assert(fc.property(walk, (r) => void check(r)), { numRuns: 400 });
    // realistic daily series (returns in hundredths of a basis point, 2 to 10 years): the fast path answers
    let fast = 0;
    const daily = fc.array(fc.integer({ min: -30000, max: 31000 }).map((x) => x / 1e6), { minLength: 500, maxLength: 2600 });
    fc.assert(fc.property(daily, (r) => void (check(r) && fast++)), { numRuns: 200 });
    expect(fast).toBeGreaterThan(180);
  });

  it('the candidate method steps aside when it cannot prove its answer', () => {
    const flat = new Array<number>(300).fill(0);
    expect(maxDrawdownByCandidates(flat)).toBeUndefined(); // every period is at its peak
    expect(maxDrawdown(flat)).toBe(0);
    const rising = Array.from({ length: 300 }, (_, i) => 0.001 * ((i % 7) + 1));
    expect(maxDrawdownByCandidates(rising)).toBeUndefined();
    expect(maxDrawdown(rising)).toBe(0);
    // two equally deep troughs: the same stretch twice after returning exactly to the peak wealth 1
    const dip = [-0.5, 1]; // 1 -> 0.5 -> 1 exactly
    const twice = [...new Array<number>(100).fill(0), ...dip, ...dip, 0];
    expect(maxDrawdownByCandidates(twice)).toBeUndefined();
    expect(maxDrawdown(twice)).toBe(0.5);
    // wealth beyond the range the fast path accepts
    const huge = new Array<number>(200).fill(9);
    expect(maxDrawdownByCandidates(huge)).toBeUndefined();
    expect(same(maxDrawdown([...huge, -0.5]), maxDrawdownSequential([...huge, -0.5]))).toBe(true);
    // wealth past 1e100 before the trough, or below 1e-100 at it (the range is checked after the pass)
    const soaring = [...new Array<number>(340).fill(1), -0.5, 0.1, -0.3];
    expect(maxDrawdownByCandidates(soaring)).toBeUndefined();
    expect(same(maxDrawdown(soaring), maxDrawdownSequential(soaring))).toBe(true);
    const sinking = [0.2, ...new Array<number>(340).fill(-0.5), 0.5, 1];
    expect(maxDrawdownByCandidates(sinking)).toBeUndefined();
    expect(same(maxDrawdown(sinking), maxDrawdownSequential(sinking))).toBe(true);
    // just inside the range: answered, and the sequential chain's figure
    const deep = [0.01, ...new Array<number>(300).fill(-0.5), 0.5];
    expect(maxDrawdownByCandidates(deep)).toBeDefined();
    expect(same(maxDrawdown(deep), maxDrawdownSequential(deep))).toBe(true);
    // a -100% period and NaN
    const wipe = [...new Array<number>(100).fill(0.01), -1, 0.5];
    expect(maxDrawdown(wipe)).toBe(1);
    expect(same(maxDrawdown([...wipe.slice(0, 99), NaN]), maxDrawdownSequential([...wipe.slice(0, 99), NaN]))).toBe(true);
  });

  it('downsideDeviation equals the square root of the accurate sum of its terms', () => {
    fc.assert(
      fc.property(returnsArb, fc.constantFrom(0, 0.001, -0.002), (r, mar) => {
        const terms = r.filter((x) => x < mar).map((x) => ((mar - x) * (mar - x)) / r.length);
        const expected = r.length === 0 ? NaN : Math.sqrt(accurateSum(terms));
        expect(same(downsideDeviation(r, mar), expected)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('downsideDeviation without a branch per period is the branching form, bit for bit, at the edges too', () => {
    const edge = fc.constantFrom(0, -0, 1e-310, -1e-310, 5e-324, -5e-324, 1e-160, -1e-160, 1e200, -1e200, -Number.MAX_VALUE, Number.MAX_VALUE, Infinity, -Infinity, NaN);
    const values = fc.array(fc.oneof({ weight: 6, arbitrary: fc.double({ min: -0.1, max: 0.1, noNaN: true }) }, { weight: 1, arbitrary: edge }), { maxLength: 60 });
    const marArb = fc.oneof(fc.constantFrom(0, -0, 0.001, -0.002, 1e-310, Infinity, -Infinity, NaN, -Number.MAX_VALUE), fc.double({ min: -0.05, max: 0.05, noNaN: true }));
    fc.assert(
      fc.property(values, marArb, (r, mar) => {
        expect(same(downsideDeviation(r, mar), downsideDeviationByBranch(r, mar))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('sumAndDownside is accurateSum and downsideDeviation from one pass, bit for bit', () => {
    const edge = fc.constantFrom(0, -0, 1e-310, -1e-310, 1e200, -1e200, -Number.MAX_VALUE, Infinity, -Infinity, NaN);
    const values = fc.array(fc.oneof({ weight: 8, arbitrary: fc.double({ min: -0.1, max: 0.1, noNaN: true }) }, { weight: 1, arbitrary: edge }), { maxLength: 60 });
    const marArb = fc.oneof(fc.constantFrom(0, -0, 0.001, Infinity, -Infinity, NaN), fc.double({ min: -0.05, max: 0.05, noNaN: true }));
    fc.assert(
      fc.property(values, marArb, (r, mar) => {
        const both = sumAndDownside(r, mar);
        expect(same(both.sum, accurateSum(r))).toBe(true);
        expect(same(both.downside, downsideDeviation(r, mar))).toBe(true);
        expect(same(mean(r, both.sum), mean(r))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('alignSeries keeps a lone series with no NaN as it is (infinities included) and drops NaN rows', () => {
    const values = fc.array(fc.oneof({ weight: 8, arbitrary: fc.double({ min: -0.1, max: 0.1, noNaN: true }) }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 0, -0) }), { maxLength: 40 });
    fc.assert(
      fc.property(values, (r) => {
        const series = { seriesId: 'A', dates: Int32Array.from(r, (_, i) => 18000 + i), returns: Float64Array.from(r) };
        const w = alignSeries(series);
        const kept = r.map((v, i) => [v, i] as const).filter(([v]) => !Number.isNaN(v));
        if (kept.length === r.length) expect(w.series).toBe(series.returns);
        expect(Array.from(w.series).every((v, k) => same(v, kept[k]![0]))).toBe(true);
        expect(Array.from(w.dates)).toEqual(kept.map(([, i]) => 18000 + i));
      }),
      { numRuns: 500 },
    );
  });

  it('sampleCovariance and sampleSd with the mean passed in give the same value as without', () => {
    fc.assert(
      fc.property(returnsArb, (r) => {
        const m = mean(r);
        expect(same(sampleSd(r, m), sampleSd(r))).toBe(true);
        expect(same(sampleCovariance(r, r, m, m), sampleCovariance(r, Float64Array.from(r)))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('detectScale counts gaps up to 135 days and sorts otherwise; both give the sort-based median', () => {
    const gapArb = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(1, 1, 1, 3, 4, 2) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 140 }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 800 }) },
    );
    fc.assert(
      fc.property(fc.array(gapArb, { maxLength: 60 }), fc.integer({ min: -20000, max: 20000 }), (gaps, start) => {
        const dates = new Int32Array(gaps.length + 1);
        dates[0] = start;
        gaps.forEach((g, i) => (dates[i + 1] = dates[i]! + g));
        expect(detectScale(dates)).toBe(scaleBySort(dates));
      }),
      { numRuns: 500 },
    );
    // long series (the small-gap count is taken in blocks and may stop early either way), about
    // half the gaps small so that the count's outcome is close
    const mixed = fc.array(fc.oneof(fc.constantFrom(1, 3, 4), fc.constantFrom(5, 7, 30)), { minLength: 60, maxLength: 400 });
    fc.assert(
      fc.property(mixed, fc.integer({ min: -20000, max: 20000 }), (gaps, start) => {
        const dates = new Int32Array(gaps.length + 1);
        dates[0] = start;
        gaps.forEach((g, i) => (dates[i + 1] = dates[i]! + g));
        expect(detectScale(dates)).toBe(scaleBySort(dates));
      }),
      { numRuns: 500 },
    );
    // even counts whose middle gaps straddle a threshold: (4 + 5) / 2 = 4.5 is weekly, (3 + 5) / 2 daily
    expect(detectScale(Int32Array.from([0, 4, 9]))).toBe(52);
    expect(detectScale(Int32Array.from([0, 3, 8]))).toBe(252);
    expect(detectScale(Int32Array.from([0, 100, 300]))).toBe(1); // (100 + 200) / 2 = 150, one gap past the counters
    expect(detectScale(Int32Array.from([0, 100, 230]))).toBe(4); // (100 + 130) / 2 = 115
  });
});

describe('monthlyReturns', () => {
  /** The plain form: each observation's month looked up, a new group whenever it changes. */
  function byLookup(dates: Int32Array, returns: Float64Array): { dates: number[]; returns: number[] } {
    const out = { dates: [] as number[], returns: [] as number[] };
    let month = NaN;
    let c = 0;
    for (let i = 0; i < dates.length; i++) {
      const r = returns[i]!;
      if (Number.isNaN(r)) continue;
      const m = endOfMonth(dates[i]!);
      if (m !== month) {
        if (!Number.isNaN(month)) {
          out.dates.push(month);
          out.returns.push(c);
        }
        month = m;
        c = 0;
      }
      c = c + r + c * r;
    }
    if (!Number.isNaN(month)) {
      out.dates.push(month);
      out.returns.push(c);
    }
    return out;
  }

  it('looks a month up only when a date leaves the current one; same groups and bits as looking up every date', () => {
    const obs = fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.oneof(fc.double({ min: -0.05, max: 0.05, noNaN: true }), fc.constant(NaN))), { maxLength: 300 });
    fc.assert(
      fc.property(obs, fc.boolean(), (steps, shuffled) => {
        let d = 19000;
        const dates = Int32Array.from(steps, ([gap]) => (d += gap));
        if (shuffled) dates.reverse(); // out of order: every step back looks its month up again
        const returns = Float64Array.from(steps, ([, r]) => r);
        const got = monthlyReturns({ seriesId: 'S', dates, returns });
        const want = byLookup(dates, returns);
        expect(Array.from(got.dates)).toEqual(want.dates);
        expect(Array.from(got.returns).every((x, i) => same(x, want.returns[i]!))).toBe(true);
        expect(got.returns.length).toBe(want.returns.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('riskMetrics reuses a series for its zero-shifted copies', () => {
  const dates = (n: number) => Int32Array.from({ length: n }, (_, i) => 18000 + i + 2 * Math.floor(i / 5));
  it('rf 0 (x is a) and MAR 0 (a - MAR is a) give the bits of the explicit forms', () => {
    fc.assert(
      fc.property(returnsArb.filter((r) => r.length >= 2), fc.constantFrom(undefined, 252, 12), (r, scale) => {
        const n = r.length;
        const series = { seriesId: 'A', dates: dates(n), returns: Float64Array.from(r) };
        const zeroRf = { seriesId: 'RF', dates: dates(n), returns: new Float64Array(n) };
        const shortcut = riskMetrics({ series }, { scale, episodes: false });
        // an explicit risk-free series of zeros builds x = a - 0; a MAR of -0 builds a - (-0)
        const explicit = riskMetrics({ series, riskFree: zeroRf }, { scale, episodes: false });
        const explicitMar = riskMetrics({ series }, { scale, mar: -0, episodes: false });
        for (const k of ['annualized_volatility', 'sharpe_ratio', 'sharpe_ratio_geometric', 'skewness', 'kurtosis'] as const) {
          expect(same(shortcut.metrics[k] ?? NaN, explicit.metrics[k] ?? NaN)).toBe(true);
        }
        expect(same(shortcut.metrics.sortino_ratio ?? NaN, explicitMar.metrics.sortino_ratio ?? NaN)).toBe(true);
        expect(shortcut.warnings).toEqual(explicitMar.warnings);
      }),
      { numRuns: 150 },
    );
  });

  it('a lone series with NaN (or infinite) returns gives the metrics of its rows without NaN', () => {
    const withGaps = fc.array(fc.oneof({ weight: 12, arbitrary: fc.double({ min: -0.05, max: 0.05, noNaN: true }) }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity) }), { minLength: 2, maxLength: 80 });
    fc.assert(
      fc.property(withGaps, (r) => {
        const all = { seriesId: 'A', dates: dates(r.length), returns: Float64Array.from(r) };
        const keep = r.map((v, i) => i).filter((i) => !Number.isNaN(r[i]!));
        const clean = { seriesId: 'A', dates: Int32Array.from(keep, (i) => all.dates[i]!), returns: Float64Array.from(keep, (i) => r[i]!) };
        const only = ['annualized_volatility', 'sharpe_ratio', 'sortino_ratio', 'max_drawdown', 'skewness'] as const;
        const got = riskMetrics({ series: all }, { scale: 252, only, episodes: false });
        const want = riskMetrics({ series: clean }, { scale: 252, only, episodes: false });
        expect(got.observations).toBe(want.observations);
        for (const k of only) expect(same(got.metrics[k] ?? NaN, want.metrics[k] ?? NaN)).toBe(true);
        expect(got.warnings).toEqual(want.warnings);
      }),
      { numRuns: 300 },
    );
  });

  it('a subset of metrics has the same values as the full set', () => {
    fc.assert(
      fc.property(returnsArb.filter((r) => r.length >= 2), fc.subarray([...RISK_METRIC_KEYS], { minLength: 1 }), (r, only) => {
        const series = { seriesId: 'A', dates: dates(r.length), returns: Float64Array.from(r) };
        const all = riskMetrics({ series }, { scale: 252, episodes: false }).metrics;
        const some = riskMetrics({ series }, { scale: 252, only, episodes: false }).metrics;
        for (const k of RISK_METRIC_KEYS) expect(same(some[k] ?? NaN, only.includes(k) ? (all[k] ?? NaN) : NaN)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
