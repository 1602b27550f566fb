/** Builders for the return-engine tests (not a test file). */
import { parseIsoDate, type EpochDay } from '../../src/engine/calendarDate.js';
import { TIMING_DEFAULT, TIMING_END, TIMING_START, type PortfolioData } from '../../src/engine/types.js';

export function day(iso: string): EpochDay {
  const d = parseIsoDate(iso);
  if (d === undefined) throw new Error(`bad test date ${iso}`);
  return d;
}

export type FlowRow = [date: string, amount: number, timing?: 'start' | 'end'];

/** A portfolio from [date, value] rows and [date, amount, timing?] flow rows (ascending). */
export function portfolio(valuations: [string, number][], flows: FlowRow[] = [], id = 'P1'): PortfolioData {
  return {
    portfolioId: id,
    valuations: {
      dates: Int32Array.from(valuations.map(([d]) => day(d))),
      values: Float64Array.from(valuations.map(([, v]) => v)),
    },
    flows: {
      dates: Int32Array.from(flows.map(([d]) => day(d))),
      amounts: Float64Array.from(flows.map(([, a]) => a)),
      timing: Uint8Array.from(flows.map(([, , t]) => (t === 'start' ? TIMING_START : t === 'end' ? TIMING_END : TIMING_DEFAULT))),
    },
  };
}

/** A portfolio from epoch-day arrays (property tests). */
export function portfolioFromArrays(
  dates: number[],
  values: number[],
  flowDates: number[] = [],
  flowAmounts: number[] = [],
  flowTiming: number[] = [],
): PortfolioData {
  return {
    portfolioId: 'P',
    valuations: { dates: Int32Array.from(dates), values: Float64Array.from(values) },
    flows: {
      dates: Int32Array.from(flowDates),
      amounts: Float64Array.from(flowAmounts),
      timing: Uint8Array.from(flowAmounts.map((_, i) => flowTiming[i] ?? TIMING_DEFAULT)),
    },
  };
}

/** |actual - expected| <= tol x max(1, |expected|). */
export function close(actual: number | null | undefined, expected: number, tol = 1e-10): boolean {
  return actual !== null && actual !== undefined && Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected));
}
