/**
 * Timestream (LiveAnalytics) as a ResultSink. Record layout in timestreamRecords.ts and docs/timestream.md.
 *
 * - begin: writes nothing (it only fixes the run's Version); finish: one small run record (status and counts),
 *   then destroys the client if the sink created it (a later write creates a new one).
 * - writeResults / writeDailySeries: WriteRecords in requests of at most 100 records sharing CommonAttributes;
 *   RejectedRecords come back in the SinkReport with the record and the service's reason; the rest are written.
 * - Throttling, 5xx and connection resets are retried with exponential backoff and full jitter, a bounded number
 *   of times; any other error (validation, missing table, credentials) is thrown.
 * - Null / non-finite values are skipped (Timestream has no null measure) and counted in `stats().skipped` and in
 *   the run record.
 */
import { WriteRecordsCommand, type TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import type { RunResultRow } from '../../batch/runBatch.js';
import type { DailySeries, RejectedRecord, ResultSink, RunRecord, SinkReport } from '../types.js';
import { createTimestreamClient, type TimestreamClientOptions } from './timestreamClient.js';
import {
  batchRecords,
  dailySeriesRecords,
  resultRecords,
  runRecordOf,
  runVersion,
  MAX_RECORDS_PER_WRITE,
  type Prepared,
  type PreparedRecord,
} from './timestreamRecords.js';

export interface RetryPolicy {
  /** Attempts per request, including the first (default 6). */
  maxAttempts: number;
  /** Backoff base and cap in ms (default 100 and 5000): delay = random() * min(cap, base * 2^attempt). */
  baseMs: number;
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseMs: 100, capMs: 5000 };

export interface TimestreamSinkOptions extends TimestreamClientOptions {
  database: string;
  table: string;
  tenant: string;
  /** A ready client (tests; a caller that shares one); it is not destroyed by the sink. */
  client?: TimestreamWriteClient;
  retry?: Partial<RetryPolicy>;
  /** Records per request, 1..100 (default 100). */
  batchSize?: number;
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface TimestreamSinkStats {
  requests: number;
  /** Requests re-sent after throttling / 5xx. */
  retries: number;
  written: number;
  rejected: number;
  skipped: number;
  /** Largest number of records in one request. */
  largestBatch: number;
}

export interface TimestreamSink extends ResultSink {
  stats(): TimestreamSinkStats;
  /** Destroys the client if the sink created it (finish does this too). */
  close(): void;
}

const RETRYABLE_NAMES = new Set(['ThrottlingException', 'InternalServerException', 'ServiceUnavailable', 'ServiceUnavailableException', 'RequestTimeout', 'TimeoutError']);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

interface SdkError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  RejectedRecords?: Array<{ RecordIndex?: number; Reason?: string; ExistingVersion?: number }>;
}

/** Throttling, 5xx and transient network errors. */
export function isRetryable(err: unknown): boolean {
  const e = (err ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  return (
    (e.name !== undefined && RETRYABLE_NAMES.has(e.name)) ||
    (e.code !== undefined && RETRYABLE_CODES.has(e.code)) ||
    status === 429 ||
    (status !== undefined && status >= 500)
  );
}

export function openTimestreamSink(opts: TimestreamSinkOptions): TimestreamSink {
  // created on first use and destroyed after finish (a long-running worker opens one sink per run)
  let owned: TimestreamWriteClient | null = null;
  const client = (): TimestreamWriteClient => opts.client ?? (owned ??= createTimestreamClient(opts));
  const release = () => {
    owned?.destroy();
    owned = null;
  };
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
  const batchSize = opts.batchSize ?? MAX_RECORDS_PER_WRITE;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = opts.random ?? Math.random;
  const stats: TimestreamSinkStats = { requests: 0, retries: 0, written: 0, rejected: 0, skipped: 0, largestBatch: 0 };
  let run: { runId: string; version: number } | null = null;

  const started = (): { runId: string; version: number } => {
    if (!run) throw new Error('Timestream sink: begin(run) must be called before writing');
    return run;
  };

  async function send(batch: PreparedRecord[]): Promise<SinkReport> {
    const input = {
      DatabaseName: opts.database,
      TableName: opts.table,
      CommonAttributes: batch[0]!.common,
      Records: batch.map((p) => p.record),
    };
    stats.largestBatch = Math.max(stats.largestBatch, batch.length);
    for (let attempt = 0; ; attempt++) {
      stats.requests++;
      try {
        await client().send(new WriteRecordsCommand(input));
        stats.written += batch.length;
        return { written: batch.length, rejected: [] };
      } catch (err) {
        const e = err as SdkError;
        if (e.name === 'RejectedRecordsException' && Array.isArray(e.RejectedRecords)) {
          const rejected: RejectedRecord[] = e.RejectedRecords.map((r) => {
            const p = r.RecordIndex !== undefined ? batch[r.RecordIndex] : undefined;
            const existing = r.ExistingVersion !== undefined ? ` (existing version ${r.ExistingVersion})` : '';
            return { record: p?.describe ?? { record_index: r.RecordIndex }, reason: `${r.Reason ?? 'rejected'}${existing}` };
          });
          stats.written += batch.length - rejected.length;
          stats.rejected += rejected.length;
          return { written: batch.length - rejected.length, rejected };
        }
        if (!isRetryable(err) || attempt + 1 >= retry.maxAttempts) throw err;
        stats.retries++;
        await sleep(random() * Math.min(retry.capMs, retry.baseMs * 2 ** attempt));
      }
    }
  }

  async function write(prepared: Prepared): Promise<SinkReport> {
    stats.skipped += prepared.skipped;
    const report: SinkReport = { written: 0, rejected: prepared.invalid.map((x) => ({ ...x })) };
    stats.rejected += prepared.invalid.length;
    for (const batch of batchRecords(prepared.records, batchSize)) {
      const r = await send(batch);
      report.written += r.written;
      report.rejected.push(...r.rejected);
    }
    return report;
  }

  return {
    kind: 'timestream',
    wantsDailySeries: true,
    async begin(r: RunRecord) {
      run = { runId: r.run_id, version: runVersion(r) };
    },
    async writeResults(rows: readonly RunResultRow[]) {
      return write(resultRecords(rows, { tenant: opts.tenant, version: started().version }));
    },
    async writeDailySeries(series: readonly DailySeries[]) {
      const { runId, version } = started();
      return write(dailySeriesRecords(series, { tenant: opts.tenant, runId, version }));
    },
    async finish(r: RunRecord, errors) {
      const { version } = run ?? { version: runVersion(r) };
      const record = runRecordOf({ ...r, tenant: opts.tenant }, { errors: errors.length, written: stats.written, rejected: stats.rejected, skipped: stats.skipped }, version);
      try {
        return await send([record]);
      } finally {
        release();
      }
    },
    stats: () => ({ ...stats }),
    close: release,
  };
}
