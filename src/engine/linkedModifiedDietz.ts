/**
 * Linked Modified Dietz over (dates[baseIndex], dates[endIndex]].
 *
 * Convention: the period is cut at month-end valuations (the last valuation of each calendar
 * month inside the period), Modified Dietz (modifiedDietz.ts) is computed on each sub-period and
 * the sub-period returns are chain-linked: prod (1 + R_j) - 1. No annualisation.
 *
 * Large flows (optional `largeFlowThreshold`, e.g. 0.1): within a sub-period, when the net of all
 * flows dated on one day has |net| >= threshold x the sub-period's beginning value, the
 * sub-period is split at that date using the valuation on that date (the flows of that day belong
 * to the part ending on it, since the valuation includes them whatever their timing); the next
 * part starts from that valuation and its own beginning value is the new reference. When no
 * valuation exists on that date, the result is 'invalid_input' with a message naming the flow.
 */
import { civilFromDays, formatIsoDate } from './calendarDate.js';
import { lastIndexAtOrBefore } from './dateIndex.js';
import { modifiedDietz } from './modifiedDietz.js';
import type { ResolvedFlows } from './netFlows.js';
import { invalidReturn, okReturn, type ReturnOutcome } from './returnOutcome.js';
import type { ValuationSeries } from './types.js';

/**
 * monthLast[i] = 1 when valuation i is the last valuation of its calendar month (the last
 * valuation overall included). Compute once per portfolio and pass to `linkedModifiedDietz`.
 */
export function monthLastFlags(dates: Int32Array): Uint8Array {
  const out = new Uint8Array(dates.length);
  let monthStart = Infinity; // first day of the month of the last flagged valuation
  for (let i = dates.length - 1; i >= 0; i--) {
    const d = dates[i]!;
    if (d < monthStart) {
      out[i] = 1;
      monthStart = d - civilFromDays(d).day + 1;
    }
  }
  return out;
}

export function linkedModifiedDietz(
  valuations: ValuationSeries,
  flows: ResolvedFlows,
  baseIndex: number,
  endIndex: number,
  largeFlowThreshold?: number,
  monthLast: Uint8Array = monthLastFlags(valuations.dates),
): ReturnOutcome {
  const vd = valuations.dates;
  const vv = valuations.values;
  let growth = 1;
  let a = baseIndex; // start index of the current sub-period
  const sub = (from: number, to: number): ReturnOutcome =>
    modifiedDietz({ baseDate: vd[from]!, baseValue: vv[from]!, endDate: vd[to]!, endValue: vv[to]! }, flows);
  for (let k = baseIndex + 1; k <= endIndex; k++) {
    if (k < endIndex && monthLast[k] !== 1) continue; // not the last valuation of its month
    // Sub-period (a, k]; split it at large flows first.
    if (largeFlowThreshold !== undefined) {
      let f = lastIndexAtOrBefore(flows.dates, vd[a]!) + 1;
      const fEnd = lastIndexAtOrBefore(flows.dates, vd[k]!); // inclusive
      while (f <= fEnd) {
        const day = flows.dates[f]!;
        let g = f;
        let net = 0;
        while (g <= fEnd && flows.dates[g] === day) net += flows.amounts[g++]!;
        f = g;
        if (day === vd[k]) break; // already a boundary
        const ref = vv[a]!;
        if (!(Math.abs(net) >= largeFlowThreshold * ref)) continue;
        const at = lastIndexAtOrBefore(vd, day);
        if (at < 0 || vd[at] !== day) {
          return invalidReturn(
            `large cash flow of ${net} on ${formatIsoDate(day)} (at least ${largeFlowThreshold} of the ` +
              `${formatIsoDate(vd[a]!)} value ${ref}) needs a valuation on ${formatIsoDate(day)} for revaluation, and there is none`,
          );
        }
        const part = sub(a, at);
        if (part.status !== 'ok') return part;
        growth *= 1 + part.value;
        a = at;
      }
    }
    const part = sub(a, k);
    if (part.status !== 'ok') return part;
    growth *= 1 + part.value;
    a = k;
  }
  return okReturn(growth - 1);
}
