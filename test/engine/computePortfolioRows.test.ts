/**
 * computePortfolio's row order: periods as given; within a period twr, twr_annualized, mwr,
 * mwr_annualized, then the risk metrics in the key order whatever order they were asked
 * in; periods that share a label share their risk rows.
 */
import { describe, expect, it } from 'vitest';
import { computePortfolio, type ComputeOptions, type ResultRow } from '../../src/batch/computePortfolio.js';
import { RISK_METRIC_KEYS, type RiskMetricKey } from '../../src/engine/riskMetrics.js';
import type { PeriodSpec } from '../../src/engine/periods.js';
import { portfolioFromArrays } from './returnsHelpers.js';

// two years of weekdays with a monthly flow
const dates: number[] = [];
for (let d = 19000; dates.length < 520; d++) if ((d + 4) % 7 < 5) dates.push(d);
const values = dates.map((_, i) => 1e6 * (1 + 0.0003 * i + 0.01 * Math.sin(i / 5)));
const flowDays = dates.filter((_, i) => i > 0 && i % 21 === 0);
const p = portfolioFromArrays(dates, values, flowDays, flowDays.map((_, k) => (k % 2 === 0 ? 5000 : -3000)), flowDays.map(() => 2));

function options(periods: PeriodSpec[], risk: RiskMetricKey[]): ComputeOptions {
  return { periods, twr: true, mwr: true, risk, method: 'daily', flowTiming: 'start', riskFrequency: 'daily', mar: 0, confidence: 0.95 };
}
const order = (rows: ResultRow[]) => rows.map((r) => `${r.period}:${r.metric}`);

describe('computePortfolio rows', () => {
  it('puts the risk rows of a period in the key order, repeated keys kept', () => {
    const asked: RiskMetricKey[] = ['max_drawdown', 'annualized_volatility', 'sortino_ratio', 'sharpe_ratio', 'annualized_volatility'];
    const rows = computePortfolio(p, options([{ label: 'ITD', code: 'ITD' }, { label: '1Y', code: '1Y' }], asked), {});
    const sorted = [...asked].sort((a, b) => RISK_METRIC_KEYS.indexOf(a) - RISK_METRIC_KEYS.indexOf(b));
    const head = ['twr', 'twr_annualized', 'mwr', 'mwr_annualized'];
    expect(order(rows)).toEqual([...head, ...sorted].map((m) => `ITD:${m}`).concat([...head, ...sorted].map((m) => `1Y:${m}`)));
    expect(rows.filter((r) => r.method === 'risk-daily').every((r) => r.status === 'ok' && typeof r.value === 'number')).toBe(true);
  });

  it('gives every period of a shared label the rows of all of them, in key order', () => {
    const periods: PeriodSpec[] = [
      { label: 'X', code: 'ITD' },
      { label: '1Y', code: '1Y' },
      { label: 'X', code: '1Y' },
    ];
    const rows = computePortfolio(p, options(periods, ['sharpe_ratio', 'max_drawdown']), {});
    const alone = (spec: PeriodSpec) => computePortfolio(p, options([spec], ['sharpe_ratio', 'max_drawdown']), {}).filter((r) => r.method === 'risk-daily');
    const [itd, oneYear] = [alone(periods[0]!), alone(periods[1]!)];
    const shared = [itd[0], { ...oneYear[0], period: 'X' }, itd[1], { ...oneYear[1], period: 'X' }];
    const risk = rows.filter((r) => r.method === 'risk-daily');
    expect(risk).toEqual([...shared, ...oneYear, ...shared]);
  });
});
