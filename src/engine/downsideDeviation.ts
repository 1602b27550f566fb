/**
 * Downside deviation below a minimum acceptable return, per period:
 * sqrt(sum_{r < MAR} (MAR - r)^2 / n), dividing by ALL n observations (PerformanceAnalytics'
 * DownsideDeviation(R, MAR, method = "full")). empyrical's downside_risk uses the same full-n
 * mean but annualises it by sqrt(s); quantstats' sortino uses the full-n root mean square too.
 * NaN for an empty series; a NaN observation is skipped (it is not below the MAR).
 */
export function downsideDeviation(returns: ArrayLike<number>, mar: number): number {
  return sumAndDownside(returns, mar).downside;
}

/** accurateSum of a series and its downside deviation below a MAR (see sumAndDownside). */
export interface SumAndDownside {
  sum: number;
  downside: number;
}

/**
 * accurateSum(values) and downsideDeviation(values, mar) from one pass over the values: the two
 * double-double sums (each value, then each downside term (MAR - r)^2 / n or +0, added in order
 * with TwoSum) kept side by side, so each comes out with the same bits as on its own (riskMetrics
 * needs both, for mean(a) and the Sortino ratio).
 *
 * The downside sum takes a term for every observation, with no branch per observation (which way
 * `r < mar` goes is a coin toss for daily returns: V8's branches, and its Math.min, mispredict
 * about every other period): d = min(r - MAR, 0) as (x - |x|) / 2. An x < 0 gives x exactly (2x
 * and its half are exact; an overflow to -Infinity squares to the Infinity (MAR - r)^2 is anyway),
 * and d * d is (MAR - r)^2 bit for bit; x >= 0 (or -0) gives a term of +0, and adding +0 leaves hi
 * and lo as they are (neither is ever -0). Only an x of NaN or +Infinity (r NaN or +Infinity, or a
 * non-finite MAR) takes a term the branching form skips, and it makes the sum NaN: then that form
 * decides.
 */
export function sumAndDownside(values: ArrayLike<number>, mar: number): SumAndDownside {
  const n = values.length;
  let hi = 0;
  let lo = 0;
  let dHi = 0;
  let dLo = 0;
  for (let i = 0; i < n; i++) {
    const r = values[i] as number;
    const s = hi + r;
    const bb = s - hi;
    lo += hi - (s - bb) + (r - bb);
    hi = s;
    const x = r - mar;
    const d = 0.5 * (x - Math.abs(x));
    const v = (d * d) / n;
    const ds = dHi + v;
    const db = ds - dHi;
    dLo += dHi - (ds - db) + (v - db);
    dHi = ds;
  }
  const down = dHi + dLo;
  return {
    sum: hi + lo,
    downside: n === 0 ? Number.NaN : down === down ? Math.sqrt(down) : downsideDeviationByBranch(values, mar),
  };
}

/** The reference form: only the terms with r < MAR are added (accurateSum's TwoSum, in order). Exported for its tests. */
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
