/**
 * `perfcalc risk` and `perfcalc returns` end to end on the public PerformanceAnalytics data sets:
 * every metric of every managers fund against the PA 2.1.0 reference values (fixtures/reference).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { expectGolden } from './golden.js';
import { runCli } from './runCli.js';

interface Reference {
  series: Record<string, { observations: number; start_date: string; end_date: string; metrics: Record<string, number | null> }>;
}

function close(actual: number | null, expected: number | null): boolean {
  if (expected === null) return actual === null;
  if (actual === null) return false;
  return Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected));
}

describe('perfcalc risk', () => {
  for (const layout of ['long', 'wide']) {
    it(`managers (${layout}) with benchmark SP500 TR and rf US 3m TR agree with PerformanceAnalytics to 1e-12`, async () => {
      const ref = JSON.parse(await readFile('fixtures/reference/managers.json', 'utf8')) as Reference;
      const r = await runCli([
        'risk', '--returns', `fixtures/returns/managers_${layout}.csv`, '--benchmark', 'SP500 TR', '--rf-series', 'US 3m TR', '--format', 'json',
      ]);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
      expect(out.map((o) => o.series_id)).toEqual(['HAM1', 'HAM2', 'HAM3', 'HAM4', 'HAM5', 'HAM6', 'EDHEC LS EQ', 'SP500 TR', 'US 10Y TR', 'US 3m TR']);
      let compared = 0;
      for (const rec of out) {
        const expected = ref.series[rec.series_id as string];
        if (!expected) continue;
        expect(rec.observations).toBe(expected.observations);
        expect(rec.start_date).toBe(expected.start_date);
        for (const [key, value] of Object.entries(expected.metrics)) {
          if (!close(rec[key] as number | null, value)) throw new Error(`${rec.series_id} ${key}: ${rec[key]} != ${value}`);
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(250);
    });
  }

  it('the HAM1 table matches its golden rendering (metrics as rows)', async () => {
    const r = await runCli([
      'risk', '--returns', 'fixtures/returns/managers_wide.csv', '--benchmark', 'SP500 TR', '--rf-series', 'US 3m TR', '--series', 'HAM1', '--format', 'table',
    ]);
    expect(r.code).toBe(0);
    await expectGolden('risk-ham1.txt', r.stdout);
  });

  it('CSV carries one row per series with every metric column', async () => {
    const r = await runCli(['risk', '--returns', 'fixtures/returns/portfolio_bacon_long.csv', '--benchmark', 'benchmark.return....', '--format', 'csv']);
    const [header, ...rows] = r.stdout.trim().split('\n');
    expect(header!.split(',')).toEqual(expect.arrayContaining(['series_id', 'jensen_alpha', 'pain_index', 'max_drawdown', 'warnings']));
    expect(rows).toHaveLength(2);
  });

  it('portfolios from valuations, measured against the fixture benchmark, at daily scale', async () => {
    const r = await runCli([
      'risk', '--valuations', 'fixtures/valuations.csv', '--cash-flows', 'fixtures/cash_flows.csv', '--portfolio', 'P-001',
      '--returns', 'fixtures/benchmark.csv', '--benchmark', 'BENCH', '--rf-series', 'RF', '--series', 'P-001', '--format', 'json',
    ]);
    expect(r.stderr).toBe('');
    const [rec] = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rec).toMatchObject({ series_id: 'P-001', benchmark_id: 'BENCH', risk_free_id: 'RF', scale: 252 });
    expect(rec!.beta).toEqual(expect.any(Number));
  });

  it('an unknown benchmark is a usage error (exit 2) naming the series available', async () => {
    const r = await runCli(['risk', '--returns', 'fixtures/returns/managers_long.csv', '--benchmark', 'SPX']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--benchmark 'SPX' is not a series");
    expect(r.stdout).toBe('');
  });
});

describe('perfcalc returns (calendar table)', () => {
  it('HAM1 monthly returns by year match the golden CSV', async () => {
    const r = await runCli(['returns', '--returns', 'fixtures/returns/managers_wide.csv', '--series', 'HAM1', '--format', 'csv']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1 + 11);
    // 1996 January: HAM1's first observation 0.0074 (managers data) is the only return in that month
    expect(lines[1]!.split(',').slice(0, 3)).toEqual(['HAM1', '1996', '0.0074']);
    await expectGolden('returns-ham1.csv', r.stdout);
  });

  it('daily portfolio returns are compounded into months (P-001)', async () => {
    const r = await runCli(['returns', '--valuations', 'fixtures/valuations.csv', '--cash-flows', 'fixtures/cash_flows.csv', '--portfolio', 'P-001', '--format', 'table']);
    expect(r.code).toBe(0);
    await expectGolden('returns-p001.txt', r.stdout);
  });
});
