/** Hand-computed values on short series (arithmetic written out), properties and edge cases. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alignSeries } from '../../src/engine/alignSeries.js';
import { calendarReturns } from '../../src/engine/calendarReturns.js';
import { parseIsoDate } from '../../src/engine/calendarDate.js';
import { detectScale } from '../../src/engine/detectScale.js';
import { drawdownEpisodes, drawdowns } from '../../src/engine/drawdowns.js';
import { quantileType7 } from '../../src/engine/quantileType7.js';
import { riskMetrics, RISK_METRIC_KEYS } from '../../src/engine/riskMetrics.js';
import type { ReturnSeries } from '../../src/engine/types.js';
import { readWide } from './riskCsv.js';

const d = (s: string) => parseIsoDate(s)!;
const monthEnds = (n: number, startYear = 2020): Int32Array =>
  Int32Array.from({ length: n }, (_, i) => {
    const y = startYear + Math.floor((i + 1) / 12);
    const m = ((i + 1) % 12) + 1; // first of the next month minus one day
    return d(`${y}-${String(m).padStart(2, '0')}-01`) - 1;
  });
const series = (id: string, returns: number[], dates = monthEnds(returns.length)): ReturnSeries => ({ seriesId: id, dates, returns: Float64Array.from(returns) });

describe('hand-computed values', () => {
  // a = [0.10, -0.05, 0.02, -0.03], b = [0.05, -0.02, 0.01, -0.01], scale 12, rf 0.
  const a = series('A', [0.1, -0.05, 0.02, -0.03]);
  const b = series('B', [0.05, -0.02, 0.01, -0.01]);
  const r = riskMetrics({ series: a, benchmark: b }, { scale: 12 });
  const m = r.metrics;

  it('cumulative, annualised, volatility, Sharpe', () => {
    // prod(1 + a) = 1.1 * 0.95 * 1.02 * 0.97 = 1.033923
    expect(m.cumulative_return).toBeCloseTo(0.033923, 14);
    // G = 1.033923^(12/4) - 1 = 1.033923^3 - 1
    expect(m.annualized_return).toBeCloseTo(1.033923 ** 3 - 1, 14);
    // mean = 0.04/4 = 0.01; deviations 0.09, -0.06, 0.01, -0.04; squares sum 0.0081+0.0036+0.0001+0.0016 = 0.0134
    // sd = sqrt(0.0134 / 3)
    const sd = Math.sqrt(0.0134 / 3);
    expect(m.annualized_volatility).toBeCloseTo(sd * Math.sqrt(12), 14);
    expect(m.sharpe_ratio).toBeCloseTo((Math.sqrt(12) * 0.01) / sd, 12);
    expect(m.sharpe_ratio_geometric).toBeCloseTo((1.033923 ** 3 - 1) / (sd * Math.sqrt(12)), 12);
  });

  it('downside deviation and Sortino divide by all n', () => {
    // below 0: -0.05, -0.03 -> (0.0025 + 0.0009) / 4 = 0.00085
    expect(m.downside_deviation).toBeCloseTo(Math.sqrt(0.00085), 15);
    expect(m.sortino_ratio).toBeCloseTo(0.01 / Math.sqrt(0.00085), 12);
  });

  it('drawdown figures', () => {
    // W = 1.1, 1.045, 1.0659, 1.033923; peak 1.1; DD = 0, -0.05, 1.0659/1.1-1, 1.033923/1.1-1
    const dd3 = 1.0659 / 1.1 - 1;
    const dd4 = 1.033923 / 1.1 - 1;
    expect(m.max_drawdown).toBeCloseTo(-dd4, 14);
    expect(m.pain_index).toBeCloseTo((0.05 - dd3 - dd4) / 4, 14);
    expect(m.ulcer_index).toBeCloseTo(Math.sqrt((0.0025 + dd3 * dd3 + dd4 * dd4) / 4), 14);
    expect(m.calmar_ratio).toBeCloseTo((1.033923 ** 3 - 1) / -dd4, 12);
    // one unrecovered episode from month 2 to month 4; length counted to one period past the data
    expect(r.drawdowns).toEqual([{ start: '2020-02-29', trough: '2020-04-30', end: null, depth: dd4, length: 4, to_trough: 3, recovery: null }]);
  });

  it('beta, alpha and the up/down ratios', () => {
    // mean(b) = 0.03/4 = 0.0075; b deviations 0.0425, -0.0275, 0.0025, -0.0175
    // cov(a,b)*3 = 0.09*0.0425 + 0.06*0.0275 + 0.01*0.0025 + 0.04*0.0175 = 0.003825+0.00165+0.000025+0.0007 = 0.0062
    // var(b)*3 = 0.00180625 + 0.00075625 + 0.00000625 + 0.00030625 = 0.002875
    const beta = 0.0062 / 0.002875;
    expect(m.beta).toBeCloseTo(beta, 12);
    expect(m.alpha).toBeCloseTo(0.01 - beta * 0.0075, 14);
    // up months (b > 0): 1 and 3: (1.1*1.02 - 1) / (1.05*1.01 - 1) = 0.122 / 0.0605
    expect(m.up_capture).toBeCloseTo(0.122 / 0.0605, 12);
    // down months: (0.95*0.97 - 1) / (0.98*0.99 - 1) = -0.0785 / -0.0298
    expect(m.down_capture).toBeCloseTo(0.0785 / 0.0298, 12);
    expect(m.up_number_ratio).toBe(1); // both up months a > 0
    expect(m.down_number_ratio).toBe(1);
    expect(m.up_percent_ratio).toBe(1); // 0.10 > 0.05, 0.02 > 0.01
    expect(m.down_percent_ratio).toBe(0); // -0.05 < -0.02, -0.03 < -0.01
    // tracking error: a - b = 0.05, -0.03, 0.01, -0.02; mean 0.0025; devs 0.0475,-0.0325,0.0075,-0.0225
    // squares: 0.00225625 + 0.00105625 + 0.00005625 + 0.00050625 = 0.003875
    expect(m.tracking_error).toBeCloseTo(Math.sqrt(0.003875 / 3) * Math.sqrt(12), 13);
  });

  it('VaR, ES, moments, omega, best/worst', () => {
    // sorted a: -0.05, -0.03, 0.02, 0.10; Q7 at p = 0.05: index 1 + 3*0.05 = 1.15 -> -0.05 + 0.15*0.02
    expect(m.value_at_risk).toBeCloseTo(-0.047, 15);
    expect(m.expected_shortfall).toBeCloseTo(-0.05, 15); // only -0.05 lies below
    // m2 = 0.0134/4 = 0.00335; m3 = (0.000729 - 0.000216 + 0.000001 - 0.000064)/4 = 0.00045/4
    expect(m.skewness).toBeCloseTo(0.0001125 / 0.00335 ** 1.5, 12);
    // m4 = (0.00006561 + 0.00001296 + 0.00000001 + 0.00000256)/4 = 0.00008114/4
    expect(m.kurtosis).toBeCloseTo(0.000020285 / 0.00335 ** 2 - 3, 12);
    expect(m.omega_ratio).toBeCloseTo(0.12 / 0.08, 14);
    expect([m.best_period, m.worst_period, m.positive_periods]).toEqual([0.1, -0.05, 0.5]);
  });

  it('an annual rf is turned per period as (1 + rf)^(1/s) - 1', () => {
    const withRf = riskMetrics({ series: a }, { scale: 12, rf: 0.06 });
    const f = 1.06 ** (1 / 12) - 1;
    const sd = Math.sqrt(0.0134 / 3); // sd of a - f equals sd of a
    expect(withRf.metrics.sharpe_ratio).toBeCloseTo((Math.sqrt(12) * (0.01 - f)) / sd, 12);
  });

  it('quantileType7 matches R: quantile(c(1,2,3,4), 0.4) = 2.2', () => {
    expect(quantileType7([4, 1, 3, 2], 0.4)).toBeCloseTo(2.2, 15);
    expect(quantileType7([5], 0.05)).toBe(5);
  });
});

describe('properties', () => {
  const rets = fc.array(fc.double({ min: -0.5, max: 0.5, noNaN: true }), { minLength: 3, maxLength: 40 });

  it('returns equal to the risk-free rate give a zero Sharpe numerator (null Sharpe, zero excess)', () => {
    fc.assert(fc.property(rets, (r) => {
      const s = series('S', r);
      const res = riskMetrics({ series: s, riskFree: series('RF', r) }, { scale: 12 });
      // x = a - f = 0 everywhere: mean(x) = 0 and sd(x) = 0, so the ratio is 0/0 -> null with a reason
      expect(res.metrics.sharpe_ratio).toBeNull();
      expect(res.warnings.some((w) => w.startsWith('sharpe_ratio:'))).toBe(true);
    }));
  });

  it('max_drawdown of a non-decreasing wealth path is 0', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: 0, max: 0.5, noNaN: true }), { minLength: 2, maxLength: 40 }), (r) => {
      const res = riskMetrics({ series: series('S', r) }, { scale: 12 });
      expect(res.metrics.max_drawdown).toBe(0);
      expect(res.drawdowns).toEqual([]);
    }));
  });

  it('scaling the benchmark by k scales beta by 1/k', () => {
    // returns in whole basis points (realistic data; no subnormal variances)
    const bp = fc.array(fc.integer({ min: -5000, max: 5000 }).map((x) => x / 10000), { minLength: 3, maxLength: 40 });
    fc.assert(fc.property(bp, bp, fc.double({ min: 0.1, max: 10, noNaN: true }), (ra, rb, k) => {
      const n = Math.min(ra.length, rb.length);
      const b = rb.slice(0, n);
      fc.pre(new Set(b).size > 1);
      const a = series('A', ra.slice(0, n));
      const b1 = riskMetrics({ series: a, benchmark: series('B', b) }, { scale: 12 }).metrics.beta!;
      const bk = riskMetrics({ series: a, benchmark: series('B', b.map((x) => x * k)) }, { scale: 12 }).metrics.beta!;
      expect(Math.abs(bk * k - b1)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b1)));
    }));
  });

  it('value_at_risk is monotone in confidence (higher confidence, lower or equal quantile)', () => {
    fc.assert(fc.property(rets, fc.double({ min: 0.51, max: 0.99, noNaN: true }), fc.double({ min: 0.51, max: 0.99, noNaN: true }), (r, c1, c2) => {
      const [lo, hi] = c1 <= c2 ? [c1, c2] : [c2, c1];
      const s = series('S', r.map((x) => x - 0.6)); // all losses, so PA's inverse-risk rule never nulls VaR
      const v1 = riskMetrics({ series: s }, { scale: 12, confidence: lo }).metrics.value_at_risk!;
      const v2 = riskMetrics({ series: s }, { scale: 12, confidence: hi }).metrics.value_at_risk!;
      // R's type-7 interpolation (1 - h) x_lo + h x_hi is monotone in h only up to rounding: with
      // neighbours such as 0 and -1.7e-16 two close confidences can come out an ulp or so apart the
      // wrong way (fast-check found [0,0,-1.67e-16,0,0,0,0,0] at 0.9638 and 0.9899)
      expect(v2).toBeLessThanOrEqual(v1 + 4 * Number.EPSILON * Math.max(Math.abs(v1), Math.abs(v2)));
    }));
  });
});

describe('edge cases', () => {
  const allNull = (m: Record<string, number | null>) => RISK_METRIC_KEYS.every((k) => m[k] === null);

  it('a single observation: every metric null, with a reason', () => {
    const r = riskMetrics({ series: series('S', [0.01]) }, {});
    expect(r.observations).toBe(1);
    expect(allNull(r.metrics)).toBe(true);
    expect(r.warnings).toEqual(['fewer than two observations: every metric is null']);
  });

  it('no observations at all', () => {
    const r = riskMetrics({ series: series('S', []) }, {});
    expect([r.start_date, r.end_date, r.observations]).toEqual([null, null, 0]);
    expect(allNull(r.metrics)).toBe(true);
  });

  it('all-zero returns: zero figures, and null (with reasons) for every ratio with a zero denominator', () => {
    const r = riskMetrics({ series: series('S', new Array(24).fill(0)), benchmark: series('B', new Array(24).fill(0.01)) }, {});
    const m = r.metrics;
    expect([m.cumulative_return, m.annualized_return, m.annualized_volatility, m.max_drawdown, m.pain_index, m.value_at_risk, m.expected_shortfall]).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect([m.sharpe_ratio, m.sortino_ratio, m.calmar_ratio, m.skewness, m.kurtosis, m.omega_ratio, m.beta, m.down_capture]).toEqual([null, null, null, null, null, null, null, null]);
    for (const k of ['sharpe_ratio', 'sortino_ratio', 'calmar_ratio', 'skewness', 'omega_ratio', 'beta', 'down_capture']) {
      expect(r.warnings.some((w) => w.startsWith(`${k}:`))).toBe(true);
    }
    expect(JSON.stringify(r)).not.toMatch(/NaN|Infinity/);
  });

  it('a constant positive series: PA reports VaR/ES as NA (inverse risk) -> null', () => {
    const r = riskMetrics({ series: series('S', new Array(12).fill(0.01)) }, {});
    expect(r.metrics.value_at_risk).toBeNull();
    expect(r.metrics.expected_shortfall).toBeNull();
    expect(r.metrics.annualized_volatility).toBe(0);
    expect(r.metrics.cumulative_return).toBeCloseTo(1.01 ** 12 - 1, 14);
    expect(r.warnings.some((w) => w.startsWith('value_at_risk:'))).toBe(true);
  });

  it('a zero-variance benchmark: beta, alpha, Jensen and Treynor null, the rest computed', () => {
    const r = riskMetrics({ series: series('S', [0.01, -0.02, 0.03, 0.01]), benchmark: series('B', [0.005, 0.005, 0.005, 0.005]) }, { scale: 12 });
    expect([r.metrics.beta, r.metrics.alpha, r.metrics.jensen_alpha, r.metrics.treynor_ratio]).toEqual([null, null, null, null]);
    expect(r.metrics.tracking_error).not.toBeNull();
    expect(r.metrics.down_number_ratio).toBeNull(); // no benchmark month below 0
    expect(r.warnings).toContain("beta: the benchmark's excess returns have zero variance");
  });

  it('gaps: the window is the inner join, missing rows skipped not filled', () => {
    const dates = monthEnds(6);
    const a: ReturnSeries = { seriesId: 'A', dates, returns: Float64Array.from([0.01, Number.NaN, 0.02, -0.01, 0.03, 0.01]) };
    const b: ReturnSeries = { seriesId: 'B', dates: Int32Array.from([dates[0]!, dates[1]!, dates[2]!, dates[4]!, dates[5]!]), returns: Float64Array.from([0.01, 0.01, 0.01, 0.02, Number.NaN]) };
    const w = alignSeries(a, b);
    expect(Array.from(w.series)).toEqual([0.01, 0.02, 0.03]); // dates 0, 2, 4
    expect(Array.from(w.benchmark!)).toEqual([0.01, 0.01, 0.02]);
    const r = riskMetrics({ series: a, benchmark: b }, { scale: 12 });
    expect([r.observations, r.start_date, r.end_date]).toEqual([3, '2020-01-31', '2020-05-31']);
    expect(r.warnings).toContain('only 3 observations, fewer than the scale 12: annualised figures extrapolate');
  });

  it('a wide file with empty cells: HAM5 starts 2000-08-31 (leading empty cells skipped)', () => {
    const s = readWide('fixtures/returns/managers_wide.csv');
    const r = riskMetrics({ series: s.find((x) => x.seriesId === 'HAM5')! }, {});
    expect([r.start_date, r.end_date, r.observations]).toEqual(['2000-08-31', '2006-12-31', 77]);
  });

  it('rejects invalid options', () => {
    const s = series('S', [0.01, 0.02]);
    expect(() => riskMetrics({ series: s }, { confidence: 1 })).toThrow(RangeError);
    expect(() => riskMetrics({ series: s }, { scale: 0 })).toThrow(RangeError);
  });
});

describe('detectScale, drawdowns, calendarReturns', () => {
  it('median spacing classes', () => {
    const every = (step: number, n: number) => Int32Array.from({ length: n }, (_, i) => 20000 + i * step);
    expect(detectScale(every(1, 30))).toBe(252);
    expect(detectScale(Int32Array.from([0, 1, 2, 3, 4, 7, 8, 9, 10, 11, 14]))).toBe(252); // weekdays with weekends
    expect(detectScale(every(7, 10))).toBe(52);
    expect(detectScale(monthEnds(24))).toBe(12);
    expect(detectScale(every(91, 8))).toBe(4);
    expect(detectScale(every(365, 5))).toBe(1);
    expect(detectScale(Int32Array.from([5]))).toBe(1);
  });

  it('daily data at scale 252: detected and used for annualisation', () => {
    const dates = Int32Array.from({ length: 300 }, (_, i) => 19000 + i + 2 * Math.floor(i / 5)); // weekdays
    const r = riskMetrics({ series: { seriesId: 'D', dates, returns: Float64Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? -0.001 : 0.002)) } }, {});
    expect(r.scale).toBe(252);
    // 100 days at -0.1%, 200 days at +0.2%: G = (0.999^100 * 1.002^200)^(252/300) - 1
    expect(r.metrics.annualized_return).toBeCloseTo((0.999 ** 100 * 1.002 ** 200) ** (252 / 300) - 1, 12);
  });

  it('the starting wealth counts as a peak', () => {
    // W = 0.9, 0.945; the peak is the starting 1, so DD = 0.9 - 1 = -0.1 and 0.945 - 1 = -0.055
    const dd = drawdowns([-0.1, 0.05]);
    expect(dd[0]).toBeCloseTo(-0.1, 15);
    expect(dd[1]).toBeCloseTo(-0.055, 15);
    const ep = drawdownEpisodes(monthEnds(3), [-0.1, 0.2, -0.01]);
    // W = 0.9, 1.08, 1.0692 -> episodes: month 1 (recovered month 2), month 3 (unrecovered)
    expect(ep.map((e) => [e.start, e.end, e.length, e.to_trough, e.recovery])).toEqual([
      ['2020-01-31', '2020-02-29', 2, 1, 1],
      ['2020-03-31', null, 2, 1, null],
    ]);
  });

  it('calendar table: monthly compounding of daily data, yearly total, null for empty months', () => {
    const dates = Int32Array.from([d('2020-01-02'), d('2020-01-03'), d('2020-03-31'), d('2021-02-01')]);
    const t = calendarReturns(dates, Float64Array.from([0.01, 0.02, -0.01, 0.05]));
    expect(t.years.map((y) => y.year)).toEqual([2020, 2021]);
    expect(t.years[0]!.months[0]).toBeCloseTo(1.01 * 1.02 - 1, 15);
    expect(t.years[0]!.months[1]).toBeNull();
    expect(t.years[0]!.months[2]).toBeCloseTo(-0.01, 15);
    expect(t.years[0]!.total).toBeCloseTo(1.01 * 1.02 * 0.99 - 1, 15);
    expect(t.years[1]!.months[1]).toBeCloseTo(0.05, 15);
    expect(t.years[1]!.total).toBeCloseTo(0.05, 15);
  });
});
