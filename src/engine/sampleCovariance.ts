import { accurateSum } from './accurateSum.js';
import { mean } from './mean.js';

/**
 * Sample covariance sum((x - mean(x)) * (y - mean(y))) / (n - 1) of two equally long series
 * (R's cov). NaN when n < 2.
 */
export function sampleCovariance(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n < 2 || y.length !== n) return Number.NaN;
  const mx = mean(x);
  const my = mean(y);
  const terms = new Float64Array(n);
  for (let i = 0; i < n; i++) terms[i] = ((x[i] as number) - mx) * ((y[i] as number) - my);
  return accurateSum(terms) / (n - 1);
}
