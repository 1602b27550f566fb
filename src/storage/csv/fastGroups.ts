/**
 * Streaming grouped scan of a plain valuations file: when each portfolio's rows are contiguous
 * (dates within a portfolio in any order), `scanValuationGroups` hands over one portfolio at a
 * time, so memory is O(largest portfolio) instead of O(file).
 *
 * A group's arrays and problems are exactly what the whole-file loaders give for that portfolio
 * (`GroupRows.finish` is ValuationBuilder.finish on reused buffers: sort by date, duplicates
 * named with both lines). Line numbers are kept per row only inside the open group.
 *
 * The scan reports `{ grouped: false }` and stops when the file is not for this path: a
 * portfolio id reappears after its group ended ('not-grouped'), a file-level problem (blank
 * portfolio_id, wrong field count: 'file-problems'), a missing column ('header') or anything the
 * plain scanner hands back ('unsupported'). The caller then uses the whole-file loader, which
 * gives the full answer or the InputError. Groups already handed to `onGroup` must then be
 * discarded.
 */
import { createHash, type Hash } from 'node:crypto';
import { InputError, ProblemCollector, type InputProblem } from '../../errors.js';
import { PROBLEM_LIMIT, resolveColumns, type TableContext } from './csvTable.js';
import { addValuationRow, type ValuationRowTarget } from './fastLoad.js';
import type { ValuationSide } from './loadPortfolios.js';
import {
  openForScan,
  PlainScanner,
  readPlainHeader,
  sameBytes,
  scanFileRange,
  valuationRun,
  type PlainRowSink,
  type ValuationRunTarget,
} from './fastScan.js';
import { formatIsoDate } from '../../engine/calendarDate.js';
import { CurrencyTracker } from './fieldParsers.js';
import { ascendingOrder } from './growable.js';

/** Digest algorithm of a group's bytes (node:crypto names); 'none' leaves `digest` empty. */
export type GroupDigest = 'sha256' | 'sha1' | 'md5' | 'none';

/** One portfolio's contiguous rows of a valuations file. */
/** One scanned portfolio: what combinePortfolio needs (file, dates, values, problems, currency), plus the scan's own facts. */
export interface ValuationGroup extends ValuationSide {
  portfolioId: string;
  /** Hex digest of the header line, a LF, and the group's raw row bytes as in the file. */
  digest: string;
  /** Data records in the group (including rows with problems). */
  rows: number;
  /** File byte range of the group's rows: [byteStart, byteEnd). */
  byteStart: number;
  byteEnd: number;
  /** Line of the group's first record; relative to the range start (1-based) when `linesKnown` is false. */
  firstLine: number;
  /** False when the scan did not know the range's first line: then every line number is relative. */
  linesKnown: boolean;
}

/** A byte range of the file: `start` a line start (or before the first data line), `end` a line start or the size. */
export interface GroupScanRange {
  start: number;
  end: number;
  /** Physical line number at `start`; omit when unknown (lines are then relative, see ValuationGroup). */
  firstLine?: number;
}

export type NotGroupedReason = 'not-grouped' | 'file-problems' | 'header' | 'unsupported';

export type GroupScanOutcome =
  | {
      grouped: true;
      /** Groups handed over, data records and physical lines consumed in the range. */
      groups: number;
      rows: number;
      lines: number;
      /** Portfolio ids in file order (to check that ranges scanned apart do not share one). */
      ids: string[];
    }
  | { grouped: false; reason: NotGroupedReason };

export interface GroupScanOptions {
  /** Digest algorithm (default sha256). */
  digest?: GroupDigest;
  /** Read size in bytes (default CHUNK_BYTES; tests make it small so that lines and groups cross chunk ends). */
  chunkBytes?: number;
}

/** Row buffers reused from group to group (they grow to the largest portfolio). */
class Staging {
  dates = new Int32Array(4096);
  values = new Float64Array(4096);
  lines = new Int32Array(4096);

  grow(): void {
    const n = this.dates.length * 2;
    const d = new Int32Array(n);
    d.set(this.dates);
    const v = new Float64Array(n);
    v.set(this.values);
    const l = new Int32Array(n);
    l.set(this.lines);
    this.dates = d;
    this.values = v;
    this.lines = l;
  }
}

/** One open group's rows: a ValuationBuilder whose columns are the shared Staging buffers. */
class GroupRows implements ValuationRowTarget {
  readonly currency = new CurrencyTracker();
  readonly problems = new ProblemCollector(PROBLEM_LIMIT);
  length = 0;
  /** The rows so far are known to have strictly ascending dates (false: not known; finish then looks). */
  ascending = true;

  constructor(
    readonly portfolioId: string,
    readonly file: string,
    private readonly st: Staging,
  ) {}

  add(date: number, value: number, line: number): void {
    const st = this.st;
    if (this.length === st.dates.length) st.grow();
    const k = this.length++;
    if (k > 0 && date <= (st.dates[k - 1] as number)) this.ascending = false;
    st.dates[k] = date;
    st.values[k] = value;
    st.lines[k] = line;
  }

  /** ValuationBuilder.finish: ascending dates, a later row of a date already seen dropped and reported. */
  finish(): { dates: Int32Array; values: Float64Array } {
    const n = this.length;
    const st = this.st;
    const raw = st.dates.subarray(0, n);
    let k = this.ascending ? n : 1;
    while (k < n && (raw[k] as number) > (raw[k - 1] as number)) k++;
    // Strictly ascending (the usual export): no sort and no duplicate, the rows as they are.
    if (k >= n) return { dates: raw.slice(), values: st.values.slice(0, n) };
    const order = ascendingOrder(raw);
    const at = (k: number): number => (order ? (order[k] as number) : k);
    let dups = 0;
    for (let k = 1; k < n; k++) if (raw[at(k)] === raw[at(k - 1)]) dups++;
    const dates = new Int32Array(n - dups);
    const values = new Float64Array(n - dups);
    let out = 0;
    let first = 0;
    for (let k = 0; k < n; k++) {
      const i = at(k);
      const date = raw[i] as number;
      if (k > 0 && date === raw[at(k - 1)]) {
        // Ties are in input order (a stable sort), so the first of the run is the earlier line.
        this.problems.add({
          file: this.file,
          line: st.lines[i] as number,
          field: 'date',
          message: `duplicate valuation for portfolio '${this.portfolioId}' on ${formatIsoDate(date)} (also on line ${st.lines[first]})`,
        });
      } else {
        first = i;
        dates[out] = date;
        values[out++] = st.values[i] as number;
      }
    }
    return { dates, values };
  }
}

class GroupSink implements PlainRowSink, ValuationRunTarget {
  readonly ready: ValuationGroup[] = [];
  readonly ids: string[] = [];
  reason: NotGroupedReason | undefined;
  scanner!: PlainScanner;
  private readonly seen = new Set<string>();
  private readonly cDate: number;
  private readonly cValue: number;
  private readonly cCurrency: number;
  private readonly pid: number;
  /** The open group's raw id bytes (ValuationRunTarget); idRefLen is -1 when no group is open. */
  readonly idRef = Buffer.allocUnsafe(256);
  idRefLen = -1;
  readonly fusedPid: number;
  readonly fusedDate: number;
  readonly fusedValue: number;
  /** The valuation shortcut, when there is no currency column to check. */
  readonly run: PlainRowSink['run'];
  private builder: GroupRows | undefined;
  private readonly staging = new Staging();
  private hash: Hash | undefined;
  private hashFrom = 0;
  private groupStart = 0;
  private groupLine = 0;
  private groupRows = 0;

  constructor(
    header: string[],
    private readonly headerBytes: Buffer,
    private readonly ctx: TableContext,
    private readonly digest: GroupDigest,
    private readonly linesKnown: boolean,
  ) {
    const col = resolveColumns(header, ctx, ['portfolio_id', 'date', 'market_value'] as const, ['currency'] as const);
    this.pid = col.portfolio_id;
    this.cDate = col.date;
    this.cValue = col.market_value;
    this.cCurrency = col.currency;
    this.fusedPid = this.pid;
    this.fusedDate = this.cDate;
    this.fusedValue = this.cValue;
    if (this.cCurrency < 0) this.run = (buf, pos, stop, scanner) => valuationRun(this, buf, pos, stop, scanner);
  }

  get runDates(): Int32Array {
    return this.staging.dates;
  }

  get runValues(): Float64Array {
    return this.staging.values;
  }

  get runLines(): Int32Array {
    return this.staging.lines;
  }

  get runLength(): number {
    return (this.builder as GroupRows).length;
  }

  runGrow(): void {
    this.staging.grow();
  }

  runDone(length: number, ascending: boolean): void {
    const b = this.builder as GroupRows;
    this.groupRows += length - b.length;
    b.length = length;
    if (!ascending) b.ascending = false;
  }

  row(buf: Buffer, starts: Int32Array, ends: Int32Array, line: number, lineStart: number): boolean {
    const s = starts[this.pid] as number;
    const e = ends[this.pid] as number;
    let b = this.builder;
    if (b === undefined || !sameBytes(buf, s, e, this.idRef, this.idRefLen)) {
      const id = buf.toString('utf8', s, e).trim();
      if (id === '') {
        this.reason = 'file-problems';
        return false;
      }
      if (b === undefined || id !== b.portfolioId) {
        if (b !== undefined) this.close(buf, lineStart);
        if (this.seen.has(id)) {
          this.reason = 'not-grouped';
          return false;
        }
        this.seen.add(id);
        this.ids.push(id);
        b = this.open(id, line, lineStart);
      }
      if (e - s <= this.idRef.length) {
        buf.copy(this.idRef, 0, s, e);
        this.idRefLen = e - s;
      } else {
        this.idRefLen = -1;
      }
    }
    this.groupRows++;
    addValuationRow(b, this.ctx.file, buf, starts, ends, line, this.cDate, this.cValue, this.cCurrency);
    return true;
  }

  mismatch(): boolean {
    this.reason = 'file-problems';
    return false;
  }

  blockEnd(buf: Buffer, end: number): void {
    if (this.hash !== undefined && end > this.hashFrom) this.hash.update(buf.subarray(this.hashFrom, end));
    this.hashFrom = 0;
  }

  private open(id: string, line: number, lineStart: number): GroupRows {
    const b = new GroupRows(id, this.ctx.file, this.staging);
    this.builder = b;
    this.groupStart = this.scanner.base + lineStart;
    this.groupLine = line;
    this.groupRows = 0;
    this.hashFrom = lineStart;
    if (this.digest !== 'none') {
      this.hash = createHash(this.digest).update(this.headerBytes).update('\n');
    }
    return b;
  }

  /** Ends the open group just before buf[endInBuf] (or, with no buffer, where the last block ended). */
  close(buf: Buffer | undefined, endInBuf: number): void {
    const b = this.builder;
    if (b === undefined) return;
    let byteEnd: number;
    if (buf !== undefined) {
      if (this.hash !== undefined && endInBuf > this.hashFrom) this.hash.update(buf.subarray(this.hashFrom, endInBuf));
      this.hashFrom = endInBuf;
      byteEnd = this.scanner.base + endInBuf;
    } else {
      byteEnd = endInBuf;
    }
    const build = b.finish();
    const problems = b.problems.problems.slice().sort((x, y) => x.line - y.line);
    this.ready.push({
      portfolioId: b.portfolioId,
      file: this.ctx.file,
      dates: build.dates,
      values: build.values,
      problems,
      problemTotal: b.problems.total,
      currency: b.currency.currency,
      currencyLine: b.currency.line,
      digest: this.hash !== undefined ? this.hash.digest('hex') : '',
      rows: this.groupRows,
      byteStart: this.groupStart,
      byteEnd,
      firstLine: this.groupLine,
      linesKnown: this.linesKnown,
    });
    this.builder = undefined;
    this.hash = undefined;
    this.idRefLen = -1;
  }
}

/**
 * Scans a plain valuations file (or one byte range of it, see GroupScanRange) and calls
 * `onGroup` once per portfolio, in file order, awaiting it. See the module comment for when it
 * reports `{ grouped: false }` instead.
 */
export async function scanValuationGroups(
  path: string,
  range: GroupScanRange | undefined,
  onGroup: (group: ValuationGroup) => void | Promise<void>,
  options: GroupScanOptions = {},
): Promise<GroupScanOutcome> {
  const fh = await openForScan(path);
  if (fh === undefined) return { grouped: false, reason: 'unsupported' };
  try {
    const header = await readPlainHeader(fh);
    if (header === undefined) return { grouped: false, reason: 'unsupported' };
    let start = range?.start ?? header.dataStart;
    const end = Math.min(range?.end ?? header.size, header.size);
    let firstLine = range?.firstLine;
    if (start <= header.dataStart) {
      start = header.dataStart;
      firstLine = header.line + 1;
    }
    const ctx: TableContext = { file: path, fileProblems: new ProblemCollector(PROBLEM_LIMIT) };
    let sink: GroupSink;
    try {
      sink = new GroupSink(header.fields, header.bytes, ctx, options.digest ?? 'sha256', firstLine !== undefined);
    } catch (err) {
      if (err instanceof InputError) return { grouped: false, reason: 'header' };
      throw err;
    }
    const lineAtStart = firstLine ?? 1;
    const scanner = new PlainScanner(header.fields.length, header.crlf, sink, lineAtStart);
    sink.scanner = scanner;
    let groups = 0;
    const drain = async (): Promise<void> => {
      while (sink.ready.length > 0) {
        const g = sink.ready.shift() as ValuationGroup;
        groups++;
        await onGroup(g);
      }
    };
    if (start < end) {
      const ok = await scanFileRange(fh, start, end, scanner, drain, options.chunkBytes);
      if (!ok) return { grouped: false, reason: sink.reason ?? 'unsupported' };
      sink.close(undefined, end);
      await drain();
    }
    if (start === header.dataStart && end === header.size && scanner.records === 0) {
      return { grouped: false, reason: 'unsupported' };
    }
    return { grouped: true, groups, rows: scanner.records, lines: scanner.line - lineAtStart, ids: sink.ids };
  } finally {
    await fh.close();
  }
}
