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
  const gaps = new Int32Array(dates.length - 1);
  for (let i = 1; i < dates.length; i++) gaps[i - 1] = (dates[i] as number) - (dates[i - 1] as number);
  gaps.sort(); // typed-array sort is numeric
  const m = gaps.length;
  const median = m % 2 === 1 ? (gaps[(m - 1) / 2] as number) : ((gaps[m / 2 - 1] as number) + (gaps[m / 2] as number)) / 2;
  if (median <= 4) return 252;
  if (median <= 10) return 52;
  if (median <= 45) return 12;
  if (median <= 135) return 4;
  return 1;
}
