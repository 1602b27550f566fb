import { calendarReturns } from '../engine/calendarReturns.js';
import { UsageError } from '../errors.js';
import { loadAllSeries, type SeriesInputOptions } from './risk.js';
import { clipSeriesRange } from '../storage/csv/csvSource.js';
import type { EpochDay } from '../engine/calendarDate.js';

export const MONTH_KEYS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] as const;
type MonthKey = (typeof MONTH_KEYS)[number];

/** One row of the calendar table: a series' year, its twelve monthly returns, and the year's compounded return. */
export type CalendarRecord = { series_id: string; year: number } & Record<MonthKey, number | null> & { year_return: number | null };

export interface CalendarOptions extends SeriesInputOptions {
  series?: string[];
  from?: EpochDay;
  to?: EpochDay;
}

/**
 * `perfcalc returns`: the periods table analysts expect — one row per series and year, one column per
 * month (returns compounded within the month, from daily or monthly data), and the year's compounded return.
 */
export async function calendar(opts: CalendarOptions): Promise<CalendarRecord[]> {
  const all = await loadAllSeries(opts);
  const ids = opts.series && opts.series.length > 0 ? opts.series : [...all.keys()];
  return ids.flatMap((id) => {
    const s0 = all.get(id);
    if (!s0) throw new UsageError(`--series '${id}' is not a series in the input`);
    const s = clipSeriesRange(s0, { from: opts.from, to: opts.to });
    return calendarReturns(s.dates, s.returns).years.map((y) => {
      const rec = { series_id: id, year: y.year } as CalendarRecord;
      MONTH_KEYS.forEach((k, i) => {
        rec[k] = y.months[i] ?? null;
      });
      rec.year_return = y.total;
      return rec;
    });
  });
}
