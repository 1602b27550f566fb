/**
 * End to end: `run()` (src/commands/run.ts) over fixtures/ with sinks files + timestream. The Timestream sink is
 * opened by openSinks exactly as the CLI opens it (credentials from the environment chain, endpoint from
 * AWS_ENDPOINT_URL_TIMESTREAM_WRITE, asserted to be the loopback test server), and the run summary's sink counts are
 * checked against what the server stored and rejected.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRunConfig } from '../../src/config.js';
import { run } from '../../src/commands/run.js';
import type { RunResultRow } from '../../src/batch/runBatch.js';
import { createTimestreamTables } from '../../src/storage/timestream/index.js';
import { assertLoopbackEndpoint, startTimestreamServer, TIMESTREAM_REJECTION as R, type TimestreamServer } from '../servers/index.js';
import { FIXTURES, tempDir } from '../cli/runCli.js';
import { dims, guardedClient } from './tsHelpers.js';

const V = join(FIXTURES, 'valuations.csv');
const F = join(FIXTURES, 'cash_flows.csv');

let ts: TimestreamServer;
/** Server clock, movable per test. */
let clock = Date.UTC(2026, 10, 22, 12);
const saved: Record<string, string | undefined> = {};
const ENV = {
  AWS_ACCESS_KEY_ID: 'perfcalclocal',
  AWS_SECRET_ACCESS_KEY: 'perfcalclocalsecret',
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL: undefined,
  AWS_ENDPOINT_URL_TIMESTREAM: undefined,
};

beforeAll(async () => {
  ts = await startTimestreamServer({ now: () => clock });
  const env: Record<string, string | undefined> = { ...ENV, AWS_ENDPOINT_URL_TIMESTREAM_WRITE: assertLoopbackEndpoint(ts.endpoint) };
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const client = guardedClient(ts.endpoint);
  await createTimestreamTables({ database: 'perfcalc', table: 'e2e' }, { client });
  await createTimestreamTables({ database: 'perfcalc', table: 'e2e_early' }, { client });
  client.destroy();
});

afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await ts?.stop();
});

async function runWithTimestream(table: string, runId: string, startedMs: number) {
  // the sink must not find its way to anything but the loopback server
  assertLoopbackEndpoint(process.env.AWS_ENDPOINT_URL_TIMESTREAM_WRITE, 'AWS_ENDPOINT_URL_TIMESTREAM_WRITE');
  const dir = await tempDir();
  const { config } = await resolveRunConfig({
    flags: {
      valuations: V,
      cashFlows: F,
      metrics: 'twr,mwr',
      sinks: 'files,timestream',
      tsDatabase: 'perfcalc',
      tsTable: table,
      tenant: 'acme',
      runId,
      format: 'json',
      out: join(dir, 'out'),
      stateDir: join(dir, 'state'),
      cache: false,
      concurrency: 2,
    },
    env: {},
    cwd: dir,
    readFile: (p) => readFile(p, 'utf8'),
  });
  const report = await run(config, { argv: ['run'], now: () => startedMs });
  const rows = JSON.parse(await readFile(join(dir, 'out', 'results.json'), 'utf8')) as RunResultRow[];
  return { report, rows };
}

/** Distinct valuation dates per portfolio, from the fixture file itself. */
async function valuationDates(): Promise<Map<string, string[]>> {
  const byId = new Map<string, Set<string>>();
  for (const line of (await readFile(V, 'utf8')).trim().split('\n').slice(1)) {
    const [id, date] = line.split(',');
    if (!byId.has(id!)) byId.set(id!, new Set());
    byId.get(id!)!.add(date!);
  }
  return new Map([...byId].map(([id, s]) => [id, [...s].sort()]));
}

describe('perfcalc run --sink timestream', () => {
  it('writes every daily point and every non-null result, and the summary counts them', async () => {
    const { report, rows } = await runWithTimestream('e2e', 'e2e-run', clock - 3_600_000);
    expect(report.summary.portfolios).toEqual({ total: 10, succeeded: 10, failed: 0 });
    const dates = await valuationDates();
    // a daily point for every valuation date after a portfolio's first
    const dailyExpected = [...dates.values()].reduce((n, d) => n + d.length - 1, 0);
    const metricExpected = rows.filter((r) => typeof r.value === 'number').length;
    expect(dates.size).toBe(10);
    expect(metricExpected).toBeGreaterThan(0);
    expect(rows.length - metricExpected).toBeGreaterThan(0); // some nulls (periods longer than the history), skipped

    expect(report.summary.sinks).toEqual({ kinds: ['files', 'timestream'], written: dailyExpected + metricExpected, rejected: 0, rejected_records: [] });

    const stored = ts.records('perfcalc', 'e2e');
    const daily = stored.filter((r) => r.measureName === 'daily');
    const metrics = stored.filter((r) => r.measureName !== 'daily' && r.measureName !== 'run');
    const runs = stored.filter((r) => r.measureName === 'run');
    expect(daily).toHaveLength(dailyExpected);
    expect(metrics).toHaveLength(metricExpected);
    expect(runs).toHaveLength(1);
    expect(stored.every((r) => dims(r).tenant === 'acme' && dims(r).run_id === 'e2e-run')).toBe(true);
    // P-001's daily points are exactly its valuation dates after the first
    const p1 = daily.filter((r) => dims(r).portfolio === 'P-001').map((r) => new Date(Number(r.time)).toISOString().slice(0, 10)).sort();
    expect(p1).toEqual(dates.get('P-001')!.slice(1));
    // each stored metric equals the files sink's value for the same key
    const byKey = new Map(rows.map((r) => [`${r.portfolio_id}|${r.period}|${r.metric}`, r.value]));
    for (const m of metrics) {
      const d = dims(m);
      expect(Number(m.measureValues!.find((x) => x.name === 'metric_value')!.value)).toBe(byKey.get(`${d.portfolio}|${d.period}|${m.measureName}`));
    }
    // the run record: status and counts
    const rv = Object.fromEntries(runs[0]!.measureValues!.map((x) => [x.name, x.value]));
    expect(rv).toMatchObject({ status: 'succeeded', count_portfolios: '10', count_results: String(rows.length), count_records_written: String(dailyExpected + metricExpected), count_records_rejected: '0', count_values_skipped: String(rows.length - metricExpected) });
    // every request stayed on the loopback server: discovery answered 127.0.0.1 and the port was kept
    expect(ts.requests.some((r) => r.operation === 'DescribeEndpoints')).toBe(true);
    expect(new Set(ts.requests.map((r) => r.host))).toEqual(new Set([`127.0.0.1:${ts.port}`]));
  });

  it('records the service rejects are counted as rejected in the run summary, with record and reason; the rest land', async () => {
    // the server's clock at 2025-06-30 12:00: anything dated 2025-07-01 or later is beyond the 15-minute future window
    clock = Date.UTC(2025, 5, 30, 12);
    const cutoff = '2025-06-30';
    const { report, rows } = await runWithTimestream('e2e_early', 'e2e-early', clock - 3_600_000);
    const dates = await valuationDates();
    let dailyLate = 0;
    let dailyOk = 0;
    for (const d of dates.values()) for (const x of d.slice(1)) x > cutoff ? dailyLate++ : dailyOk++;
    const valued = rows.filter((r) => typeof r.value === 'number');
    const metricLate = valued.filter((r) => r.end_date > cutoff).length;
    const metricOk = valued.length - metricLate;
    expect(dailyLate).toBeGreaterThan(0);
    expect(metricLate).toBeGreaterThan(0);

    expect(report.summary.sinks.written).toBe(dailyOk + metricOk);
    expect(report.summary.sinks.rejected).toBe(dailyLate + metricLate);
    expect(report.summary.sinks.rejected_records).toHaveLength(Math.min(100, dailyLate + metricLate));
    for (const rej of report.summary.sinks.rejected_records as Array<{ record: Record<string, string>; reason: string }>) {
      expect(rej.reason).toBe(R.timeOutsideWindow);
      expect((rej.record.date ?? rows.find((r) => r.portfolio_id === rej.record.portfolio_id && r.period === rej.record.period && r.metric === rej.record.metric)!.end_date) > cutoff).toBe(true);
    }
    const stored = ts.records('perfcalc', 'e2e_early');
    expect(stored.filter((r) => r.measureName !== 'run')).toHaveLength(dailyOk + metricOk);
  });
});
