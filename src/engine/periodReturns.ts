/**
 * Period result records for one portfolio: the one entry point for the `twr` and `mwr` commands
 * and the batch runner.
 *
 * - TWR: `daily` (dailyTwr.ts, computed once per portfolio, every period served from prefix
 *   products), `modified-dietz` (modifiedDietz.ts over the whole period) or
 *   `linked-modified-dietz` (linkedModifiedDietz.ts, monthly, optional large-flow revaluation).
 *   cumulative_return is the return over (base, end valuation]; annualized_return is
 *   (1 + cumulative)^(365/days) - 1 for periods that span at least a year (periods.ts), else null.
 * - MWR: XIRR (xirr.ts) of the investor's cash flows over the period: -V_B on the base date,
 *   -F for each flow dated in (base, end valuation] (an end-of-day flow on its date, a
 *   start-of-day flow on the day before, i.e. at the close of the previous day, consistent with
 *   Modified Dietz's weights), +V_E on the end valuation date. annualized_return is the IRR for
 *   periods of at least a year (null otherwise); cumulative_return = (1 + IRR)^(days/365) - 1.
 * - Data problems never throw: they give status 'invalid_input' for the affected periods with a
 *   message in `warnings` (per-portfolio isolation in a batch). Values are null unless status is
 *   'ok'. Only usage problems (a custom period with from > to, a bad large-flow threshold) throw
 *   UsageError.
 */
import { annualize, deannualize } from './annualize.js';
import { formatIsoDate, type EpochDay } from './calendarDate.js';
import { dailyTwr, linkDailyTwr, movedFlowCount, type DailyTwr } from './dailyTwr.js';
import { lastIndexAtOrBefore } from './dateIndex.js';
import { linkedModifiedDietz, monthLastFlags } from './linkedModifiedDietz.js';
import { modifiedDietz } from './modifiedDietz.js';
import { defaultStartFlag, flowProblem, resolveFlows, startFlag, type ResolvedFlows } from './netFlows.js';
import { resolvePeriod, type PeriodSpec, type PeriodWindow } from './periods.js';
import type { ReturnOutcome } from './returnOutcome.js';
import type { PortfolioData, ResultStatus } from './types.js';
import { xirr } from './xirr.js';
import { UsageError } from '../errors.js';

export type ReturnMethod = 'daily' | 'modified-dietz' | 'linked-modified-dietz';

export interface ReturnOptions {
  method: ReturnMethod;
  flowTiming: 'start' | 'end';
  /** Linked Modified Dietz only: revalue at flows of at least this fraction of the sub-period's beginning value (0.1 = 10%). */
  largeFlowThreshold?: number;
  /** The portfolio's daily sub-period returns when the caller already has them (same portfolio and flowTiming). */
  daily?: DailyTwr;
}

export interface PeriodResult {
  portfolio_id: string;
  period: string;
  start_date: string;
  end_date: string;
  base_date: string | null;
  /** 'daily' | 'modified-dietz' | 'linked-modified-dietz' | 'xirr' */
  method: string;
  cumulative_return: number | null;
  annualized_return: number | null;
  annualized: boolean;
  days: number | null;
  status: ResultStatus;
  warnings: string[];
}

/** Calendar days between a nominal date and the valuation used for it beyond which a warning is given. */
const STALE_DAYS = 7;

function windowWarnings(w: PeriodWindow, firstValuation: EpochDay | undefined): string[] {
  const out: string[] = [];
  if (w.status === 'insufficient_history' && firstValuation !== undefined) {
    out.push(
      `insufficient history: the period starts ${formatIsoDate(w.start)} but the first valuation is ${formatIsoDate(firstValuation)}`,
    );
  } else if (w.status === 'no_data') {
    out.push(
      w.endValuation === null
        ? `no valuation on or before ${formatIsoDate(w.end)}`
        : `no valuation inside the period (${formatIsoDate(w.start)} to ${formatIsoDate(w.end)})`,
    );
  } else if (w.status === 'ok') {
    // Weekends and holidays are normal; a gap of more than a week is worth saying.
    if (w.base !== null && w.start - 1 - w.base > STALE_DAYS) {
      out.push(`base value from ${formatIsoDate(w.base)}, the last valuation on or before ${formatIsoDate(w.start - 1)}`);
    }
    if (w.endValuation !== null && w.end - w.endValuation > STALE_DAYS) {
      out.push(`end value from ${formatIsoDate(w.endValuation)}, the last valuation on or before ${formatIsoDate(w.end)}`);
    }
  }
  return out;
}

function baseRecord(p: PortfolioData, w: PeriodWindow, method: string): PeriodResult {
  const ok = w.status === 'ok';
  return {
    portfolio_id: p.portfolioId,
    period: w.label,
    start_date: formatIsoDate(w.start),
    end_date: formatIsoDate(w.end),
    base_date: w.base === null ? null : formatIsoDate(w.base),
    method,
    cumulative_return: null,
    annualized_return: null,
    annualized: ok && w.annualize,
    days: ok ? w.days : null,
    status: w.status,
    warnings: windowWarnings(w, p.valuations.dates[0]),
  };
}

function noValuationsRecord(p: PortfolioData, spec: PeriodSpec, method: string): PeriodResult {
  return {
    portfolio_id: p.portfolioId,
    period: spec.label,
    start_date: spec.from !== undefined ? formatIsoDate(spec.from) : '',
    end_date: spec.to !== undefined ? formatIsoDate(spec.to) : '',
    base_date: null,
    method,
    cumulative_return: null,
    annualized_return: null,
    annualized: false,
    days: null,
    status: 'no_data',
    warnings: ['the portfolio has no valuations'],
  };
}

function setOutcome(r: PeriodResult, w: PeriodWindow, o: ReturnOutcome): void {
  if (o.status !== 'ok') {
    r.status = 'invalid_input';
    r.annualized = false;
    r.warnings.push(o.message);
    return;
  }
  r.cumulative_return = o.value;
  r.annualized_return = w.annualize ? annualize(o.value, w.days) : null;
}

/** Time-weighted returns of one portfolio for each period, in the order given. */
export function twrPeriodResults(
  p: PortfolioData,
  periods: PeriodSpec[],
  asOf: EpochDay | undefined,
  opts: ReturnOptions,
): PeriodResult[] {
  const t = opts.largeFlowThreshold;
  if (t !== undefined && !(t > 0 && Number.isFinite(t))) {
    throw new UsageError(`large-flow threshold must be a positive fraction such as 0.1, got ${t}`);
  }
  const dates = p.valuations.dates;
  const n = dates.length;
  if (n === 0 && asOf === undefined) return periods.map((s) => noValuationsRecord(p, s, opts.method));
  const end = asOf ?? dates[n - 1]!;
  let daily: DailyTwr | null = opts.daily ?? null;
  let flows: ResolvedFlows | null = null;
  let monthLast: Uint8Array | null = null;
  let problem: string | null | undefined;
  return periods.map((spec) => {
    const w = resolvePeriod(spec, end, dates);
    const r = baseRecord(p, w, opts.method);
    if (w.status !== 'ok') return r;
    const bIdx = lastIndexAtOrBefore(dates, w.base!);
    const eIdx = lastIndexAtOrBefore(dates, w.endValuation!);
    if (opts.method === 'daily') {
      daily ??= dailyTwr(p, opts.flowTiming);
      setOutcome(r, w, linkDailyTwr(daily, bIdx, eIdx));
      const moved = movedFlowCount(daily, bIdx, eIdx);
      if (moved > 0 && r.status === 'ok') {
        r.warnings.push(
          `${moved} cash flow${moved === 1 ? '' : 's'} dated on days without a valuation moved to the next valuation day as start-of-day flow${moved === 1 ? '' : 's'}`,
        );
      }
      return r;
    }
    if (problem === undefined) problem = flowProblem(p);
    if (problem !== null) {
      setOutcome(r, w, { status: 'invalid_input', value: null, message: problem });
      return r;
    }
    flows ??= resolveFlows(p.flows, opts.flowTiming);
    const v = p.valuations.values;
    const outcome =
      opts.method === 'modified-dietz'
        ? modifiedDietz({ baseDate: dates[bIdx]!, baseValue: v[bIdx]!, endDate: dates[eIdx]!, endValue: v[eIdx]! }, flows)
        : linkedModifiedDietz(p.valuations, flows, bIdx, eIdx, t, (monthLast ??= monthLastFlags(dates)));
    setOutcome(r, w, outcome);
    return r;
  });
}

/** Money-weighted returns (XIRR) of one portfolio for each period, in the order given. */
export function mwrPeriodResults(
  p: PortfolioData,
  periods: PeriodSpec[],
  asOf: EpochDay | undefined,
  opts: { flowTiming: 'start' | 'end' },
): PeriodResult[] {
  const dates = p.valuations.dates;
  const n = dates.length;
  if (n === 0 && asOf === undefined) return periods.map((s) => noValuationsRecord(p, s, 'xirr'));
  const end = asOf ?? dates[n - 1]!;
  let problem: string | null | undefined;
  const v = p.valuations.values;
  const flows = p.flows;
  const dflt = defaultStartFlag(opts.flowTiming);
  return periods.map((spec) => {
    const w = resolvePeriod(spec, end, dates);
    const r = baseRecord(p, w, 'xirr');
    if (w.status !== 'ok') return r;
    if (problem === undefined) problem = flowProblem(p);
    const fail = (message: string): PeriodResult => {
      r.status = 'invalid_input';
      r.annualized = false;
      r.warnings.push(message);
      return r;
    };
    if (problem !== null) return fail(problem);
    const bIdx = lastIndexAtOrBefore(dates, w.base!);
    const eIdx = lastIndexAtOrBefore(dates, w.endValuation!);
    const vb = v[bIdx]!;
    const ve = v[eIdx]!;
    if (!(vb >= 0)) return fail(`negative value ${vb} on ${formatIsoDate(dates[bIdx]!)} (start of the period)`);
    if (!(ve >= 0)) return fail(`negative value ${ve} on ${formatIsoDate(dates[eIdx]!)} (end of the period)`);
    const lo = lastIndexAtOrBefore(flows.dates, dates[bIdx]!) + 1;
    const hi = lastIndexAtOrBefore(flows.dates, dates[eIdx]!);
    // the base value, the flows, the end value (arrays made at their size, not grown)
    const m = Math.max(0, hi - lo + 1) + 2;
    const cfDates = new Array<number>(m);
    const cfAmounts = new Array<number>(m);
    cfDates[0] = dates[bIdx]!;
    cfAmounts[0] = -vb;
    for (let k = lo; k <= hi; k++) {
      cfDates[k - lo + 1] = flows.dates[k]! - startFlag(flows.timing[k]!, dflt);
      cfAmounts[k - lo + 1] = -flows.amounts[k]!;
    }
    cfDates[m - 1] = dates[eIdx]!;
    cfAmounts[m - 1] = ve;
    const x = xirr(cfDates, cfAmounts);
    if (x.status !== 'ok' || x.rate === null) {
      r.status = x.status;
      r.annualized = false;
      if (x.message !== undefined) r.warnings.push(x.message);
      return r;
    }
    r.cumulative_return = deannualize(x.rate, w.days);
    r.annualized_return = w.annualize ? x.rate : null;
    return r;
  });
}
