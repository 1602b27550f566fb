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
  const dflt = defaultStartFlag(defaultTiming);
  for (let k = 0; k < n; k++) start[k] = startFlag(flows.timing[k]!, dflt);
  return { dates: flows.dates, amounts: flows.amounts, start };
}

/** 1 for a run whose default timing is 'start', else 0: startFlag's `dflt`. */
export function defaultStartFlag(defaultTiming: FlowTiming): number {
  return defaultTiming === 'start' ? 1 : 0;
}

/** 1 when a flow with timing code t is a start-of-day flow, 0 when end-of-day; dflt (defaultStartFlag) for code 0. */
export function startFlag(t: number, dflt: number): number {
  return t === TIMING_START ? 1 : t === TIMING_END ? 0 : dflt;
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
 * Net flows per valuation day for the daily method, sparse: slot k holds valuation index
 * `index[k]` (ascending, unique, >= 1), which belongs to the sub-period (dates[i-1], dates[i]],
 * with its net start-of-day flow `start[k]`, net end-of-day flow `end[k]`, and `moved[k]`, the
 * number of flows that were dated on a day without a valuation and joined day i as start-of-day
 * flows. Flows on the first valuation date are in the starting value and get no slot.
 */
export interface ValuationDayFlows {
  index: number[];
  start: number[];
  end: number[];
  moved: number[];
  /** Non-null when the flows cannot be placed (see `flowProblem`); there are then no slots. */
  problem: string | null;
}

export function flowsByValuationDay(p: PortfolioData, defaultTiming: FlowTiming): ValuationDayFlows {
  const problem = flowProblem(p);
  const vd = p.valuations.dates;
  const fd = p.flows.dates;
  const nf = fd.length;
  if (problem !== null || nf === 0) return { index: [], start: [], end: [], moved: [], problem };
  // at most one slot per flow: the arrays are made that long and cut to the slots used (no growing push by push)
  const index = new Array<number>(nf);
  const starts = new Array<number>(nf);
  const ends = new Array<number>(nf);
  const movedCounts = new Array<number>(nf);
  let slots = 0;
  const amounts = p.flows.amounts;
  const timing = p.flows.timing;
  const dflt = defaultStartFlag(defaultTiming);
  const first = vd[0]!;
  let j = 0;
  let k = 0;
  while (k < nf && fd[k] === first) k++;
  while (k < nf) {
    // The flows of one slot: dated in (vd[j-1], vd[j]] for the first j with vd[j] >= the flow date
    // (found in strides of 8 first: flows are usually weeks apart)
    const x = fd[k]!;
    while (j + 8 < vd.length && vd[j + 8]! < x) j += 8;
    while (vd[j]! < x) j++;
    const day = vd[j]!;
    let nStart = 0;
    let nEnd = 0;
    let moved = 0;
    let sStart = 0;
    let sEnd = 0;
    const k0 = k;
    for (; k < nf && fd[k]! <= day; k++) {
      const t = timing[k];
      const isStart = fd[k] !== day ? (moved++, true) : startFlag(t!, dflt) === 1;
      if (isStart) {
        nStart++;
        sStart += amounts[k]!;
      } else {
        nEnd++;
        sEnd += amounts[k]!;
      }
    }
    if (nStart > 1 || nEnd > 1) {
      // Several flows in one figure: exact decimal netting, rounded once.
      const s: number[] = [];
      const e: number[] = [];
      for (let q = k0; q < k; q++) {
        const t = timing[q];
        const isStart = fd[q] !== day || startFlag(t!, dflt) === 1;
        (isStart ? s : e).push(amounts[q]!);
      }
      if (nStart > 1) sStart = sumMoney(s);
      if (nEnd > 1) sEnd = sumMoney(e);
    }
    index[slots] = j;
    starts[slots] = sStart;
    ends[slots] = sEnd;
    movedCounts[slots] = moved;
    slots++;
  }
  index.length = slots;
  starts.length = slots;
  ends.length = slots;
  movedCounts.length = slots;
  return { index, start: starts, end: ends, moved: movedCounts, problem: null };
}
