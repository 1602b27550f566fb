/**
 * The engine's plain-data model. Loaders (src/storage) build these; engine functions take them
 * and return results. Dates are epoch days (see calendarDate.ts); money is float64 rounded once
 * from an exact decimal figure (see money.ts).
 */
import type { EpochDay } from './calendarDate.js';

/** When an external flow is invested: at the start of its day, or in that day's closing value. */
export type FlowTiming = 'start' | 'end';

/**
 * One portfolio's end-of-day valuations, ascending and unique by date. Values are the exact
 * decimal totals (holdings summed in decimal) rounded once to float64.
 */
export interface ValuationSeries {
  dates: Int32Array;
  values: Float64Array;
}

/**
 * External cash flows, ascending by date. Several flows may share a date (they are netted per
 * timing by the engine). Amount > 0 is money into the portfolio, < 0 out of it. `timing` holds
 * 0 for the run's default timing, 1 for an explicit 'end', 2 for an explicit 'start'.
 */
export interface CashFlowSeries {
  dates: Int32Array;
  amounts: Float64Array;
  timing: Uint8Array;
}

export const TIMING_DEFAULT = 0;
export const TIMING_END = 1;
export const TIMING_START = 2;

export interface PortfolioData {
  portfolioId: string;
  valuations: ValuationSeries;
  flows: CashFlowSeries;
}

/** A return series: per-period simple returns (0.01 = 1%) on ascending unique dates. */
export interface ReturnSeries {
  seriesId: string;
  dates: Int32Array;
  /** Loaders leave missing observations out (an empty wide cell has no entry); engine functions skip NaN where they meet one. */
  returns: Float64Array;
}

export function emptyFlows(): CashFlowSeries {
  return { dates: new Int32Array(0), amounts: new Float64Array(0), timing: new Uint8Array(0) };
}

/** Status of a computed figure; values are null unless status is 'ok'. */
export type ResultStatus = 'ok' | 'insufficient_history' | 'no_solution' | 'ambiguous' | 'invalid_input' | 'no_data';
