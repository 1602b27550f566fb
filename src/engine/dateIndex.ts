/**
 * Binary searches over ascending epoch-day arrays (valuation and flow dates). Shared by the
 * return engine's period, flow and Modified Dietz code.
 */
import type { EpochDay } from './calendarDate.js';

/** Index of the last date <= day in an ascending array, or -1 when every date is after day. */
export function lastIndexAtOrBefore(dates: ArrayLike<number>, day: EpochDay): number {
  let lo = 0;
  let hi = dates.length; // answer is lo - 1 where lo = first index with dates[lo] > day
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((dates[mid] as number) <= day) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Index of the first date > day in an ascending array (dates.length when none). */
export function firstIndexAfter(dates: ArrayLike<number>, day: EpochDay): number {
  return lastIndexAtOrBefore(dates, day) + 1;
}
