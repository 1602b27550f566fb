/**
 * Valuations CSV: `portfolio_id,date,market_value[,currency]`, one end-of-day total per
 * portfolio and date. Rows may come in any order; each portfolio's rows go into growable typed
 * arrays (no object per row) and are sorted by date once the file is read.
 */
import { formatIsoDate } from '../../engine/calendarDate.js';
import { ProblemCollector } from '../../errors.js';
import { CurrencyTracker, dateField, floatField, type FieldSite } from './fieldParsers.js';
import { ascendingOrder, float64Column, int32Column } from './growable.js';
import { PROBLEM_LIMIT, readCsvTable, resolveColumns, type RowSink, type TableContext } from './csvTable.js';

/**
 * One portfolio's values read from a valuations or holdings file: ascending unique dates, with
 * the line each value came from. Rows with problems are left out, and `problems` says why;
 * a build with any problem must not be used for results.
 */
export interface ValuationBuild {
  portfolioId: string;
  file: string;
  dates: Int32Array;
  values: Float64Array;
  /** The physical line of each value (for holdings: the first holding line of that date). */
  lines: Int32Array;
  currency: CurrencyTracker;
  problems: ProblemCollector;
}

/** Accumulates one portfolio's valuation rows as they stream in. */
export class ValuationBuilder {
  private readonly dates = int32Column();
  private readonly values = float64Column();
  private readonly lines = int32Column();
  readonly currency = new CurrencyTracker();
  readonly problems = new ProblemCollector(PROBLEM_LIMIT);

  constructor(
    readonly portfolioId: string,
    readonly file: string,
  ) {}

  add(date: number, value: number, line: number): void {
    this.dates.push(date);
    this.values.push(value);
    this.lines.push(line);
  }

  /**
   * Sorts by date and reports duplicate dates (naming both lines; the later row is dropped).
   * `what` names the row kind in the duplicate message ("valuation").
   */
  finish(what = 'valuation'): ValuationBuild {
    const n = this.dates.length;
    const raw = this.dates.toArray();
    const order = ascendingOrder(raw);
    let dates = order ? this.dates.pick(order) : raw;
    let values = order ? this.values.pick(order) : this.values.toArray();
    let lines = order ? this.lines.pick(order) : this.lines.toArray();
    let dups = 0;
    for (let i = 1; i < n; i++) {
      if (dates[i] === dates[i - 1]) dups++;
    }
    if (dups > 0) {
      // Ties are in input order (a stable sort), so lines[first] is the earlier line.
      const keep = new Uint32Array(n - dups);
      let k = 0;
      let first = 0;
      for (let i = 0; i < n; i++) {
        if (i > 0 && dates[i] === dates[i - 1]) {
          this.problems.add({
            file: this.file,
            line: lines[i] as number,
            field: 'date',
            message: `duplicate ${what} for portfolio '${this.portfolioId}' on ${formatIsoDate(dates[i] as number)} (also on line ${lines[first]})`,
          });
        } else {
          first = i;
          keep[k++] = i;
        }
      }
      const d = dates;
      const v = values;
      const l = lines;
      dates = Int32Array.from(keep, (i) => d[i] as number);
      values = Float64Array.from(keep, (i) => v[i] as number);
      lines = Int32Array.from(keep, (i) => l[i] as number);
    }
    return { portfolioId: this.portfolioId, file: this.file, dates, values, lines, currency: this.currency, problems: this.problems };
  }
}

/** Finds or creates a portfolio's builder for a row; a blank id is a file-level problem. */
export function builderFor<B>(
  builders: Map<string, B>,
  raw: string,
  ctx: TableContext,
  line: number,
  make: (id: string) => B,
): B | undefined {
  const id = raw.trim();
  if (id === '') {
    ctx.fileProblems.add({ file: ctx.file, line, field: 'portfolio_id', message: 'value is blank' });
    return undefined;
  }
  let b = builders.get(id);
  if (b === undefined) {
    b = make(id);
    builders.set(id, b);
  }
  return b;
}

/** The row step for a valuations file: fields -> the portfolio's builder. */
export function valuationSink(header: string[], ctx: TableContext, builders: Map<string, ValuationBuilder>): RowSink {
  const col = resolveColumns(header, ctx, ['portfolio_id', 'date', 'market_value'] as const, ['currency'] as const);
  const pid = col.portfolio_id;
  const cDate = col.date;
  const cValue = col.market_value;
  const cCurrency = col.currency;
  return {
    row(fields, line) {
      const b = builderFor(builders, fields[pid] as string, ctx, line, (id) => new ValuationBuilder(id, ctx.file));
      if (b === undefined) return;
      const site: FieldSite = { file: ctx.file, line, problems: b.problems };
      const date = dateField(site, 'date', fields[cDate] as string);
      const text = fields[cValue] as string;
      let value = floatField(site, 'market_value', text);
      if (value !== undefined && !(value > 0)) {
        b.problems.add({
          file: ctx.file,
          line,
          field: 'market_value',
          message: `${JSON.stringify(text.trim())} is not positive (a return needs a positive value)`,
        });
        value = undefined;
      }
      if (cCurrency >= 0) b.currency.check(site, fields[cCurrency] as string, b.portfolioId);
      if (date !== undefined && value !== undefined) b.add(date, value, line);
    },
  };
}

/**
 * Reads a valuations CSV into one build per portfolio (keyed by portfolio id, in first-seen
 * order). File-level problems throw InputError; row problems stay in each build's `problems`.
 */
export async function readValuationsCsv(path: string): Promise<Map<string, ValuationBuild>> {
  const builders = new Map<string, ValuationBuilder>();
  await readCsvTable(path, (header, ctx) => valuationSink(header, ctx, builders));
  const out = new Map<string, ValuationBuild>();
  for (const [id, b] of builders) out.set(id, b.finish());
  return out;
}
