/**
 * Sums and products of float64 values in double-double precision (about 106 significant bits),
 * rounded once to float64 at the end. R accumulates sum(), mean(), prod() and cumprod() in
 * 80-bit long double on x86-64, so a plain float64 loop drifts from R's results by a few ulps per
 * term; double-double accumulation lands on (or within an ulp of) R's figure. Pure arithmetic
 * (Knuth's TwoSum, Dekker's split/TwoProduct); no FMA needed.
 */

const SPLITTER = 134217729; // 2^27 + 1

/** Exact a + b as [hi, lo]. */
function twoSum(a: number, b: number): [number, number] {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

/** Exact a * b as [hi, lo] (Dekker). */
function twoProduct(a: number, b: number): [number, number] {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

/** Sum of values[i] (all of them), accumulated in double-double. Empty sum is 0. */
export function accurateSum(values: ArrayLike<number>): number {
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < values.length; i++) {
    const [s, e] = twoSum(hi, values[i] as number);
    hi = s;
    lo += e;
  }
  return hi + lo;
}

/**
 * Growth prod(1 + values[i]) over all i: each 1 + r is a float64 (as in R's prod(1 + R)), the
 * product is accumulated in double-double and rounded once. Empty product is 1.
 */
export function accurateGrowth(values: ArrayLike<number>): number {
  const w = cumulativeGrowth(values);
  return w.length === 0 ? 1 : (w[w.length - 1] as number);
}

/**
 * Running wealth W_t = prod_{u<=t}(1 + r_u), each W_t accumulated in double-double and rounded
 * once to float64 (R's cumprod(1 + r) forms 1 + r in float64 first; see drawdowns.ts).
 */
export function cumulativeGrowth(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  let hi = 1;
  let lo = 0;
  for (let i = 0; i < values.length; i++) {
    const g = 1 + (values[i] as number); // R: 1 + x is a float64 vector before cumprod
    const [ph, pl] = twoProduct(hi, g);
    const [s, e] = twoSum(ph, pl + lo * g);
    hi = s;
    lo = e;
    out[i] = hi + lo;
  }
  return out;
}
