import { sampleCovariance } from './sampleCovariance.js';

/**
 * Sample standard deviation, divisor n - 1 (R's sd; PerformanceAnalytics' StdDev). NaN when
 * n < 2. empyrical and quantstats' `volatility` use the same n - 1 divisor through pandas'
 * std(ddof=1); numpy's default std would be the population (n) figure. `meanOfValues`, when
 * given, must be mean(values) (it saves recomputing it).
 */
export function sampleSd(values: ArrayLike<number>, meanOfValues?: number): number {
  return Math.sqrt(sampleCovariance(values, values, meanOfValues, meanOfValues));
}
