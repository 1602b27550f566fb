/**
 * Holdings CSV: `portfolio_id,date,security_id,quantity,price,market_value[,currency]
 * [,asset_class][,sector]`. A portfolio's value on a date is the exact decimal sum of its
 * holdings' market_value, or quantity x price where market_value is blank (Money, summed in
 * decimal and rounded once to float64 with toFloat). Individual holdings may be negative
 * (short positions); the day's total must be positive.
 *
 * Columns: portfolio_id, date and security_id are required, and so is market_value unless the
 * file has both quantity and price (then every row's value is quantity x price).
 */
import { formatIsoDate } from '../../engine/calendarDate.js';
import { holdingValue, toFloat, type Money } from '../../engine/money.js';
import { ProblemCollector } from '../../errors.js';
import { CurrencyTracker, dateField, moneyField, type FieldSite } from './fieldParsers.js';
import { PROBLEM_LIMIT, readCsvTable, resolveColumns, type RowSink, type TableContext } from './csvTable.js';
import { builderFor, ValuationBuilder, type ValuationBuild } from './valuations.js';

interface HoldingsDay {
  sum: Money;
  firstLine: number;
  /** security id -> line of its row, to name both lines of a duplicate. */
  securities: Map<string, number>;
}

/** One portfolio's holdings as they stream in: exact decimal sums per date. */
class HoldingsBuilder {
  readonly days = new Map<number, HoldingsDay>();
  readonly currency = new CurrencyTracker();
  readonly problems = new ProblemCollector(PROBLEM_LIMIT);

  constructor(
    readonly portfolioId: string,
    readonly file: string,
  ) {}

  finish(): ValuationBuild {
    const b = new ValuationBuilder(this.portfolioId, this.file);
    for (const [date, day] of this.days) {
      if (day.sum.isPositive() && !day.sum.isZero()) {
        b.add(date, toFloat(day.sum), day.firstLine);
      } else {
        this.problems.add({
          file: this.file,
          line: day.firstLine,
          field: 'market_value',
          message: `holdings of portfolio '${this.portfolioId}' on ${formatIsoDate(date)} sum to ${day.sum.toString()}, not a positive value`,
        });
      }
    }
    const built = b.finish();
    return { ...built, currency: this.currency, problems: this.problems };
  }
}

function holdingsSink(header: string[], ctx: TableContext, builders: Map<string, HoldingsBuilder>): RowSink {
  const col = resolveColumns(header, ctx, ['portfolio_id', 'date', 'security_id'] as const, [
    'market_value',
    'quantity',
    'price',
    'currency',
  ] as const);
  const hasQxP = col.quantity >= 0 && col.price >= 0;
  if (col.market_value < 0 && !hasQxP) resolveColumns(header, ctx, ['market_value'] as const);
  return {
    row(fields, line) {
      const b = builderFor(builders, fields[col.portfolio_id] as string, ctx, line, (id) => new HoldingsBuilder(id, ctx.file));
      if (b === undefined) return;
      const site: FieldSite = { file: ctx.file, line, problems: b.problems };
      const date = dateField(site, 'date', fields[col.date] as string);
      const security = (fields[col.security_id] as string).trim();
      if (security === '') b.problems.add({ file: ctx.file, line, field: 'security_id', message: 'value is blank' });
      const mvText = col.market_value >= 0 ? (fields[col.market_value] as string) : '';
      let value: Money | undefined;
      if (mvText.trim() !== '') {
        value = moneyField(site, 'market_value', mvText);
      } else if (hasQxP) {
        const q = moneyField(site, 'quantity', fields[col.quantity] as string);
        const p = moneyField(site, 'price', fields[col.price] as string);
        if (q !== undefined && p !== undefined) value = holdingValue(q, p);
      } else {
        b.problems.add({ file: ctx.file, line, field: 'market_value', message: 'value is blank' });
      }
      if (col.currency >= 0) b.currency.check(site, fields[col.currency] as string, b.portfolioId);
      if (date === undefined || value === undefined || security === '') return;
      let day = b.days.get(date);
      if (day === undefined) {
        day = { sum: value, firstLine: line, securities: new Map([[security, line]]) };
        b.days.set(date, day);
        return;
      }
      const earlier = day.securities.get(security);
      if (earlier !== undefined) {
        b.problems.add({
          file: ctx.file,
          line,
          field: 'security_id',
          message: `duplicate holding of '${security}' for portfolio '${b.portfolioId}' on ${formatIsoDate(date)} (also on line ${earlier})`,
        });
        return;
      }
      day.securities.set(security, line);
      day.sum = day.sum.plus(value);
    },
  };
}

/**
 * Reads a holdings CSV into one valuation build per portfolio (same shape as
 * readValuationsCsv): per date, the exact sum of the holdings' values.
 */
export async function readHoldingsCsv(path: string): Promise<Map<string, ValuationBuild>> {
  const builders = new Map<string, HoldingsBuilder>();
  await readCsvTable(path, (header, ctx) => holdingsSink(header, ctx, builders));
  const out = new Map<string, ValuationBuild>();
  for (const [id, b] of builders) out.set(id, b.finish());
  return out;
}
