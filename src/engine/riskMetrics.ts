/**
 * Risk and benchmark-relative metrics of one return series (issue 3), reproducing
 * PerformanceAnalytics 2.1.0 (see docs/metrics.md for every formula, its PA call and how
 * empyrical/quantstats differ).
 *
 * Conventions: a = series returns, b = benchmark, f = risk-free per-period returns, x = a - f,
 * y = b - f, all on the inner-joined window (alignSeries); n observations; s = scale (periods per
 * year); sd = sample sd (n - 1); G(z) = prod(1 + z)^(s/n) - 1. Ratios and annualised figures are
 * as PA computes them; drawdown depth and VaR/ES are returns (negative = loss), max_drawdown is
 * positive. A metric that cannot be computed (fewer than two observations, a zero denominator,
 * PA's VaR/ES reasonableness checks) is null with a reason in `warnings`; never NaN or Infinity.
 */
import { alignSeries } from './alignSeries.js';
import { annualizedReturn } from './annualizedReturn.js';
import { accurateGrowth, accurateSum } from './accurateSum.js';
import { formatIsoDate } from './calendarDate.js';
import { detectScale } from './detectScale.js';
import { drawdowns, drawdownEpisodes, type DrawdownEpisode } from './drawdowns.js';
import { maxDrawdown } from './maxDrawdown.js';
import { mean } from './mean.js';
import { quantileType7 } from './quantileType7.js';
import { sampleCovariance } from './sampleCovariance.js';
import { sampleSd } from './sampleSd.js';
import { sumAndDownside, type SumAndDownside } from './downsideDeviation.js';
import type { ReturnSeries } from './types.js';
import { upDownRatios } from './upDownRatios.js';

export type { DrawdownEpisode } from './drawdowns.js';

/** The JSON metric keys of issue 3, in output order. */
export const RISK_METRIC_KEYS = [
  'cumulative_return',
  'annualized_return',
  'annualized_volatility',
  'sharpe_ratio',
  'sharpe_ratio_geometric',
  'downside_deviation',
  'sortino_ratio',
  'max_drawdown',
  'calmar_ratio',
  'pain_index',
  'ulcer_index',
  'beta',
  'alpha',
  'jensen_alpha',
  'treynor_ratio',
  'active_premium',
  'tracking_error',
  'information_ratio',
  'up_capture',
  'down_capture',
  'up_number_ratio',
  'down_number_ratio',
  'up_percent_ratio',
  'down_percent_ratio',
  'value_at_risk',
  'expected_shortfall',
  'skewness',
  'kurtosis',
  'omega_ratio',
  'best_period',
  'worst_period',
  'positive_periods',
] as const;

export type RiskMetricKey = (typeof RISK_METRIC_KEYS)[number];

/** Every key null, in output order: the starting point of each result's metrics. */
const NO_METRICS = Object.freeze(Object.fromEntries(RISK_METRIC_KEYS.map((k) => [k, null])) as Record<RiskMetricKey, number | null>);

/** Keys that need a benchmark (null without one). */
export const BENCHMARK_METRIC_KEYS: readonly RiskMetricKey[] = [
  'beta', 'alpha', 'jensen_alpha', 'treynor_ratio', 'active_premium', 'tracking_error', 'information_ratio',
  'up_capture', 'down_capture', 'up_number_ratio', 'down_number_ratio', 'up_percent_ratio', 'down_percent_ratio',
];

export interface RiskOptions {
  /** Periods per year; default detectScale(window dates). */
  scale?: number;
  /** Minimum acceptable return per period for downside deviation and Sortino; default 0. */
  mar?: number;
  /** VaR/ES confidence in (0, 1); default 0.95 (the 5% quantile). */
  confidence?: number;
  /** Annual risk-free rate used when no risk-free series is given: per period (1 + rf)^(1/s) - 1. */
  rf?: number;
  /**
   * Compute only these metrics (the others stay null, with no warning); default all. The batch
   * uses it so a nightly run pays only for the figures it writes.
   */
  only?: readonly RiskMetricKey[];
  /** Whether to build the drawdown episode table (default true). */
  episodes?: boolean;
}

export interface RiskInput {
  series: ReturnSeries;
  benchmark?: ReturnSeries;
  riskFree?: ReturnSeries;
}

export interface RiskResult {
  series_id: string;
  benchmark_id: string | null;
  risk_free_id: string | null;
  start_date: string | null;
  end_date: string | null;
  observations: number;
  scale: number;
  warnings: string[];
  metrics: Record<RiskMetricKey, number | null>;
  drawdowns: DrawdownEpisode[];
}

/**
 * Computes every metric of issue 3 for one series on the window where the series, the benchmark
 * (if any) and the risk-free series (if any) all have values. Throws RangeError for invalid
 * options (scale <= 0, confidence outside (0, 1), non-finite mar/rf); data problems never throw.
 */
export function riskMetrics(input: RiskInput, opts: RiskOptions): RiskResult {
  const mar = opts.mar ?? 0;
  const confidence = opts.confidence ?? 0.95;
  if (!Number.isFinite(mar)) throw new RangeError('mar must be a finite number');
  if (!(confidence > 0 && confidence < 1)) throw new RangeError('confidence must be between 0 and 1 (exclusive)');
  if (opts.scale !== undefined && !(Number.isFinite(opts.scale) && opts.scale > 0)) throw new RangeError('scale must be a positive number');
  if (opts.rf !== undefined && !(Number.isFinite(opts.rf) && opts.rf > -1)) throw new RangeError('rf must be a finite annual rate above -1');

  const w = alignSeries(input.series, input.benchmark, input.riskFree);
  const n = w.series.length;
  const s = opts.scale ?? detectScale(w.dates);
  const warnings: string[] = [];
  const metrics: Record<RiskMetricKey, number | null> = { ...NO_METRICS };
  const result: RiskResult = {
    series_id: input.series.seriesId,
    benchmark_id: input.benchmark?.seriesId ?? null,
    risk_free_id: input.riskFree?.seriesId ?? null,
    start_date: n > 0 ? formatIsoDate(w.dates[0] as number) : null,
    end_date: n > 0 ? formatIsoDate(w.dates[n - 1] as number) : null,
    observations: n,
    scale: s,
    warnings,
    metrics,
    drawdowns: [],
  };
  if (n < 2) {
    warnings.push(n === 0 ? 'no observations in the window: every metric is null' : 'fewer than two observations: every metric is null');
    return result;
  }
  if (n < s) warnings.push(`only ${n} observations, fewer than the scale ${s}: annualised figures extrapolate`);

  const only = opts.only ? new Set<RiskMetricKey>(opts.only) : null;
  const want = (...keys: RiskMetricKey[]): boolean => only === null || keys.some((k) => only.has(k));

  const set = (key: RiskMetricKey, value: number, reason: string): void => {
    if (only !== null && !only.has(key)) return;
    if (Number.isFinite(value)) metrics[key] = value === 0 ? 0 : value; // no -0 in output
    else warnings.push(`${key}: ${reason}`);
  };
  const warn = (key: RiskMetricKey, text: string): void => {
    if (only === null || only.has(key)) warnings.push(`${key}: ${text}`);
  };

  const a = w.series;
  // Per-period risk-free returns: the series, or the annual rate turned per period, or 0.
  const rfConst = opts.rf !== undefined ? Math.pow(1 + opts.rf, 1 / s) - 1 : 0;
  // x = a - f. Without a risk-free series and at a rate of (+)0, x is a itself (a - 0 is a, bit for
  // bit), so no copy is made and x's mean and sd are a's.
  const x = w.riskFree === undefined && Object.is(rfConst, 0) ? a : excessReturns(a, w.riskFree, rfConst);

  // Each of mean(a), sd(a), mean(x), sd(x) is computed at most once, and only when a metric needs it.
  let meanA: number | undefined;
  let sdA: number | undefined;
  let meanX: number | undefined;
  let sdX: number | undefined;
  // accurateSum(a) for mean(a), and downsideDeviation(a, MAR) from the same pass when it is wanted
  const wantDownside = want('downside_deviation', 'sortino_ratio');
  let sumsA: SumAndDownside | undefined;
  const sumsOfA = (): SumAndDownside => (sumsA ??= wantDownside ? sumAndDownside(a, mar) : { sum: accurateSum(a), downside: NaN });
  const meanOfA = (): number => (meanA ??= mean(a, sumsOfA().sum));
  const sdOfA = (): number => (sdA ??= sampleSd(a, meanOfA()));
  const meanOfX = (): number => (x === a ? meanOfA() : (meanX ??= mean(x)));
  const sdOfX = (): number => (x === a ? sdOfA() : (sdX ??= sampleSd(x, meanOfX())));

  const needBenchmark = w.benchmark !== undefined && want(...BENCHMARK_METRIC_KEYS);
  const ga = want('annualized_return', 'calmar_ratio') || needBenchmark ? annualizedReturn(a, s) : NaN;
  if (want('cumulative_return')) set('cumulative_return', accurateGrowth(a) - 1, 'not finite');
  set('annualized_return', ga, 'not finite');
  if (want('annualized_volatility')) set('annualized_volatility', sdOfA() * Math.sqrt(s), 'not finite');
  if (want('sharpe_ratio', 'sharpe_ratio_geometric')) {
    const sdx = sdOfX();
    if (sdx > 0) {
      set('sharpe_ratio', (meanOfX() * s) / (sdx * Math.sqrt(s)), 'not finite');
      if (want('sharpe_ratio_geometric')) set('sharpe_ratio_geometric', annualizedReturn(x, s) / (sdx * Math.sqrt(s)), 'not finite');
    } else {
      warn('sharpe_ratio', 'excess returns have zero variance');
      warn('sharpe_ratio_geometric', 'excess returns have zero variance');
    }
  }
  if (wantDownside) {
    const dd = sumsOfA().downside;
    set('downside_deviation', dd, 'not finite');
    if (dd > 0) set('sortino_ratio', meanAboveMar() / dd, 'not finite');
    else warn('sortino_ratio', 'no return below the MAR (downside deviation is 0)');
  }
  if (want('max_drawdown', 'calmar_ratio', 'pain_index', 'ulcer_index')) drawdownMetrics();
  if (needBenchmark) {
    // f as a series (the risk-free returns, or the constant per-period rate), and G(f): PA
    // annualises a risk-free series geometrically and a constant as (1 + f)^s - 1.
    const f = w.riskFree ?? new Float64Array(n).fill(rfConst);
    const gf = w.riskFree !== undefined ? annualizedReturn(f, s) : Math.pow(1 + rfConst, s) - 1;
    benchmarkMetrics(a, w.benchmark!, f, x, meanOfX(), ga, gf, s, set, warnings);
  } else if (w.benchmark === undefined && want(...BENCHMARK_METRIC_KEYS)) warnings.push('no benchmark: benchmark-relative metrics are null');
  if (want('value_at_risk', 'expected_shortfall')) tailMetrics();
  if (want('skewness', 'kurtosis')) momentMetrics();
  if (want('omega_ratio', 'best_period', 'worst_period', 'positive_periods')) countMetrics();
  if (opts.episodes !== false) result.drawdowns = drawdownEpisodes(w.dates, a, 5);
  return result;

  /** mean(a - MAR); at a MAR of (+)0 that is mean(a) (a - 0 is a, bit for bit). */
  function meanAboveMar(): number {
    if (Object.is(mar, 0)) return meanOfA();
    const shifted = new Float64Array(n);
    for (let i = 0; i < n; i++) shifted[i] = (a[i] as number) - mar;
    return mean(shifted);
  }

  function drawdownMetrics(): void {
    if (!want('pain_index', 'ulcer_index')) {
      // max_drawdown and calmar_ratio only: the one-pass figure, no drawdown series
      maxDrawdownMetrics(maxDrawdown(a));
      return;
    }
    const ddSeries = drawdowns(a);
    let minDd = 0;
    const absDd = new Float64Array(n);
    const sqDd = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = ddSeries[i] as number;
      if (v < minDd) minDd = v;
      absDd[i] = Math.abs(v);
      sqDd[i] = v * v;
    }
    maxDrawdownMetrics(-minDd);
    if (want('pain_index')) set('pain_index', accurateSum(absDd) / n, 'not finite');
    if (want('ulcer_index')) set('ulcer_index', Math.sqrt(accurateSum(sqDd) / n), 'not finite');
  }

  function maxDrawdownMetrics(maxDd: number): void {
    set('max_drawdown', maxDd, 'not finite');
    if (maxDd > 0) set('calmar_ratio', ga / maxDd, 'not finite');
    else warn('calmar_ratio', 'no drawdown (max_drawdown is 0)');
  }

  function tailMetrics(): void {
    // Historical VaR/ES at 1 - confidence, with PA's reasonableness checks (a positive quantile is
    // "inverse risk": PA returns NA).
    const q = quantileType7(a, 1 - confidence);
    if (q > 0) {
      warnings.push('value_at_risk: the quantile is a gain (PerformanceAnalytics reports NA for inverse risk)');
    } else set('value_at_risk', Math.max(q, -1), 'not finite');
    const below: number[] = [];
    for (let i = 0; i < n; i++) if ((a[i] as number) < q) below.push(a[i] as number);
    const es = below.length === 0 ? q : mean(below);
    if (es > 0) warnings.push('expected_shortfall: the tail mean is a gain (PerformanceAnalytics reports NA for inverse risk)');
    else set('expected_shortfall', Math.max(es, -1), 'not finite');
  }

  function momentMetrics(): void {
    const sda = sdOfA();
    if (sda > 0) {
      const m = meanOfA();
      const sigma = Math.sqrt((sda * sda * (n - 1)) / n); // population sd, as PA's moment formulas
      const v2 = (sda * sda * (n - 1)) / n;
      const t3 = new Float64Array(n);
      const t4 = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const d = (a[i] as number) - m;
        t3[i] = (d * d * d) / (sigma * sigma * sigma);
        t4[i] = (d * d * d * d) / (v2 * v2);
      }
      set('skewness', accurateSum(t3) / n, 'not finite');
      set('kurtosis', accurateSum(t4) / n - 3, 'not finite');
    } else {
      warnings.push('skewness: the series has zero variance');
      warnings.push('kurtosis: the series has zero variance');
    }
  }

  function countMetrics(): void {
    const gains = new Float64Array(n);
    const losses = new Float64Array(n);
    let best = -Infinity;
    let worst = Infinity;
    let positive = 0;
    for (let i = 0; i < n; i++) {
      const r = a[i] as number;
      gains[i] = Math.max(r, 0);
      losses[i] = Math.max(-r, 0);
      if (r > best) best = r;
      if (r < worst) worst = r;
      if (r > 0) positive++;
    }
    const lossMean = mean(losses);
    if (lossMean > 0) set('omega_ratio', mean(gains) / lossMean, 'not finite');
    else warnings.push('omega_ratio: no losing period (denominator is 0)');
    set('best_period', best, 'not finite');
    set('worst_period', worst, 'not finite');
    set('positive_periods', positive / n, 'not finite');
  }
}

/** x - f per period, f the risk-free series or (without one) the constant per-period rate. */
function excessReturns(a: Float64Array, riskFree: Float64Array | undefined, rfConst: number): Float64Array {
  const n = a.length;
  const x = new Float64Array(n);
  if (riskFree !== undefined) for (let i = 0; i < n; i++) x[i] = (a[i] as number) - (riskFree[i] as number);
  else for (let i = 0; i < n; i++) x[i] = (a[i] as number) - rfConst;
  return x;
}

function benchmarkMetrics(
  a: Float64Array,
  b: Float64Array,
  f: Float64Array,
  x: Float64Array,
  meanX: number,
  ga: number,
  gf: number,
  s: number,
  set: (key: RiskMetricKey, value: number, reason: string) => void,
  warnings: string[],
): void {
  const n = a.length;
  const y = new Float64Array(n);
  const active = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = (b[i] as number) - (f[i] as number);
    active[i] = (a[i] as number) - (b[i] as number);
  }
  const gb = annualizedReturn(b, s);
  const meanY = mean(y);
  const varY = sampleCovariance(y, y, meanY, meanY);
  if (varY > 0) {
    const beta = sampleCovariance(x, y, meanX, meanY) / varY;
    set('beta', beta, 'not finite');
    set('alpha', meanX - beta * meanY, 'not finite');
    set('jensen_alpha', ga - gf - beta * (gb - gf), 'not finite');
    if (beta !== 0) set('treynor_ratio', annualizedReturn(x, s) / beta, 'not finite');
    else warnings.push('treynor_ratio: beta is 0');
  } else {
    for (const k of ['beta', 'alpha', 'jensen_alpha', 'treynor_ratio'] as const) warnings.push(`${k}: the benchmark's excess returns have zero variance`);
  }
  const ap = ga - gb;
  set('active_premium', ap, 'not finite');
  const te = sampleSd(active) * Math.sqrt(s);
  set('tracking_error', te, 'not finite');
  if (te > 0) set('information_ratio', ap / te, 'not finite');
  else warnings.push('information_ratio: tracking error is 0');
  const ud = upDownRatios(a, b);
  const reasons: Record<string, string> = {
    up_capture: 'the benchmark has no up period (or compounds to 0 over them)',
    down_capture: 'the benchmark has no down period (or compounds to 0 over them)',
    up_number_ratio: 'the benchmark has no up period',
    down_number_ratio: 'the benchmark has no down period',
    up_percent_ratio: 'the benchmark has no up period',
    down_percent_ratio: 'the benchmark has no down period',
  };
  for (const [k, v] of Object.entries(ud) as Array<[RiskMetricKey, number]>) set(k, v, reasons[k] ?? 'not finite');
}
