import { civilFromDays } from './calendarDate.js';

/** One row of the calendar table: monthly compounded returns (null = no data) and the year's total. */
export interface CalendarYear {
  year: number;
  /** Twelve entries, January first: prod(1 + r) - 1 over that month's observations, null if none. */
  months: (number | null)[];
  /** prod(1 + r) - 1 over the year's observations, null if none. */
  total: number | null;
}

/**
 * The periods (calendar) table: one row per calendar year from the first to the last
 * observation, one column per month, each the geometric compounding of the returns dated in that
 * month (daily or monthly data alike), plus the year's compounded return
 * (PerformanceAnalytics' table.CalendarReturns, without its rounding to one decimal of percent).
 * NaN returns are skipped. Dates must be ascending.
 */
/**
 * (1 + c)(1 + r) - 1 written as c + r + c r: a single return comes back exactly (0.0074, not
 * 0.007400000000000073), and small returns keep their low digits.
 */
function compound(c: number, r: number): number {
  return c + r + c * r;
}

export function calendarReturns(dates: Int32Array, returns: Float64Array): { years: CalendarYear[] } {
  const byYear = new Map<number, { growth: number[]; seen: boolean[]; total: number; any: boolean }>();
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < dates.length; i++) {
    const r = returns[i] as number;
    if (Number.isNaN(r)) continue;
    const { year, month } = civilFromDays(dates[i] as number);
    first = Math.min(first, year);
    last = Math.max(last, year);
    let row = byYear.get(year);
    if (row === undefined) {
      row = { growth: new Array<number>(12).fill(0), seen: new Array<boolean>(12).fill(false), total: 0, any: false };
      byYear.set(year, row);
    }
    row.growth[month - 1] = compound(row.growth[month - 1] as number, r);
    row.seen[month - 1] = true;
    row.total = compound(row.total, r);
    row.any = true;
  }
  const years: CalendarYear[] = [];
  for (let y = first; y <= last; y++) {
    const row = byYear.get(y);
    if (row === undefined) {
      years.push({ year: y, months: new Array<number | null>(12).fill(null), total: null });
      continue;
    }
    years.push({
      year: y,
      months: row.growth.map((g, k) => (row.seen[k] ? g : null)),
      total: row.any ? row.total : null,
    });
  }
  return { years };
}
