/**
 * `perfcalc twr` and `perfcalc mwr` end to end: the built binary on the bundled fixtures, compared
 * with golden files, plus figures recomputed independently from the CSV text in the test.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectGolden } from './golden.js';
import { FIXTURES, listFiles, runCli, tempDir } from './runCli.js';

const V = 'fixtures/valuations.csv';
const F = 'fixtures/cash_flows.csv';

async function csvRows(path: string): Promise<string[][]> {
  const text = await readFile(path, 'utf8');
  return text.trim().split('\n').slice(1).map((l) => l.split(','));
}

describe('perfcalc twr', () => {
  it('daily TWR for every fixture portfolio and period matches the golden JSON', async () => {
    const r = await runCli(['twr', '--valuations', V, '--cash-flows', F, '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const records = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(records).toHaveLength(10 * 7);
    expect(Object.keys(records[0]!)).toEqual(
      expect.arrayContaining(['portfolio_id', 'period', 'start_date', 'end_date', 'method', 'cumulative_return', 'annualized_return', 'status']),
    );
    await expectGolden('twr-daily.json', r.stdout);
  });

  it('Modified Dietz and linked Modified Dietz match their golden CSV', async () => {
    for (const method of ['modified-dietz', 'linked-modified-dietz']) {
      const r = await runCli(['twr', '--valuations', V, '--cash-flows', F, '--method', method, '--periods', 'MTD,YTD,1Y,ITD', '--format', 'csv']);
      expect(r.code).toBe(0);
      await expectGolden(`twr-${method}.csv`, r.stdout);
    }
  });

  it('P-008 has no flows: its ITD daily TWR is V_end / V_first - 1, recomputed here from the CSV', async () => {
    const rows = (await csvRows(join(FIXTURES, 'valuations.csv'))).filter((r) => r[0] === 'P-008');
    const first = Number(rows[0]![2]);
    const last = Number(rows[rows.length - 1]![2]);
    const r = await runCli(['twr', '--valuations', V, '--cash-flows', F, '--portfolio', 'P-008', '--periods', 'ITD', '--format', 'json']);
    const [rec] = JSON.parse(r.stdout) as Array<{ cumulative_return: number; annualized_return: number; days: number; base_date: string }>;
    expect(rec!.base_date).toBe(rows[0]![1]);
    expect(rec!.cumulative_return).toBeCloseTo(last / first - 1, 12);
    expect(rec!.annualized_return).toBeCloseTo(Math.pow(last / first, 365 / rec!.days) - 1, 12);
  });

  it('holdings: a portfolio valued from its positions (H-001)', async () => {
    const r = await runCli(['twr', '--holdings', 'fixtures/holdings.csv', '--periods', 'MTD,YTD,ITD', '--format', 'csv']);
    expect(r.code).toBe(0);
    await expectGolden('twr-holdings.csv', r.stdout);
  });

  it('--output writes the file atomically and shows a table on stdout', async () => {
    const dir = await tempDir();
    const out = join(dir, 'sub', 'twr.json');
    const r = await runCli(['twr', '--valuations', V, '--cash-flows', F, '--portfolio', 'P-001,P-002', '--periods', 'YTD', '--output', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('P-001');
    expect(r.stdout).toContain('%');
    const written = JSON.parse(await readFile(out, 'utf8')) as unknown[];
    expect(written).toHaveLength(2);
    expect(await listFiles(dir)).toEqual(['sub', 'sub/twr.json']);
  });

  it('table output: percentages to 2 dp, no colour codes when NO_COLOR is set', async () => {
    const r = await runCli(['twr', '--valuations', V, '--cash-flows', F, '--portfolio', 'P-003', '--periods', 'ITD', '--format', 'table']);
    expect(r.stdout).toMatch(/\d+\.\d{2}%/);
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('a custom --from/--to period and an --as-of date', async () => {
    const r = await runCli(['twr', '--valuations', V, '--cash-flows', F, '--portfolio', 'P-004', '--from', '2025-01-01', '--to', '2025-12-31', '--format', 'json']);
    const [rec] = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rec).toMatchObject({ period: 'CUSTOM', start_date: '2025-01-01', end_date: '2025-12-31', base_date: '2024-12-31', status: 'ok', annualized: true });
    const asOf = await runCli(['twr', '--valuations', V, '--portfolio', 'P-004', '--periods', 'MTD', '--as-of', '2025-06-30', '--format', 'json']);
    expect(JSON.parse(asOf.stdout)[0]).toMatchObject({ start_date: '2025-06-01', end_date: '2025-06-30', base_date: '2025-05-30' });
  });

  it('a period longer than the history is insufficient_history with null values', async () => {
    const r = await runCli(['twr', '--valuations', V, '--portfolio', 'P-009', '--periods', '1Y', '--format', 'json']);
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ status: 'insufficient_history', cumulative_return: null, annualized_return: null });
  });
});

describe('perfcalc mwr', () => {
  it('XIRR per period matches the golden CSV', async () => {
    const r = await runCli(['mwr', '--valuations', V, '--cash-flows', F, '--format', 'csv']);
    expect(r.code).toBe(0);
    await expectGolden('mwr.csv', r.stdout);
  });

  it('with no flows, the ITD money-weighted return equals the time-weighted one (P-008)', async () => {
    const t = await runCli(['twr', '--valuations', V, '--portfolio', 'P-008', '--periods', 'ITD', '--format', 'json']);
    const m = await runCli(['mwr', '--valuations', V, '--portfolio', 'P-008', '--periods', 'ITD', '--format', 'json']);
    const tr = JSON.parse(t.stdout)[0] as { annualized_return: number; cumulative_return: number };
    const mr = JSON.parse(m.stdout)[0] as { annualized_return: number; cumulative_return: number; method: string };
    expect(mr.method).toBe('xirr');
    expect(mr.annualized_return).toBeCloseTo(tr.annualized_return, 10);
    expect(mr.cumulative_return).toBeCloseTo(tr.cumulative_return, 10);
  });
});
