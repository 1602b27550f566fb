/**
 * The Timestream sink with the real @aws-sdk/client-timestream-write against the local Timestream write server
 * (test/servers/timestreamServer.ts) on loopback: table creation, record layout, batching, rejected records,
 * retries, idempotent rewrites and both endpoint modes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateTableCommand, DescribeTableCommand, ListDatabasesCommand } from '@aws-sdk/client-timestream-write';
import {
  assertLoopbackEndpoint,
  guardLoopback,
  LoopbackGuardError,
  startTimestreamServer,
  TIMESTREAM_REJECTION as R,
  type TimestreamServer,
} from '../servers/index.js';
import { createTimestreamClient, createTimestreamTables, openTimestreamSink, timestreamTableDefinitions } from '../../src/storage/timestream/index.js';
import type { DailySeries } from '../../src/storage/types.js';
import { DAY_MS, NOW_MS, dims, freshTable, guardedClient, measures, recordBatchSizes, row, runRecord } from './tsHelpers.js';

let ts: TimestreamServer;
let client: ReturnType<typeof guardedClient>;
const DB = 'perfcalc';

beforeAll(async () => {
  ts = await startTimestreamServer({ now: () => NOW_MS });
  client = guardedClient(ts.endpoint);
});
afterAll(async () => {
  client?.destroy();
  await ts?.stop();
});

async function newTable(): Promise<string> {
  const table = freshTable();
  await createTimestreamTables({ database: DB, table }, { client });
  return table;
}

/** Runs `fn` with the given environment variables set (undefined = unset), restoring them afterwards. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) delete process.env[k];
      else process.env[k] = x;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

describe('createTimestreamTables', () => {
  it('creates the database and a table with magnetic store writes and 73000-day retention, idempotently', async () => {
    const table = freshTable('setup');
    expect(await createTimestreamTables({ database: 'setupdb', table }, { client })).toEqual({ database: 'created', table: 'created', warnings: [] });
    expect(await createTimestreamTables({ database: 'setupdb', table }, { client })).toEqual({ database: 'exists', table: 'exists', warnings: [] });
    const { Table } = await client.send(new DescribeTableCommand({ DatabaseName: 'setupdb', TableName: table }));
    expect(Table?.MagneticStoreWriteProperties).toEqual({ EnableMagneticStoreWrites: true });
    expect(Table?.RetentionProperties).toEqual({ MemoryStoreRetentionPeriodInHours: 24, MagneticStoreRetentionPeriodInDays: 73000 });
    expect(timestreamTableDefinitions({ database: 'setupdb', table }).table.MagneticStoreWriteProperties).toEqual({ EnableMagneticStoreWrites: true });
  });

  it('warns about an existing table without magnetic store writes and leaves it as it is', async () => {
    const table = freshTable('legacy');
    await createTimestreamTables({ database: DB, table: freshTable() }, { client });
    await client.send(new CreateTableCommand({ DatabaseName: DB, TableName: table, RetentionProperties: { MemoryStoreRetentionPeriodInHours: 24, MagneticStoreRetentionPeriodInDays: 365 } }));
    const out = await createTimestreamTables({ database: DB, table }, { client });
    expect(out.table).toBe('exists');
    expect(out.warnings).toHaveLength(2);
    expect(out.warnings[0]).toContain('magnetic store writes disabled');
    expect(out.warnings[1]).toContain('keeps the magnetic store 365 days');
  });
});

describe('Timestream sink: record layout', () => {
  it("writes a run's daily series as MULTI records and its metrics with the documented dimensions and measures", async () => {
    const table = await newTable();
    const sink = openTimestreamSink({ database: DB, table, tenant: 't1', client });
    const run = runRecord('run-1');
    await sink.begin(run);
    // 2024-01-02: +1%, index 1.01, drawdown 0; 2024-01-03: -2%, index 1.01 * 0.98 = 0.9898, drawdown 0.98 - 1 = -0.02
    const series: DailySeries = { portfolio_id: 'P1', dates: ['2024-01-02', '2024-01-03'], daily_return: [0.01, -0.02], cumulative_index: [1.01, 0.9898], drawdown: [0, -0.02] };
    expect(await sink.writeDailySeries([series])).toEqual({ written: 2, rejected: [] });
    const rows = [row('run-1', 'P1', 'YTD', 'twr', 0.0523), row('run-1', 'P1', 'YTD', 'mwr', 0.049), row('run-1', 'P1', '3Y', 'twr_annualized', null)];
    expect(await sink.writeResults(rows)).toEqual({ written: 2, rejected: [] });
    expect(sink.stats().skipped).toBe(1);
    expect(await sink.finish({ ...run, status: 'succeeded', finished_at: '2026-01-15T11:05:00.000Z', counts: { portfolios: 1, results: 3 } }, [], {})).toEqual({ written: 1, rejected: [] });

    const stored = ts.records(DB, table);
    expect(stored).toHaveLength(5);
    const [d1, d2, twr, mwr, runRec] = stored;
    expect(dims(d1!)).toEqual({ tenant: 't1', portfolio: 'P1', method: 'daily', run_id: 'run-1' });
    expect(d1).toMatchObject({ measureName: 'daily', measureValueType: 'MULTI', timeUnit: 'MILLISECONDS', time: String(Date.UTC(2024, 0, 2)), version: Date.UTC(2026, 0, 15, 11) });
    expect(measures(d1!)).toEqual({ daily_return: '0.01', cumulative_index: '1.01', drawdown: '0' });
    expect(d2!.time).toBe(String(Date.UTC(2024, 0, 3)));
    expect(measures(d2!)).toEqual({ daily_return: '-0.02', cumulative_index: '0.9898', drawdown: '-0.02' });
    // daily history goes to the magnetic store (older than the 24-hour memory store)
    expect(d1!.store).toBe('magnetic');

    expect(dims(twr!)).toEqual({ tenant: 't1', run_id: 'run-1', portfolio: 'P1', period: 'YTD', method: 'daily' });
    expect(twr).toMatchObject({ measureName: 'twr', measureValueType: 'MULTI', time: String(Date.UTC(2024, 5, 28)) });
    expect(measures(twr!)).toEqual({ metric_value: '0.0523', status: 'ok' });
    expect(dims(mwr!)).toMatchObject({ period: 'YTD', method: 'xirr' });
    expect(measures(mwr!)).toEqual({ metric_value: '0.049', status: 'ok' });

    expect(dims(runRec!)).toEqual({ tenant: 't1', run_id: 'run-1' });
    expect(runRec).toMatchObject({ measureName: 'run', time: String(Date.UTC(2026, 0, 15, 11)) });
    expect(measures(runRec!)).toEqual({
      status: 'succeeded',
      count_errors: '0',
      count_portfolios: '1',
      count_records_rejected: '0',
      count_records_written: '4',
      count_results: '3',
      count_values_skipped: '1',
      finished_at_ms: String(Date.UTC(2026, 0, 15, 11, 5)),
    });
  });

  it('skips non-finite daily values measure by measure and counts them', async () => {
    const table = await newTable();
    const sink = openTimestreamSink({ database: DB, table, tenant: 't1', client });
    await sink.begin(runRecord('run-nan'));
    const series: DailySeries = { portfolio_id: 'P2', dates: ['2024-02-01', '2024-02-02'], daily_return: [Number.NaN, 0.5], cumulative_index: [Number.NaN, 1.5], drawdown: [Number.NaN, Number.POSITIVE_INFINITY] };
    expect(await sink.writeDailySeries([series])).toEqual({ written: 1, rejected: [] });
    expect(sink.stats().skipped).toBe(4);
    const stored = ts.records(DB, table);
    expect(stored).toHaveLength(1);
    expect(measures(stored[0]!)).toEqual({ daily_return: '0.5', cumulative_index: '1.5' });
  });
});

describe('Timestream sink: batching, rejections, retries', () => {
  it('never sends more than 100 records in one WriteRecords', async () => {
    const table = await newTable();
    const sizes = recordBatchSizes(client);
    const sink = openTimestreamSink({ database: DB, table, tenant: 't1', client });
    await sink.begin(runRecord('run-big'));
    // 250 dates from 2020-01-01 -> 100 + 100 + 50
    const dates = Array.from({ length: 250 }, (_, i) => new Date(Date.UTC(2020, 0, 1) + i * DAY_MS).toISOString().slice(0, 10));
    const series: DailySeries = { portfolio_id: 'PB', dates, daily_return: dates.map(() => 0.001), cumulative_index: dates.map((_, i) => 1.001 ** (i + 1)), drawdown: dates.map(() => 0) };
    expect(await sink.writeDailySeries([series])).toEqual({ written: 250, rejected: [] });
    // 130 metric rows (130 periods of one metric) -> 100 + 30
    const rows = Array.from({ length: 130 }, (_, i) => row('run-big', 'PB', `P${i}`, 'twr', i / 1000));
    expect(await sink.writeResults(rows)).toEqual({ written: 130, rejected: [] });
    client.middlewareStack.remove('perfcalcBatchSizes');
    expect(sizes).toEqual([100, 100, 50, 100, 30]);
    expect(sink.stats()).toMatchObject({ requests: 5, largestBatch: 100, written: 380 });
    expect(ts.records(DB, table)).toHaveLength(380);
  });

  it('reports rejected records with the record and the reason, and writes the rest', async () => {
    const table = await newTable();
    const sink = openTimestreamSink({ database: DB, table, tenant: 't1', client });
    await sink.begin(runRecord('run-rej'));
    // 2026-01-16 is a day after the server clock (2026-01-15 12:00), beyond the 15-minute future window
    const series: DailySeries = { portfolio_id: 'P1', dates: ['2025-12-31', '2026-01-16', '2026-01-02'], daily_return: [0.01, 0.02, 0.03], cumulative_index: [1.01, 1.0302, 1.061106], drawdown: [0, 0, 0] };
    const daily = await sink.writeDailySeries([series]);
    expect(daily).toEqual({ written: 2, rejected: [{ record: { kind: 'daily', run_id: 'run-rej', portfolio_id: 'P1', date: '2026-01-16' }, reason: R.timeOutsideWindow }] });
    // a 2100-character portfolio id: its dimensions exceed 2 KB
    const long = 'X'.repeat(2100);
    const results = await sink.writeResults([row('run-rej', 'P1', 'YTD', 'twr', 0.1), row('run-rej', long, 'YTD', 'twr', 0.2), row('run-rej', 'P1', 'QTD', 'twr', 0.3)]);
    expect(results).toEqual({ written: 2, rejected: [{ record: { kind: 'metric', run_id: 'run-rej', portfolio_id: long, period: 'YTD', metric: 'twr' }, reason: R.dimensionsTooLarge }] });
    // a row whose end date cannot be a time is refused before sending
    const bad = await sink.writeResults([row('run-rej', 'P1', 'MTD', 'twr', 0.4, { end_date: '2024-02-30' })]);
    expect(bad).toEqual({ written: 0, rejected: [{ record: { kind: 'metric', run_id: 'run-rej', portfolio_id: 'P1', period: 'MTD', metric: 'twr' }, reason: 'invalid end date "2024-02-30"' }] });
    expect(sink.stats()).toMatchObject({ written: 4, rejected: 3 });
    const stored = ts.records(DB, table);
    expect(stored.map((r) => dims(r).portfolio)).toEqual(['P1', 'P1', 'P1', 'P1']);
    expect(stored.map((r) => Number(r.time))).toEqual([Date.UTC(2025, 11, 31), Date.UTC(2026, 0, 2), Date.UTC(2024, 5, 28), Date.UTC(2024, 5, 28)]);
  });

  it('retries throttling and 5xx with exponential backoff and jitter, then succeeds', async () => {
    const table = await newTable();
    const delays: number[] = [];
    const sink = openTimestreamSink({ database: DB, table, tenant: 't1', client, sleep: async (ms) => void delays.push(ms), random: () => 0.5 });
    await sink.begin(runRecord('run-throttle'));
    ts.inject({ kind: 'throttling', operation: 'WriteRecords', times: 2 });
    ts.inject({ kind: 'internal', operation: 'WriteRecords' });
    const before = ts.requests.length;
    expect(await sink.writeResults([row('run-throttle', 'P1', 'YTD', 'twr', 0.1)])).toEqual({ written: 1, rejected: [] });
    expect(ts.requests.slice(before).map((r) => r.fault ?? 'ok')).toEqual(['throttling', 'throttling', 'internal', 'ok']);
    // random 0.5 x min(5000, 100 x 2^attempt): 50, 100, 200 ms
    expect(delays).toEqual([50, 100, 200]);
    expect(sink.stats()).toMatchObject({ requests: 4, retries: 3, written: 1 });
    expect(ts.records(DB, table)).toHaveLength(1);
  });

  it('gives up after maxAttempts and throws the throttling error', async () => {
    const table = await newTable();
    const sink = openTimestreamSink({ database: DB, table, tenant: 't1', client, sleep: async () => {}, retry: { maxAttempts: 3 } });
    await sink.begin(runRecord('run-giveup'));
    ts.inject({ kind: 'throttling', operation: 'WriteRecords', times: 3 });
    await expect(sink.writeResults([row('run-giveup', 'P1', 'YTD', 'twr', 0.1)])).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(sink.stats()).toMatchObject({ requests: 3, retries: 2, written: 0 });
    expect(ts.records(DB, table)).toHaveLength(0);
  });
});

describe('Timestream sink: idempotence and reruns', () => {
  it('a retried write of the same run sends the same records and nothing is rejected or duplicated', async () => {
    const table = await newTable();
    const rows = [row('run-r', 'P1', 'YTD', 'twr', 0.1), row('run-r', 'P1', 'YTD', 'mwr', 0.2)];
    const series: DailySeries = { portfolio_id: 'P1', dates: ['2024-01-02'], daily_return: [0.01], cumulative_index: [1.01], drawdown: [0] };
    for (let i = 0; i < 2; i++) {
      const sink = openTimestreamSink({ database: DB, table, tenant: 't1', client });
      await sink.begin(runRecord('run-r'));
      expect(await sink.writeResults(rows)).toEqual({ written: 2, rejected: [] });
      expect(await sink.writeDailySeries([series])).toEqual({ written: 1, rejected: [] });
    }
    expect(ts.records(DB, table)).toHaveLength(3);
  });

  it('a rerun of the run id (later start) overwrites changed values; a stale one is rejected with the existing version', async () => {
    const table = await newTable();
    const first = openTimestreamSink({ database: DB, table, tenant: 't1', client });
    await first.begin(runRecord('run-v', '2026-01-15T10:00:00.000Z'));
    await first.writeResults([row('run-v', 'P1', 'YTD', 'twr', 0.1)]);
    const rerun = openTimestreamSink({ database: DB, table, tenant: 't1', client });
    await rerun.begin(runRecord('run-v', '2026-01-15T11:00:00.000Z'));
    expect(await rerun.writeResults([row('run-v', 'P1', 'YTD', 'twr', 0.15)])).toEqual({ written: 1, rejected: [] });
    const stored = ts.records(DB, table);
    expect(stored).toHaveLength(1);
    expect(measures(stored[0]!).metric_value).toBe('0.15');
    expect(stored[0]!.version).toBe(Date.UTC(2026, 0, 15, 11));
    const stale = openTimestreamSink({ database: DB, table, tenant: 't1', client });
    await stale.begin(runRecord('run-v', '2026-01-15T09:00:00.000Z'));
    const out = await stale.writeResults([row('run-v', 'P1', 'YTD', 'twr', 0.2)]);
    expect(out.written).toBe(0);
    expect(out.rejected).toEqual([{ record: { kind: 'metric', run_id: 'run-v', portfolio_id: 'P1', period: 'YTD', metric: 'twr' }, reason: `${R.duplicateWithDifferentValue} (existing version ${Date.UTC(2026, 0, 15, 11)})` }]);
  });

  it('refuses to write before begin', async () => {
    const sink = openTimestreamSink({ database: DB, table: 'whatever', tenant: 't1', client });
    await expect(sink.writeDailySeries([])).rejects.toThrow('begin(run) must be called before writing');
  });
});

describe('Timestream sink: endpoint modes', () => {
  const CREDS_ENV = { AWS_ACCESS_KEY_ID: 'perfcalclocal', AWS_SECRET_ACCESS_KEY: 'perfcalclocalsecret', AWS_SESSION_TOKEN: undefined, AWS_PROFILE: undefined, AWS_REGION: 'us-east-1' };
  const ENDPOINT_ENV_UNSET = { AWS_ENDPOINT_URL: undefined, AWS_ENDPOINT_URL_TIMESTREAM_WRITE: undefined, AWS_ENDPOINT_URL_TIMESTREAM: undefined };

  it('explicit endpoint option: no DescribeEndpoints, requests go to that endpoint', async () => {
    await withEnv({ ...CREDS_ENV, ...ENDPOINT_ENV_UNSET }, async () => {
      const c = guardLoopback(createTimestreamClient({ endpoint: assertLoopbackEndpoint(ts.endpoint) }));
      try {
        const before = ts.requests.length;
        const table = freshTable();
        await createTimestreamTables({ database: DB, table }, { client: c });
        const sink = openTimestreamSink({ database: DB, table, tenant: 't1', client: c });
        await sink.begin(runRecord('run-ep'));
        expect(await sink.writeResults([row('run-ep', 'P1', 'YTD', 'twr', 0.1)])).toEqual({ written: 1, rejected: [] });
        expect(ts.requests.slice(before).map((r) => r.operation)).toEqual(['CreateDatabase', 'CreateTable', 'WriteRecords']);
        expect(new Set(c.loopbackHosts)).toEqual(new Set(['127.0.0.1']));
      } finally {
        c.destroy();
      }
    });
  });

  it('AWS_ENDPOINT_URL_TIMESTREAM_WRITE only: the client discovers the endpoint on that server and writes there', async () => {
    await withEnv({ ...CREDS_ENV, ...ENDPOINT_ENV_UNSET, AWS_ENDPOINT_URL_TIMESTREAM_WRITE: ts.endpoint }, async () => {
      assertLoopbackEndpoint(process.env.AWS_ENDPOINT_URL_TIMESTREAM_WRITE, 'AWS_ENDPOINT_URL_TIMESTREAM_WRITE');
      const c = guardLoopback(createTimestreamClient(), { allow: (h) => h === '127.0.0.1' });
      try {
        const before = ts.requests.length;
        const table = freshTable();
        await createTimestreamTables({ database: DB, table }, { client: c });
        const sink = openTimestreamSink({ database: DB, table, tenant: 't1', client: c });
        await sink.begin(runRecord('run-env'));
        expect(await sink.writeResults([row('run-env', 'P1', 'YTD', 'twr', 0.1)])).toEqual({ written: 1, rejected: [] });
        const ops = ts.requests.slice(before).map((r) => r.operation);
        expect(ops[0]).toBe('DescribeEndpoints');
        expect(ops.slice(1).filter((o) => o !== 'DescribeEndpoints')).toEqual(['CreateDatabase', 'CreateTable', 'WriteRecords']);
        expect(ts.records(DB, table)).toHaveLength(1);
      } finally {
        c.destroy();
      }
    });
  });

  it('a sink that builds its own client (endpoint option) writes, releases the client at finish, and can write again', async () => {
    const table = await newTable();
    await withEnv({ ...CREDS_ENV, ...ENDPOINT_ENV_UNSET }, async () => {
      const sink = openTimestreamSink({ database: DB, table, tenant: 't1', endpoint: assertLoopbackEndpoint(ts.endpoint) });
      await sink.begin(runRecord('run-own'));
      expect(await sink.writeResults([row('run-own', 'P1', 'YTD', 'twr', 0.1)])).toEqual({ written: 1, rejected: [] });
      expect(await sink.finish(runRecord('run-own'), [], {})).toEqual({ written: 1, rejected: [] });
      expect(await sink.writeResults([row('run-own', 'P1', 'QTD', 'twr', 0.2)])).toEqual({ written: 1, rejected: [] });
      sink.close();
    });
    expect(ts.records(DB, table).map((r) => r.measureName)).toEqual(['twr', 'run', 'twr']);
  });

  it('no endpoint at all: the client would go to AWS, and the loopback guard makes the write fail instead', async () => {
    await withEnv({ ...CREDS_ENV, ...ENDPOINT_ENV_UNSET }, async () => {
      expect(() => assertLoopbackEndpoint(process.env.AWS_ENDPOINT_URL_TIMESTREAM_WRITE)).toThrow(LoopbackGuardError);
      const c = guardLoopback(createTimestreamClient());
      try {
        const sink = openTimestreamSink({ database: DB, table: 'results', tenant: 't1', client: c, sleep: async () => {} });
        await sink.begin(runRecord('run-none'));
        const err = (await sink.writeResults([row('run-none', 'P1', 'YTD', 'twr', 0.1)]).then(() => undefined, (e: unknown) => e)) as { reason?: unknown };
        expect(err).toBeInstanceOf(Error);
        expect(err.reason).toBeInstanceOf(LoopbackGuardError);
        expect((err.reason as Error).message).toBe('blocked a request to ingest.timestream.us-east-1.amazonaws.com/: not an allowed loopback host');
        expect(c.loopbackHosts).toEqual([]);
        await expect(c.send(new ListDatabasesCommand({}))).rejects.toThrow();
      } finally {
        c.destroy();
      }
    });
  });
});
