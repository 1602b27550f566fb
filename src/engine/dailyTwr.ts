/**
 * Daily chain-linked time-weighted return.
 *
 * Convention: one sub-period per pair of consecutive valuations (dates[i-1], dates[i]], with
 * net end-of-day flows FE_i (in day i's closing value) and net start-of-day flows FS_i (invested
 * at the start of day i, including flows moved from days without a valuation; see netFlows.ts):
 *
 *   r_i = (V_i - FE_i) / (V_{i-1} + FS_i) - 1
 *
 * which is (V_i - F_i)/V_{i-1} - 1 for end flows and V_i/(V_{i-1} + F_i) - 1 for start flows.
 * A period (base, end] links its sub-periods geometrically: prod (1 + r_i) - 1, no annualisation.
 *
 * The returns are computed once per portfolio, in float64 with no allocation per day; every
 * period is then served in O(1) from prefix products (growth[e] / growth[b] - 1). The ratio of
 * prefix products carries only the rounding of the sub-periods inside the period (growth[e] is
 * growth[b] times those factors, rounded once per step), so it matches the direct product to
 * ~1e-15 relative per step. Where a prefix product is zero or not a normal number (a -100% day,
 * overflow), the period falls back to the direct product.
 *
 * A sub-period whose denominator V_{i-1} + FS_i is zero or negative, or whose closing value is
 * negative, is invalid: every period containing it gets status 'invalid_input' naming the date.
 */
import { formatIsoDate } from './calendarDate.js';
import { flowsByValuationDay } from './netFlows.js';
import { invalidReturn, okReturn, type ReturnOutcome } from './returnOutcome.js';
import type { FlowTiming, PortfolioData } from './types.js';

export interface DailyTwr {
  /** The valuation dates (shared with the input). */
  dates: Int32Array;
  /** returns[i]: return of (dates[i-1], dates[i]]; returns[0] is 0; NaN for an invalid sub-period. */
  returns: Float64Array;
  /** growth[i] = prod_{k=1..i} (V_k - FE_k)/(V_{k-1} + FS_k) over valid sub-periods; growth[0] = 1. */
  growth: Float64Array;
  /** Prefix count of invalid sub-periods: invalidUpTo[i] = number of invalid k in 1..i. */
  invalidUpTo: Int32Array;
  /** Prefix count of flows moved from days without a valuation: movedUpTo[i] = moves into 1..i. */
  movedUpTo: Int32Array;
  /** A portfolio-level flow problem (a flow outside the valuation range), or null. */
  problem: string | null;
}

/** Daily sub-period returns of a portfolio, flows netted per timing (default timing for code 0). */
export function dailyTwr(p: PortfolioData, defaultTiming: FlowTiming): DailyTwr {
  const dates = p.valuations.dates;
  const v = p.valuations.values;
  const n = dates.length;
  const f = flowsByValuationDay(p, defaultTiming);
  const fs = f.start;
  const fe = f.end;
  const mv = f.moved;
  const returns = new Float64Array(n);
  const growth = new Float64Array(n);
  const invalidUpTo = new Int32Array(n);
  const movedUpTo = new Int32Array(n);
  if (n > 0) growth[0] = 1;
  let g = 1;
  let bad = 0;
  let moved = 0;
  let prev = n > 0 ? v[0]! : 0;
  for (let i = 1; i < n; i++) {
    const vi = v[i]!;
    const den = prev + fs[i]!;
    if (den > 0 && vi >= 0) {
      // Link with the growth factor itself, not 1 + r: near r = -1 the latter would lose digits.
      const factor = (vi - fe[i]!) / den;
      returns[i] = factor - 1;
      g *= factor;
    } else {
      returns[i] = NaN;
      bad++;
    }
    growth[i] = g;
    invalidUpTo[i] = bad;
    moved += mv[i]!;
    movedUpTo[i] = moved;
    prev = vi;
  }
  return { dates, returns, growth, invalidUpTo, movedUpTo, problem: f.problem };
}

/**
 * Cumulative daily TWR over (dates[baseIndex], dates[endIndex]] (indices into the valuation
 * dates, baseIndex < endIndex): prod (1 + r_i) - 1 for i in baseIndex+1..endIndex.
 */
export function linkDailyTwr(d: DailyTwr, baseIndex: number, endIndex: number): ReturnOutcome {
  if (d.problem !== null) return invalidReturn(d.problem);
  if (d.invalidUpTo[endIndex]! - d.invalidUpTo[baseIndex]! > 0) {
    for (let i = baseIndex + 1; i <= endIndex; i++) {
      if (Number.isNaN(d.returns[i]!)) {
        return invalidReturn(
          `zero or negative value: the daily return for ${formatIsoDate(d.dates[i]!)} needs a positive value at the ` +
            `start of the day (the ${formatIsoDate(d.dates[i - 1]!)} value plus start-of-day flows) and a non-negative closing value`,
        );
      }
    }
  }
  const gb = d.growth[baseIndex]!;
  const ge = d.growth[endIndex]!;
  if (gb > 1e-300 && gb < 1e300 && Number.isFinite(ge)) return okReturn(ge / gb - 1);
  let prod = 1;
  for (let i = baseIndex + 1; i <= endIndex; i++) prod *= 1 + d.returns[i]!;
  return okReturn(prod - 1);
}

/** Number of flows moved from days without a valuation into (dates[baseIndex], dates[endIndex]]. */
export function movedFlowCount(d: DailyTwr, baseIndex: number, endIndex: number): number {
  return d.movedUpTo[endIndex]! - d.movedUpTo[baseIndex]!;
}
