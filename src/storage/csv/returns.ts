/**
 * Returns CSV, in one of two layouts detected from the header:
 * - long: `series_id,date,return` (any column order, extra columns ignored);
 * - wide: `date,<id1>,<id2>,...` (every column but `date` is a series, named by its trimmed
 *   header text, case kept).
 * Values are simple returns, decimal (0.01 = 1%) or, with `unit: 'percent'`, percent (1 = 1%,
 * divided by 100 exactly in decimal, then rounded once to float64).
 *
 * Missing values are ABSENT: an empty wide cell adds no observation, just as a long file has no
 * row for it. So both layouts of one data set load to identical series (no NaN is produced);
 * consumers inner-join by date. Each series is ascending and unique by date.
 * Every problem is file-level (there is no per-series isolation): InputError after the file is
 * read, with the first PROBLEM_LIMIT problems in line order.
 */
import { formatIsoDate } from '../../engine/calendarDate.js';
import { UsageError } from '../../errors.js';
import { Money, parseDecimalFloat } from '../../engine/money.js';
import type { ReturnSeries } from '../../engine/types.js';
import { dateField, notANumber, type FieldSite } from './fieldParsers.js';
import { ascendingOrder, float64Column, int32Column } from './growable.js';
import { headerKey, readCsvTable, resolveColumns, type RowSink, type TableContext } from './csvTable.js';

export type ReturnsUnit = 'decimal' | 'percent';

export interface ReturnsLoad {
  /** Series by id: long files in first-seen order, wide files in column order. */
  series: Map<string, ReturnSeries>;
  layout: 'long' | 'wide';
}

class SeriesBuilder {
  readonly dates = int32Column();
  readonly returns = float64Column();
  readonly lines = int32Column();
  constructor(readonly seriesId: string) {}
  add(date: number, value: number, line: number): void {
    this.dates.push(date);
    this.returns.push(value);
    this.lines.push(line);
  }
}

function returnValue(site: FieldSite, field: string, raw: string, unit: ReturnsUnit): number | undefined {
  const text = raw.trim();
  if (text === '') {
    site.problems.add({ file: site.file, line: site.line, field, message: 'value is blank' });
    return undefined;
  }
  const x = parseDecimalFloat(text);
  if (x === undefined) {
    site.problems.add({ file: site.file, line: site.line, field, message: notANumber(text) });
    return undefined;
  }
  return unit === 'percent' ? new Money(text).div(100).toNumber() : x;
}

/** Sorts a series by date; a repeated date is a problem naming both lines. */
function finishSeries(b: SeriesBuilder, ctx: TableContext, field: string): ReturnSeries {
  const n = b.dates.length;
  const raw = b.dates.toArray();
  const order = ascendingOrder(raw);
  const dates = order ? b.dates.pick(order) : raw;
  const returns = order ? b.returns.pick(order) : b.returns.toArray();
  const lines = order ? b.lines.pick(order) : b.lines.toArray();
  for (let i = 1; i < n; i++) {
    if (dates[i] === dates[i - 1]) {
      ctx.fileProblems.add({
        file: ctx.file,
        line: lines[i] as number,
        field,
        message: `duplicate return for series '${b.seriesId}' on ${formatIsoDate(dates[i] as number)} (also on line ${lines[i - 1]})`,
      });
    }
  }
  return { seriesId: b.seriesId, dates, returns };
}

function longSink(header: string[], ctx: TableContext, unit: ReturnsUnit, out: Map<string, ReturnSeries>): RowSink {
  const col = resolveColumns(header, ctx, ['series_id', 'date', 'return'] as const);
  const builders = new Map<string, SeriesBuilder>();
  return {
    row(fields, line) {
      const site: FieldSite = { file: ctx.file, line, problems: ctx.fileProblems };
      const id = (fields[col.series_id] as string).trim();
      if (id === '') ctx.fileProblems.add({ file: ctx.file, line, field: 'series_id', message: 'value is blank' });
      const date = dateField(site, 'date', fields[col.date] as string);
      const value = returnValue(site, 'return', fields[col.return] as string, unit);
      if (id === '' || date === undefined || value === undefined) return;
      let b = builders.get(id);
      if (b === undefined) {
        b = new SeriesBuilder(id);
        builders.set(id, b);
      }
      b.add(date, value, line);
    },
    end() {
      for (const [id, b] of builders) out.set(id, finishSeries(b, ctx, 'date'));
    },
  };
}

function wideSink(header: string[], ctx: TableContext, unit: ReturnsUnit, out: Map<string, ReturnSeries>): RowSink {
  const { date: cDate } = resolveColumns(header, ctx, ['date'] as const);
  const names = header.map((h) => h.trim());
  const seen = new Map<string, number>();
  const headerProblems: { field: string; message: string }[] = [];
  const columns: { index: number; builder: SeriesBuilder }[] = [];
  names.forEach((name, i) => {
    if (i === cDate) return;
    if (name === '') {
      headerProblems.push({ field: `#${i + 1}`, message: 'series column has no name' });
      return;
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      headerProblems.push({ field: name, message: `duplicate column name (columns ${earlier + 1} and ${i + 1})` });
      return;
    }
    seen.set(name, i);
    columns.push({ index: i, builder: new SeriesBuilder(name) });
  });
  if (columns.length === 0 && headerProblems.length === 0) {
    headerProblems.push({ field: 'date', message: 'no series columns beside date (expected long series_id,date,return or wide date,<id>,...)' });
  }
  if (headerProblems.length > 0) {
    for (const p of headerProblems) ctx.fileProblems.add({ file: ctx.file, line: 1, ...p });
    ctx.fileProblems.throwIfAny();
  }
  const dateLines = new Map<number, number>();
  return {
    row(fields, line) {
      const site: FieldSite = { file: ctx.file, line, problems: ctx.fileProblems };
      const date = dateField(site, 'date', fields[cDate] as string);
      if (date !== undefined) {
        const earlier = dateLines.get(date);
        if (earlier !== undefined) {
          ctx.fileProblems.add({
            file: ctx.file,
            line,
            field: 'date',
            message: `duplicate date ${formatIsoDate(date)} (also on line ${earlier})`,
          });
          return;
        }
        dateLines.set(date, line);
      }
      for (const { index, builder } of columns) {
        const raw = fields[index] as string;
        if (raw.trim() === '') continue; // missing observation
        const value = returnValue(site, builder.seriesId, raw, unit);
        if (date !== undefined && value !== undefined) builder.add(date, value, line);
      }
    },
    end() {
      for (const { builder } of columns) out.set(builder.seriesId, finishSeries(builder, ctx, 'date'));
    },
  };
}

/** Reads a long or wide returns CSV (layout from the header: a `series_id` column means long). */
export async function readReturnsCsv(path: string, opts: { unit?: ReturnsUnit } = {}): Promise<ReturnsLoad> {
  const unit = opts.unit ?? 'decimal';
  const series = new Map<string, ReturnSeries>();
  let layout: 'long' | 'wide' = 'wide';
  await readCsvTable(path, (header, ctx) => {
    layout = header.some((h) => headerKey(h) === 'series_id') ? 'long' : 'wide';
    return layout === 'long' ? longSink(header, ctx, unit, series) : wideSink(header, ctx, unit, series);
  });
  return { series, layout };
}

/** Reads several returns files and merges them by series id; an id found in two files is a usage error. */
export async function readReturnFiles(files: readonly string[], unit: ReturnsUnit = 'decimal'): Promise<Map<string, ReturnSeries>> {
  const merged = new Map<string, ReturnSeries>();
  const origin = new Map<string, string>();
  for (const file of files) {
    for (const [id, s] of (await readReturnsCsv(file, { unit })).series) {
      const seen = origin.get(id);
      if (seen !== undefined) throw new UsageError(`series '${id}' is in both ${seen} and ${file}`);
      merged.set(id, s);
      origin.set(id, file);
    }
  }
  return merged;
}
