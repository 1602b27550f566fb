import { endOfMonth } from './calendarDate.js';
import type { ReturnSeries } from './types.js';

/**
 * Compounds a return series into calendar-month returns: prod(1 + r) - 1 over the observations dated
 * in each month, dated at the month's last calendar day (so series observed on different business
 * days, or a monthly series dated a day before month end, line up by month). NaN observations are
 * skipped; months with no observation are absent. Dates must be ascending.
 *
 * Used for GIPS-style risk figures (for example the three-year annualised ex-post standard deviation
 * of monthly returns) computed from daily data.
 */
export function monthlyReturns(s: ReturnSeries): ReturnSeries {
  const dates: number[] = [];
  const returns: number[] = [];
  let month = Number.NaN;
  let cumulative = 0;
  for (let i = 0; i < s.dates.length; i++) {
    const r = s.returns[i]!;
    if (Number.isNaN(r)) continue;
    const m = endOfMonth(s.dates[i]!);
    if (m !== month) {
      if (!Number.isNaN(month)) {
        dates.push(month);
        returns.push(cumulative);
      }
      month = m;
      cumulative = 0;
    }
    // (1 + c)(1 + r) - 1 as c + r + c r: one observation comes back exactly
    cumulative = cumulative + r + cumulative * r;
  }
  if (!Number.isNaN(month)) {
    dates.push(month);
    returns.push(cumulative);
  }
  return { seriesId: s.seriesId, dates: Int32Array.from(dates), returns: Float64Array.from(returns) };
}
