/** Shared set-up for the Timestream sink tests: a guarded client on the local Timestream write server. */
import { TimestreamWriteClient, type WriteRecordsCommandInput } from '@aws-sdk/client-timestream-write';
import { TEST_CREDENTIALS, TEST_REGION, assertLoopbackEndpoint, guardLoopback, type StoredRecord } from '../servers/index.js';
import type { RunResultRow } from '../../src/batch/runBatch.js';
import type { RunRecord } from '../../src/storage/types.js';

/** Fixed server clock: 2026-01-15T12:00:00Z. */
export const NOW_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
export const DAY_MS = 86_400_000;

/** A client on `endpoint` (asserted loopback), SDK retries off, every request checked by the loopback guard. */
export function guardedClient(endpoint: string | undefined) {
  return guardLoopback(
    new TimestreamWriteClient({
      region: TEST_REGION,
      credentials: { ...TEST_CREDENTIALS },
      endpoint: assertLoopbackEndpoint(endpoint, 'Timestream endpoint'),
      maxAttempts: 1,
    }),
  );
}

/** Records the number of records of every WriteRecords request the client sends. */
export function recordBatchSizes(client: TimestreamWriteClient): number[] {
  const sizes: number[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'WriteRecordsCommand') sizes.push((args.input as WriteRecordsCommandInput).Records?.length ?? 0);
      return next(args);
    },
    { step: 'initialize', name: 'perfcalcBatchSizes' },
  );
  return sizes;
}

let tables = 0;
/** A table name not used before in this process. */
export const freshTable = (prefix = 'results'): string => `${prefix}_${process.pid}_${++tables}`;

export function runRecord(runId: string, startedAt = '2026-01-15T11:00:00.000Z', tenant = 't1'): RunRecord {
  return { run_id: runId, tenant, status: 'running', started_at: startedAt, finished_at: null, perfcalc_version: '0.1.0', options: {}, inputs: [], counts: {} };
}

export function row(runId: string, portfolio: string, period: string, metric: string, value: number | null, extra: Partial<RunResultRow> = {}): RunResultRow {
  return {
    run_id: runId,
    portfolio_id: portfolio,
    period,
    start_date: '2023-12-31',
    end_date: '2024-06-28',
    metric,
    value,
    method: metric.startsWith('mwr') ? 'xirr' : 'daily',
    status: value === null ? 'not_computable' : 'ok',
    note: '',
    input_digest: 'sha256:abc',
    perfcalc_version: '0.1.0',
    ...extra,
  } as RunResultRow;
}

/** A stored record's dimensions as an object. */
export const dims = (r: StoredRecord): Record<string, string> => Object.fromEntries(r.dimensions.map((d) => [d.name, d.value]));
/** A stored MULTI record's measures as name -> value string. */
export const measures = (r: StoredRecord): Record<string, string> => Object.fromEntries((r.measureValues ?? []).map((m) => [m.name, m.value]));
