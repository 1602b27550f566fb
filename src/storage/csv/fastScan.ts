/**
 * Byte-level reading of the plain CSV layout (no quotes, one record per line, LF or CRLF line
 * endings, optional UTF-8 BOM), the fast path beside the csv-parse one (csvTable.ts).
 *
 * The scanner never makes a string per row: it finds the field boundaries of each line in a
 * Buffer and hands them to a `PlainRowSink`, which parses the fields it needs straight from the
 * bytes (`fastDate`, `fastDecimal`) and only decodes a field to text when the fast parse does not
 * apply (then the shared fieldParsers functions produce the very same value or problem).
 * A sink may also offer a shortcut (`PlainRowSink.run`) that takes whole runs of lines of the
 * previous row's portfolio in one loop, with no call, string or object per row: the id bytes
 * are compared with the previous row's, dates come from a month table, values are an integer
 * mantissa divided once by a power of ten, and rows go straight into typed arrays
 * (`valuationRun` for valuations; the cash-flows reader has its own). The shortcuts read lines
 * mostly in 4-byte little-endian words through a DataView (ASCII digits tested and summed four
 * at a time: nonDigits, digitsValue). Any line a shortcut does not take goes through the
 * general path, which gives every value and problem.
 *
 * It hands the file back (returns false / undefined) whenever it meets something csv-parse
 * might read differently: a quote character anywhere, a bare CR, mixed LF and CRLF endings,
 * empty lines before the header, a header without data rows, an unreadable file. Callers then
 * read the whole file with csv-parse, so every message stays the csv-parse path's.
 */
import { readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { daysFromCivil, daysInMonth } from '../../engine/calendarDate.js';

/** Bytes read per chunk. */
export const CHUNK_BYTES = 1 << 20;

const LF = 10;
const CR = 13;
const QUOTE = 34;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const DASH = 45;

/** Exact powers of ten 10^0 .. 10^15 (doubles). */
export const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * The value of `-?digits[.digits]` text in buf[s, e), exactly `Number(text)`, or NaN when the
 * text is not of that form or has more than 15 digits (the caller then parses the text).
 *
 * Why exact: with at most 15 digits the integer mantissa m < 10^15 < 2^53 and the power 10^k
 * (k <= 15 <= 22) are both exact doubles, so the IEEE division m / 10^k is the correctly rounded
 * quotient, which is the double nearest to the decimal, i.e. what Number(text) returns
 * (Clinger's fast path). Signs round symmetrically; "-0" gives -0 as Number does.
 */
export function fastDecimal(buf: Uint8Array, s: number, e: number): number {
  let i = s;
  let neg = false;
  if (i < e && buf[i] === MINUS) {
    neg = true;
    i++;
  }
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; i < e; i++) {
    const c = buf[i] as number;
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (frac >= 0) frac++;
    } else if (c === DOT && frac < 0) {
      frac = 0;
    } else {
      return NaN;
    }
  }
  if (digits === 0 || digits > 15) return NaN;
  const x = frac <= 0 ? m : m / (POW10[frac] as number);
  return neg ? -x : x;
}

/**
 * Epoch day of the first of each month and the month's length, at index year * 16 + month
 * (year 0..9999, month 1..12), filled on first use: a length of 0 means not computed yet.
 * The date parsers then need one table look-up per row instead of daysFromCivil's divisions.
 */
const MONTH_FIRST = new Int32Array(10000 * 16);
const MONTH_LENGTH = new Uint8Array(10000 * 16);

/** Fills the month table entry of a valid year (0..9999) and month (1..12); returns the month's length. */
function fillMonth(year: number, month: number): number {
  const key = year * 16 + month;
  MONTH_FIRST[key] = daysFromCivil(year, month, 1);
  const n = daysInMonth(year, month);
  MONTH_LENGTH[key] = n;
  return n;
}

/**
 * The epoch day of a strict `YYYY-MM-DD` date in buf[s, e) (same rule as parseIsoDate), or NaN
 * when the bytes are not exactly such a valid date (the caller then parses the text).
 */
export function fastDate(buf: Uint8Array, s: number, e: number): number {
  if (e - s !== 10 || buf[s + 4] !== DASH || buf[s + 7] !== DASH) return NaN;
  const d0 = (buf[s] as number) - 48;
  const d1 = (buf[s + 1] as number) - 48;
  const d2 = (buf[s + 2] as number) - 48;
  const d3 = (buf[s + 3] as number) - 48;
  const d5 = (buf[s + 5] as number) - 48;
  const d6 = (buf[s + 6] as number) - 48;
  const d8 = (buf[s + 8] as number) - 48;
  const d9 = (buf[s + 9] as number) - 48;
  // A digit d is valid when both d and 9 - d are non-negative.
  if ((d0 | (9 - d0) | d1 | (9 - d1) | d2 | (9 - d2) | d3 | (9 - d3) | d5 | (9 - d5) | d6 | (9 - d6) | d8 | (9 - d8) | d9 | (9 - d9)) < 0) {
    return NaN;
  }
  const month = d5 * 10 + d6;
  if (month < 1 || month > 12) return NaN;
  const year = d0 * 1000 + d1 * 100 + d2 * 10 + d3;
  const key = year * 16 + month;
  const length = MONTH_LENGTH[key] || fillMonth(year, month);
  const day = d8 * 10 + d9;
  if (day < 1 || day > length) return NaN;
  return (MONTH_FIRST[key] as number) + day - 1;
}

/**
 * The month table's key (year * 16 + month) of a `YYYY` word and a `-MM-` word (little-endian:
 * byte 0 first), or -1 when they are not four digits and a dash, two digits and a dash with a
 * month 01..12. Fills the table entry (MONTH_LENGTH[key] is then the month's length).
 */
function monthKey(y: number, md: number): number {
  // Bytes 1 and 2 of md are told right once byte 0 is the dash (see nonDigits).
  if (nonDigits(y) !== 0 || (md & 0xff0000ff) !== 0x2d00002d || (nonDigits(md) & 0xf0f000) !== 0) return -1;
  const month = ((md >>> 8) & 15) * 10 + ((md >>> 16) & 15);
  if (month < 1 || month > 12) return -1;
  const year = digitsValue(y, 4);
  const key = year * 16 + month;
  if (MONTH_LENGTH[key] === 0) fillMonth(year, month);
  return key;
}

/**
 * The day of a `-DD,` word (byte 0, a dash, is not looked at: the caller has checked it), or -1
 * when bytes 1 and 2 are not digits or byte 3 is not a comma. Not checked against the month.
 */
function dayOf(dd: number): number {
  if ((dd & 0xff000000) !== 0x2c000000 || (nonDigits(dd) & 0xf0f000) !== 0) return -1;
  return ((dd >>> 8) & 15) * 10 + ((dd >>> 16) & 15);
}

/**
 * fastDate for a date field between two commas, read in 4-byte words: bytes i and i + 11 of
 * the view must be commas and bytes [i + 1, i + 11) a strict YYYY-MM-DD date; its epoch day, or
 * NaN. Reads bytes [i, i + 12) only.
 */
export function commaDate(dv: DataView, i: number): number {
  if (dv.getUint8(i) !== COMMA) return NaN;
  // `YYYY`, `-MM-` and `-DD,` (the last two share the second dash, checked by monthKey).
  const key = monthKey(dv.getInt32(i + 1, true), dv.getInt32(i + 5, true));
  if (key < 0) return NaN;
  const day = dayOf(dv.getInt32(i + 8, true));
  if (day < 1 || day > (MONTH_LENGTH[key] as number)) return NaN;
  return (MONTH_FIRST[key] as number) + day - 1;
}

/** True when buf[s, e) holds the same bytes as ref[0, refLen). */
export function sameBytes(buf: Uint8Array, s: number, e: number, ref: Uint8Array, refLen: number): boolean {
  if (e - s !== refLen) return false;
  for (let i = 0; i < refLen; i++) if (buf[s + i] !== ref[i]) return false;
  return true;
}

/** The header line of a plain file. */
export interface PlainHeader {
  /** Header fields as csv-parse would give them (decoded, untrimmed). */
  fields: string[];
  /** Raw bytes of the header line (after any BOM, without its line ending). */
  bytes: Buffer;
  /** Line endings are CRLF (else LF). */
  crlf: boolean;
  /** Physical line number of the header (always 1: leading empty lines are handed back). */
  line: number;
  /** Byte offset just after the header line's ending (the first data line's start). */
  dataStart: number;
  /** File size in bytes. */
  size: number;
}

/**
 * Reads the header of a plain file, or undefined when the file is not one the fast path takes
 * (empty, no line ending after the header, leading empty line, quote or stray CR in the header).
 */
export async function readPlainHeader(fh: FileHandle): Promise<PlainHeader | undefined> {
  const size = (await fh.stat()).size;
  let buf = Buffer.allocUnsafe(Math.min(65536, Math.max(size, 1)));
  let filled = 0;
  let nl = -1;
  while (nl < 0 && filled < size) {
    if (filled === buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, filled);
      buf = bigger;
    }
    const { bytesRead } = await fh.read(buf, filled, buf.length - filled, filled);
    if (bytesRead === 0) break;
    const from = filled;
    filled += bytesRead;
    nl = buf.indexOf(LF, from);
    if (nl >= filled) nl = -1;
  }
  if (nl < 0) return undefined;
  const s = filled >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  const crlf = nl > s && buf[nl - 1] === CR;
  const e = crlf ? nl - 1 : nl;
  if (e <= s) return undefined;
  for (let i = s; i < e; i++) {
    const c = buf[i];
    if (c === QUOTE || c === CR) return undefined;
  }
  const bytes = Buffer.from(buf.subarray(s, e));
  return { fields: bytes.toString('utf8').split(','), bytes, crlf, line: 1, dataStart: nl + 1, size };
}

/** Receives each record of a plain file, as field boundaries in a buffer. */
export interface PlainRowSink {
  /**
   * One record with as many fields as the header: field f is buf[starts[f], ends[f]).
   * `lineStart` is the record's first byte in buf. Return false to stop the scan.
   */
  row(buf: Buffer, starts: Int32Array, ends: Int32Array, line: number, lineStart: number): boolean;
  /** A record whose field count differs from the header's. Return false to stop the scan. */
  mismatch(found: number, line: number): boolean;
  /** The scan has consumed buf up to `end` (exclusive); scanFileRange calls it after each block. */
  blockEnd?(buf: Buffer, end: number): void;
  /**
   * An optional shortcut: takes consecutive lines from buf[pos, stop) that it reads without the
   * general path (stop is just after a LF, so a scan for a non-digit byte ends there), counts
   * each in `scanner.line` and `scanner.records`, and returns the start of the first line it did
   * not take (pos when none). That line then goes through `row` / `mismatch` as usual, so a
   * shortcut must take only lines whose outcome is exactly what `row` would give.
   */
  run?(buf: Buffer, pos: number, stop: number, scanner: PlainScanner): number;
}

/**
 * A valuation sink's side of the shortcut `valuationRun`: the column indices, the previous
 * row's raw id bytes, and typed arrays the shortcut appends rows to.
 */
export interface ValuationRunTarget {
  /** Column indices of portfolio_id, date and market_value. */
  readonly fusedPid: number;
  readonly fusedDate: number;
  readonly fusedValue: number;
  /** The previous row's raw id bytes (idRefLen <= 0: none; the shortcut then takes nothing). */
  readonly idRef: Uint8Array;
  readonly idRefLen: number;
  /** Row k taken is (runDates[k], runValues[k], runLines[k]); rows [0, runLength) are already there. */
  readonly runDates: Int32Array;
  readonly runValues: Float64Array;
  readonly runLines: Int32Array;
  readonly runLength: number;
  /** The arrays are full with `length` rows: make them longer (geometrically), keeping those rows. */
  runGrow(length: number): void;
  /**
   * The shortcut has stopped with `length` rows in the arrays. `ascending`: the rows it added
   * have strictly ascending dates, the first one after the row before them (false: not known).
   */
  runDone(length: number, ascending: boolean): void;
}

/**
 * The valuation shortcut for PlainRowSink.run: takes the lines of the previous row's portfolio
 * (the same id bytes, so no decoding) with a strict date and a positive value of at most 15
 * digits in plain `digits[.digits]` form, and appends them to the target's arrays; every other
 * line is left to the general path. Only for sinks without a currency column to check.
 *
 * Exact: the value is the integer mantissa m < 10^15 divided by 10^k once, the same double as
 * Number(text) (see fastDecimal).
 */
export function valuationRun(t: ValuationRunTarget, buf: Buffer, pos: number, stop: number, scanner: PlainScanner): number {
  if (t.idRefLen <= 0) return pos;
  if (scanner.fieldCount === 3 && t.fusedPid === 0 && t.fusedDate === 1 && t.fusedValue === 2) {
    return idDateValueRun(t, buf, pos, stop, scanner);
  }
  let n = t.runLength;
  const n0 = n;
  for (;;) {
    const next = valuationLine(t, buf, pos, stop, scanner.fieldCount, scanner.crlf, n, scanner.line + n - n0);
    if (next < 0) break;
    n++;
    pos = next;
    if (pos >= stop) break;
  }
  t.runDone(n, false);
  scanner.line += n - n0;
  scanner.records += n - n0;
  return pos;
}

/**
 * valuationRun for the columns portfolio_id,date,market_value in that order (the bench layout),
 * in one loop that reads the line mostly in 4-byte words (a DataView on buf, little-endian):
 * a row whose `id,YYYY-MM-` prefix has the same bytes as the previous row's is of the same
 * portfolio and month, so only its day is checked; the value is read 4 digits at a time
 * (leadingDigits, digitsValue). Every line it takes is one the byte-by-byte checks take too.
 */
function idDateValueRun(t: ValuationRunTarget, buf: Buffer, pos: number, stop: number, scanner: PlainScanner): number {
  const len = t.idRefLen;
  const ref = t.idRef;
  const crlf = scanner.crlf;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // getInt32(j) reads buf[j, j + 4): value words are read only from j <= wordEnd.
  const wordEnd = buf.length - 4;
  let dates = t.runDates;
  let values = t.runValues;
  let lines = t.runLines;
  let n = t.runLength;
  const n0 = n;
  let line = scanner.line;
  // Whether the rows taken have strictly ascending dates (lastDate: the date of the row before).
  let ascending = true;
  let lastDate = n > 0 ? (dates[n - 1] as number) : -Infinity;
  // The month of the last row: its first epoch day and length.
  let monthFirst = 0;
  let monthLength = 0;
  // The prefix `id,YYYY-MM-` is buf[pos, pos + prefix): its bytes before `head` are compared
  // with the id one by one (none for ids of up to 7 bytes), the rest as 4 words (at offsets
  // head, o1, o2, o3, overlapping when the prefix is shorter than 16 bytes) with the previous
  // row's words p0..p3 (`known`: there is a previous row in this run).
  const prefix = len + 9;
  const head = Math.max(0, prefix - 16);
  const o1 = head + 4;
  const o2 = Math.min(head + 8, prefix - 4);
  const o3 = prefix - 4;
  let known = false;
  let p0 = 0;
  let p1 = 0;
  let p2 = 0;
  let p3 = 0;
  // The shortest line, `id,YYYY-MM-DD,d` and LF, has len + 14 bytes: the fixed offsets below are in range.
  const last = stop - len - 14;
  rows: while (pos <= last) {
    const i = pos + len;
    const w0 = dv.getInt32(pos + head, true);
    const w1 = dv.getInt32(pos + o1, true);
    const w2 = dv.getInt32(pos + o2, true);
    const w3 = dv.getInt32(pos + o3, true);
    let k = 0;
    while (k < head && buf[pos + k] === ref[k]) k++;
    if (!(known && k === head && w0 === p0 && w1 === p1 && w2 === p2 && w3 === p3)) {
      // Not the previous row's portfolio and month: the id byte by byte, then the comma, year and month.
      while (k < len && buf[pos + k] === ref[k]) k++;
      if (k < len) break;
      if (buf[i] !== COMMA) break;
      const key = monthKey(dv.getInt32(i + 1, true), dv.getInt32(i + 5, true));
      if (key < 0) break;
      monthLength = MONTH_LENGTH[key] as number;
      monthFirst = MONTH_FIRST[key] as number;
      // A valid prefix: the next rows with the same words need none of these checks.
      known = true;
      p0 = w0;
      p1 = w1;
      p2 = w2;
      p3 = w3;
    }
    // `-DD,` in one word (its dash checked with the month).
    const day = dayOf(dv.getInt32(i + 8, true));
    if (day < 1 || day > monthLength) break;
    // The value: digits[.digits], at most 15 digits, not zero, 4 bytes at a time; m sums the
    // digits (exact integers below 10^15 < 2^53). The LF at stop - 1 ends the loop.
    let j = i + 12;
    const s = j;
    let m = 0;
    let dot = -1;
    let c = 0;
    for (;;) {
      if (j > wordEnd) break rows;
      const w = dv.getInt32(j, true);
      const cnt = leadingDigits(w);
      m = m * (POW10[cnt] as number) + digitsValue(w, cnt);
      j += cnt;
      if (cnt < 4) {
        // Byte j, the first that is no digit, is byte cnt of w: one dot may stand among the digits.
        c = (w >>> (cnt << 3)) & 0xff;
        if (c !== DOT || dot >= 0) break;
        dot = j++;
      }
    }
    const frac = dot < 0 ? 0 : j - dot - 1;
    const digits = dot < 0 ? j - s : j - s - 1;
    if (digits === 0 || digits > 15 || m === 0) break;
    if (c === LF) {
      if (crlf) break;
      j++;
    } else if (c === CR && crlf && buf[j + 1] === LF) {
      j += 2;
    } else {
      break;
    }
    if (n === dates.length) {
      t.runGrow(n);
      dates = t.runDates;
      values = t.runValues;
      lines = t.runLines;
    }
    const date = monthFirst + day - 1;
    if (date <= lastDate) ascending = false;
    lastDate = date;
    dates[n] = date;
    // Exact: see fastDecimal.
    values[n] = frac === 0 ? m : m / (POW10[frac] as number);
    lines[n] = line++;
    n++;
    pos = j;
  }
  t.runDone(n, ascending);
  scanner.line = line;
  scanner.records += n - n0;
  return pos;
}

/**
 * The bytes of w (little-endian: byte 0 first) that are no ASCII digits, as non-zero high
 * nibbles: a byte b is a digit when its high nibble is 3 and b + 6 keeps it 3. The sum may carry
 * into the next byte only from a byte of 0xfa or more, so each byte up to and including the
 * first that is no digit is told right (the bytes after it may not be).
 */
function nonDigits(w: number): number {
  return ((w & 0xf0f0f0f0) ^ 0x30303030) | (((w + 0x06060606) & 0xf0f0f0f0) ^ 0x30303030);
}

/** How many of the 4 bytes of w (byte 0 first) lead with ASCII digits (0..4); see nonDigits. */
function leadingDigits(w: number): number {
  const other = nonDigits(w);
  return other === 0 ? 4 : (31 - Math.clz32(other & -other)) >> 3;
}

/** The number written by the first `cnt` (0..4) bytes of w, all ASCII digits (byte 0 the leading digit). */
function digitsValue(w: number, cnt: number): number {
  // Shifted up, the digits have zero bytes before them: a 4-digit number with leading zeros.
  let d = cnt === 0 ? 0 : (w & 0x0f0f0f0f) << (32 - 8 * cnt);
  d = (d * 10 + (d >>> 8)) & 0x00ff00ff;
  return (d * 100 + (d >>> 16)) & 0xffff;
}

/**
 * The valuation shortcut for one line of any column order (other columns plain): appends row
 * `n` and returns the next line's start, or -1 when the line must take the general path.
 */
function valuationLine(
  t: ValuationRunTarget,
  buf: Buffer,
  pos: number,
  stop: number,
  fieldCount: number,
  crlf: boolean,
  n: number,
  line: number,
): number {
  let i = pos;
  let date = NaN;
  let value = NaN;
  for (let f = 0; f < fieldCount; f++) {
    if (f > 0) {
      if (i >= stop || buf[i] !== COMMA) return -1;
      i++;
    }
    if (f === t.fusedPid) {
      const len = t.idRefLen;
      if (i + len > stop) return -1;
      const ref = t.idRef;
      for (let k = 0; k < len; k++) if (buf[i + k] !== ref[k]) return -1;
      i += len;
    } else if (f === t.fusedDate) {
      if (i + 10 > stop) return -1;
      date = fastDate(buf, i, i + 10);
      if (date !== date) return -1;
      i += 10;
    } else if (f === t.fusedValue) {
      let m = 0;
      let digits = 0;
      let frac = -1;
      for (; i < stop; i++) {
        const c = buf[i] as number;
        if (c >= 48 && c <= 57) {
          m = m * 10 + (c - 48);
          digits++;
          if (frac >= 0) frac++;
        } else if (c === DOT && frac < 0) {
          frac = 0;
        } else {
          break;
        }
      }
      if (digits === 0 || digits > 15 || m === 0) return -1;
      // Exact: see fastDecimal.
      value = frac <= 0 ? m : m / (POW10[frac] as number);
    } else {
      for (; i < stop; i++) {
        const c = buf[i] as number;
        if (c === COMMA || c === LF || c === CR) break;
        if (c === QUOTE) return -1;
      }
    }
  }
  if (i >= stop) return -1;
  let next: number;
  const c = buf[i];
  if (c === LF && !crlf) next = i + 1;
  else if (c === CR && crlf && i + 1 < stop && buf[i + 1] === LF) next = i + 2;
  else return -1;
  if (n === t.runDates.length) t.runGrow(n);
  t.runDates[n] = date;
  t.runValues[n] = value;
  t.runLines[n] = line;
  return next;
}

/** Why a scan stopped early. */
export type ScanStop = 'unsupported' | 'sink';

/** Splits lines of the plain layout into fields and feeds a sink (see the module comment). */
export class PlainScanner {
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** Physical line number of the next line. */
  line: number;
  /** Records seen (empty lines excluded). */
  records = 0;
  /** Set when the scan stopped early. */
  stop: ScanStop | undefined;
  /** File offset of byte 0 of the buffer being scanned (set by scanFileRange). */
  base = 0;

  constructor(
    readonly fieldCount: number,
    readonly crlf: boolean,
    readonly sink: PlainRowSink,
    firstLine: number,
  ) {
    this.starts = new Int32Array(fieldCount + 1);
    this.ends = new Int32Array(fieldCount + 1);
    this.line = firstLine;
  }

  /**
   * Scans the lines in buf[pos, end). Every line must end with LF except, at the end of the
   * file, the last one. Returns false when the scan stopped (see `stop`).
   */
  scan(buf: Buffer, pos: number, end: number): boolean {
    const sink = this.sink;
    // The sink's shortcut sees only LF-terminated lines (a last line without one goes the general way).
    const stop = sink.run === undefined || pos >= end ? pos : buf[end - 1] === LF ? end : buf.lastIndexOf(LF, end - 1) + 1;
    while (pos < end) {
      if (pos < stop) {
        pos = sink.run!(buf, pos, stop, this);
        if (pos >= end) break;
      }
      const next = this.generalLine(buf, pos, end);
      if (next < 0) return false;
      pos = next;
    }
    return true;
  }

  /** Splits the line at buf[pos] into fields and hands it to the sink; the next line's start, or -1 when stopped. */
  private generalLine(buf: Buffer, pos: number, end: number): number {
    const starts = this.starts;
    const ends = this.ends;
    const n = this.fieldCount;
    const crlf = this.crlf;
    let f = 0;
    starts[0] = pos;
    let i = pos;
    let contentEnd = end;
    for (; i < end; i++) {
      const c = buf[i] as number;
      if (c > COMMA) continue;
      if (c === COMMA) {
        if (f < n) ends[f] = i;
        f++;
        if (f < n) starts[f] = i + 1;
      } else if (c === LF) {
        if (crlf) {
          this.stop = 'unsupported';
          return -1;
        }
        contentEnd = i;
        break;
      } else if (c === CR) {
        if (!crlf || i + 1 >= end || buf[i + 1] !== LF) {
          this.stop = 'unsupported';
          return -1;
        }
        contentEnd = i;
        i++;
        break;
      } else if (c === QUOTE) {
        this.stop = 'unsupported';
        return -1;
      }
    }
    const line = this.line++;
    if (contentEnd > pos) {
      this.records++;
      if (f + 1 !== n) {
        if (!this.sink.mismatch(f + 1, line)) {
          this.stop = 'sink';
          return -1;
        }
      } else {
        ends[f] = contentEnd;
        if (!this.sink.row(buf, starts, ends, line, pos)) {
          this.stop = 'sink';
          return -1;
        }
      }
    }
    return i + 1;
  }
}

/**
 * Feeds the lines of file bytes [start, end) to a scanner in chunks. `start` must be a line
 * start; `end` a line start or the file size. `onChunk` runs after each chunk (for async
 * work the sink queued). Returns false when the scanner stopped.
 *
 * Two buffers take turns: the next chunk is read (in libuv's thread pool) while this one is
 * scanned. The partial line at the end of a chunk moves to the start of the next buffer, so
 * every scanned block starts at offset 0 and ends just after a LF (or at the end of the range).
 */
export async function scanFileRange(
  fh: FileHandle,
  start: number,
  end: number,
  scanner: PlainScanner,
  onChunk?: () => Promise<void>,
  chunkBytes = CHUNK_BYTES,
  opts: { sync?: boolean } = {},
): Promise<boolean> {
  const size = Math.max(16, Math.min(chunkBytes, end - start));
  let buf: Buffer = Buffer.allocUnsafe(size);
  let spare: Buffer | undefined;
  let carry = 0;
  let pos = start;
  // `sync`: each read on this thread (readSync) instead of a round trip through the thread pool,
  // for a caller with nothing else to do meanwhile (the scan's cash-flows read; in A/B runs of the
  // bench the two ways took the same time within the noise)
  const read = (into: Buffer, at: number): Promise<number> =>
    opts.sync
      ? Promise.resolve(readSync(fh.fd, into, at, Math.min(into.length - at, end - pos), pos))
      : fh.read(into, at, Math.min(into.length - at, end - pos), pos).then((r) => r.bytesRead);
  let pending: Promise<number> | undefined = pos < end ? read(buf, 0) : undefined;
  try {
    while (pending !== undefined) {
      const bytesRead = await pending;
      pending = undefined;
      if (bytesRead === 0) break;
      pos += bytesRead;
      const filled = carry + bytesRead;
      const lastNl = buf.lastIndexOf(LF, filled - 1);
      if (lastNl < carry) {
        // No line end in the new bytes: read on into the same buffer (doubled when full).
        carry = filled;
        if (pos < end) {
          if (carry === buf.length) {
            const bigger = Buffer.allocUnsafe(buf.length * 2);
            buf.copy(bigger, 0, 0, carry);
            buf = bigger;
          }
          pending = read(buf, carry);
        }
        continue;
      }
      const blockEnd = lastNl + 1;
      const rest = filled - blockEnd;
      let next = buf;
      if (pos < end) {
        next = spare !== undefined && spare.length >= buf.length ? spare : Buffer.allocUnsafe(buf.length);
        buf.copy(next, 0, blockEnd, filled);
        pending = read(next, rest);
      }
      scanner.base = pos - filled;
      if (!scanner.scan(buf, 0, blockEnd)) return false;
      scanner.sink.blockEnd?.(buf, blockEnd);
      if (next === buf) {
        if (rest > 0) buf.copy(buf, 0, blockEnd, filled);
      } else {
        spare = buf;
        buf = next;
      }
      carry = rest;
      if (onChunk) await onChunk();
    }
    if (carry > 0) {
      scanner.base = pos - carry;
      if (!scanner.scan(buf, 0, carry)) return false;
      scanner.sink.blockEnd?.(buf, carry);
      if (onChunk) await onChunk();
    }
    return true;
  } finally {
    // The caller closes the file next: no read may still be running then.
    if (pending !== undefined) await pending.catch(() => 0);
  }
}

/** Opens a file for the fast path; undefined when it cannot be opened (csv-parse reports why). */
export async function openForScan(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch {
    return undefined;
  }
}
