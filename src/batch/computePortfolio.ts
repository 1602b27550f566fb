/**
 * Everything the batch computes for one portfolio: the chosen metrics for every period, as flat
 * result rows. The CLI's `perfcalc run`, its worker threads and the SQS worker all call this one
 * function, so a number means the same thing wherever it was made.
 */
import type { EpochDay } from '../engine/calendarDate.js';
import { formatIsoDate } from '../engine/calendarDate.js';
import { dailyTwr, type DailyTwr } from '../engine/dailyTwr.js';
import { lastIndexAtOrBefore } from '../engine/dateIndex.js';
import { monthlyReturns } from '../engine/monthlyReturns.js';
import { mwrPeriodResults, twrPeriodResults, type PeriodResult, type ReturnMethod } from '../engine/periodReturns.js';
import { resolvePeriod, type PeriodSpec } from '../engine/periods.js';
import { RISK_METRIC_KEYS, riskMetrics, type RiskMetricKey } from '../engine/riskMetrics.js';
import type { FlowTiming, PortfolioData, ResultStatus, ReturnSeries } from '../engine/types.js';

/** `monthly`: risk on calendar-month returns linked from the daily ones (GIPS); `daily`: on the daily sub-period returns. */
export type RiskFrequency = 'monthly' | 'daily';

/** The options that determine a portfolio's results (they are part of its cache key). */
export interface ComputeOptions {
  periods: PeriodSpec[];
  /** twr and mwr rows, and which risk metrics (empty: none). */
  twr: boolean;
  mwr: boolean;
  risk: RiskMetricKey[];
  method: ReturnMethod;
  flowTiming: FlowTiming;
  largeFlow?: number;
  asOf?: EpochDay;
  riskFrequency: RiskFrequency;
  /** Periods per year for risk; default: 12 for monthly, detected for daily. */
  scale?: number;
  mar: number;
  confidence: number;
  /** Annual risk-free rate when no risk-free series is given. */
  rf?: number;
}

/** Series shared by every portfolio of a run. */
export interface ComputeContext {
  benchmark?: ReturnSeries;
  riskFree?: ReturnSeries;
}

/** One result: a metric of a portfolio over a period. `value` is null unless status is 'ok'. */
export interface ResultRow {
  portfolio_id: string;
  period: string;
  start_date: string;
  end_date: string;
  metric: string;
  value: number | null;
  method: string;
  status: ResultStatus | 'not_computable';
  /** Why the value is null, or a note on how it was made (warnings joined by '; '). */
  note: string;
}

/** The twr (or mwr) rows of one period: the cumulative figure, then the annualised one when the period is annualised. */
function pushPeriodRows(out: ResultRow[], r: PeriodResult, metric: 'twr' | 'mwr'): void {
  const note = r.warnings.join('; ');
  out.push({
    portfolio_id: r.portfolio_id,
    period: r.period,
    start_date: r.start_date,
    end_date: r.end_date,
    metric,
    value: r.cumulative_return,
    method: r.method,
    status: r.status,
    note,
  });
  if (r.annualized) {
    out.push({
      portfolio_id: r.portfolio_id,
      period: r.period,
      start_date: r.start_date,
      end_date: r.end_date,
      metric: metric === 'twr' ? 'twr_annualized' : 'mwr_annualized',
      value: r.annualized_return,
      method: r.method,
      status: r.status,
      note,
    });
  }
}

function clip(s: ReturnSeries, lo: number, hi: number): ReturnSeries {
  const a = lastIndexAtOrBefore(s.dates, lo) + 1;
  const b = lastIndexAtOrBefore(s.dates, hi) + 1;
  return { seriesId: s.seriesId, dates: s.dates.subarray(a, b), returns: s.returns.subarray(a, b) };
}

const KEY_PREFIX = new RegExp(`^(${RISK_METRIC_KEYS.join('|')}): `);

/** The risk engine's warnings that concern one metric: those prefixed with its key, and the general ones. */
function notesFor(key: RiskMetricKey, warnings: string[]): string {
  if (warnings.length === 0) return '';
  return warnings.filter((w) => !KEY_PREFIX.test(w) || w.startsWith(`${key}: `)).join('; ');
}

/** Output position of each risk metric (the key order). */
const RISK_ORDER = new Map(RISK_METRIC_KEYS.map((k, i) => [k as string, i]));

/** Risk rows in the key order (a stable sort: rows of one key keep their order). */
function byRiskOrder(a: ResultRow, b: ResultRow): number {
  return RISK_ORDER.get(a.metric)! - RISK_ORDER.get(b.metric)!;
}

/**
 * Risk rows of one period, in `keys` order: the metrics of the portfolio's own returns inside the
 * period (base, end], daily sub-period returns or their calendar-month linking, with the benchmark
 * and risk-free series clipped to the same window (and linked to months likewise).
 */
function riskRowsOf(
  p: PortfolioData,
  opts: ComputeOptions,
  ctx: ComputeContext,
  keys: readonly RiskMetricKey[],
  spec: PeriodSpec,
  twr: PeriodResult | null,
  daily: DailyTwr | null,
): ResultRow[] {
  const out: ResultRow[] = [];
  const dates = p.valuations.dates;
  const n = dates.length;
  const end = opts.asOf ?? dates[n - 1];
  const w = end === undefined ? null : resolvePeriod(spec, end, dates);
  const startDate = w ? formatIsoDate(w.start) : '';
  const endDate = w ? formatIsoDate(w.end) : '';
  const method = `risk-${opts.riskFrequency}`;
  const emit = (status: ResultRow['status'], note: string, values?: Record<RiskMetricKey, number | null>, warnings: string[] = []) => {
    for (const key of keys) {
      const v = values ? values[key] : null;
      out.push({
        portfolio_id: p.portfolioId,
        period: spec.label,
        start_date: startDate,
        end_date: endDate,
        metric: key,
        value: v,
        method,
        status: values ? (v === null ? 'not_computable' : 'ok') : status,
        note: values ? notesFor(key, warnings) : note,
      });
    }
  };
  if (!w || w.status !== 'ok' || !daily) {
    emit(w?.status ?? 'no_data', w ? `period ${w.status}` : 'the portfolio has no valuations');
    return out;
  }
  const bIdx = lastIndexAtOrBefore(dates, w.base!);
  const eIdx = lastIndexAtOrBefore(dates, w.endValuation!);
  if (daily.problem !== null || daily.invalid.some((i) => i > bIdx && i <= eIdx)) {
    emit('invalid_input', daily.problem ?? twr?.warnings.join('; ') ?? 'a sub-period in the window has no valid return');
    return out;
  }
  let series: ReturnSeries = { seriesId: p.portfolioId, dates: dates.subarray(bIdx + 1, eIdx + 1), returns: daily.returns.subarray(bIdx + 1, eIdx + 1) };
  let benchmark = ctx.benchmark ? clip(ctx.benchmark, dates[bIdx]!, dates[eIdx]!) : undefined;
  let riskFree = ctx.riskFree ? clip(ctx.riskFree, dates[bIdx]!, dates[eIdx]!) : undefined;
  if (opts.riskFrequency === 'monthly') {
    series = monthlyReturns(series);
    benchmark = benchmark && monthlyReturns(benchmark);
    riskFree = riskFree && monthlyReturns(riskFree);
  }
  const scale = opts.scale ?? (opts.riskFrequency === 'monthly' ? 12 : undefined);
  const res = riskMetrics({ series, benchmark, riskFree }, { scale, mar: opts.mar, confidence: opts.confidence, rf: opts.rf, only: opts.risk, episodes: false });
  emit('ok', '', res.metrics, res.warnings);
  return out;
}

/**
 * dailyTwr's workspace, reused from portfolio to portfolio (its arrays are read only while one
 * portfolio's rows are made, and the rows hold no reference to them; computePortfolio runs to the
 * end without yielding, so two portfolios never share it at once).
 */
let workspace = new Float64Array(0);

/**
 * All result rows of one portfolio, in a fixed order: periods as given, and within a period twr,
 * twr_annualized, mwr, mwr_annualized, then the risk metrics in the key order.
 */
export function computePortfolio(p: PortfolioData, opts: ComputeOptions, ctx: ComputeContext): ResultRow[] {
  // the daily sub-period returns, computed once for the daily TWR and the risk figures
  const n = p.valuations.dates.length;
  const needDaily = n > 1 && ((opts.twr && opts.method === 'daily') || opts.risk.length > 0);
  if (needDaily && workspace.length < 2 * n) workspace = new Float64Array(2 * n);
  const daily = needDaily ? dailyTwr(p, opts.flowTiming, workspace) : null;
  const twr = opts.twr
    ? twrPeriodResults(p, opts.periods, opts.asOf, { method: opts.method, flowTiming: opts.flowTiming, largeFlowThreshold: opts.largeFlow, daily: daily ?? undefined })
    : null;
  const mwr = opts.mwr ? mwrPeriodResults(p, opts.periods, opts.asOf, { flowTiming: opts.flowTiming }) : null;
  // each period's risk rows, made in the key order (a stable sort: repeated keys keep their order)
  const riskKeys = opts.risk.length > 1 ? [...opts.risk].sort((a, b) => RISK_ORDER.get(a)! - RISK_ORDER.get(b)!) : opts.risk;
  const risk =
    opts.risk.length > 0
      ? opts.periods.map((spec) => riskRowsOf(p, opts, ctx, riskKeys, spec, twr?.find((r) => r.period === spec.label) ?? null, daily))
      : null;
  const out: ResultRow[] = [];
  opts.periods.forEach((spec, i) => {
    if (twr) pushPeriodRows(out, twr[i]!, 'twr');
    if (mwr) pushPeriodRows(out, mwr[i]!, 'mwr');
    if (risk === null) return;
    // the risk rows of the periods with this label (periods that share a label share their rows), in key order
    const same = opts.periods.every((s, j) => j === i || s.label !== spec.label) ? risk[i]! : risk.filter((_, j) => opts.periods[j]!.label === spec.label).flat().sort(byRiskOrder);
    for (const r of same) out.push(r);
  });
  return out;
}
