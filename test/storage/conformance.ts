/**
 * The shared PortfolioSource conformance suite: every source (CSV files, DynamoDB) gets the same
 * cases over the fixtures (fixtures/valuations.csv, cash_flows.csv, benchmark.csv). The reference
 * is the CSV loaders' own output (loadPortfolios / readReturnsCsv), so "identical PortfolioWork"
 * means bit-identical typed arrays. Call `sourceConformance` inside a test file; `open` is called
 * once per test and the source closed after it.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIsoDate, parseIsoDate } from '../../src/engine/calendarDate.js';
import { UsageError } from '../../src/errors.js';
import { loadPortfolios, type PortfolioLoad } from '../../src/storage/csv/loadPortfolios.js';
import { readReturnsCsv } from '../../src/storage/csv/returns.js';
import type { PortfolioSource } from '../../src/storage/types.js';
import { FIXTURES } from '../cli/runCli.js';

export const FIXTURE_FILES = {
  valuations: join(FIXTURES, 'valuations.csv'),
  cashFlows: join(FIXTURES, 'cash_flows.csv'),
  returns: join(FIXTURES, 'benchmark.csv'),
};

const day = (iso: string) => parseIsoDate(iso)!;

let reference: Promise<PortfolioLoad> | undefined;
const ref = () => (reference ??= loadPortfolios({ valuations: FIXTURE_FILES.valuations, cashFlows: FIXTURE_FILES.cashFlows }));

export function sourceConformance(name: string, open: () => Promise<PortfolioSource>): void {
  const withSource = async <T>(f: (s: PortfolioSource) => Promise<T>): Promise<T> => {
    const s = await open();
    try {
      return await f(s);
    } finally {
      await s.close();
    }
  };

  describe(`PortfolioSource conformance: ${name}`, () => {
    it('lists the ten fixture portfolios in code-unit order', async () => {
      const ids = await withSource((s) => s.listPortfolios());
      expect(ids).toEqual(['P-001', 'P-002', 'P-003', 'P-004', 'P-005', 'P-006', 'P-007', 'P-008', 'P-009', 'P-010']);
    });

    it('loads every portfolio bit-identical to the CSV loader', async () => {
      const r = await ref();
      await withSource(async (s) => {
        for (const id of await s.listPortfolios()) {
          const w = await s.loadPortfolio(id);
          expect(w.problems).toBeUndefined();
          const want = r.portfolios.get(id)!;
          expect(w.data!.portfolioId).toBe(id);
          expect(w.data!.valuations.dates).toEqual(want.valuations.dates);
          expect(w.data!.valuations.values).toEqual(want.valuations.values);
          expect(w.data!.flows.dates).toEqual(want.flows.dates);
          expect(w.data!.flows.amounts).toEqual(want.flows.amounts);
          expect(w.data!.flows.timing).toEqual(want.flows.timing);
        }
      });
    });

    it('P-001: the first rows of the fixture files, exactly', async () => {
      const w = await withSource((s) => s.loadPortfolio('P-001'));
      const v = w.data!.valuations;
      // fixtures/valuations.csv: P-001,2023-09-29,1000000.00 and P-001,2023-10-02,999555.62; 806 rows for P-001
      expect(v.dates.length).toBe(806);
      expect([formatIsoDate(v.dates[0]!), v.values[0]]).toEqual(['2023-09-29', 1000000]);
      expect([formatIsoDate(v.dates[1]!), v.values[1]]).toEqual(['2023-10-02', 999555.62]);
      // fixtures/cash_flows.csv: P-001,2023-11-15,12106.12,USD,end (timing code 1) is its first flow
      const f = w.data!.flows;
      expect([formatIsoDate(f.dates[0]!), f.amounts[0], f.timing[0]]).toEqual(['2023-11-15', 12106.12, 1]);
      expect([formatIsoDate(f.dates[1]!), f.amounts[1], f.timing[1]]).toEqual(['2023-12-15', 27803.52, 2]);
    });

    it('a date range loads only that range (inclusive bounds)', async () => {
      const r = await ref();
      const from = day('2024-01-01');
      const to = day('2024-03-31');
      const w = await withSource((s) => s.loadPortfolio('P-001', { from, to }));
      const all = r.portfolios.get('P-001')!;
      const inRange = (d: number) => d >= from && d <= to;
      const wantDates = all.valuations.dates.filter(inRange);
      expect(w.data!.valuations.dates).toEqual(wantDates);
      expect(w.data!.valuations.values).toEqual(all.valuations.values.filter((_, i) => inRange(all.valuations.dates[i]!)));
      expect(w.data!.flows.dates).toEqual(all.flows.dates.filter(inRange));
      // the fixtures hold weekdays only; 1 January 2024 was a Monday
      expect(formatIsoDate(wantDates[0]!)).toBe('2024-01-01');
      expect(w.data!.valuations.dates.every(inRange)).toBe(true);
      // bounds are inclusive: a one-day range on a valuation date holds that one valuation
      const one = await withSource((s) => s.loadPortfolio('P-001', { from: day('2023-10-02'), to: day('2023-10-02') }));
      expect([...one.data!.valuations.values]).toEqual([999555.62]);
      // open bounds
      const tail = await withSource((s) => s.loadPortfolio('P-001', { from: day('2026-01-01') }));
      expect(tail.data!.valuations.dates).toEqual(all.valuations.dates.filter((d) => d >= day('2026-01-01')));
    });

    it('an unknown portfolio gives problems naming it, never a throw', async () => {
      const w = await withSource((s) => s.loadPortfolio('NOPE-1'));
      expect(w.data).toBeUndefined();
      expect(w.problems!.length).toBe(1);
      expect(w.problems![0]!.message).toContain("portfolio 'NOPE-1' is not in");
    });

    it('return series: equal to the returns loader, clipped to a range; an unknown id is a UsageError', async () => {
      const want = (await readReturnsCsv(FIXTURE_FILES.returns)).series;
      const got = await withSource((s) => s.loadSeries(['BENCH', 'RF']));
      for (const id of ['BENCH', 'RF']) {
        expect(got.get(id)!.dates).toEqual(want.get(id)!.dates);
        expect(got.get(id)!.returns).toEqual(want.get(id)!.returns);
      }
      // fixtures/benchmark.csv: BENCH,2023-10-02,-0.00520817 is the first row
      expect([formatIsoDate(got.get('BENCH')!.dates[0]!), got.get('BENCH')!.returns[0]]).toEqual(['2023-10-02', -0.00520817]);
      const clipped = await withSource((s) => s.loadSeries(['BENCH'], { from: day('2023-10-03'), to: day('2023-10-03') }));
      expect([...clipped.get('BENCH')!.returns]).toEqual([-0.00535003]);
      await expect(withSource((s) => s.loadSeries(['NOPE']))).rejects.toBeInstanceOf(UsageError);
    });

    it('describes its inputs with sha256 digests', async () => {
      const inputs = await withSource((s) => s.describeInputs());
      expect(inputs.length).toBeGreaterThan(0);
      for (const i of inputs) expect(i.sha256).toMatch(/^[0-9a-f]{64}$/);
    });
  });
}
