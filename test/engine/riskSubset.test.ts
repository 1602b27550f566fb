import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIsoDate } from '../../src/engine/calendarDate.js';
import { RISK_METRIC_KEYS, riskMetrics, type RiskMetricKey } from '../../src/engine/riskMetrics.js';
import type { ReturnSeries } from '../../src/engine/types.js';

function series(id: string): ReturnSeries {
  const rows = readFileSync('fixtures/returns/managers_long.csv', 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const mine = rows.filter((r) => r[0] === id);
  return { seriesId: id, dates: Int32Array.from(mine.map((r) => parseIsoDate(r[1]!)!)), returns: Float64Array.from(mine.map((r) => Number(r[2]))) };
}

describe('riskMetrics({ only })', () => {
  const input = { series: series('HAM1'), benchmark: series('SP500 TR'), riskFree: series('US 3m TR') };
  const full = riskMetrics(input, {});
  it('each metric computed alone equals the full computation bit for bit, and nothing else is set', () => {
    for (const key of RISK_METRIC_KEYS) {
      const one = riskMetrics(input, { only: [key], episodes: false });
      expect(one.metrics[key], key).toBe(full.metrics[key]);
      for (const other of RISK_METRIC_KEYS) if (other !== key) expect(one.metrics[other], `${key} -> ${other}`).toBeNull();
      expect(one.drawdowns).toEqual([]);
    }
  });
  it('the batch set (volatility, Sharpe, Sortino, max drawdown) matches', () => {
    const keys: RiskMetricKey[] = ['annualized_volatility', 'sharpe_ratio', 'sortino_ratio', 'max_drawdown'];
    const sub = riskMetrics(input, { only: keys });
    for (const k of keys) expect(sub.metrics[k]).toBe(full.metrics[k]);
    expect(sub.drawdowns).toEqual(full.drawdowns);
  });
});
