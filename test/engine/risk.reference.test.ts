/**
 * perfcalc's risk metrics against reference values computed in R 4.2.2 with the
 * PerformanceAnalytics 2.1.0 code paths (fixtures/reference/*.json, produced by
 * scripts/reference/risk_reference.R, which lists the PA call behind every key).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { riskMetrics, RISK_METRIC_KEYS, type RiskResult } from '../../src/engine/riskMetrics.js';
import type { ReturnSeries } from '../../src/engine/types.js';
import { readLong, readWide } from './riskCsv.js';

interface RefSeries {
  observations: number;
  start_date: string;
  end_date: string;
  metrics: Record<string, number | null>;
  drawdowns: Array<{ start: string; trough: string; end: string | null; depth: number; length: number; to_trough: number; recovery: number | null }>;
}
interface RefFile { scale: number; benchmark: string | null; risk_free: string | null; series: Record<string, RefSeries> }

const ref = (name: string): RefFile => JSON.parse(readFileSync(`fixtures/reference/${name}.json`, 'utf8')) as RefFile;

/** 1e-12 relative, or 1e-14 absolute for values near 0 (sums that cancel, like active premium). */
function close(actual: number | null, expected: number | null): boolean {
  if (expected === null || actual === null) return actual === expected;
  return Math.abs(actual - expected) <= Math.max(1e-12 * Math.abs(expected), 1e-14);
}

function check(res: RiskResult, r: RefSeries): void {
  expect(res.observations).toBe(r.observations);
  expect(res.start_date).toBe(r.start_date);
  expect(res.end_date).toBe(r.end_date);
  const bad = RISK_METRIC_KEYS.filter((k) => !close(res.metrics[k], r.metrics[k] ?? null)).map(
    (k) => `${k}: got ${res.metrics[k]} want ${r.metrics[k]}`,
  );
  expect(bad).toEqual([]);
  expect(res.drawdowns.length).toBe(r.drawdowns.length);
  res.drawdowns.forEach((d, i) => {
    const e = r.drawdowns[i]!;
    expect([d.start, d.trough, d.end, d.length, d.to_trough, d.recovery]).toEqual([e.start, e.trough, e.end, e.length, e.to_trough, e.recovery]);
    expect(close(d.depth, e.depth)).toBe(true);
  });
}

function runDataset(name: string, layout: 'wide' | 'long'): void {
  const file = ref(name);
  const series = layout === 'wide' ? readWide(`fixtures/returns/${name}_wide.csv`) : readLong(`fixtures/returns/${name}_long.csv`);
  const find = (id: string | null): ReturnSeries | undefined => (id === null ? undefined : series.find((s) => s.seriesId === id));
  const benchmark = find(file.benchmark);
  const riskFree = find(file.risk_free);
  expect(series.map((s) => s.seriesId)).toEqual(Object.keys(file.series));
  for (const s of series) {
    const res = riskMetrics({ series: s, benchmark, riskFree }, {});
    expect(res.scale).toBe(file.scale); // detected from monthly dates
    check(res, file.series[s.seriesId]!);
  }
}

describe('reference values from PerformanceAnalytics 2.1.0', () => {
  for (const name of ['managers', 'edhec', 'portfolio_bacon']) {
    for (const layout of ['wide', 'long'] as const) {
      it(`${name} (${layout}): every metric of every series to 1e-12, drawdown tables identical`, () => runDataset(name, layout));
    }
  }

  it('HAM1 vs SP500 TR with US 3m TR: the figures PA prints in its own examples', () => {
    const s = readWide('fixtures/returns/managers_wide.csv');
    const get = (id: string) => s.find((x) => x.seriesId === id)!;
    const r = riskMetrics({ series: get('HAM1'), benchmark: get('SP500 TR'), riskFree: get('US 3m TR') }, {});
    // table.Drawdowns(managers[,1]) documents: 2002-02-28 / 2003-02-28 / 2003-07-31, -0.1518, 18, 13, 5
    expect(r.drawdowns[0]).toMatchObject({ start: '2002-02-28', trough: '2003-02-28', end: '2003-07-31', length: 18, to_trough: 13, recovery: 5 });
    expect(r.drawdowns[0]!.depth.toFixed(4)).toBe('-0.1518');
    expect(r.metrics.annualized_return!.toFixed(4)).toBe('0.1375'); // Return.annualized example
    expect(r.metrics.sharpe_ratio!.toFixed(4)).toBe('1.0680');
  });

  it("Bacon (2008) published figures for portfolio_bacon: Jensen's alpha -0.014, pain index 0.04", () => {
    const [p, b] = readWide('fixtures/returns/portfolio_bacon_wide.csv') as [ReturnSeries, ReturnSeries];
    const r = riskMetrics({ series: p, benchmark: b }, {});
    expect(r.metrics.jensen_alpha!.toFixed(3)).toBe('-0.014');
    expect(r.metrics.pain_index!.toFixed(2)).toBe('0.04');
  });
});
