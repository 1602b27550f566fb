/**
 * How a run's results become Timestream (LiveAnalytics) records. Pure: no client, no clock.
 *
 * Layout (one table; see docs/timestream.md):
 * - daily series: one MULTI record per portfolio and valuation date, MeasureName `daily`, measures
 *   `daily_return`, `cumulative_index`, `drawdown` (DOUBLE); dimensions tenant, portfolio, method, run_id;
 *   time = the date at 00:00 UTC.
 * - period metrics: one MULTI record per result row (portfolio x period x metric), MeasureName = the metric,
 *   measures `metric_value` (DOUBLE) and `status` (VARCHAR); dimensions tenant, portfolio, period, method, run_id;
 *   time = the period's end date at 00:00 UTC.
 * - run record (written by `finish`): MeasureName `run`, dimensions tenant, run_id; time = the run's start.
 *
 * Every record carries Version = the run's start in ms since the epoch, so a retry of a write inside a run sends
 * identical records (accepted as identical), and a rerun of the same run id (a later start) upserts over them.
 */
import type { _Record, MeasureValue } from '@aws-sdk/client-timestream-write';
import { parseIsoDate } from '../../engine/calendarDate.js';
import type { RunResultRow } from '../../batch/runBatch.js';
import type { DailySeries, RunRecord } from '../types.js';

/** WriteRecords accepts at most 100 records per request (Timestream quotas). */
export const MAX_RECORDS_PER_WRITE = 100;
export const DAILY_MEASURE = 'daily';
export const RUN_MEASURE = 'run';
/** The method dimension of daily series records: the daily (valuation-date) TWR the series is chain-linked from. */
export const DAILY_METHOD = 'daily';

/** A record ready to send, with the CommonAttributes of its group and what to report if it is rejected. */
export interface PreparedRecord {
  /** Records with equal `group` share CommonAttributes and may go in one request. */
  group: string;
  common: _Record;
  record: _Record;
  /** Identifies the record in a rejection report. */
  describe: Record<string, unknown>;
}

export interface Prepared {
  records: PreparedRecord[];
  /** Values not sent because they are null or not finite (Timestream has no null measure, and no NaN/Infinity). */
  skipped: number;
  /** Records refused before sending (e.g. an unparseable date), with the reason. */
  invalid: Array<{ record: Record<string, unknown>; reason: string }>;
}

const DAY_MS = 86_400_000;

/** ISO date -> ms since the epoch at 00:00 UTC, or undefined for an invalid date. */
export function dateTimeMs(iso: string): number | undefined {
  const day = parseIsoDate(iso);
  return day === undefined ? undefined : day * DAY_MS;
}

/** A finite number as a Timestream DOUBLE string (shortest round-trip form; -0 as 0), or undefined. */
export function doubleValue(v: number | null | undefined): string | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
  return String(v === 0 ? 0 : v);
}

/** Version of every record of a run: its start time in ms (deterministic for the run; a rerun starts later). */
export function runVersion(run: Pick<RunRecord, 'started_at'>): number {
  const ms = Date.parse(run.started_at);
  if (!Number.isSafeInteger(ms) || ms < 0) throw new Error(`run started_at is not a valid time: ${run.started_at}`);
  return ms;
}

const dim = (Name: string, Value: string) => ({ Name, Value, DimensionValueType: 'VARCHAR' as const });

/** Daily series records: one MULTI record per date; non-finite values are left out of the record (and counted). */
export function dailySeriesRecords(series: readonly DailySeries[], ctx: { tenant: string; runId: string; version: number }): Prepared {
  const out: Prepared = { records: [], skipped: 0, invalid: [] };
  for (const s of series) {
    const common: _Record = {
      Dimensions: [dim('tenant', ctx.tenant), dim('portfolio', s.portfolio_id), dim('method', DAILY_METHOD), dim('run_id', ctx.runId)],
      MeasureName: DAILY_MEASURE,
      MeasureValueType: 'MULTI',
      TimeUnit: 'MILLISECONDS',
      Version: ctx.version,
    };
    const group = JSON.stringify(['daily', ctx.tenant, ctx.runId, s.portfolio_id]);
    for (let i = 0; i < s.dates.length; i++) {
      const date = s.dates[i]!;
      const describe = { kind: 'daily', run_id: ctx.runId, portfolio_id: s.portfolio_id, date };
      const time = dateTimeMs(date);
      if (time === undefined) {
        out.invalid.push({ record: describe, reason: `invalid date ${JSON.stringify(date)}` });
        continue;
      }
      const values: MeasureValue[] = [];
      for (const [name, arr] of [
        ['daily_return', s.daily_return],
        ['cumulative_index', s.cumulative_index],
        ['drawdown', s.drawdown],
      ] as const) {
        const v = doubleValue(arr[i]);
        if (v === undefined) out.skipped++;
        else values.push({ Name: name, Value: v, Type: 'DOUBLE' });
      }
      if (values.length === 0) continue;
      out.records.push({ group, common, record: { Time: String(time), MeasureValues: values }, describe });
    }
  }
  return out;
}

/** Period metric records: one MULTI record per result row with a finite value; null values are skipped and counted. */
export function resultRecords(rows: readonly RunResultRow[], ctx: { tenant: string; version: number }): Prepared {
  const out: Prepared = { records: [], skipped: 0, invalid: [] };
  const commons = new Map<string, _Record>();
  for (const r of rows) {
    const describe = { kind: 'metric', run_id: r.run_id, portfolio_id: r.portfolio_id, period: r.period, metric: r.metric };
    const value = doubleValue(r.value);
    if (value === undefined) {
      out.skipped++;
      continue;
    }
    const time = dateTimeMs(r.end_date);
    if (time === undefined) {
      out.invalid.push({ record: describe, reason: `invalid end date ${JSON.stringify(r.end_date)}` });
      continue;
    }
    const group = JSON.stringify(['metric', ctx.tenant, r.run_id]);
    let common = commons.get(group);
    if (!common) {
      common = { Dimensions: [dim('tenant', ctx.tenant), dim('run_id', r.run_id)], MeasureValueType: 'MULTI', TimeUnit: 'MILLISECONDS', Version: ctx.version };
      commons.set(group, common);
    }
    const values: MeasureValue[] = [{ Name: 'metric_value', Value: value, Type: 'DOUBLE' }];
    if (r.status) values.push({ Name: 'status', Value: r.status, Type: 'VARCHAR' });
    out.records.push({
      group,
      common,
      record: {
        Dimensions: [dim('portfolio', r.portfolio_id), dim('period', r.period), dim('method', r.method || 'none')],
        MeasureName: r.metric,
        Time: String(time),
        MeasureValues: values,
      },
      describe,
    });
  }
  return out;
}

const COUNT_NAME = /^[a-z][a-z0-9_]{0,50}$/;

/** The run record: status and counts (BIGINT `count_<key>`), plus what this sink wrote, rejected and skipped. */
export function runRecordOf(
  run: RunRecord,
  extra: { errors: number; written: number; rejected: number; skipped: number },
  version: number,
): PreparedRecord {
  const values: MeasureValue[] = [{ Name: 'status', Value: run.status, Type: 'VARCHAR' }];
  const counts: Record<string, number> = { ...run.counts, errors: extra.errors, records_written: extra.written, records_rejected: extra.rejected, values_skipped: extra.skipped };
  for (const key of Object.keys(counts).sort()) {
    const n = counts[key]!;
    if (COUNT_NAME.test(key) && Number.isSafeInteger(n)) values.push({ Name: `count_${key}`, Value: String(n), Type: 'BIGINT' });
  }
  if (run.finished_at) {
    const f = Date.parse(run.finished_at);
    if (Number.isSafeInteger(f)) values.push({ Name: 'finished_at_ms', Value: String(f), Type: 'BIGINT' });
  }
  const common: _Record = {
    Dimensions: [dim('tenant', run.tenant), dim('run_id', run.run_id)],
    MeasureName: RUN_MEASURE,
    MeasureValueType: 'MULTI',
    TimeUnit: 'MILLISECONDS',
    Version: version,
  };
  return {
    group: JSON.stringify(['run', run.tenant, run.run_id]),
    common,
    record: { Time: String(Date.parse(run.started_at)), MeasureValues: values },
    describe: { kind: 'run', run_id: run.run_id },
  };
}

/** Splits records into requests: one CommonAttributes group per request, at most `max` (<= 100) records each, input order kept. */
export function batchRecords(records: readonly PreparedRecord[], max = MAX_RECORDS_PER_WRITE): PreparedRecord[][] {
  if (!(max >= 1 && max <= MAX_RECORDS_PER_WRITE)) throw new Error(`batch size must be 1..${MAX_RECORDS_PER_WRITE}`);
  const groups = new Map<string, PreparedRecord[]>();
  for (const r of records) {
    let g = groups.get(r.group);
    if (!g) groups.set(r.group, (g = []));
    g.push(r);
  }
  const out: PreparedRecord[][] = [];
  for (const g of groups.values()) for (let i = 0; i < g.length; i += max) out.push(g.slice(i, i + max));
  return out;
}

/** Database and table when neither --ts-database / --ts-table nor the config file names them. */
export const DEFAULT_TS_DATABASE = 'perfcalc';
export const DEFAULT_TS_TABLE = 'results';
