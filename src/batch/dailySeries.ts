import { formatIsoDate } from '../engine/calendarDate.js';
import { dailyTwr } from '../engine/dailyTwr.js';
import { drawdowns } from '../engine/drawdowns.js';
import type { FlowTiming, PortfolioData } from '../engine/types.js';
import type { DailySeries } from '../storage/types.js';

/**
 * A portfolio's daily series for time-series sinks: the daily TWR sub-period return, the
 * cumulative index (1 on the first valuation date, chain-linked) and the drawdown from the running
 * peak of that index (PerformanceAnalytics' convention: <= 0, starting wealth 1 counts as a peak).
 * Dates after the first valuation; sub-periods without a valid return are left out.
 */
export function dailySeries(p: PortfolioData, flowTiming: FlowTiming): DailySeries {
  const d = dailyTwr(p, flowTiming);
  const dates: string[] = [];
  const daily: number[] = [];
  const index: number[] = [];
  for (let i = 1; i < d.dates.length; i++) {
    const r = d.returns[i]!;
    if (Number.isNaN(r)) continue;
    dates.push(formatIsoDate(d.dates[i]!));
    daily.push(r);
    index.push(d.growth[i]!);
  }
  const dd = drawdowns(Float64Array.from(daily));
  return { portfolio_id: p.portfolioId, dates, daily_return: daily, cumulative_index: index, drawdown: Array.from(dd) };
}
