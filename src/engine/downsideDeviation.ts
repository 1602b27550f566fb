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
  // accurateSum of the terms (r < MAR) in order, accumulated in place (no array); same arithmetic
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < n; i++) {
    const r = returns[i] as number;
    if (r < mar) {
      const v = ((mar - r) * (mar - r)) / n;
      const s = hi + v;
      const bb = s - hi;
      lo += hi - (s - bb) + (v - bb);
      hi = s;
    }
  }
  return Math.sqrt(hi + lo);
}
