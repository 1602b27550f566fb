/**
 * The two small interfaces every storage backend implements (unstorage-style): a source of
 * portfolio data and return series, and a sink for a run's results. CSV files, DynamoDB and
 * Timestream sit behind them, and one shared conformance suite (test/storage/conformance*.ts)
 * holds every implementation to the same behaviour.
 */
import type { EpochDay } from '../engine/calendarDate.js';
import type { ReturnSeries } from '../engine/types.js';
import type { AuditInput } from '../batch/auditLog.js';
import type { PortfolioError, PortfolioWork, RunResultRow } from '../batch/runBatch.js';

/** Inclusive calendar-date bounds; an absent bound is open. */
export interface DateRange {
  from?: EpochDay;
  to?: EpochDay;
}

export interface PortfolioSource {
  readonly kind: 'csv' | 'dynamodb';
  /** Every portfolio id the source holds (for its tenant), sorted in code-unit order. */
  listPortfolios(): Promise<string[]>;
  /**
   * One portfolio's valuations and cash flows (only those dated inside `range`), or the input
   * problems that keep it from being computed. An unknown id gives `problems`, never a throw.
   */
  loadPortfolio(id: string, range?: DateRange): Promise<PortfolioWork>;
  /** Named return series (benchmark, risk-free); an id the source does not hold is a UsageError. */
  loadSeries(ids: string[], range?: DateRange): Promise<Map<string, ReturnSeries>>;
  /** What the run read, with digests, for the audit record and the run record. */
  describeInputs(): Promise<AuditInput[]>;
  close(): Promise<void>;
}

/** The run as a sink records it; `status` moves running -> succeeded | partial | failed. */
export interface RunRecord {
  run_id: string;
  tenant: string;
  status: 'running' | 'succeeded' | 'partial' | 'failed';
  started_at: string;
  finished_at: string | null;
  perfcalc_version: string;
  /** The options that determine the numbers (canonical JSON-able). */
  options: unknown;
  inputs: AuditInput[];
  counts: Record<string, number>;
}

/** A portfolio's daily series: sub-period return, cumulative index (base 1) and drawdown, per valuation date. */
export interface DailySeries {
  portfolio_id: string;
  /** ISO dates. */
  dates: string[];
  daily_return: number[];
  cumulative_index: number[];
  drawdown: number[];
}

export interface RejectedRecord {
  /** Enough to find the record: portfolio, period/date, metric. */
  record: Record<string, unknown>;
  reason: string;
}

export interface SinkReport {
  written: number;
  rejected: RejectedRecord[];
}

export interface ResultSink {
  readonly kind: 'files' | 'dynamodb' | 'timestream';
  /** Whether the sink wants daily series (the runner computes them only then). */
  readonly wantsDailySeries: boolean;
  /** Records the start of a run (idempotent for the same run id). */
  begin(run: RunRecord): Promise<void>;
  /**
   * Writes result rows (any number of portfolios, any order). Idempotent: the same run id,
   * portfolio, period and metric always land on the same key, so a retry overwrites.
   */
  writeResults(rows: readonly RunResultRow[]): Promise<SinkReport>;
  /**
   * Optional: rows a run has computed but not yet decided to write (the grouped scan holds its
   * results until the file proves grouped). A sink may do pure preparation here, such as
   * formatting them, so that a later writeResults of the same array is cheaper; it must write
   * nothing and keep nothing that changes what it writes.
   */
  prepare?(rows: readonly RunResultRow[]): void;
  writeDailySeries(series: readonly DailySeries[]): Promise<SinkReport>;
  /** Records the end of the run: its errors, its summary and the final run record. */
  finish(run: RunRecord, errors: readonly PortfolioError[], summary: unknown): Promise<SinkReport>;
}
