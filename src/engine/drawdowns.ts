import { formatIsoDate } from './calendarDate.js';
import { cumulativeGrowth } from './accurateSum.js';

/**
 * Drawdown series DD_t = W_t / max(1, max_{u<=t} W_u) - 1 with W_t = prod_{u<=t}(1 + r_u): the
 * starting wealth 1 counts as a peak, so a first-period loss is already a drawdown. Values are
 * <= 0 (PerformanceAnalytics' Drawdowns(R, geometric = TRUE); empyrical/quantstats compute the
 * same quantity but their max_drawdown is the negative minimum, perfcalc's is positive).
 */
export function drawdowns(returns: ArrayLike<number>): Float64Array {
  const w = cumulativeGrowth(returns);
  const dd = new Float64Array(w.length);
  let peak = 1;
  for (let i = 0; i < w.length; i++) {
    const wi = w[i] as number;
    if (wi > peak) peak = wi;
    dd[i] = wi / peak - 1;
  }
  return dd;
}

/** One drawdown episode, as PerformanceAnalytics' table.Drawdowns reports it. */
export interface DrawdownEpisode {
  /** First period with a negative drawdown (the first losing period after the peak). */
  start: string;
  /** Period of the lowest drawdown (first such period on ties). */
  trough: string;
  /** First period whose drawdown is back at 0 (wealth at its prior peak); null if not yet. */
  end: string | null;
  /** Drawdown at the trough, negative. */
  depth: number;
  /** Periods from start to end, both counted; when unrecovered, counted up to one period past the data. */
  length: number;
  /** Periods from start to trough, both counted. */
  to_trough: number;
  /** Periods from trough to end (end - trough); null when unrecovered. */
  recovery: number | null;
}

/**
 * The `top` deepest drawdown episodes, deepest first (ties: earlier first), following
 * PerformanceAnalytics' findDrawdowns + sortDrawdowns + table.Drawdowns conventions:
 * an episode is a maximal run of periods with DD < 0; length = end - start + 1 where end is
 * the index of the recovery period (so the recovery period is counted), to_trough =
 * trough - start + 1, recovery = end - trough. An unrecovered episode has end = null and
 * recovery = null, and its length is counted as if it recovered in the period after the last
 * observation (n - start + 2 in 1-based indices), exactly as table.Drawdowns prints it.
 */
export function drawdownEpisodes(dates: Int32Array, returns: ArrayLike<number>, top = 5): DrawdownEpisode[] {
  const dd = drawdowns(returns);
  const n = dd.length;
  const found: Array<{ depth: number; from: number; trough: number; to: number }> = [];
  let i = 0;
  while (i < n) {
    if ((dd[i] as number) >= 0) {
      i++;
      continue;
    }
    const from = i;
    let trough = i;
    while (i < n && (dd[i] as number) < 0) {
      if ((dd[i] as number) < (dd[trough] as number)) trough = i;
      i++;
    }
    found.push({ depth: dd[trough] as number, from, trough, to: i }); // to = n when unrecovered
  }
  // Stable sort by depth ascending (R's sort(index.return = TRUE) keeps ties in order).
  const order = found.map((_, k) => k).sort((a, b) => (found[a]!.depth - found[b]!.depth) || a - b);
  const out: DrawdownEpisode[] = [];
  for (const k of order.slice(0, Math.max(0, top))) {
    const e = found[k]!;
    const recovered = e.to < n;
    out.push({
      start: formatIsoDate(dates[e.from] as number),
      trough: formatIsoDate(dates[e.trough] as number),
      end: recovered ? formatIsoDate(dates[e.to] as number) : null,
      depth: e.depth,
      length: e.to - e.from + 1,
      to_trough: e.trough - e.from + 1,
      recovery: recovered ? e.to - e.trough : null,
    });
  }
  return out;
}
