/**
 * Sums and products of float64 values in double-double precision (about 106 significant bits),
 * rounded once to float64 at the end. R accumulates sum(), mean(), prod() and cumprod() in
 * 80-bit long double on x86-64, so a plain float64 loop drifts from R's results by a few ulps per
 * term; double-double accumulation lands on (or within an ulp of) R's figure. Pure arithmetic
 * (Knuth's TwoSum, Dekker's split/TwoProduct); no FMA needed.
 */

/** Dekker's splitting constant for float64, 2^27 + 1 (also used by maxDrawdown.ts' inlined product steps). */
export const SPLITTER = 134217729;

/** Sum of the values in double-double (TwoSum per element), rounded once. */
export function accurateSum(values: ArrayLike<number>): number {
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < values.length; i++) {
    // twoSum(hi, v) inlined (no tuple per element in this hot loop); same arithmetic
    const v = values[i] as number;
    const s = hi + v;
    const bb = s - hi;
    lo += hi - (s - bb) + (v - bb);
    hi = s;
  }
  return hi + lo;
}

/**
 * Growth prod(1 + values[i]) over all i: each 1 + r is a float64 (as in R's prod(1 + R)), the
 * product is accumulated in double-double and rounded once. Empty product is 1. The same figure as
 * the last element of cumulativeGrowth (same arithmetic), without the array.
 */
export function accurateGrowth(values: ArrayLike<number>): number {
  return growthSteps(values, null);
}

/**
 * Running wealth W_t = prod_{u<=t}(1 + r_u), each W_t accumulated in double-double and rounded
 * once to float64 (R's cumprod(1 + r) forms 1 + r in float64 first; see drawdowns.ts).
 */
export function cumulativeGrowth(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  growthSteps(values, out);
  return out;
}

/** The double-double running product of cumulativeGrowth, written to `out` when given; returns the last W (1 when empty). */
function growthSteps(values: ArrayLike<number>, out: Float64Array | null): number {
  let hi = 1;
  let lo = 0;
  let w = 1;
  for (let i = 0; i < values.length; i++) {
    const g = 1 + (values[i] as number); // R: 1 + x is a float64 vector before cumprod
    // twoProduct(hi, g) and twoSum(ph, pl + lo * g) inlined; same arithmetic, no tuples
    const ph = hi * g;
    let t = SPLITTER * hi;
    const ah = t - (t - hi);
    const al = hi - ah;
    t = SPLITTER * g;
    const bh = t - (t - g);
    const bl = g - bh;
    const pl = ah * bh - ph + ah * bl + al * bh + al * bl;
    const b = pl + lo * g;
    const s = ph + b;
    const bb = s - ph;
    lo = ph - (s - bb) + (b - bb);
    hi = s;
    w = hi + lo;
    if (out !== null) out[i] = w;
  }
  return w;
}
