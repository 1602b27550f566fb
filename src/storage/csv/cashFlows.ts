/**
 * Cash-flows CSV: `portfolio_id,date,amount[,currency][,timing][,type]`. Amount > 0 is money
 * into the portfolio, < 0 out of it. `timing` is `start`, `end` (case-insensitive) or blank
 * (the run's default); `type` is ignored.
 *
 * Flows stream into per-portfolio typed arrays. `finishFlows` sorts them by (date, timing),
 * checks each against the portfolio's valuation dates, and nets flows that share a date and a
 * timing code into one, exactly: amounts of at most 15 significant digits are held as float64
 * (whose shortest text is that decimal, so `sumMoney` adds them exactly); longer ones keep
 * their exact decimal beside the arrays. The result has at most one flow per (date, timing code).
 */
import { formatIsoDate } from '../../engine/calendarDate.js';
import { Money, sumExact, toFloat } from '../../engine/money.js';
import { TIMING_DEFAULT, TIMING_END, TIMING_START, type CashFlowSeries } from '../../engine/types.js';
import { ProblemCollector, type InputProblem } from '../../errors.js';
import { CurrencyTracker, dateField, moneyField, significantDigits, type FieldSite } from './fieldParsers.js';
import { ascendingOrder, columnBuffer, float64Column, int32Column, uint8Column } from './growable.js';
import { PROBLEM_LIMIT, readCsvTable, resolveColumns, type RowSink, type TableContext } from './csvTable.js';
import { builderFor } from './valuations.js';

/** One portfolio's raw flows in file order (not yet sorted or netted). */
export class CashFlowBuild {
  readonly dates = int32Column(4);
  readonly amounts = float64Column(4);
  readonly timing = uint8Column(4);
  readonly lines = int32Column(4);
  /** Exact amounts of rows whose text has more than 15 significant digits, by row index. */
  readonly exact = new Map<number, Money>();
  readonly currency = new CurrencyTracker();
  readonly problems = new ProblemCollector(PROBLEM_LIMIT);

  constructor(
    readonly portfolioId: string,
    readonly file: string,
  ) {}

  get length(): number {
    return this.dates.length;
  }

  add(date: number, amount: Money, amountText: string, timing: number, line: number): void {
    if (keepsExact(amountText)) this.exact.set(this.dates.length, amount);
    this.dates.push(date);
    this.amounts.push(toFloat(amount));
    this.timing.push(timing);
    this.lines.push(line);
  }

  /**
   * Takes rows read in bulk (by the fast reader, or unpacked): the arrays become the build's
   * columns without a copy, and `exact` maps row indices to exact amounts (see `add`). For an
   * empty build only.
   */
  adoptRows(dates: Int32Array, amounts: Float64Array, timing: Uint8Array, lines: Int32Array, exact?: Iterable<[number, Money]>): void {
    if (this.length !== 0) throw new Error(`adoptRows on a build that has rows (portfolio '${this.portfolioId}')`);
    this.dates.adopt(dates);
    this.amounts.adopt(amounts);
    this.timing.adopt(timing);
    this.lines.adopt(lines);
    if (exact !== undefined) for (const [i, m] of exact) this.exact.set(i, m);
  }

  private money(i: number): Money {
    return this.exact.get(i) ?? new Money(this.amounts.get(i));
  }

  /** The first line of this portfolio's flows in the file. */
  firstLine(): number {
    let min = Infinity;
    for (let i = 0; i < this.lines.length; i++) min = Math.min(min, this.lines.get(i));
    return min;
  }

  /**
   * Sorted, range-checked, netted flows. `range` is the portfolio's first and last valuation
   * date; each flow outside it is a problem on the flow's line (and is left out).
   */
  finish(range: { first: number; last: number } | undefined): CashFlowSeries {
    const n = this.length;
    const dates = this.dates.view();
    const amounts = this.amounts.view();
    const timing = this.timing.view();
    // Order by (date, timing code): the key date * 4 + code; ties keep file order (stable).
    let order: Uint32Array | undefined;
    for (let i = 1; i < n; i++) {
      if ((dates[i] as number) * 4 + (timing[i] as number) < (dates[i - 1] as number) * 4 + (timing[i - 1] as number)) {
        const keys = new Float64Array(n);
        for (let r = 0; r < n; r++) keys[r] = (dates[r] as number) * 4 + (timing[r] as number);
        order = ascendingOrder(keys);
        break;
      }
    }
    const outDates = new Int32Array(n);
    const outAmounts = new Float64Array(n);
    const outTiming = new Uint8Array(n);
    let m = 0;
    let k = 0;
    while (k < n) {
      const i = order === undefined ? k : (order[k] as number);
      const date = dates[i] as number;
      const code = timing[i] as number;
      let j = k + 1;
      while (j < n) {
        const g = order === undefined ? j : (order[j] as number);
        if (dates[g] !== date || timing[g] !== code) break;
        j++;
      }
      if (range !== undefined && (date < range.first || date > range.last)) {
        const side =
          date < range.first
            ? `before portfolio '${this.portfolioId}''s first valuation on ${formatIsoDate(range.first)}`
            : `after portfolio '${this.portfolioId}''s last valuation on ${formatIsoDate(range.last)}`;
        for (let q = k; q < j; q++) {
          this.problems.add({
            file: this.file,
            line: this.lines.get(order === undefined ? q : (order[q] as number)),
            field: 'date',
            message: `flow on ${formatIsoDate(date)} is ${side}`,
          });
        }
      } else {
        outDates[m] = date;
        outTiming[m] = code;
        if (j - k === 1) {
          outAmounts[m] = amounts[i] as number;
        } else {
          const group: Money[] = [];
          for (let q = k; q < j; q++) group.push(this.money(order === undefined ? q : (order[q] as number)));
          outAmounts[m] = toFloat(sumExact(group));
        }
        m++;
      }
      k = j;
    }
    if (m === n) return { dates: outDates, amounts: outAmounts, timing: outTiming };
    return { dates: outDates.slice(0, m), amounts: outAmounts.slice(0, m), timing: outTiming.slice(0, m) };
  }
}

/**
 * True when an amount's text has more significant digits than a float64 keeps (15): the build
 * then keeps its exact decimal beside the float (see the module comment).
 */
export function keepsExact(amountText: string): boolean {
  return significantDigits(amountText) > 15;
}

/** Timing code of a `timing` cell: blank -> default, `end`, `start`; undefined otherwise. */
export function timingCode(raw: string): number | undefined {
  const t = raw.trim().toLowerCase();
  if (t === '') return TIMING_DEFAULT;
  if (t === 'end') return TIMING_END;
  if (t === 'start') return TIMING_START;
  return undefined;
}

function cashFlowSink(header: string[], ctx: TableContext, builders: Map<string, CashFlowBuild>): RowSink {
  const col = resolveColumns(header, ctx, ['portfolio_id', 'date', 'amount'] as const, ['currency', 'timing'] as const);
  return {
    row(fields, line) {
      const b = builderFor(builders, fields[col.portfolio_id] as string, ctx, line, (id) => new CashFlowBuild(id, ctx.file));
      if (b === undefined) return;
      const site: FieldSite = { file: ctx.file, line, problems: b.problems };
      const date = dateField(site, 'date', fields[col.date] as string);
      const amountText = fields[col.amount] as string;
      const amount = moneyField(site, 'amount', amountText);
      let timing: number | undefined = TIMING_DEFAULT;
      if (col.timing >= 0) {
        const raw = fields[col.timing] as string;
        timing = timingCode(raw);
        if (timing === undefined) {
          b.problems.add({
            file: ctx.file,
            line,
            field: 'timing',
            message: `${JSON.stringify(raw.trim())} is not a timing (expected start, end or blank)`,
          });
        }
      }
      if (col.currency >= 0) b.currency.check(site, fields[col.currency] as string, b.portfolioId);
      if (date !== undefined && amount !== undefined && timing !== undefined) b.add(date, amount, amountText, timing, line);
    },
  };
}

/** Reads a cash-flows CSV into raw per-portfolio flows (first-seen order of portfolio ids). */
export async function readCashFlowsCsv(path: string): Promise<Map<string, CashFlowBuild>> {
  const builders = new Map<string, CashFlowBuild>();
  await readCsvTable(path, (header, ctx) => cashFlowSink(header, ctx, builders));
  return builders;
}

/**
 * Many portfolios' raw flows in flat arrays, for worker threads: structured clone keeps typed
 * arrays but not classes, and a handful of large arrays clone far faster than thousands of
 * small objects. `unpackFlows` rebuilds one portfolio's CashFlowBuild exactly as read.
 */
export interface PackedFlows {
  ids: string[];
  files: string[];
  /** Portfolio k's rows are starts[k] .. starts[k + 1] - 1. */
  starts: Int32Array;
  dates: Int32Array;
  amounts: Float64Array;
  timing: Uint8Array;
  lines: Int32Array;
  /** [row, exact decimal text] for amounts of more than 15 significant digits. */
  exact: Array<[number, string]>;
  currency: Array<{ currency: string | undefined; line: number; file: string }>;
  problems: Array<{ problems: InputProblem[]; total: number }>;
}

/**
 * `shared`: the typed-array columns live in SharedArrayBuffers, so that every worker thread they
 * are posted to reads the one copy (nothing may write to them after packing). When the builds'
 * columns already are consecutive views of shared buffers, in order (readCashFlowsFast with
 * `shared` on a file grouped by portfolio), those buffers are the packed columns: nothing is copied.
 */
export function packFlows(builds: ReadonlyMap<string, CashFlowBuild>, opts: { shared?: boolean } = {}): PackedFlows {
  const list = [...builds.values()];
  const total = list.reduce((n, b) => n + b.length, 0);
  const shared = opts.shared === true;
  const bytes = (n: number): ArrayBuffer | SharedArrayBuffer => columnBuffer(n, shared);
  const column = <T extends Int32Array | Float64Array | Uint8Array>(views: T[], make: (b: ArrayBuffer | SharedArrayBuffer, offset: number, length: number) => T, width: number): T => {
    const first = views[0];
    if (shared && first !== undefined && first.buffer instanceof SharedArrayBuffer) {
      let offset = first.byteOffset;
      const start = offset;
      if (views.every((v) => v.buffer === first.buffer && v.byteOffset === offset && ((offset += v.byteLength), true))) return make(first.buffer, start, total);
    }
    return make(bytes(total * width), 0, total);
  };
  const packed: PackedFlows = {
    ids: list.map((b) => b.portfolioId),
    files: list.map((b) => b.file),
    starts: new Int32Array(bytes((list.length + 1) * 4)),
    dates: column(list.map((b) => b.dates.view()), (b, o, n) => new Int32Array(b, o, n), 4),
    amounts: column(list.map((b) => b.amounts.view()), (b, o, n) => new Float64Array(b, o, n), 8),
    timing: column(list.map((b) => b.timing.view()), (b, o, n) => new Uint8Array(b, o, n), 1),
    lines: column(list.map((b) => b.lines.view()), (b, o, n) => new Int32Array(b, o, n), 4),
    exact: [],
    currency: list.map((b) => ({ currency: b.currency.currency, line: b.currency.line, file: b.currency.file })),
    problems: list.map((b) => ({ problems: b.problems.problems, total: b.problems.total })),
  };
  // nothing to copy into a column that is the builds' own shared buffer
  const put = <T extends Int32Array | Float64Array | Uint8Array>(to: T, from: T, at: number): void => {
    if (to.buffer !== from.buffer) to.set(from, at);
  };
  let at = 0;
  list.forEach((b, k) => {
    packed.starts[k] = at;
    put(packed.dates, b.dates.view(), at);
    put(packed.amounts, b.amounts.view(), at);
    put(packed.timing, b.timing.view(), at);
    put(packed.lines, b.lines.view(), at);
    for (const [i, m] of b.exact) packed.exact.push([at + i, m.toString()]);
    at += b.length;
  });
  packed.starts[list.length] = at;
  return packed;
}

/**
 * Portfolio k of a PackedFlows as a CashFlowBuild (same rows, lines, exact amounts, currency and
 * problems). Its columns are views of the packed arrays, which must not change afterwards.
 */
export function unpackFlows(p: PackedFlows, k: number, exactByRow: ReadonlyMap<number, string>): CashFlowBuild {
  const b = new CashFlowBuild(p.ids[k]!, p.files[k]!);
  const s = p.starts[k]!;
  const e = p.starts[k + 1]!;
  const exact: Array<[number, Money]> = [];
  if (exactByRow.size > 0) {
    for (let r = s; r < e; r++) {
      const text = exactByRow.get(r);
      if (text !== undefined) exact.push([r - s, new Money(text)]);
    }
  }
  b.adoptRows(p.dates.subarray(s, e), p.amounts.subarray(s, e), p.timing.subarray(s, e), p.lines.subarray(s, e), exact);
  Object.assign(b.currency, p.currency[k]);
  for (const problem of p.problems[k]!.problems) b.problems.add(problem);
  b.problems.total = p.problems[k]!.total;
  return b;
}
