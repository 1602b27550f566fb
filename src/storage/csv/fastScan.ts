/**
 * Byte-level reading of the plain CSV layout (no quotes, one record per line, LF or CRLF line
 * endings, optional UTF-8 BOM), the fast path beside the csv-parse one (csvTable.ts).
 *
 * The scanner never makes a string per row: it finds the field boundaries of each line in a
 * Buffer and hands them to a `PlainRowSink`, which parses the fields it needs straight from the
 * bytes (`fastDate`, `fastDecimal`) and only decodes a field to text when the fast parse does not
 * apply (then the shared fieldParsers functions produce the very same value or problem).
 *
 * It hands the file back (returns false / undefined) whenever it meets something csv-parse
 * might read differently: a quote character anywhere, a bare CR, mixed LF and CRLF endings,
 * empty lines before the header, a header without data rows, an unreadable file. Callers then
 * read the whole file with csv-parse, so every message stays the csv-parse path's.
 */
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

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

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
  const year = d0 * 1000 + d1 * 100 + d2 * 10 + d3;
  const month = d5 * 10 + d6;
  const day = d8 * 10 + d9;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN;
  return daysFromCivil(year, month, day);
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
}

/**
 * An optional shortcut for valuation rows: when a line is exactly `id,date,value` fields (in the
 * header's column order, other columns plain) with the same id bytes as the previous row, a
 * strict date and a positive value of at most 15 digits, the scanner parses it in one pass and
 * calls `fastRow`; every other line takes the general path (`row`).
 */
export interface FusedValuationSink {
  /** Column indices of portfolio_id, date and market_value. */
  readonly fusedPid: number;
  readonly fusedDate: number;
  readonly fusedValue: number;
  /** The previous row's raw id bytes (refLen < 0: none). */
  readonly idRef: Uint8Array;
  readonly idRefLen: number;
  /** A row of the previous row's portfolio with a valid date and a positive value. */
  fastRow(date: number, value: number, line: number): void;
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
  /** The fused path's last year * 100 + month, its first epoch day and its length. */
  private ym = -1;
  private monthStart = 0;
  private monthDays = 0;
  /** The fused columns are exactly portfolio_id,date,market_value in that order. */
  private readonly idDateValue: boolean;

  constructor(
    readonly fieldCount: number,
    readonly crlf: boolean,
    readonly sink: PlainRowSink,
    firstLine: number,
    readonly fused?: FusedValuationSink,
  ) {
    this.starts = new Int32Array(fieldCount + 1);
    this.ends = new Int32Array(fieldCount + 1);
    this.line = firstLine;
    this.idDateValue = fused !== undefined && fieldCount === 3 && fused.fusedPid === 0 && fused.fusedDate === 1 && fused.fusedValue === 2;
  }

  /**
   * fastDate on buf[i, i + 10), with the month's first epoch day and length kept from the
   * previous call (daysFromCivil is linear in the day of the month). NaN when not a valid date.
   */
  private cachedDate(buf: Buffer, i: number, end: number): number {
    if (i + 10 > end || buf[i + 4] !== DASH || buf[i + 7] !== DASH) return NaN;
    const d0 = (buf[i] as number) - 48;
    const d1 = (buf[i + 1] as number) - 48;
    const d2 = (buf[i + 2] as number) - 48;
    const d3 = (buf[i + 3] as number) - 48;
    const d5 = (buf[i + 5] as number) - 48;
    const d6 = (buf[i + 6] as number) - 48;
    const d8 = (buf[i + 8] as number) - 48;
    const d9 = (buf[i + 9] as number) - 48;
    if ((d0 | (9 - d0) | d1 | (9 - d1) | d2 | (9 - d2) | d3 | (9 - d3) | d5 | (9 - d5) | d6 | (9 - d6) | d8 | (9 - d8) | d9 | (9 - d9)) < 0) {
      return NaN;
    }
    const year = d0 * 1000 + d1 * 100 + d2 * 10 + d3;
    const month = d5 * 10 + d6;
    const ym = year * 100 + month;
    if (ym !== this.ym) {
      if (month < 1 || month > 12) return NaN;
      this.ym = ym;
      this.monthStart = daysFromCivil(year, month, 1);
      this.monthDays = daysInMonth(year, month);
    }
    const day = d8 * 10 + d9;
    if (day < 1 || day > this.monthDays) return NaN;
    return this.monthStart + day - 1;
  }

  /**
   * The FusedValuationSink shortcut for the column order portfolio_id,date,market_value (no
   * other column), over consecutive lines: takes lines while they qualify and returns the start
   * of the first line that does not (or `end`), which then takes the general path.
   */
  private fusedRun(buf: Buffer, pos: number, end: number, fused: FusedValuationSink): number {
    const len = fused.idRefLen;
    if (len < 0) return pos;
    const ref = fused.idRef;
    const crlf = this.crlf;
    let line = this.line;
    let taken = 0;
    for (;;) {
      let i = pos;
      if (i + len + 13 > end) break;
      let k = 0;
      while (k < len && buf[i + k] === ref[k]) k++;
      if (k < len) break;
      i += len;
      if (buf[i] !== COMMA || buf[i + 11] !== COMMA) break;
      const date = this.cachedDate(buf, i + 1, end);
      if (date !== date) break;
      i += 12;
      let m = 0;
      let digits = 0;
      let frac = -1;
      for (; i < end; i++) {
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
      if (digits === 0 || digits > 15 || m === 0) break;
      let next: number;
      if (i >= end) next = end;
      else {
        const c = buf[i];
        if (c === LF && !crlf) next = i + 1;
        else if (c === CR && crlf && i + 1 < end && buf[i + 1] === LF) next = i + 2;
        else break;
      }
      // Exact: see fastDecimal.
      fused.fastRow(date, frac <= 0 ? m : m / (POW10[frac] as number), line++);
      taken++;
      pos = next;
      if (pos >= end) break;
    }
    this.line = line;
    this.records += taken;
    return pos;
  }

  /**
   * The FusedValuationSink shortcut for the line at buf[pos]: returns the next line's start, or
   * -1 when the line must take the general path (nothing has been recorded then).
   */
  private fusedLine(buf: Buffer, pos: number, end: number, fused: FusedValuationSink): number {
    const n = this.fieldCount;
    let i = pos;
    let date = NaN;
    let value = NaN;
    for (let f = 0; f < n; f++) {
      if (f > 0) {
        if (i >= end || buf[i] !== COMMA) return -1;
        i++;
      }
      if (f === fused.fusedPid) {
        const len = fused.idRefLen;
        if (len < 0 || i + len > end) return -1;
        const ref = fused.idRef;
        for (let k = 0; k < len; k++) if (buf[i + k] !== ref[k]) return -1;
        i += len;
      } else if (f === fused.fusedDate) {
        date = this.cachedDate(buf, i, end);
        if (date !== date) return -1;
        i += 10;
      } else if (f === fused.fusedValue) {
        let m = 0;
        let digits = 0;
        let frac = -1;
        for (; i < end; i++) {
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
        for (; i < end; i++) {
          const c = buf[i] as number;
          if (c === COMMA || c === LF || c === CR) break;
          if (c === QUOTE) return -1;
        }
      }
    }
    let next: number;
    if (i >= end) next = end;
    else {
      const c = buf[i];
      if (c === LF && !this.crlf) next = i + 1;
      else if (c === CR && this.crlf && i + 1 < end && buf[i + 1] === LF) next = i + 2;
      else return -1;
    }
    this.records++;
    fused.fastRow(date, value, this.line++);
    return next;
  }

  /**
   * Scans the lines in buf[pos, end). Every line must end with LF except, at the end of the
   * file, the last one. Returns false when the scan stopped (see `stop`).
   */
  scan(buf: Buffer, pos: number, end: number): boolean {
    const fused = this.fused;
    while (pos < end) {
      if (this.idDateValue) {
        pos = this.fusedRun(buf, pos, end, fused as FusedValuationSink);
        if (pos >= end) break;
      }
      let next = fused === undefined || this.idDateValue ? -1 : this.fusedLine(buf, pos, end, fused);
      if (next < 0) {
        next = this.generalLine(buf, pos, end);
        if (next < 0) return false;
      }
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
 */
export async function scanFileRange(
  fh: FileHandle,
  start: number,
  end: number,
  scanner: PlainScanner,
  onChunk?: () => Promise<void>,
  chunkBytes = CHUNK_BYTES,
): Promise<boolean> {
  let buf = Buffer.allocUnsafe(Math.max(16, Math.min(chunkBytes, end - start)));
  let carry = 0;
  let pos = start;
  while (pos < end) {
    if (carry === buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, carry);
      buf = bigger;
    }
    const { bytesRead } = await fh.read(buf, carry, Math.min(buf.length - carry, end - pos), pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
    const filled = carry + bytesRead;
    const lastNl = buf.lastIndexOf(LF, filled - 1);
    if (lastNl < carry) {
      carry = filled;
      continue;
    }
    scanner.base = pos - filled;
    if (!scanner.scan(buf, 0, lastNl + 1)) return false;
    scanner.sink.blockEnd?.(buf, lastNl + 1);
    carry = filled - (lastNl + 1);
    if (carry > 0) buf.copy(buf, 0, lastNl + 1, filled);
    if (onChunk) await onChunk();
  }
  if (carry > 0) {
    scanner.base = pos - carry;
    if (!scanner.scan(buf, 0, carry)) return false;
    scanner.sink.blockEnd?.(buf, carry);
    if (onChunk) await onChunk();
  }
  return true;
}

/** Opens a file for the fast path; undefined when it cannot be opened (csv-parse reports why). */
export async function openForScan(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch {
    return undefined;
  }
}
