/**
 * perfcalc's number policy, in one place.
 *
 * - Money (market values, holdings, cash flows) is *summed* exactly, in decimal, with a private
 *   decimal.js clone (`Money`): 34 significant digits (IEEE decimal128's precision, far beyond any
 *   portfolio's value in minor units), ROUND_HALF_EVEN. The global Decimal settings are never
 *   touched, so perfcalc behaves the same when embedded in a process that changes them.
 * - Where money enters a per-day loop (daily TWR, drawdowns, ...), it is the float64 nearest to the
 *   exact decimal figure: one rounding, made once, at the boundary (`toFloat`). Return statistics are
 *   float64 throughout; decimal arithmetic never runs inside a per-day loop.
 * - Money that arrives as float64 (say, a per-day net flow handed to the engine) is summed by
 *   `sumMoney`, which adds the decimal values the floats print as (JavaScript's shortest round-trip
 *   text). For a float parsed from decimal text of at most 15 significant digits that is exactly the
 *   original text, so sums of such inputs are exact.
 * - Money text is plain decimal notation: optional sign, digits, optional fraction, optional
 *   exponent (`1234.56`, `-5e3`). Thousands separators, currency symbols, `NaN` and `Infinity` are
 *   rejected by `parseMoneyText`, with a message the loaders put beside the file, line and column.
 */
import { Decimal } from 'decimal.js';

export const Money = Decimal.clone({ precision: 34, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -40, toExpPos: 40 });
export type Money = InstanceType<typeof Money>;

const DECIMAL_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** True when the text is a plain decimal number perfcalc accepts for money or returns. */
export function isDecimalText(text: string): boolean {
  return DECIMAL_TEXT.test(text);
}

/** Parses money text exactly. Returns undefined for text that is not a plain decimal number. */
export function parseMoneyText(text: string): Money | undefined {
  const t = text.trim();
  if (!DECIMAL_TEXT.test(t)) return undefined;
  return new Money(t);
}

/**
 * Parses a decimal text to the nearest float64 (for returns and for market values that are used
 * as single figures, not summed). Returns undefined for text that is not a plain decimal number,
 * or whose magnitude overflows float64.
 */
export function parseDecimalFloat(text: string): number | undefined {
  const t = text.trim();
  if (!DECIMAL_TEXT.test(t)) return undefined;
  const x = Number(t);
  return Number.isFinite(x) ? x : undefined;
}

/** The float64 nearest to an exact money figure: the one rounding at the decimal/float boundary. */
export function toFloat(m: Money): number {
  return m.toNumber();
}

/** Exact sum of decimal money figures. */
export function sumExact(values: Iterable<Money>): Money {
  let s = new Money(0);
  for (const v of values) s = s.plus(v);
  return s;
}

/**
 * Exact decimal sum of money figures held as float64 (see the policy above), rounded once to
 * float64. Use for sums over a period (Modified Dietz), never inside a per-day loop.
 */
export function sumMoney(values: Iterable<number>): number {
  let s = new Money(0);
  for (const v of values) s = s.plus(new Money(v));
  return s.toNumber();
}

/** Exact quantity x price, for a holding whose market_value is blank. */
export function holdingValue(quantity: Money, price: Money): Money {
  return quantity.times(price);
}
