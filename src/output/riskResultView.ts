import Table from 'cli-table3';
import { BENCHMARK_METRIC_KEYS, RISK_METRIC_KEYS, type RiskMetricKey, type RiskResult } from '../engine/riskMetrics.js';
import type { RecordView } from './emit.js';
import { percent } from './format.js';

/** A risk result as one flat record: identity and window, then every metric key, then warnings and drawdowns. */
export type RiskRecord = Omit<RiskResult, 'metrics'> & Record<RiskMetricKey, number | null>;

export function flattenRisk(r: RiskResult): RiskRecord {
  return {
    series_id: r.series_id,
    benchmark_id: r.benchmark_id,
    risk_free_id: r.risk_free_id,
    start_date: r.start_date,
    end_date: r.end_date,
    observations: r.observations,
    scale: r.scale,
    ...r.metrics,
    warnings: r.warnings,
    drawdowns: r.drawdowns,
  };
}

/** Metrics shown as percentages in tables (returns, volatilities, drawdowns, shares); the rest as plain ratios. */
const PERCENT_METRICS = new Set<RiskMetricKey>([
  'cumulative_return', 'annualized_return', 'annualized_volatility', 'downside_deviation', 'max_drawdown', 'pain_index',
  'ulcer_index', 'alpha', 'jensen_alpha', 'treynor_ratio', 'active_premium', 'tracking_error', 'up_number_ratio',
  'down_number_ratio', 'up_percent_ratio', 'down_percent_ratio', 'value_at_risk', 'expected_shortfall', 'best_period',
  'worst_period', 'positive_periods',
]);

function metricCell(key: RiskMetricKey, v: number | null): string {
  if (v === null) return '—';
  return PERCENT_METRICS.has(key) ? percent(v) : v.toFixed(4);
}

/** Metrics as rows and series as columns, like PerformanceAnalytics' tables. */
function riskTable(records: readonly RiskRecord[], opts: { colour: boolean }): string {
  const table = new Table({
    head: ['', ...records.map((r) => r.series_id)],
    colAligns: ['left', ...records.map(() => 'right' as const)],
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    style: opts.colour ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] },
  });
  table.push(['window', ...records.map((r) => (r.start_date ? `${r.start_date}..${r.end_date}` : '—'))]);
  table.push(['observations', ...records.map((r) => String(r.observations))]);
  table.push(['scale', ...records.map((r) => String(r.scale))]);
  const hasBenchmark = records.some((r) => r.benchmark_id !== null);
  for (const key of RISK_METRIC_KEYS) {
    if (!hasBenchmark && BENCHMARK_METRIC_KEYS.includes(key)) continue;
    table.push([key, ...records.map((r) => metricCell(key, r[key]))]);
  }
  let text = `${table.toString()}\n`;
  const notes = records.flatMap((r) => r.warnings.map((w) => `${r.series_id}: ${w}`));
  if (notes.length > 0) text += `${notes.map((n) => `note: ${n}`).join('\n')}\n`;
  return text;
}

export const riskResultView: RecordView<RiskRecord> = {
  csv: ['series_id', 'benchmark_id', 'risk_free_id', 'start_date', 'end_date', 'observations', 'scale', ...RISK_METRIC_KEYS, 'warnings'],
  table: riskTable,
};
