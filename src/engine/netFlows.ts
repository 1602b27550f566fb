/**
 * Flow preparation for the return engine (see docs/architecture.md, "Flow semantics").
 *
 * - Timing codes (types.ts): 0 = the run's default timing, 1 = explicit 'end', 2 = explicit 'start'.
 * - Flows on the first valuation date are part of the starting value and enter no return.
 * - A flow before the first valuation or after the last one is an input problem; it is reported
 *   as `problem` (a message naming the flow), never thrown.
 * - For the daily method, flows are netted per valuation day and timing; a flow dated on a day
 *   without a valuation joins the next valuation day as a start-of-day flow (and is counted).
 * - Netting several flows into one figure is an exact decimal sum (`sumMoney`), rounded once.
 */
import { formatIsoDate, type EpochDay } from './calendarDate.js';
import { lastIndexAtOrBefore } from './dateIndex.js';
import { sumMoney } from './money.js';
import { TIMING_END, TIMING_START, type CashFlowSeries, type FlowTiming, type PortfolioData } from './types.js';

/** Flows on their own dates with timing resolved: `start[k]` is 1 for a start-of-day flow, 0 for end-of-day. */
export interface ResolvedFlows {
  dates: Int32Array;
  amounts: Float64Array;
  start: Uint8Array;
}

/** Resolves each flow's timing code against the run's default. Dates and amounts are shared, not copied. */
export function resolveFlows(flows: CashFlowSeries, defaultTiming: FlowTiming): ResolvedFlows {
  const n = flows.dates.length;
  const start = new Uint8Array(n);
  const dflt = defaultTiming === 'start' ? 1 : 0;
  for (let k = 0; k < n; k++) {
    const t = flows.timing[k];
    start[k] = t === TIMING_START ? 1 : t === TIMING_END ? 0 : dflt;
  }
  return { dates: flows.dates, amounts: flows.amounts, start };
}

function describeFlow(amount: number, date: EpochDay): string {
  return `cash flow of ${amount} on ${formatIsoDate(date)}`;
}

/**
 * The first problem with a portfolio's flows for return purposes, or null: a flow dated before
 * the first valuation or after the last, flows out of date order, or a flow with no valuations.
 */
export function flowProblem(p: PortfolioData): string | null {
  const vd = p.valuations.dates;
  const fd = p.flows.dates;
  const nf = fd.length;
  if (nf === 0) return null;
  const nv = vd.length;
  if (nv === 0) return `${describeFlow(p.flows.amounts[0]!, fd[0]!)} but the portfolio has no valuations`;
  const first = vd[0]!;
  const last = vd[nv - 1]!;
  let prev = -Infinity;
  for (let k = 0; k < nf; k++) {
    const d = fd[k]!;
    if (d < prev) return `cash flows are not in date order (${formatIsoDate(d)} follows ${formatIsoDate(prev)})`;
    prev = d;
    if (d < first) return `${describeFlow(p.flows.amounts[k]!, d)} is before the first valuation (${formatIsoDate(first)})`;
    if (d > last) return `${describeFlow(p.flows.amounts[k]!, d)} is after the last valuation (${formatIsoDate(last)})`;
  }
  return null;
}

/**
 * Net flows per valuation day for the daily method. Index i (i >= 1) belongs to the sub-period
 * (dates[i-1], dates[i]]; index 0 stays 0 (flows on the first valuation date are in the starting
 * value). `moved[i]` counts flows that were dated on a day without a valuation and joined day i as
 * start-of-day flows.
 */
export interface ValuationDayFlows {
  start: Float64Array;
  end: Float64Array;
  moved: Int32Array;
  /** Non-null when the flows cannot be placed (see `flowProblem`); the arrays are then all zero. */
  problem: string | null;
}

export function flowsByValuationDay(p: PortfolioData, defaultTiming: FlowTiming): ValuationDayFlows {
  const vd = p.valuations.dates;
  const nv = vd.length;
  const start = new Float64Array(nv);
  const end = new Float64Array(nv);
  const moved = new Int32Array(nv);
  const problem = flowProblem(p);
  const fd = p.flows.dates;
  const nf = fd.length;
  if (problem !== null || nf === 0) return { start, end, moved, problem };
  const amounts = p.flows.amounts;
  const timing = p.flows.timing;
  const dflt = defaultTiming === 'start' ? 1 : 0;
  // How many flows landed in each slot; slots with several are re-summed exactly below.
  let startCount: Uint16Array | null = null;
  let endCount: Uint16Array | null = null;
  let multi = false;
  const first = vd[0]!;
  let j = 0;
  for (let k = 0; k < nf; k++) {
    const d = fd[k]!;
    if (d === first) continue;
    while (vd[j]! < d) j++;
    const a = amounts[k]!;
    const t = timing[k];
    let isStart: boolean;
    if (vd[j] !== d) {
      moved[j]!++;
      isStart = true;
    } else {
      isStart = (t === TIMING_START ? 1 : t === TIMING_END ? 0 : dflt) === 1;
    }
    if (isStart) {
      startCount ??= new Uint16Array(nv);
      if (startCount[j]! > 0) multi = true;
      startCount[j] = Math.min(startCount[j]! + 1, 65535);
      start[j] = start[j]! + a;
    } else {
      endCount ??= new Uint16Array(nv);
      if (endCount[j]! > 0) multi = true;
      endCount[j] = Math.min(endCount[j]! + 1, 65535);
      end[j] = end[j]! + a;
    }
  }
  if (multi) {
    for (let i = 1; i < nv; i++) {
      const many = (startCount !== null && startCount[i]! > 1) || (endCount !== null && endCount[i]! > 1);
      if (!many) continue;
      const s: number[] = [];
      const e: number[] = [];
      const lo = lastIndexAtOrBefore(fd, vd[i - 1]!) + 1;
      const hi = lastIndexAtOrBefore(fd, vd[i]!);
      for (let k = lo; k <= hi; k++) {
        const t = timing[k];
        const isStart = fd[k] !== vd[i] || (t === TIMING_START ? 1 : t === TIMING_END ? 0 : dflt) === 1;
        (isStart ? s : e).push(amounts[k]!);
      }
      start[i] = s.length > 1 ? sumMoney(s) : s.length === 1 ? s[0]! : 0;
      end[i] = e.length > 1 ? sumMoney(e) : e.length === 1 ? e[0]! : 0;
    }
  }
  return { start, end, moved, problem };
}
