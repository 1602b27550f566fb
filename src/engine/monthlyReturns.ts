import { civilFromDays, daysInMonth, endOfMonth } from './calendarDate.js';
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
  const outDates: number[] = [];
  const outReturns: number[] = [];
  const dates = s.dates;
  const returns = s.returns;
  const n = dates.length;
  let i = 0;
  while (i < n && Number.isNaN(returns[i]!)) i++;
  if (i < n) {
    // the month being compounded: its year, month number and last day
    let prev = dates[i]!;
    const first = civilFromDays(prev);
    let year = first.year;
    let month = first.month;
    let monthEnd = endOfMonth(prev);
    let cumulative = 0;
    for (; i < n; i++) {
      const r = returns[i]!;
      if (Number.isNaN(r)) continue;
      const d = dates[i]!;
      if (d > monthEnd || d < prev) {
        // A later month: its end found by stepping month by month from the current one (month
        // ends are whole days, so this is endOfMonth(d) exactly, with no calendar conversion per
        // day). Dates out of order: looked up.
        let end = monthEnd;
        let y = year;
        let mo = month;
        if (d > monthEnd) {
          do {
            mo++;
            if (mo > 12) {
              mo = 1;
              y++;
            }
            end += daysInMonth(y, mo);
          } while (d > end);
        } else {
          end = endOfMonth(d);
          ({ year: y, month: mo } = civilFromDays(d));
        }
        if (end !== monthEnd) {
          outDates.push(monthEnd);
          outReturns.push(cumulative);
          cumulative = 0;
          monthEnd = end;
          year = y;
          month = mo;
        }
      }
      prev = d;
      // (1 + c)(1 + r) - 1 as c + r + c r: one observation comes back exactly
      cumulative = cumulative + r + cumulative * r;
    }
    outDates.push(monthEnd);
    outReturns.push(cumulative);
  }
  return { seriesId: s.seriesId, dates: Int32Array.from(outDates), returns: Float64Array.from(outReturns) };
}
