import { accurateGrowth } from './accurateSum.js';

/**
 * Geometric annualised return G(r) = prod(1 + r)^(s / n) - 1 over n periods at s periods per year
 * (PerformanceAnalytics' Return.annualized with geometric = TRUE). NaN for an empty series.
 * A series shorter than a year is extrapolated (the caller warns).
 */
export function annualizedReturn(returns: ArrayLike<number>, scale: number): number {
  const n = returns.length;
  if (n === 0) return Number.NaN;
  return Math.pow(accurateGrowth(returns), scale / n) - 1;
}
