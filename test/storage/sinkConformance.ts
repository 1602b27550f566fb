/**
 * The shared ResultSink conformance suite: the same cases for every sink (files, Timestream, DynamoDB, ...).
 * A sink joins with one line in sinkConformance.test.ts: `sinkConformance(harness)`, where the harness opens the
 * sink on fresh storage and reads back what a run stored, in the common shape below.
 *
 * Cases: the begin / writeResults / writeDailySeries / finish sequence stores exactly the non-null results (and the
 * daily series, for sinks that want them); writing the same rows twice stores them once; rows in any order and any
 * batching store the same result; an empty run finishes cleanly and stores nothing.
 */
import { describe, expect, it } from 'vitest';
import type { PortfolioError, RunResultRow } from '../../src/batch/runBatch.js';
import type { DailySeries, ResultSink, RunRecord, SinkReport } from '../../src/storage/types.js';

/** One stored result value (null values are not part of the comparison: some stores cannot hold them). */
export interface StoredResult {
  portfolio_id: string;
  period: string;
  metric: string;
  value: number;
}

export interface StoredDailyPoint {
  portfolio_id: string;
  date: string;
  daily_return: number;
  cumulative_index: number;
  drawdown: number;
}

export interface StoredRun {
  results: StoredResult[];
  /** null for a sink that does not keep daily series (wantsDailySeries false). */
  daily: StoredDailyPoint[] | null;
}

export interface OpenedSink {
  sink: ResultSink;
  /** What the storage holds for `runId` (any order; the suite sorts). Called after finish. */
  read(runId: string): Promise<StoredRun>;
  close(): Promise<void>;
}

export interface SinkHarness {
  name: string;
  /** The sink on storage no other case uses (a fresh directory, table, or tenant). */
  open(): Promise<OpenedSink>;
  /**
   * Cases this sink is known to fail, with the reason: they run as `it.fails`, so the suite goes red the day the
   * gap is closed and the entry must be removed.
   */
  knownGaps?: Partial<Record<ConformanceCase, string>>;
}

export type ConformanceCase = 'sequence' | 'idempotent' | 'order' | 'empty';

const STARTED = '2026-01-15T11:00:00.000Z';

export function conformanceRun(runId: string): RunRecord {
  return { run_id: runId, tenant: 'conformance', status: 'running', started_at: STARTED, finished_at: null, perfcalc_version: '0.1.0', options: { periods: ['YTD', '1Y'] }, inputs: [], counts: {} };
}

function r(runId: string, portfolio: string, period: string, metric: string, value: number | null, endDate = '2024-06-28'): RunResultRow {
  return {
    run_id: runId,
    portfolio_id: portfolio,
    period,
    start_date: period === 'YTD' ? '2023-12-29' : '2023-06-30',
    end_date: endDate,
    metric,
    value,
    method: metric.startsWith('mwr') ? 'xirr' : metric === 'sharpe_ratio' ? 'risk-monthly' : 'daily',
    status: value === null ? 'insufficient_history' : 'ok',
    note: value === null ? 'period starts before the first valuation' : '',
    input_digest: `sha256:${portfolio}`,
    perfcalc_version: '0.1.0',
  } as RunResultRow;
}

/** Two portfolios x two periods; P-B's 1Y has no value (null). */
export function conformanceRows(runId: string): RunResultRow[] {
  return [
    r(runId, 'P-A', 'YTD', 'twr', 0.0523),
    r(runId, 'P-A', 'YTD', 'mwr', 0.0491),
    r(runId, 'P-A', '1Y', 'twr', 0.1187),
    r(runId, 'P-A', '1Y', 'sharpe_ratio', 1.42),
    r(runId, 'P-B', 'YTD', 'twr', -0.0312),
    r(runId, 'P-B', 'YTD', 'mwr', -0.0297),
    r(runId, 'P-B', '1Y', 'twr', null),
    r(runId, 'P-B', '1Y', 'twr_annualized', null),
  ];
}

/** The non-null rows of conformanceRows, as every sink must store them. */
export const EXPECTED_RESULTS: StoredResult[] = [
  { portfolio_id: 'P-A', period: '1Y', metric: 'sharpe_ratio', value: 1.42 },
  { portfolio_id: 'P-A', period: '1Y', metric: 'twr', value: 0.1187 },
  { portfolio_id: 'P-A', period: 'YTD', metric: 'mwr', value: 0.0491 },
  { portfolio_id: 'P-A', period: 'YTD', metric: 'twr', value: 0.0523 },
  { portfolio_id: 'P-B', period: 'YTD', metric: 'mwr', value: -0.0297 },
  { portfolio_id: 'P-B', period: 'YTD', metric: 'twr', value: -0.0312 },
];

/**
 * P-A: +1% then -2%: index 1.01, 1.01 x 0.98 = 0.9898; drawdown 0, then 0.9898 / 1.01 - 1 = -0.02.
 * P-B: +0.5%: index 1.005, drawdown 0.
 */
export const CONFORMANCE_SERIES: DailySeries[] = [
  { portfolio_id: 'P-A', dates: ['2024-01-02', '2024-01-03'], daily_return: [0.01, -0.02], cumulative_index: [1.01, 0.9898], drawdown: [0, -0.02] },
  { portfolio_id: 'P-B', dates: ['2024-01-02'], daily_return: [0.005], cumulative_index: [1.005], drawdown: [0] },
];

export const EXPECTED_DAILY: StoredDailyPoint[] = [
  { portfolio_id: 'P-A', date: '2024-01-02', daily_return: 0.01, cumulative_index: 1.01, drawdown: 0 },
  { portfolio_id: 'P-A', date: '2024-01-03', daily_return: -0.02, cumulative_index: 0.9898, drawdown: -0.02 },
  { portfolio_id: 'P-B', date: '2024-01-02', daily_return: 0.005, cumulative_index: 1.005, drawdown: 0 },
];

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The stored run in canonical order (portfolio, period, metric / portfolio, date). */
export function canonical(s: StoredRun): StoredRun {
  return {
    results: [...s.results].sort((a, b) => cmp(a.portfolio_id, b.portfolio_id) || cmp(a.period, b.period) || cmp(a.metric, b.metric)),
    daily: s.daily === null ? null : [...s.daily].sort((a, b) => cmp(a.portfolio_id, b.portfolio_id) || cmp(a.date, b.date)),
  };
}

/** A seeded permutation (LCG), so a failure is reproducible. */
export function permute<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Splits into consecutive batches of the given sizes, cycling through them. */
export function batches<T>(items: readonly T[], sizes: readonly number[]): T[][] {
  const out: T[][] = [];
  for (let i = 0, k = 0; i < items.length; k++) {
    const n = sizes[k % sizes.length]!;
    out.push(items.slice(i, i + n));
    i += n;
  }
  return out;
}

const rejectedOf = (reports: SinkReport[]) => reports.flatMap((x) => x.rejected);

async function finishRun(sink: ResultSink, run: RunRecord, rows: number, errors: PortfolioError[] = []): Promise<SinkReport> {
  return sink.finish({ ...run, status: errors.length > 0 ? 'partial' : 'succeeded', finished_at: '2026-01-15T11:01:00.000Z', counts: { results: rows } }, errors, { run_id: run.run_id });
}

export function sinkConformance(harness: SinkHarness): void {
  const gaps = harness.knownGaps ?? {};
  const test = (name: ConformanceCase, title: string, fn: () => Promise<void>) => {
    const gap = gaps[name];
    if (gap !== undefined) it.fails(`${title} [known gap: ${gap}]`, fn);
    else it(title, fn);
  };
  const withSink = async (fn: (o: OpenedSink) => Promise<void>) => {
    const o = await harness.open();
    try {
      await fn(o);
    } finally {
      await o.close();
    }
  };
  const expected = (wantsDaily: boolean): StoredRun => ({ results: EXPECTED_RESULTS, daily: wantsDaily ? EXPECTED_DAILY : null });

  describe(`ResultSink conformance: ${harness.name}`, () => {
    test('sequence', 'begin, writeResults, writeDailySeries, finish: stores every non-null result (and the daily series if it wants them)', () =>
      withSink(async ({ sink, read }) => {
        const run = conformanceRun('conf-seq');
        await sink.begin(run);
        const reports = [await sink.writeResults(conformanceRows(run.run_id))];
        if (sink.wantsDailySeries) reports.push(await sink.writeDailySeries(CONFORMANCE_SERIES));
        reports.push(await finishRun(sink, run, 8));
        expect(rejectedOf(reports)).toEqual([]);
        expect(canonical(await read(run.run_id))).toEqual(expected(sink.wantsDailySeries));
      }));

    test('idempotent', 'writing the same rows and series again (begin twice, as a retry does) stores them once', () =>
      withSink(async ({ sink, read }) => {
        const run = conformanceRun('conf-idem');
        const reports: SinkReport[] = [];
        for (let i = 0; i < 2; i++) {
          await sink.begin(run);
          reports.push(await sink.writeResults(conformanceRows(run.run_id)));
          if (sink.wantsDailySeries) reports.push(await sink.writeDailySeries(CONFORMANCE_SERIES));
        }
        reports.push(await finishRun(sink, run, 8));
        expect(rejectedOf(reports)).toEqual([]);
        expect(canonical(await read(run.run_id))).toEqual(expected(sink.wantsDailySeries));
      }));

    test('order', 'rows and series in any order and any batching store the same result', () =>
      withSink(async ({ sink, read }) => {
        const run = conformanceRun('conf-order');
        await sink.begin(run);
        const reports: SinkReport[] = [];
        // rows shuffled and split 1, 3, 2, ... (so a portfolio's rows arrive across calls, interleaved with others')
        for (const batch of batches(permute(conformanceRows(run.run_id), 7), [1, 3, 2])) reports.push(await sink.writeResults(batch));
        if (sink.wantsDailySeries) {
          // the series in reverse portfolio order, one call each, the first one before some rows would be
          for (const s of [...CONFORMANCE_SERIES].reverse()) reports.push(await sink.writeDailySeries([s]));
        }
        reports.push(await finishRun(sink, run, 8));
        expect(rejectedOf(reports)).toEqual([]);
        expect(canonical(await read(run.run_id))).toEqual(expected(sink.wantsDailySeries));
      }));

    test('empty', 'an empty run (no rows, no series, no errors) finishes cleanly and stores nothing', () =>
      withSink(async ({ sink, read }) => {
        const run = conformanceRun('conf-empty');
        await sink.begin(run);
        const reports = [await sink.writeResults([])];
        if (sink.wantsDailySeries) reports.push(await sink.writeDailySeries([]));
        reports.push(await finishRun(sink, run, 0));
        expect(rejectedOf(reports)).toEqual([]);
        expect(canonical(await read(run.run_id))).toEqual({ results: [], daily: sink.wantsDailySeries ? [] : null });
      }));
  });
}
