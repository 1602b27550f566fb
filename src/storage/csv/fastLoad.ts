/**
 * Fast whole-file loaders for the plain CSV layout (fastScan.ts), with exactly the results and
 * problems of the csv-parse loaders (valuations.ts, cashFlows.ts): they fill the same builders
 * (`ValuationBuilder`, `CashFlowBuild`) in the same order, call the same field parsers whenever
 * a field is not in the fast form, and hand the whole file to the csv-parse loader when the
 * scanner meets anything it does not take (a quote, a bare CR, mixed line endings, a leading
 * empty line, an empty or header-only or unreadable file).
 */
import type { Money } from '../../engine/money.js';
import { TIMING_DEFAULT, TIMING_END, TIMING_START } from '../../engine/types.js';
import { ProblemCollector } from '../../errors.js';
import { CashFlowBuild, readCashFlowsCsv, timingCode } from './cashFlows.js';
import { PROBLEM_LIMIT, resolveColumns, type TableContext } from './csvTable.js';
import { dateField, floatField, moneyField, type CurrencyTracker, type FieldSite } from './fieldParsers.js';
import {
  fastDate,
  fastDecimal,
  openForScan,
  PlainScanner,
  readPlainHeader,
  sameBytes,
  scanFileRange,
  type FusedValuationSink,
  type PlainRowSink,
} from './fastScan.js';
import { loadPortfolios, type LoadOptions, type PortfolioLoad } from './loadPortfolios.js';
import { builderFor, readValuationsCsv, ValuationBuilder, type ValuationBuild } from './valuations.js';

const ID_CACHE_BYTES = 256;

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

/** Row step of a valuations file on bytes; the same checks in the same order as valuationSink. */
export class FastValuationSink implements PlainRowSink, FusedValuationSink {
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
  }

  readonly headerLength: number;

  /** The fused shortcut applies when there is no currency column to check. */
  get fusable(): boolean {
    return this.cCurrency < 0;
  }

  get idRef(): Uint8Array {
    return this.ids.ref;
  }

  get idRefLen(): number {
    return this.ids.last === undefined ? -1 : this.ids.refLen;
  }

  fastRow(date: number, value: number, line: number): void {
    (this.ids.last as ValuationBuilder).add(date, value, line);
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

/** Row step of a cash-flows file on bytes; the same checks in the same order as cashFlowSink. */
class FastCashFlowSink implements PlainRowSink {
  private readonly col: Record<'portfolio_id' | 'date' | 'amount' | 'currency' | 'timing', number>;
  private readonly ids: IdCache<CashFlowBuild>;
  private readonly headerLength: number;

  constructor(
    header: string[],
    private readonly ctx: TableContext,
    builders: Map<string, CashFlowBuild>,
  ) {
    this.col = resolveColumns(header, ctx, ['portfolio_id', 'date', 'amount'] as const, ['currency', 'timing'] as const);
    this.headerLength = header.length;
    this.ids = new IdCache(builders, ctx, (id) => new CashFlowBuild(id, ctx.file));
  }

  row(buf: Buffer, starts: Int32Array, ends: Int32Array, line: number): boolean {
    const col = this.col;
    const file = this.ctx.file;
    const b = this.ids.get(buf, starts[col.portfolio_id] as number, ends[col.portfolio_id] as number, line);
    if (b === undefined) return true;
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
        b.dates.push(date);
        b.amounts.push(fast);
        b.timing.push(timing);
        b.lines.push(line);
      } else {
        b.add(date, money as Money, amountText, timing, line);
      }
    }
    return true;
  }

  mismatch(found: number, line: number): boolean {
    this.ctx.fileProblems.add({ file: this.ctx.file, line, message: fieldCountMessage(this.headerLength, found) });
    return true;
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
  makeSink: (header: string[], ctx: TableContext) => PlainRowSink & { fusable?: boolean },
): Promise<boolean> {
  const fh = await openForScan(path);
  if (fh === undefined) return false;
  try {
    const header = await readPlainHeader(fh);
    if (header === undefined) return false;
    const ctx: TableContext = { file: path, fileProblems: new ProblemCollector(PROBLEM_LIMIT) };
    const sink = makeSink(header.fields, ctx);
    const fused = sink.fusable === true ? (sink as unknown as FusedValuationSink) : undefined;
    const scanner = new PlainScanner(header.fields.length, header.crlf, sink, header.line + 1, fused);
    if (!(await scanFileRange(fh, header.dataStart, header.size, scanner))) return false;
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
 */
export async function readValuationsPlain(path: string): Promise<Map<string, ValuationBuild> | undefined> {
  const builders = new Map<string, ValuationBuilder>();
  const ok = await readPlainTable(path, (header, ctx) => new FastValuationSink(header, ctx, builders));
  if (!ok) return undefined;
  const out = new Map<string, ValuationBuild>();
  for (const [id, b] of builders) out.set(id, b.finish());
  return out;
}

/** The byte-level cash-flows reader alone: readCashFlowsCsv's flows, or undefined when handed back. */
export async function readCashFlowsPlain(path: string): Promise<Map<string, CashFlowBuild> | undefined> {
  const builders = new Map<string, CashFlowBuild>();
  const ok = await readPlainTable(path, (header, ctx) => new FastCashFlowSink(header, ctx, builders));
  return ok ? builders : undefined;
}

/**
 * readValuationsCsv on the fast path: the same builds (dates, values, lines, currency,
 * problems) and the same InputError, read at byte level when the file is plain.
 */
export async function readValuationsFast(path: string): Promise<Map<string, ValuationBuild>> {
  return (await readValuationsPlain(path)) ?? readValuationsCsv(path);
}

/** readCashFlowsCsv on the fast path: the same raw flows and problems, read at byte level when plain. */
export async function readCashFlowsFast(path: string): Promise<Map<string, CashFlowBuild>> {
  return (await readCashFlowsPlain(path)) ?? readCashFlowsCsv(path);
}

/** loadPortfolios with the fast readers for valuations and cash flows (holdings use csv-parse). */
export function loadPortfoliosFast(opts: LoadOptions): Promise<PortfolioLoad> {
  return loadPortfolios(opts, { valuations: readValuationsFast, cashFlows: readCashFlowsFast });
}
