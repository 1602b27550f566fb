import type { EpochDay } from '../engine/calendarDate.js';
import type { PeriodSpec } from '../engine/periods.js';
import { mwrPeriodResults, type PeriodResult } from '../engine/periodReturns.js';
import { loadSelectedPortfolios, type PortfolioInputOptions } from './portfolioInputs.js';

export interface MwrOptions extends PortfolioInputOptions {
  flowTiming: 'start' | 'end';
  periods: PeriodSpec[];
  asOf?: EpochDay;
}

/** `perfcalc mwr`: money-weighted returns (XIRR, actual/365) per portfolio and period. */
export async function mwr(opts: MwrOptions): Promise<PeriodResult[]> {
  const portfolios = await loadSelectedPortfolios(opts);
  return portfolios.flatMap((p) => mwrPeriodResults(p, opts.periods, opts.asOf, { flowTiming: opts.flowTiming }));
}
