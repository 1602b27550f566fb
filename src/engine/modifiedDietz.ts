/**
 * Modified Dietz return over one period (base, end].
 *
 * Convention (GIPS-style, calendar days):
 *
 *   R = (V_E - V_B - sum F_i) / (V_B + sum w_i F_i)
 *
 * T = end - base in calendar days, t_i = flow date - base; w_i = (T - t_i) / T for an end-of-day
 * flow (in that day's closing value; a flow on the end date weighs 0) and (T - t_i + 1) / T for a
 * start-of-day flow (a start flow on the first day of the period weighs 1). Flows dated in
 * (base, end] count, on their own dates (no move to valuation days); flows on the base date are
 * in V_B. No annualisation.
 *
 * Money is exact: sum F and sum (T - t_i [+1]) F_i are exact decimal sums of the float64 flow
 * amounts' decimal values (money.ts), and the numerator and denominator are each rounded to
 * float64 once. A denominator that is zero or negative, or a negative V_B or V_E, gives
 * 'invalid_input' with a message naming the dates.
 */
import { formatIsoDate, type EpochDay } from './calendarDate.js';
import { lastIndexAtOrBefore } from './dateIndex.js';
import { Money } from './money.js';
import type { ResolvedFlows } from './netFlows.js';
import { invalidReturn, okReturn, type ReturnOutcome } from './returnOutcome.js';

export interface MdPeriod {
  baseDate: EpochDay;
  baseValue: number;
  endDate: EpochDay;
  endValue: number;
}

export function modifiedDietz(period: MdPeriod, flows: ResolvedFlows): ReturnOutcome {
  const { baseDate, baseValue, endDate, endValue } = period;
  const span = `(${formatIsoDate(baseDate)}, ${formatIsoDate(endDate)}]`;
  const T = endDate - baseDate;
  if (!(T > 0)) return invalidReturn(`Modified Dietz needs an end date after the base date, got ${span}`);
  if (!(baseValue >= 0)) {
    return invalidReturn(`negative value ${baseValue} on ${formatIsoDate(baseDate)} (start of the Modified Dietz period ${span})`);
  }
  if (!(endValue >= 0)) {
    return invalidReturn(`negative value ${endValue} on ${formatIsoDate(endDate)} (end of the Modified Dietz period ${span})`);
  }
  const lo = lastIndexAtOrBefore(flows.dates, baseDate) + 1;
  const hi = lastIndexAtOrBefore(flows.dates, endDate); // inclusive
  let sumF = new Money(0);
  let sumWeighted = new Money(0); // sum (T - t_i + s_i) F_i, exact
  for (let k = lo; k <= hi; k++) {
    const a = new Money(flows.amounts[k]!);
    const weight = T - (flows.dates[k]! - baseDate) + flows.start[k]!;
    sumF = sumF.plus(a);
    if (weight !== 0) sumWeighted = sumWeighted.plus(weight === 1 ? a : a.times(weight));
  }
  const vb = new Money(baseValue);
  const num = new Money(endValue).minus(vb).minus(sumF).toNumber();
  const den = hi >= lo ? vb.plus(sumWeighted.div(T)).toNumber() : baseValue;
  if (!(den > 0)) {
    return invalidReturn(
      `zero or negative value: the Modified Dietz denominator (the ${formatIsoDate(baseDate)} value plus weighted flows) ` +
        `for ${span} is ${den}`,
    );
  }
  return okReturn(num / den);
}
