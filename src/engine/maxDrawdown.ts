import { SPLITTER } from './accurateSum.js';
import { drawdowns } from './drawdowns.js';

/**
 * Maximum drawdown as a positive number: -min(0, min_t DD_t) over the drawdown series of
 * drawdowns.ts, DD_t = W_t / max(1, max_{u<=t} W_u) - 1 with W_t the running wealth of
 * cumulativeGrowth (prod (1 + r_u), each W_t accumulated in double-double and rounded once); 0 when
 * wealth never falls below its running peak. Always the very float64 that taking the minimum of
 * `drawdowns(returns)` gives, with no arrays.
 *
 * How: the double-double running product is one long chain of dependent operations (about 40
 * cycles a period), yet only two of its values matter: the wealth at the deepest point and at the
 * peak before it. A plain float64 running product finds them (its relative error after t periods
 * is below (t + 2) 2^-53, so every other period's drawdown is provably shallower, or the method
 * gives up), and those two wealths are then computed to some 2^-80 as three interleaved
 * compensated products over thirds of the range (independent chains the processor overlaps),
 * with error bounds showing that they round to the same float64 as the sequential chain (W_t is
 * then the correctly rounded exact product for both). Whenever a step cannot be proved (several periods
 * within rounding of the deepest point or of its peak, no drawdown, values near the float64
 * range, a product within rounding of a rounding boundary), the sequential chain runs instead.
 */
export function maxDrawdown(returns: ArrayLike<number>): number {
  return (returns.length >= CANDIDATE_MIN ? maxDrawdownByCandidates(returns) : undefined) ?? maxDrawdownSequential(returns);
}

/** Below this many periods the sequential chain is cheap enough. */
const CANDIDATE_MIN = 64;
const TWO_POW_M52 = 2 ** -52;
const TWO_POW_M106 = 2 ** -106;
const PREFILTER_SLACK = 1 + 2 ** -48;

/** The reference: the minimum of drawdowns(returns), period by period (the double-double wealth of cumulativeGrowth). */
export function maxDrawdownSequential(returns: ArrayLike<number>): number {
  const dd = drawdowns(returns);
  let minDd = 0;
  for (let i = 0; i < dd.length; i++) if ((dd[i] as number) < minDd) minDd = dd[i] as number;
  return minDd === 0 ? 0 : -minDd;
}

/**
 * The fast path of maxDrawdown, or undefined when it cannot prove its answer.
 *
 * With q_t the plain float64 running product and w_t the sequential double-double wealth, both
 * within (t + 2) 2^-53 (relative) of the exact product of the float64 factors 1 + r_u, the bound
 * e = (n + 4) 2^-52 covers |q_t / w_t - 1| for every t. Estimated peaks are then within e and
 * ratios q_t / peak within 3e of the exact ones, so:
 * - the deepest period is among those whose estimated ratio is within a factor 1 + 8e of the
 *   estimated minimum, and every other period's exact ratio is strictly larger;
 * - its peak (a period, or the starting wealth 1) is among those whose estimate is within a factor
 *   1 + 5e of the estimated peak, and every other one's exact wealth is strictly smaller.
 * When each set has exactly one member, the answer is fl(w_t / w_peak) - 1 at those two periods.
 * Exported for its tests.
 */
export function maxDrawdownByCandidates(returns: ArrayLike<number>): number | undefined {
  const n = returns.length;
  const e = (n + 4) * TWO_POW_M52;
  const troughSlack = 1 + 8 * e;
  const peakSlack = 1 + 5 * e;
  // The near-peak set of the running estimated peak, as a count (an upper bound: members are not
  // kept, so one that later falls out of a set of several still counts) and its member when the
  // count is 1 (-1 = the starting wealth 1). Likewise the near-deepest periods: a count, and the
  // single one's index with its near-peak member then (-2 when that set was not a single one).
  let nearCount = 1;
  let nearIdx = -1;
  let candCount = 0;
  let candIdx = -1;
  let candPeak = -2;
  let peak = 1;
  let minRatio = 1;
  // a period can be a trough candidate, fl(q / peak) <= level, only if q <= peak * prefilter
  let level = minRatio * troughSlack;
  let prefilter = level * PREFILTER_SLACK;
  let q = 1;
  for (let i = 0; i < n; i++) {
    q *= 1 + (returns[i] as number);
    if (q > peak) {
      if (q > peak * peakSlack) {
        // every earlier member is at most the old peak, below the new level: all drop out
        nearCount = 1;
        nearIdx = i;
      } else nearCount++;
      peak = q;
      continue; // ratio 1: not a trough
    }
    if (q * peakSlack >= peak) {
      nearCount++; // a near tie with the peak
      continue; // ratio about 1: not a trough the fast path accepts
    }
    if (!(q <= peak * prefilter)) continue;
    const ratio = q / peak;
    if (ratio <= level) {
      if (ratio * troughSlack < minRatio) {
        // every earlier candidate is at least the old minimum, above the new level: all drop out
        candCount = 1;
        candIdx = i;
        candPeak = nearCount === 1 ? nearIdx : -2;
      } else candCount++;
      if (ratio < minRatio) {
        minRatio = ratio;
        level = minRatio * troughSlack;
        prefilter = level * PREFILTER_SLACK;
      }
    }
  }
  // every q within [1e-100, 1e100] (and none NaN): keeps Dekker's products (of sub-ranges too, whose
  // products are ratios of two such q) clear of underflow and overflow
  if (!(q === q && peak <= 1e100 && minRatio >= 1e-99)) return undefined;
  if (candCount !== 1 || candPeak === -2 || !(minRatio * troughSlack * troughSlack < 1)) return undefined;
  const t = candIdx;
  const p = candPeak;
  // relative error bounds, in units of 2^-106: n + 4 steps of at most 3 each for the sequential
  // chain; for the compensated lanes of growthDoubleDouble (p + 1 and t - p factors, at most n
  // together) and the product of their two results, n^2 + 20n + 100 and a few more. One bound
  // for both, generously: n^2 + 32n + 400.
  const errRel = (n * n + 32 * n + 400) * TWO_POW_M106;
  const dd = [1, 0];
  let wPeak = 1; // the starting wealth, unless the peak is a period
  if (p >= 0) {
    growthDoubleDouble(returns, 0, p + 1, dd);
    const w = roundedIfClear(dd[0] as number, dd[1] as number, errRel);
    if (w === undefined) return undefined;
    wPeak = w;
  }
  // wealth at the trough: the wealth at the peak (or 1) times the growth after it
  const hi = dd[0] as number;
  const lo = dd[1] as number;
  growthDoubleDouble(returns, p + 1, t + 1, dd);
  mulDoubleDouble(hi, lo, dd[0] as number, dd[1] as number, dd);
  const wTrough = roundedIfClear(dd[0] as number, dd[1] as number, errRel);
  if (wTrough === undefined) return undefined;
  const d = wTrough / wPeak - 1;
  return d < 0 ? -d : 0;
}

/**
 * fl(hi + lo) when every value within errRel (relative) of hi + lo rounds to the same float64 w,
 * else undefined: hi + lo must be farther than that from the midpoints between w and its
 * neighbours (w > 0 here, a normal number).
 */
function roundedIfClear(hi: number, lo: number, errRel: number): number | undefined {
  const w = hi + lo;
  const off = hi - w + lo; // hi - w is exact (w is hi or a neighbour of it); off is hi + lo - w
  // w in [2^k, 2^(k+1)): the gap above w is 2^(k-52), the one below too unless w = 2^k (half that)
  let k = Math.floor(Math.log2(w));
  if (Math.pow(2, k) > w) k--;
  else if (Math.pow(2, k + 1) <= w) k++;
  const gapAbove = Math.pow(2, k - 52);
  const gapBelow = w === Math.pow(2, k) ? gapAbove / 2 : gapAbove;
  const room = (off >= 0 ? gapAbove : gapBelow) / 2 - 2 * errRel * w;
  return Math.abs(off) < 0.999 * room ? w : undefined;
}

/**
 * prod (1 + values[i]) over from <= i < to, into out[0] + out[1] (a normalised double-double):
 * three independent chains over consecutive thirds of the range (the last also takes the
 * remainder), multiplied together at the end. Each chain is a compensated product (Graillat's
 * CompProd): the plain float64 product p, and c, the running sum of each step's exact rounding
 * error (Dekker's TwoProduct) carried forward by the later factors, c = c x g + err; p + c is
 * within gamma_m gamma_2m (about 2 m^2 2^-106, relative) of the exact product of m factors. So the
 * result is within (to - from)^2 + 20 (to - from) + 100 units of 2^-106 (relative) of the exact
 * product, with fewer operations a factor than a double-double step. Every product here is a
 * ratio of two of the candidate pass's wealths, inside [1e-200, 1e200]: no overflow or underflow.
 * (Three chains, not four: V8 keeps three chains' state and temporaries in registers, and four
 * spill to the stack, which made four the slower.)
 */
function growthDoubleDouble(values: ArrayLike<number>, from: number, to: number, out: number[]): void {
  const k = Math.max(0, Math.floor((to - from) / 3));
  let p0 = 1;
  let c0 = 0;
  let p1 = 1;
  let c1 = 0;
  let p2 = 1;
  let c2 = 0;
  const end = from + k;
  const k2 = 2 * k;
  for (let i = from; i < end; i++) {
    // three copies of one step (split p and g, exact product error, carry the errors forward)
    {
      const g = 1 + (values[i] as number);
      const ph = p0 * g;
      let t = SPLITTER * p0;
      const ah = t - (t - p0);
      const al = p0 - ah;
      t = SPLITTER * g;
      const bh = t - (t - g);
      const bl = g - bh;
      c0 = c0 * g + (ah * bh - ph + ah * bl + al * bh + al * bl);
      p0 = ph;
    }
    {
      const g = 1 + (values[i + k] as number);
      const ph = p1 * g;
      let t = SPLITTER * p1;
      const ah = t - (t - p1);
      const al = p1 - ah;
      t = SPLITTER * g;
      const bh = t - (t - g);
      const bl = g - bh;
      c1 = c1 * g + (ah * bh - ph + ah * bl + al * bh + al * bl);
      p1 = ph;
    }
    {
      const g = 1 + (values[i + k2] as number);
      const ph = p2 * g;
      let t = SPLITTER * p2;
      const ah = t - (t - p2);
      const al = p2 - ah;
      t = SPLITTER * g;
      const bh = t - (t - g);
      const bl = g - bh;
      c2 = c2 * g + (ah * bh - ph + ah * bl + al * bh + al * bl);
      p2 = ph;
    }
  }
  for (let i = from + 3 * k; i < to; i++) {
    const g = 1 + (values[i] as number);
    const ph = p2 * g;
    let t = SPLITTER * p2;
    const ah = t - (t - p2);
    const al = p2 - ah;
    t = SPLITTER * g;
    const bh = t - (t - g);
    const bl = g - bh;
    c2 = c2 * g + (ah * bh - ph + ah * bl + al * bh + al * bl);
    p2 = ph;
  }
  // each chain as a normalised double-double (p + c exactly), then their product
  const [h0, l0] = twoSum(p0, c0);
  const [h1, l1] = twoSum(p1, c1);
  const [h2, l2] = twoSum(p2, c2);
  mulDoubleDouble(h0, l0, h1, l1, out);
  mulDoubleDouble(out[0] as number, out[1] as number, h2, l2, out);
}

/** Knuth's TwoSum: [fl(a + b), the exact rounding error]. */
function twoSum(a: number, b: number): [number, number] {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

/** (ah + al)(bh + bl) in double-double into out[0] + out[1] (Dekker's product; relative error a few 2^-106). */
function mulDoubleDouble(ah: number, al: number, bh: number, bl: number, out: number[]): void {
  const p = ah * bh;
  let t = SPLITTER * ah;
  const a1 = t - (t - ah);
  const a2 = ah - a1;
  t = SPLITTER * bh;
  const b1 = t - (t - bh);
  const b2 = bh - b1;
  const err = a1 * b1 - p + a1 * b2 + a2 * b1 + a2 * b2;
  const c = err + (ah * bl + al * bh);
  const s = p + c;
  out[0] = s;
  out[1] = c - (s - p);
}
