import { accurateSum } from './accurateSum.js';

/**
 * Downside deviation below a minimum acceptable return, per period:
 * sqrt(sum_{r < MAR} (MAR - r)^2 / n), dividing by ALL n observations (PerformanceAnalytics'
 * DownsideDeviation(R, MAR, method = "full")). empyrical's downside_risk uses the same full-n
 * mean but annualises it by sqrt(s); quantstats' sortino uses the full-n root mean square too.
 * NaN for an empty series.
 */
export function downsideDeviation(returns: ArrayLike<number>, mar: number): number {
  const n = returns.length;
  if (n === 0) return Number.NaN;
  const terms: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = returns[i] as number;
    if (r < mar) terms.push(((mar - r) * (mar - r)) / n);
  }
  return Math.sqrt(accurateSum(terms));
}
