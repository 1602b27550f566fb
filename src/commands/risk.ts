import type { EpochDay } from '../engine/calendarDate.js';
import { riskMetrics, type RiskResult } from '../engine/riskMetrics.js';
import type { FlowTiming, PortfolioData, ReturnSeries } from '../engine/types.js';
import { dailyTwr } from '../engine/dailyTwr.js';
import { formatIsoDate } from '../engine/calendarDate.js';
import { UsageError } from '../errors.js';
import { readReturnFiles } from '../storage/csv/index.js';
import { clipSeriesRange } from '../storage/csv/csvSource.js';
import { loadSelectedPortfolios, type PortfolioInputOptions } from './portfolioInputs.js';

export interface RiskCommandOptions extends SeriesInputOptions {
  /** Series to report (default: every series in the files, benchmark and risk-free included). */
  series?: string[];
  benchmark?: string;
  riskFreeSeries?: string;
  /** Annual risk-free rate, used when no risk-free series is named. */
  rf?: number;
  scale?: number;
  mar?: number;
  confidence?: number;
  from?: EpochDay;
  to?: EpochDay;
}

/** Risk and benchmark-relative metrics for each selected series of a set of return series. */
export function riskForSeries(all: Map<string, ReturnSeries>, opts: RiskCommandOptions): RiskResult[] {
  const pick = (id: string | undefined, flag: string): ReturnSeries | undefined => {
    if (id === undefined) return undefined;
    const s = all.get(id);
    if (!s) throw new UsageError(`${flag} '${id}' is not a series in the input (series: ${[...all.keys()].join(', ')})`);
    return clipSeriesRange(s, { from: opts.from, to: opts.to });
  };
  if (opts.riskFreeSeries !== undefined && opts.rf !== undefined) throw new UsageError('give --rf-series or --rf, not both');
  const benchmark = pick(opts.benchmark, '--benchmark');
  const riskFree = pick(opts.riskFreeSeries, '--rf-series');
  // default: every series, in the order the files list them (as PerformanceAnalytics' tables do)
  const ids = opts.series && opts.series.length > 0 ? opts.series : [...all.keys()];
  return ids.map((id) => {
    const series = pick(id, '--series')!;
    return riskMetrics(
      { series, benchmark, riskFree },
      { scale: opts.scale, mar: opts.mar, confidence: opts.confidence, rf: opts.rf },
    );
  });
}

/** `perfcalc risk`: risk metrics per series. Returns data, printing is the CLI's job. */
export async function risk(opts: RiskCommandOptions): Promise<RiskResult[]> {
  const all = await loadAllSeries(opts);
  try {
    return riskForSeries(all, opts);
  } catch (err) {
    // the engine rejects impossible options (confidence outside (0,1), scale <= 0) with RangeError
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * A portfolio's daily time-weighted sub-period returns as a return series (its first valuation is
 * the base, so the series starts on the second valuation date). Used by `risk` and `returns` with
 * --valuations: the portfolio's own TWR is the series its risk is measured on.
 */
export function portfolioReturnSeries(p: PortfolioData, flowTiming: FlowTiming): ReturnSeries {
  const d = dailyTwr(p, flowTiming);
  if (d.problem !== null) throw new UsageError(`portfolio '${p.portfolioId}': ${d.problem}`);
  const bad = d.returns.subarray(1).findIndex((r) => Number.isNaN(r));
  if (bad >= 0) {
    throw new UsageError(`portfolio '${p.portfolioId}': no return for the day ending ${formatIsoDate(d.dates[bad + 1]!)} (zero or negative value)`);
  }
  return { seriesId: p.portfolioId, dates: d.dates.subarray(1), returns: d.returns.subarray(1) };
}

export interface SeriesInputOptions extends PortfolioInputOptions {
  returns?: string[];
  returnsUnit?: 'decimal' | 'percent';
  flowTiming?: FlowTiming;
}

/**
 * Every series a risk or calendar run works on: each portfolio's daily TWR (with --valuations or
 * --holdings) followed by the series of the --returns files. A name used twice is a usage error.
 */
export async function loadAllSeries(opts: SeriesInputOptions): Promise<Map<string, ReturnSeries>> {
  const fromFiles = opts.returns && opts.returns.length > 0 ? await readReturnFiles(opts.returns, opts.returnsUnit) : new Map<string, ReturnSeries>();
  if (!opts.valuations && !opts.holdings) {
    if (fromFiles.size === 0) throw new UsageError('give --returns FILE, or --valuations FILE (or --holdings FILE)');
    return fromFiles;
  }
  const portfolios = await loadSelectedPortfolios(opts);
  const all = new Map<string, ReturnSeries>();
  for (const p of portfolios) all.set(p.portfolioId, portfolioReturnSeries(p, opts.flowTiming ?? 'end'));
  for (const [id, s] of fromFiles) {
    if (all.has(id)) throw new UsageError(`series '${id}' is both a portfolio and a series in the returns file(s)`);
    all.set(id, s);
  }
  return all;
}
