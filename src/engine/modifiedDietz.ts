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
 * Money is exact: sum F and sum (T - t_i [+1]) F_i are exact sums of the float64 flow amounts'
 * decimal values (money.ts), and the numerator and denominator are each rounded to float64 once.
 * Fast path: when V_B, V_E and every flow are whole cents of at most 15 digits (the float is the
 * one nearest to c/100), the sums run on integer cents in float64, exact while every partial sum
 * stays below 2^53 (checked with a running bound); otherwise they run in decimal (`Money`). Both
 * paths give the same figures. A denominator that is zero or negative, or a negative V_B or V_E, gives
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
  const span = (): string => `(${formatIsoDate(baseDate)}, ${formatIsoDate(endDate)}]`; // only for messages
  const T = endDate - baseDate;
  if (!(T > 0)) return invalidReturn(`Modified Dietz needs an end date after the base date, got ${span()}`);
  if (!(baseValue >= 0)) {
    return invalidReturn(`negative value ${baseValue} on ${formatIsoDate(baseDate)} (start of the Modified Dietz period ${span()})`);
  }
  if (!(endValue >= 0)) {
    return invalidReturn(`negative value ${endValue} on ${formatIsoDate(endDate)} (end of the Modified Dietz period ${span()})`);
  }
  const lo = lastIndexAtOrBefore(flows.dates, baseDate) + 1;
  const hi = lastIndexAtOrBefore(flows.dates, endDate); // inclusive
  const cents = centsSums(baseValue, endValue, T, baseDate, flows, lo, hi);
  let num: number;
  let den: number;
  if (cents !== null) {
    num = cents.num / 100;
    den = cents.den / (100 * T);
  } else {
    let sumF = new Money(0);
    let sumWeighted = new Money(0); // sum (T - t_i + s_i) F_i, exact
    for (let k = lo; k <= hi; k++) {
      const a = new Money(flows.amounts[k]!);
      const weight = T - (flows.dates[k]! - baseDate) + flows.start[k]!;
      sumF = sumF.plus(a);
      if (weight !== 0) sumWeighted = sumWeighted.plus(weight === 1 ? a : a.times(weight));
    }
    const vb = new Money(baseValue);
    num = new Money(endValue).minus(vb).minus(sumF).toNumber();
    den = vb.plus(sumWeighted.div(T)).toNumber();
  }
  if (!(den > 0)) return invalidReturn(zeroDenominator(baseDate, span(), den));
  return okReturn(num / den);
}

function zeroDenominator(baseDate: EpochDay, span: string, den: number): string {
  return (
    `zero or negative value: the Modified Dietz denominator (the ${formatIsoDate(baseDate)} value plus weighted flows) ` +
    `for ${span} is ${den}`
  );
}

const MAX_CENTS = 1e15; // 15 significant digits: the float's shortest text is exactly c/100
const EXACT = 2 ** 53;

function toCents(x: number): number | null {
  const c = Math.round(x * 100);
  return c / 100 === x && Math.abs(c) <= MAX_CENTS ? c : null;
}

/**
 * Integer-cent numerator (V_E - V_B - sum F) x 100 and denominator (V_B T + sum (T - t_i + s_i) F_i) x 100,
 * exact in float64, or null when an amount is not whole cents or a sum could reach 2^53.
 */
function centsSums(
  baseValue: number,
  endValue: number,
  T: number,
  baseDate: EpochDay,
  flows: ResolvedFlows,
  lo: number,
  hi: number,
): { num: number; den: number } | null {
  const vb = toCents(baseValue);
  const ve = toCents(endValue);
  if (vb === null || ve === null) return null;
  let num = ve - vb;
  let den = vb * T;
  let bound = Math.abs(ve) + Math.abs(vb) * (T + 1);
  for (let k = lo; k <= hi; k++) {
    const c = toCents(flows.amounts[k]!);
    if (c === null) return null;
    const weight = T - (flows.dates[k]! - baseDate) + flows.start[k]!;
    bound += Math.abs(c) * (weight + 1);
    if (bound >= EXACT) return null;
    num -= c;
    den += c * weight;
  }
  return { num, den };
}
