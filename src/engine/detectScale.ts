/**
 * Periods per year from the median spacing (in calendar days) between consecutive dates:
 * up to 4 days -> daily 252, up to 10 -> weekly 52, up to 45 -> monthly 12, up to 135 ->
 * quarterly 4, longer -> annual 1. (PerformanceAnalytics asks xts::periodicity, which also looks
 * at the median spacing; the same thresholds put business-day, weekly, month-end, quarter-end and
 * year-end data in the same classes.) Fewer than two dates give 1 (nothing to measure); the
 * median of an even count is the mean of the two middle spacings.
 */
export function detectScale(dates: Int32Array): number {
  if (dates.length < 2) return 1;
  if (medianGapAtMost4(dates)) return 252;
  const median = medianGapByCounts(dates) ?? medianGapBySort(dates);
  if (median <= 4) return 252;
  if (median <= 10) return 52;
  if (median <= 45) return 12;
  if (median <= 135) return 4;
  return 1;
}

/**
 * Whether the median gap is known to be at most 4 days from the number of such gaps alone (one
 * pass, no array): of m sorted gaps, the middle one (both middle ones when m is even, hence their
 * mean) is at most 4 exactly when at least floor(m / 2) + 1 gaps are. False means "not known":
 * the caller then takes the median itself (with an even m the mean of the middle gaps can still
 * be at most 4). Gaps are int32 differences, as in medianGapBySort's Int32Array.
 */
function medianGapAtMost4(dates: Int32Array): boolean {
  const m = dates.length - 1;
  const need = Math.floor(m / 2) + 1;
  let small = 0;
  let prev = dates[0] as number;
  // in blocks of 64 gaps, stopping once the count reaches `need` (about halfway for daily dates) or
  // can no longer reach it
  for (let from = 1; from <= m; from += 64) {
    const to = Math.min(m, from + 63);
    for (let i = from; i <= to; i++) {
      const d = dates[i] as number;
      if (((d - prev) | 0) <= 4) small++;
      prev = d;
    }
    if (small >= need) return true;
    if (small + (m - to) < need) return false;
  }
  return small >= need;
}

/** Gaps up to this many days are counted by value; a wider (or negative) one sends detectScale to the sort. */
const COUNTED_GAP_MAX = 135;

/**
 * The median gap from counts per gap value (no sort: one pass over the dates and one over at most
 * 136 counters), or undefined when some gap is negative or wider than COUNTED_GAP_MAX days. The
 * same figure as medianGapBySort: the order statistics of a multiset do not depend on how it is
 * ordered.
 */
function medianGapByCounts(dates: Int32Array): number | undefined {
  const m = dates.length - 1;
  const counts = new Int32Array(COUNTED_GAP_MAX + 1);
  let prev = dates[0] as number;
  for (let i = 1; i <= m; i++) {
    const d = dates[i] as number;
    const gap = d - prev;
    if (gap < 0 || gap > COUNTED_GAP_MAX) return undefined;
    counts[gap] = (counts[gap] as number) + 1;
    prev = d;
  }
  // the k-th smallest gap (0-based) for k = lower and upper middle
  const lower = m % 2 === 1 ? (m - 1) / 2 : m / 2 - 1;
  const upper = m % 2 === 1 ? lower : m / 2;
  let seen = 0;
  let lowerGap = -1;
  for (let g = 0; g <= COUNTED_GAP_MAX; g++) {
    seen += counts[g] as number;
    if (lowerGap < 0 && seen > lower) lowerGap = g;
    if (seen > upper) return lower === upper ? lowerGap : (lowerGap + g) / 2;
  }
  return undefined; // not reached: the counts add up to m
}

/** The median gap from the sorted gaps (any gaps). */
function medianGapBySort(dates: Int32Array): number {
  const gaps = new Int32Array(dates.length - 1);
  for (let i = 1; i < dates.length; i++) gaps[i - 1] = (dates[i] as number) - (dates[i - 1] as number);
  gaps.sort(); // typed-array sort is numeric
  const m = gaps.length;
  return m % 2 === 1 ? (gaps[(m - 1) / 2] as number) : ((gaps[m / 2 - 1] as number) + (gaps[m / 2] as number)) / 2;
}
