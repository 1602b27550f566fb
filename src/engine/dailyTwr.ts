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
import { lastIndexAtOrBefore } from './dateIndex.js';
import { flowsByValuationDay, type ValuationDayFlows } from './netFlows.js';
import { invalidReturn, okReturn, type ReturnOutcome } from './returnOutcome.js';
import type { FlowTiming, PortfolioData } from './types.js';

export interface DailyTwr {
  /** The valuation dates (shared with the input). */
  dates: Int32Array;
  /** returns[i]: return of (dates[i-1], dates[i]]; returns[0] is 0; NaN for an invalid sub-period. */
  returns: Float64Array;
  /** growth[i] = prod_{k=1..i} (V_k - FE_k)/(V_{k-1} + FS_k) over valid sub-periods; growth[0] = 1. */
  growth: Float64Array;
  /** Valuation indices of the invalid sub-periods, ascending. */
  invalid: number[];
  /** Valuation indices that received flows moved from days without a valuation, ascending ... */
  movedAt: number[];
  /** ... and the running count of moved flows up to and including each of them. */
  movedCum: number[];
  /** A portfolio-level flow problem (a flow outside the valuation range), or null. */
  problem: string | null;
}

/**
 * Daily sub-period returns of a portfolio, flows netted per timing (default timing for code 0).
 * With a `workspace` of at least twice the number of valuations, `returns` and `growth` are views
 * into it rather than new arrays (a batch reuses one workspace for every portfolio: no allocation
 * per portfolio); the result is then valid only until the workspace is written again.
 */
export function dailyTwr(p: PortfolioData, defaultTiming: FlowTiming, workspace?: Float64Array): DailyTwr {
  const dates = p.valuations.dates;
  const v = p.valuations.values;
  const n = dates.length;
  const f = flowsByValuationDay(p, defaultTiming);
  const own = workspace === undefined || workspace.length < 2 * n;
  const returns = own ? new Float64Array(n) : workspace.subarray(0, n);
  const growth = own ? new Float64Array(n) : workspace.subarray(n, 2 * n);
  const movedAt: number[] = [];
  const movedCum: number[] = [];
  let moved = 0;
  for (let slot = 0; slot < f.index.length; slot++) {
    const m = f.moved[slot]!;
    if (m > 0) {
      moved += m;
      movedAt.push(f.index[slot]!);
      movedCum.push(moved);
    }
  }
  if (n > 0) {
    returns[0] = 0;
    growth[0] = 1;
  }
  const invalid: number[] = [];
  if (!linkIfAllValid(v, f, returns, growth)) linkEach(v, f, returns, growth, invalid);
  return { dates, returns, growth, invalid, movedAt, movedCum, problem: f.problem };
}

/**
 * returns[i] and growth[i] for i >= 1 when every sub-period is valid (then true; else false, with
 * the arrays partly written). The same arithmetic as linkEach, without its per-day validity
 * branch (a per-day branch costs this loop about as much as everything else in it): validity is
 * checked after the loop instead, from acc = sum of (V_i - |V_i|) + (den_i - |den_i|), terms that
 * are 0 for a non-negative V_i and den_i, negative (or NaN) otherwise, so acc is 0 exactly when no
 * V_i or den_i is negative or NaN; a zero den_i makes its factor infinite or NaN, and the running
 * product then stays non-finite. A day with flows is stepped apart from the others, so the days
 * between flows need no flow check either.
 */
function linkIfAllValid(v: Float64Array, f: ValuationDayFlows, returns: Float64Array, growth: Float64Array): boolean {
  const n = v.length;
  const slots = f.index.length;
  let g = 1;
  let acc = 0;
  let i = 1;
  for (let slot = 0; ; slot++) {
    const flowDay = slot < slots ? f.index[slot]! : n;
    for (; i < flowDay; i++) {
      const vi = v[i]!;
      const den = v[i - 1]!;
      const factor = vi / den;
      returns[i] = factor - 1;
      g *= factor;
      growth[i] = g;
      acc += vi - Math.abs(vi) + (den - Math.abs(den));
    }
    if (i >= n) break;
    const vi = v[i]!;
    const den = v[i - 1]! + f.start[slot]!;
    const factor = (vi - f.end[slot]!) / den;
    returns[i] = factor - 1;
    g *= factor;
    growth[i] = g;
    acc += vi - Math.abs(vi) + (den - Math.abs(den));
    i++;
  }
  return acc === 0 && Number.isFinite(g);
}

/** returns[i] and growth[i] for i >= 1, day by day, an invalid sub-period's return NaN (its index in `invalid`) and its factor left out. */
function linkEach(v: Float64Array, f: ValuationDayFlows, returns: Float64Array, growth: Float64Array, invalid: number[]): void {
  const n = v.length;
  const slots = f.index.length;
  let g = 1;
  let slot = 0;
  let nextFlowDay = slots > 0 ? f.index[0]! : n; // next valuation index with flows
  for (let i = 1; i < n; i++) {
    const vi = v[i]!;
    let num = vi;
    let den = v[i - 1]!;
    if (i === nextFlowDay) {
      num -= f.end[slot]!;
      den += f.start[slot]!;
      slot++;
      nextFlowDay = slot < slots ? f.index[slot]! : n;
    }
    if (den > 0 && vi >= 0) {
      // Link with the growth factor itself, not 1 + r: near r = -1 the latter would lose digits.
      const factor = num / den;
      returns[i] = factor - 1;
      g *= factor;
    } else {
      returns[i] = NaN;
      invalid.push(i);
    }
    growth[i] = g;
  }
}

/**
 * Cumulative daily TWR over (dates[baseIndex], dates[endIndex]] (indices into the valuation
 * dates, baseIndex < endIndex): prod (1 + r_i) - 1 for i in baseIndex+1..endIndex.
 */
export function linkDailyTwr(d: DailyTwr, baseIndex: number, endIndex: number): ReturnOutcome {
  if (d.problem !== null) return invalidReturn(d.problem);
  if (d.invalid.length > 0) {
    const k = lastIndexAtOrBefore(d.invalid, baseIndex) + 1; // first invalid sub-period after the base
    if (k < d.invalid.length && d.invalid[k]! <= endIndex) {
      const i = d.invalid[k]!;
      return invalidReturn(
        `zero or negative value: the daily return for ${formatIsoDate(d.dates[i]!)} needs a positive value at the ` +
          `start of the day (the ${formatIsoDate(d.dates[i - 1]!)} value plus start-of-day flows) and a non-negative closing value`,
      );
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
  const e = lastIndexAtOrBefore(d.movedAt, endIndex);
  const b = lastIndexAtOrBefore(d.movedAt, baseIndex);
  return (e >= 0 ? d.movedCum[e]! : 0) - (b >= 0 ? d.movedCum[b]! : 0);
}
