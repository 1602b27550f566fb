/**
 * Downside deviation below a minimum acceptable return, per period:
 * sqrt(sum_{r < MAR} (MAR - r)^2 / n), dividing by ALL n observations (PerformanceAnalytics'
 * DownsideDeviation(R, MAR, method = "full")). empyrical's downside_risk uses the same full-n
 * mean but annualises it by sqrt(s); quantstats' sortino uses the full-n root mean square too.
 * NaN for an empty series; a NaN observation is skipped (it is not below the MAR).
 */
export function downsideDeviation(returns: ArrayLike<number>, mar: number): number {
  const n = returns.length;
  if (n === 0) return Number.NaN;
  // accurateSum of the terms (r < MAR) in order, accumulated in place (no array), without a
  // branch per observation (which way `r < mar` goes is a coin toss for daily returns: V8's
  // branches, and its Math.min, mispredict about every other period). d = min(r - MAR, 0) as
  // (x - |x|) / 2: x < 0 gives x exactly (2x and its half are exact; an overflow to -Infinity
  // squares to the Infinity (MAR - r)^2 is anyway), and d * d is (MAR - r)^2 bit for bit; x >= 0
  // (or -0) gives a term of +0, and adding +0 leaves hi and lo as they are (neither is ever -0).
  // Only an x of NaN or +Infinity (r NaN or +Infinity, or a non-finite MAR) takes a term the
  // reference skips, and it makes the sum NaN: then the plain loop decides.
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < n; i++) {
    const x = (returns[i] as number) - mar;
    const d = 0.5 * (x - Math.abs(x));
    const v = (d * d) / n;
    const s = hi + v;
    const bb = s - hi;
    lo += hi - (s - bb) + (v - bb);
    hi = s;
  }
  const sum = hi + lo;
  return sum === sum ? Math.sqrt(sum) : downsideDeviationByBranch(returns, mar);
}

/** The reference form: only the terms with r < MAR are added (same arithmetic). Exported for its tests. */
export function downsideDeviationByBranch(returns: ArrayLike<number>, mar: number): number {
  const n = returns.length;
  if (n === 0) return Number.NaN;
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
