import { mean } from './mean.js';

/**
 * Sample covariance sum((x - mean(x)) * (y - mean(y))) / (n - 1) of two equally long series
 * (R's cov). NaN when n < 2. A caller that already has mean(x) (or mean(y)) may pass it, and the
 * mean of a series given as both x and y is computed once; the result is the same either way.
 */
export function sampleCovariance(x: ArrayLike<number>, y: ArrayLike<number>, meanX?: number, meanY?: number): number {
  const n = x.length;
  if (n < 2 || y.length !== n) return Number.NaN;
  const mx = meanX ?? mean(x);
  const my = meanY ?? (y === x ? mx : mean(y));
  // accurateSum of the products, accumulated in place (no temporary array); same arithmetic
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < n; i++) {
    const v = ((x[i] as number) - mx) * ((y[i] as number) - my);
    const s = hi + v;
    const bb = s - hi;
    lo += hi - (s - bb) + (v - bb);
    hi = s;
  }
  return (hi + lo) / (n - 1);
}
