/**
 * Tiny test-only reader for the wide and long return CSVs in fixtures/returns (no quoting: the
 * public data sets have no commas in names). The real loader lives in src/storage/csv.
 */
import { readFileSync } from 'node:fs';
import { parseIsoDate } from '../../src/engine/calendarDate.js';
import type { ReturnSeries } from '../../src/engine/types.js';

export function readWide(path: string): ReturnSeries[] {
  const lines = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const header = lines[0]!.split(',');
  const dates = Int32Array.from(lines.slice(1).map((l) => parseIsoDate(l.split(',')[0]!)!));
  return header.slice(1).map((id, c) => ({
    seriesId: id,
    dates,
    returns: Float64Array.from(lines.slice(1).map((l) => {
      const cell = l.split(',')[c + 1] ?? '';
      return cell === '' ? Number.NaN : Number(cell);
    })),
  }));
}

export function readLong(path: string): ReturnSeries[] {
  const lines = readFileSync(path, 'utf8').trim().split(/\r?\n/).slice(1);
  const by = new Map<string, { d: number[]; r: number[] }>();
  for (const l of lines) {
    const [id, date, ret] = l.split(',') as [string, string, string];
    let s = by.get(id);
    if (s === undefined) by.set(id, (s = { d: [], r: [] }));
    s.d.push(parseIsoDate(date)!);
    s.r.push(Number(ret));
  }
  return [...by].map(([id, s]) => ({ seriesId: id, dates: Int32Array.from(s.d), returns: Float64Array.from(s.r) }));
}
