/** The pure record builders: values, times, versions and the split into requests. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  batchRecords,
  dailySeriesRecords,
  dateTimeMs,
  doubleValue,
  MAX_RECORDS_PER_WRITE,
  resultRecords,
  runVersion,
  type PreparedRecord,
} from '../../src/storage/timestream/timestreamRecords.js';
import { row } from './tsHelpers.js';

describe('timestream record values', () => {
  it('times are the date at 00:00 UTC in ms; invalid dates give undefined', () => {
    // 2024-01-02 is day 19724 since 1970-01-01: 19724 x 86 400 000 = 1 704 153 600 000
    expect(dateTimeMs('2024-01-02')).toBe(1_704_153_600_000);
    expect(dateTimeMs('2024-02-30')).toBeUndefined();
    expect(dateTimeMs('')).toBeUndefined();
  });

  it('doubles: shortest round-trip text, -0 as 0, nothing for null / NaN / Infinity', () => {
    expect(doubleValue(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(doubleValue(-0)).toBe('0');
    expect(doubleValue(1e-7)).toBe('1e-7');
    expect(doubleValue(null)).toBeUndefined();
    expect(doubleValue(Number.NaN)).toBeUndefined();
    expect(doubleValue(Number.NEGATIVE_INFINITY)).toBeUndefined();
  });

  it('the version is the run start in ms', () => {
    expect(runVersion({ started_at: '2026-01-15T11:00:00.000Z' })).toBe(Date.UTC(2026, 0, 15, 11));
    expect(() => runVersion({ started_at: 'yesterday' })).toThrow('not a valid time');
  });

  it('result rows: null values skipped and counted; tenant and run id in the common attributes', () => {
    const p = resultRecords([row('r1', 'P1', 'YTD', 'twr', 0.05), row('r1', 'P1', '3Y', 'twr', null)], { tenant: 't', version: 7 });
    expect(p.skipped).toBe(1);
    expect(p.records).toHaveLength(1);
    expect(p.records[0]!.common).toEqual({
      Dimensions: [
        { Name: 'tenant', Value: 't', DimensionValueType: 'VARCHAR' },
        { Name: 'run_id', Value: 'r1', DimensionValueType: 'VARCHAR' },
      ],
      MeasureValueType: 'MULTI',
      TimeUnit: 'MILLISECONDS',
      Version: 7,
    });
    expect(p.records[0]!.record.MeasureName).toBe('twr');
  });

  it('daily series: one group per portfolio, so each request shares all dimensions', () => {
    const s = (id: string) => ({ portfolio_id: id, dates: ['2024-01-02'], daily_return: [0.01], cumulative_index: [1.01], drawdown: [0] });
    const p = dailySeriesRecords([s('A'), s('B')], { tenant: 't', runId: 'r', version: 1 });
    expect(batchRecords(p.records).map((b) => b.length)).toEqual([1, 1]);
  });
});

describe('batchRecords', () => {
  it('keeps every record once, in order within its group, at most 100 per request and one group per request', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 450 }), fc.integer({ min: 1, max: MAX_RECORDS_PER_WRITE }), (groups, max) => {
        const records = groups.map((g, i) => ({ group: `g${g}`, common: {}, record: { Time: String(i) }, describe: {} }) as PreparedRecord);
        const out = batchRecords(records, max);
        expect(out.every((b) => b.length >= 1 && b.length <= max && b.every((x) => x.group === b[0]!.group))).toBe(true);
        const flat = out.flat();
        expect(flat.length).toBe(records.length);
        expect(new Set(flat).size).toBe(records.length);
        for (const g of new Set(groups)) {
          const times = flat.filter((x) => x.group === `g${g}`).map((x) => Number(x.record.Time));
          expect(times).toEqual([...times].sort((a, b) => a - b));
        }
      }),
    );
  });

  it('refuses a batch size over 100', () => {
    expect(() => batchRecords([], 101)).toThrow('batch size must be 1..100');
  });
});
