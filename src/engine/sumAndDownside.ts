import { downsideDeviationByBranch } from './downsideDeviation.js';

/** accurateSum of a series and its downside deviation below a MAR (see sumAndDownside). */
export interface SumAndDownside {
  sum: number;
  downside: number;
}

/**
 * accurateSum(values) and downsideDeviation(values, mar) from one pass over the values: the two
 * double-double sums of those functions (each value, then each downside term (MAR - r)^2 / n or
 * +0, added in order with TwoSum) kept side by side, so each comes out with the same bits as its
 * own function gives (riskMetrics needs both for mean(a) and the Sortino ratio; apart, each pass
 * waits on its own chain of additions). A NaN downside sum (a NaN or +Infinity value, a
 * non-finite MAR) is redone by the branching loop, as downsideDeviation does.
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
    // downsideDeviation's term: (x - |x|) / 2 is min(x, 0), squared it is (MAR - r)^2 or +0
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
