/**
 * Fast whole-file loaders for the plain CSV layout (fastScan.ts), with exactly the results and
 * problems of the csv-parse loaders (valuations.ts, cashFlows.ts): they give the same builders
 * (`ValuationBuilder`, `CashFlowBuild`) the same rows in the same order (cash-flow rows are
 * gathered in flat columns first and handed to their builds at the end), call the same field
 * parsers whenever a field is not in the fast form, and hand the whole file to the csv-parse
 * loader when the scanner meets anything it does not take (a quote, a bare CR, mixed line
 * endings, a leading empty line, an empty or header-only or unreadable file).
 */
import { toFloat, type Money } from '../../engine/money.js';
import { TIMING_DEFAULT, TIMING_END, TIMING_START } from '../../engine/types.js';
import { ProblemCollector } from '../../errors.js';
import { CashFlowBuild, keepsExact, readCashFlowsCsv, timingCode } from './cashFlows.js';
import { PROBLEM_LIMIT, resolveColumns, type TableContext } from './csvTable.js';
import { dateField, floatField, moneyField, type CurrencyTracker, type FieldSite } from './fieldParsers.js';
import {
  commaDate,
  fastDate,
  fastDecimal,
  openForScan,
  PlainScanner,
  POW10,
  readPlainHeader,
  sameBytes,
  scanFileRange,
  valuationRun,
  type PlainRowSink,
  type ValuationRunTarget,
} from './fastScan.js';
import { columnBuffer } from './growable.js';
import { loadPortfolios, type LoadOptions, type PortfolioLoad } from './loadPortfolios.js';
import { builderFor, readValuationsCsv, ValuationBuilder, type ValuationBuild } from './valuations.js';

const ID_CACHE_BYTES = 256;

const LF = 10;
const CR = 13;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;

/** The `not positive` message of the valuations loader (valuations.ts), word for word. */
export function notPositive(text: string): string {
  return `${JSON.stringify(text.trim())} is not positive (a return needs a positive value)`;
}

/** The `not a timing` message of the cash-flows loader (cashFlows.ts), word for word. */
export function notATiming(raw: string): string {
  return `${JSON.stringify(raw.trim())} is not a timing (expected start, end or blank)`;
}

/** The field-count message of readCsvTable, word for word. */
export function fieldCountMessage(expected: number, found: number): string {
  return `expected ${expected} fields as in the header, found ${found}`;
}

/**
 * Values by the raw bytes of an id (FNV-1a hash, open addressing), so that rows in any order
 * find their builder without decoding the id to a string.
 */
class BytesMap<V> {
  private slots = new Int32Array(1024).fill(-1);
  private readonly keys: Buffer[] = [];
  private readonly values: V[] = [];

  static hash(buf: Buffer, s: number, e: number): number {
    let h = 0x811c9dc5;
    for (let i = s; i < e; i++) h = Math.imul(h ^ (buf[i] as number), 16777619);
    return h >>> 0;
  }

  get(buf: Buffer, s: number, e: number, h: number): V | undefined {
    const mask = this.slots.length - 1;
    for (let j = h & mask; ; j = (j + 1) & mask) {
      const k = this.slots[j] as number;
      if (k < 0) return undefined;
      const key = this.keys[k] as Buffer;
      if (sameBytes(buf, s, e, key, key.length)) return this.values[k];
    }
  }

  set(buf: Buffer, s: number, e: number, h: number, value: V): void {
    if ((this.keys.length + 1) * 2 > this.slots.length) this.grow();
    this.keys.push(Buffer.from(buf.subarray(s, e)));
    this.values.push(value);
    this.place(h, this.keys.length - 1);
  }

  private place(h: number, k: number): void {
    const mask = this.slots.length - 1;
    let j = h & mask;
    while ((this.slots[j] as number) >= 0) j = (j + 1) & mask;
    this.slots[j] = k;
  }

  private grow(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(-1);
    this.keys.forEach((key, k) => this.place(BytesMap.hash(key, 0, key.length), k));
  }
}

/** Finds a row's builder, reusing the previous row's when the id bytes are the same. */
class IdCache<B> {
  readonly ref = Buffer.allocUnsafe(ID_CACHE_BYTES);
  refLen = -1;
  last: B | undefined;
  private readonly byBytes = new BytesMap<B>();

  constructor(
    private readonly builders: Map<string, B>,
    private readonly ctx: TableContext,
    private readonly make: (id: string) => B,
  ) {}

  get(buf: Buffer, s: number, e: number, line: number): B | undefined {
    if (this.last !== undefined && sameBytes(buf, s, e, this.ref, this.refLen)) return this.last;
    // The same bytes always name the same (trimmed) id; blank ids are not kept, each is reported.
    const h = BytesMap.hash(buf, s, e);
    let b = this.byBytes.get(buf, s, e, h);
    if (b === undefined) {
      b = builderFor(this.builders, buf.toString('utf8', s, e), this.ctx, line, this.make);
      if (b !== undefined) this.byBytes.set(buf, s, e, h, b);
    }
    this.last = b;
    if (b !== undefined && e - s <= ID_CACHE_BYTES) {
      buf.copy(this.ref, 0, s, e);
      this.refLen = e - s;
    } else {
      this.refLen = -1;
    }
    return b;
  }
}

/**
 * Row step of a valuations file on bytes; the same checks in the same order as valuationSink.
 * Rows the valuation shortcut takes are staged in typed arrays and added to their builder as
 * soon as the shortcut stops (before any later row), so each builder gets its rows in file order.
 */
export class FastValuationSink implements PlainRowSink, ValuationRunTarget {
  readonly fusedPid: number;
  readonly fusedDate: number;
  readonly fusedValue: number;
  private readonly pid: number;
  private readonly cDate: number;
  private readonly cValue: number;
  private readonly cCurrency: number;
  private readonly ids: IdCache<ValuationBuilder>;

  constructor(
    header: string[],
    private readonly ctx: TableContext,
    readonly builders: Map<string, ValuationBuilder>,
  ) {
    const col = resolveColumns(header, ctx, ['portfolio_id', 'date', 'market_value'] as const, ['currency'] as const);
    this.pid = col.portfolio_id;
    this.cDate = col.date;
    this.cValue = col.market_value;
    this.cCurrency = col.currency;
    this.headerLength = header.length;
    this.ids = new IdCache(builders, ctx, (id) => new ValuationBuilder(id, ctx.file));
    this.fusedPid = this.pid;
    this.fusedDate = this.cDate;
    this.fusedValue = this.cValue;
    if (this.cCurrency < 0) this.run = (buf, pos, stop, scanner) => valuationRun(this, buf, pos, stop, scanner);
  }

  readonly headerLength: number;

  get idRef(): Uint8Array {
    return this.ids.ref;
  }

  get idRefLen(): number {
    return this.ids.last === undefined ? -1 : this.ids.refLen;
  }

  runDates = new Int32Array(1024);
  runValues = new Float64Array(1024);
  runLines = new Int32Array(1024);
  readonly runLength = 0;

  /** The valuation shortcut, when there is no currency column to check. */
  readonly run: PlainRowSink['run'];

  runGrow(length: number): void {
    const n = this.runDates.length * 2;
    const d = new Int32Array(n);
    d.set(this.runDates.subarray(0, length));
    const v = new Float64Array(n);
    v.set(this.runValues.subarray(0, length));
    const l = new Int32Array(n);
    l.set(this.runLines.subarray(0, length));
    this.runDates = d;
    this.runValues = v;
    this.runLines = l;
  }

  runDone(length: number, _ascending: boolean): void {
    if (length === 0) return;
    const b = this.ids.last as ValuationBuilder;
    const { runDates: d, runValues: v, runLines: l } = this;
    for (let k = 0; k < length; k++) b.add(d[k] as number, v[k] as number, l[k] as number);
  }

  row(buf: Buffer, starts: Int32Array, ends: Int32Array, line: number): boolean {
    const b = this.ids.get(buf, starts[this.pid] as number, ends[this.pid] as number, line);
    if (b === undefined) return true;
    addValuationRow(b, this.ctx.file, buf, starts, ends, line, this.cDate, this.cValue, this.cCurrency);
    return true;
  }

  mismatch(found: number, line: number): boolean {
    this.ctx.fileProblems.add({ file: this.ctx.file, line, message: fieldCountMessage(this.headerLength, found) });
    return true;
  }
}

/** Where addValuationRow puts a row: a ValuationBuilder, or the grouped scan's rows. */
export interface ValuationRowTarget {
  readonly portfolioId: string;
  readonly problems: ProblemCollector;
  readonly currency: CurrencyTracker;
  add(date: number, value: number, line: number): void;
}

/**
 * Parses one valuation row's fields into its builder, exactly as valuationSink does with text:
 * date problem, then value problems, then the currency check; the row is kept when both parse.
 */
export function addValuationRow(
  b: ValuationRowTarget,
  file: string,
  buf: Buffer,
  starts: Int32Array,
  ends: Int32Array,
  line: number,
  cDate: number,
  cValue: number,
  cCurrency: number,
): void {
  let site: FieldSite | undefined;
  const ds = starts[cDate] as number;
  const de = ends[cDate] as number;
  let date: number | undefined = fastDate(buf, ds, de);
  if (date !== date) {
    site = { file, line, problems: b.problems };
    date = dateField(site, 'date', buf.toString('utf8', ds, de));
  }
  const vs = starts[cValue] as number;
  const ve = ends[cValue] as number;
  let value: number | undefined = fastDecimal(buf, vs, ve);
  if (!(value > 0)) {
    site ??= { file, line, problems: b.problems };
    const text = buf.toString('utf8', vs, ve);
    value = floatField(site, 'market_value', text);
    if (value !== undefined && !(value > 0)) {
      b.problems.add({ file, line, field: 'market_value', message: notPositive(text) });
      value = undefined;
    }
  }
  if (cCurrency >= 0) {
    site ??= { file, line, problems: b.problems };
    b.currency.check(site, buf.toString('utf8', starts[cCurrency] as number, ends[cCurrency] as number), b.portfolioId);
  }
  if (date !== undefined && value !== undefined) b.add(date, value, line);
}

/**
 * A cash-flows file's rows in file order, in flat columns (`portfolio` is the row's build index),
 * so that a row costs a few typed-array stores; `FastCashFlowSink.finish` hands each build its rows.
 */
class FlowRows {
  portfolio: Int32Array;
  dates: Int32Array;
  amounts: Float64Array;
  timing: Uint8Array;
  lines: Int32Array;
  length = 0;
  /** Exact amounts of rows whose text has more than 15 significant digits (CashFlowBuild.add), by row. */
  readonly exact = new Map<number, Money>();

  /**
   * `shared`: the columns a build keeps (dates, amounts, timing, lines) live in SharedArrayBuffers,
   * so that packFlows({ shared: true }) can hand the builds' views on as the packed columns
   * instead of copying them (see readCashFlowsFast).
   */
  constructor(
    capacity: number,
    private readonly shared = false,
  ) {
    this.portfolio = new Int32Array(capacity);
    this.dates = new Int32Array(this.bytes(capacity * 4));
    this.amounts = new Float64Array(this.bytes(capacity * 8));
    this.timing = new Uint8Array(this.bytes(capacity));
    this.lines = new Int32Array(this.bytes(capacity * 4));
  }

  private bytes(n: number): ArrayBuffer | SharedArrayBuffer {
    return columnBuffer(n, this.shared);
  }

  /** Doubles the capacity, keeping rows [0, length). */
  grow(): void {
    const n = this.portfolio.length * 2;
    const p = new Int32Array(n);
    p.set(this.portfolio);
    const d = new Int32Array(this.bytes(n * 4));
    d.set(this.dates);
    const a = new Float64Array(this.bytes(n * 8));
    a.set(this.amounts);
    const t = new Uint8Array(this.bytes(n));
    t.set(this.timing);
    const l = new Int32Array(this.bytes(n * 4));
    l.set(this.lines);
    this.portfolio = p;
    this.dates = d;
    this.amounts = a;
    this.timing = t;
    this.lines = l;
  }

  push(portfolio: number, date: number, amount: number, timing: number, line: number): void {
    if (this.length === this.portfolio.length) this.grow();
    const k = this.length++;
    this.portfolio[k] = portfolio;
    this.dates[k] = date;
    this.amounts[k] = amount;
    this.timing[k] = timing;
    this.lines[k] = line;
  }
}

/**
 * Row step of a cash-flows file on bytes; the same checks in the same order as cashFlowSink.
 * Rows go to flat columns (FlowRows); `finish` gives each portfolio's CashFlowBuild its rows in
 * file order, as CashFlowBuild.add would have appended them.
 */
class FastCashFlowSink implements PlainRowSink {
  private readonly col: Record<'portfolio_id' | 'date' | 'amount' | 'currency' | 'timing', number>;
  private readonly ids: IdCache<number>;
  private readonly headerLength: number;
  /** Builds in first-seen order of their ids; a row's FlowRows.portfolio indexes this. */
  private readonly builds: CashFlowBuild[] = [];
  private readonly rows: FlowRows;
  /** The shortcut for the columns portfolio_id,date,amount[,timing] (no currency to check). */
  readonly run: PlainRowSink['run'];

  /** `dataBytes`: the size of the data lines, for a first guess of the row count (32 bytes a row). */
  constructor(
    header: string[],
    private readonly ctx: TableContext,
    dataBytes: number,
    shared = false,
  ) {
    this.rows = new FlowRows(Math.max(1024, Math.ceil(dataBytes / 32)), shared);
    this.col = resolveColumns(header, ctx, ['portfolio_id', 'date', 'amount'] as const, ['currency', 'timing'] as const);
    this.headerLength = header.length;
    this.ids = new IdCache(new Map<string, number>(), ctx, (id) => this.builds.push(new CashFlowBuild(id, ctx.file)) - 1);
    const c = this.col;
    const n = header.length;
    if (c.currency < 0 && c.portfolio_id === 0 && c.date === 1 && c.amount === 2 && (n === 3 || (n === 4 && c.timing === 3))) {
      this.run = (buf, pos, stop, scanner) => this.flowRun(buf, pos, stop, scanner);
    }
  }

  row(buf: Buffer, starts: Int32Array, ends: Int32Array, line: number): boolean {
    const col = this.col;
    const file = this.ctx.file;
    const k = this.ids.get(buf, starts[col.portfolio_id] as number, ends[col.portfolio_id] as number, line);
    if (k === undefined) return true;
    const b = this.builds[k] as CashFlowBuild;
    let site: FieldSite | undefined;
    const ds = starts[col.date] as number;
    const de = ends[col.date] as number;
    let date: number | undefined = fastDate(buf, ds, de);
    if (date !== date) {
      site = { file, line, problems: b.problems };
      date = dateField(site, 'date', buf.toString('utf8', ds, de));
    }
    const as = starts[col.amount] as number;
    const ae = ends[col.amount] as number;
    const fast = fastDecimal(buf, as, ae);
    let amountText: string | undefined;
    let money: Money | undefined;
    if (fast !== fast) {
      site ??= { file, line, problems: b.problems };
      amountText = buf.toString('utf8', as, ae);
      money = moneyField(site, 'amount', amountText);
    }
    let timing: number | undefined = TIMING_DEFAULT;
    if (col.timing >= 0) {
      timing = fastTiming(buf, starts[col.timing] as number, ends[col.timing] as number);
      if (timing === undefined) {
        const raw = buf.toString('utf8', starts[col.timing] as number, ends[col.timing] as number);
        timing = timingCode(raw);
        if (timing === undefined) b.problems.add({ file, line, field: 'timing', message: notATiming(raw) });
      }
    }
    if (col.currency >= 0) {
      site ??= { file, line, problems: b.problems };
      b.currency.check(site, buf.toString('utf8', starts[col.currency] as number, ends[col.currency] as number), b.portfolioId);
    }
    if (date !== undefined && (amountText === undefined || money !== undefined) && timing !== undefined) {
      if (amountText === undefined) {
        // At most 15 digits: the float is Number(text) = Money(text).toNumber() and needs no exact copy.
        this.rows.push(k, date, fast, timing, line);
      } else {
        // CashFlowBuild.add's rule.
        if (keepsExact(amountText)) this.rows.exact.set(this.rows.length, money as Money);
        this.rows.push(k, date, toFloat(money as Money), timing, line);
      }
    }
    return true;
  }

  /**
   * The shortcut (PlainRowSink.run): lines of the previous row's portfolio (same id bytes) with a
   * strict date, a plain amount of at most 15 digits (fastDecimal's form) and a blank, start or
   * end timing: exactly the rows `row` adds without a problem and without a text parse.
   */
  private flowRun(buf: Buffer, pos: number, stop: number, scanner: PlainScanner): number {
    const ids = this.ids;
    const k = ids.last;
    const len = ids.refLen;
    if (k === undefined || len <= 0) return pos;
    const ref = ids.ref;
    const crlf = scanner.crlf;
    const withTiming = this.col.timing >= 0;
    const rows = this.rows;
    let portfolio = rows.portfolio;
    let dates = rows.dates;
    let amounts = rows.amounts;
    let timing = rows.timing;
    let lines = rows.lines;
    let n = rows.length;
    const n0 = n;
    let line = scanner.line;
    // The id and the date are read in 4-byte words (little-endian) where they can be.
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    // The shortest line, `id,YYYY-MM-DD,d` and LF, has len + 14 bytes: the fixed offsets below are in range.
    const last = stop - len - 14;
    // Ids of 4 to 8 bytes: two words (the second overlapping the first) against the id's; others byte by byte.
    const words = len >= 4 && len <= 8;
    const r0 = words ? ref.readInt32LE(0) : 0;
    const r1 = words ? ref.readInt32LE(len - 4) : 0;
    while (pos <= last) {
      if (words) {
        if (dv.getInt32(pos, true) !== r0 || dv.getInt32(pos + len - 4, true) !== r1) break;
      } else {
        let j = 0;
        while (j < len && buf[pos + j] === ref[j]) j++;
        if (j < len) break;
      }
      let i = pos + len;
      const date = commaDate(dv, i);
      if (date !== date) break;
      // The amount: -?digits[.digits], at most 15 digits. The LF at stop - 1 ends every loop.
      i += 12;
      let c = buf[i] as number;
      const neg = c === MINUS;
      if (neg) c = buf[++i] as number;
      let m = 0;
      let digits = 0;
      while (c >= 48 && c <= 57) {
        m = m * 10 + (c - 48);
        digits++;
        c = buf[++i] as number;
      }
      let frac = 0;
      if (c === DOT) {
        c = buf[++i] as number;
        while (c >= 48 && c <= 57) {
          m = m * 10 + (c - 48);
          frac++;
          c = buf[++i] as number;
        }
      }
      digits += frac;
      if (digits === 0 || digits > 15) break;
      let code = TIMING_DEFAULT;
      if (withTiming) {
        if (c !== COMMA) break;
        c = buf[++i] as number;
        // Letters compare case-insensitively (| 32); a line end never matches one, so no read passes it.
        if (c === LF || c === CR) {
          code = TIMING_DEFAULT;
        } else if ((c | 32) === 115 && ((buf[i + 1] as number) | 32) === 116 && ((buf[i + 2] as number) | 32) === 97 && ((buf[i + 3] as number) | 32) === 114 && ((buf[i + 4] as number) | 32) === 116) {
          code = TIMING_START;
          i += 5;
          c = buf[i] as number;
        } else if ((c | 32) === 101 && ((buf[i + 1] as number) | 32) === 110 && ((buf[i + 2] as number) | 32) === 100) {
          code = TIMING_END;
          i += 3;
          c = buf[i] as number;
        } else {
          break;
        }
      }
      if (c === LF) {
        if (crlf) break;
        i++;
      } else if (c === CR && crlf && buf[i + 1] === LF) {
        i += 2;
      } else {
        break;
      }
      if (n === portfolio.length) {
        rows.length = n;
        rows.grow();
        portfolio = rows.portfolio;
        dates = rows.dates;
        amounts = rows.amounts;
        timing = rows.timing;
        lines = rows.lines;
      }
      // Exact: see fastDecimal.
      const x = frac === 0 ? m : m / (POW10[frac] as number);
      portfolio[n] = k;
      dates[n] = date;
      amounts[n] = neg ? -x : x;
      timing[n] = code;
      lines[n] = line++;
      n++;
      pos = i;
    }
    rows.length = n;
    scanner.line = line;
    scanner.records += n - n0;
    return pos;
  }

  mismatch(found: number, line: number): boolean {
    this.ctx.fileProblems.add({ file: this.ctx.file, line, message: fieldCountMessage(this.headerLength, found) });
    return true;
  }

  /** Each portfolio's build (first-seen order) with its rows in file order, as CashFlowBuild.add appends them. */
  finish(): Map<string, CashFlowBuild> {
    const rows = this.rows;
    const n = rows.length;
    const builds = this.builds;
    const count = builds.length;
    const pf = rows.portfolio;
    // start[p]: the first row of build p once rows are ordered by build (stable).
    const start = new Int32Array(count + 1);
    let grouped = true;
    for (let r = 0; r < n; r++) {
      const p = pf[r] as number;
      start[p + 1] = (start[p + 1] as number) + 1;
      if (r > 0 && p < (pf[r - 1] as number)) grouped = false;
    }
    for (let p = 0; p < count; p++) start[p + 1] = (start[p + 1] as number) + (start[p] as number);
    let dates: Int32Array;
    let amounts: Float64Array;
    let timing: Uint8Array;
    let lines: Int32Array;
    /** Where flat row r went (identity when grouped). */
    let moved: Int32Array | undefined;
    if (grouped) {
      // Ids were numbered in first-seen order, so non-decreasing numbers mean each portfolio's
      // rows are together: the builds take views of the columns (copied when mostly unused).
      const trim = n < rows.portfolio.length * 0.75;
      dates = trim ? rows.dates.slice(0, n) : rows.dates;
      amounts = trim ? rows.amounts.slice(0, n) : rows.amounts;
      timing = trim ? rows.timing.slice(0, n) : rows.timing;
      lines = trim ? rows.lines.slice(0, n) : rows.lines;
    } else {
      dates = new Int32Array(n);
      amounts = new Float64Array(n);
      timing = new Uint8Array(n);
      lines = new Int32Array(n);
      moved = new Int32Array(n);
      const next = start.slice(0, count);
      for (let r = 0; r < n; r++) {
        const p = pf[r] as number;
        const q = next[p] as number;
        next[p] = q + 1;
        dates[q] = rows.dates[r] as number;
        amounts[q] = rows.amounts[r] as number;
        timing[q] = rows.timing[r] as number;
        lines[q] = rows.lines[r] as number;
        moved[r] = q;
      }
    }
    const exact = new Map<number, Array<[number, Money]>>();
    for (const [r, m] of rows.exact) {
      const p = pf[r] as number;
      const q = moved === undefined ? r : (moved[r] as number);
      let list = exact.get(p);
      if (list === undefined) exact.set(p, (list = []));
      list.push([q - (start[p] as number), m]);
    }
    const out = new Map<string, CashFlowBuild>();
    builds.forEach((b, p) => {
      const s = start[p] as number;
      const e = start[p + 1] as number;
      b.adoptRows(dates.subarray(s, e), amounts.subarray(s, e), timing.subarray(s, e), lines.subarray(s, e), exact.get(p));
      out.set(b.portfolioId, b);
    });
    return out;
  }
}

/** Timing code of plain `start` / `end` / blank bytes (any case); undefined for anything else. */
function fastTiming(buf: Buffer, s: number, e: number): number | undefined {
  const n = e - s;
  if (n === 0) return TIMING_DEFAULT;
  if (n === 3 && ((buf[s] as number) | 32) === 101 && ((buf[s + 1] as number) | 32) === 110 && ((buf[s + 2] as number) | 32) === 100) {
    return TIMING_END;
  }
  if (
    n === 5 &&
    ((buf[s] as number) | 32) === 115 &&
    ((buf[s + 1] as number) | 32) === 116 &&
    ((buf[s + 2] as number) | 32) === 97 &&
    ((buf[s + 3] as number) | 32) === 114 &&
    ((buf[s + 4] as number) | 32) === 116
  ) {
    return TIMING_START;
  }
  return undefined;
}

/**
 * Reads a whole plain file through `makeSink`, like readCsvTable: throws the header's InputError
 * (missing column) and, after the file, the file-level problems sorted by line. Returns false
 * when the fast path does not take the file (the caller then uses csv-parse).
 */
async function readPlainTable(
  path: string,
  makeSink: (header: string[], ctx: TableContext, dataBytes: number) => PlainRowSink,
  chunkBytes?: number,
  opts: { sync?: boolean } = {},
): Promise<boolean> {
  const fh = await openForScan(path);
  if (fh === undefined) return false;
  try {
    const header = await readPlainHeader(fh);
    if (header === undefined) return false;
    const ctx: TableContext = { file: path, fileProblems: new ProblemCollector(PROBLEM_LIMIT) };
    const sink = makeSink(header.fields, ctx, header.size - header.dataStart);
    const scanner = new PlainScanner(header.fields.length, header.crlf, sink, header.line + 1);
    if (!(await scanFileRange(fh, header.dataStart, header.size, scanner, undefined, chunkBytes, opts))) return false;
    if (scanner.records === 0) return false;
    ctx.fileProblems.problems.sort((a, b) => a.line - b.line);
    ctx.fileProblems.throwIfAny();
    return true;
  } finally {
    await fh.close();
  }
}

/**
 * The byte-level valuations reader alone: the builds readValuationsCsv would give, or undefined
 * when the file is handed back (see the module comment). Throws the same InputError.
 * `chunkBytes` is the read size (CHUNK_BYTES by default; tests make it small to cross chunk ends).
 */
export async function readValuationsPlain(path: string, chunkBytes?: number): Promise<Map<string, ValuationBuild> | undefined> {
  const builders = new Map<string, ValuationBuilder>();
  const ok = await readPlainTable(path, (header, ctx) => new FastValuationSink(header, ctx, builders), chunkBytes);
  if (!ok) return undefined;
  const out = new Map<string, ValuationBuild>();
  for (const [id, b] of builders) out.set(id, b.finish());
  return out;
}

/** The byte-level cash-flows reader alone: readCashFlowsCsv's flows, or undefined when handed back (`chunkBytes` as above). */
export async function readCashFlowsPlain(path: string, chunkBytes?: number, opts: { shared?: boolean; sync?: boolean } = {}): Promise<Map<string, CashFlowBuild> | undefined> {
  let sink: FastCashFlowSink | undefined;
  const ok = await readPlainTable(path, (header, ctx, dataBytes) => (sink = new FastCashFlowSink(header, ctx, dataBytes, opts.shared)), chunkBytes, opts);
  return ok ? (sink as FastCashFlowSink).finish() : undefined;
}

/**
 * readValuationsCsv on the fast path: the same builds (dates, values, lines, currency,
 * problems) and the same InputError, read at byte level when the file is plain.
 */
export async function readValuationsFast(path: string): Promise<Map<string, ValuationBuild>> {
  return (await readValuationsPlain(path)) ?? readValuationsCsv(path);
}

/**
 * readCashFlowsCsv on the fast path: the same raw flows and problems, read at byte level when
 * plain. `shared`: for packFlows({ shared: true }): a plain file grouped by portfolio is read
 * into shared columns that the builds view, and packing then copies nothing (the nightly scan's
 * 1.15 million flows: ~20 MB less memory and copying on the main thread). `sync`: the plain
 * reader reads synchronously (see scanFileRange), for a thread with nothing else to do meanwhile.
 */
export async function readCashFlowsFast(path: string, opts: { shared?: boolean; sync?: boolean } = {}): Promise<Map<string, CashFlowBuild>> {
  return (await readCashFlowsPlain(path, undefined, opts)) ?? readCashFlowsCsv(path);
}

/** loadPortfolios with the fast readers for valuations and cash flows (holdings use csv-parse). */
export function loadPortfoliosFast(opts: LoadOptions): Promise<PortfolioLoad> {
  return loadPortfolios(opts, { valuations: readValuationsFast, cashFlows: readCashFlowsFast });
}
