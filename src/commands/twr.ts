import type { EpochDay } from '../engine/calendarDate.js';
import type { PeriodSpec } from '../engine/periods.js';
import { twrPeriodResults, type PeriodResult, type ReturnMethod } from '../engine/periodReturns.js';
import { loadSelectedPortfolios, type PortfolioInputOptions } from './portfolioInputs.js';

export interface TwrOptions extends PortfolioInputOptions {
  method: ReturnMethod;
  flowTiming: 'start' | 'end';
  periods: PeriodSpec[];
  asOf?: EpochDay;
  /** Revalue at flows larger than this fraction of the sub-period's beginning value (linked Modified Dietz). */
  largeFlow?: number;
}

/** `perfcalc twr`: time-weighted returns per portfolio and period. Returns data; printing is the CLI's job. */
export async function twr(opts: TwrOptions): Promise<PeriodResult[]> {
  const portfolios = await loadSelectedPortfolios(opts);
  return portfolios.flatMap((p) =>
    twrPeriodResults(p, opts.periods, opts.asOf, { method: opts.method, flowTiming: opts.flowTiming, largeFlowThreshold: opts.largeFlow }),
  );
}
