#!/usr/bin/env node
// Probe (a measurement, not product code): how fast can a hand-written byte-level parser of the plain layout
// `portfolio_id,date,market_value` read the bench file single-threaded in Node 22?
//
//   node bench/probes/byteParser.mjs FILE [--chunk-mb N] [--verify] [--no-store] [--threads N] [--metrics]
//
// What it does per row, straight from the bytes of a reused read buffer (fs.readSync, default 4 MB chunks, the
// partial last line carried to the next chunk):
//   - portfolio_id: the bytes up to the comma; equal to the previous row's id bytes (sorted input) -> same index;
//     otherwise FNV-1a hashed and looked up in an open-addressing table over a byte pool of the ids seen (compared
//     byte by byte in JS: no string and no native call per row);
//   - date: exactly 'YYYY-MM-DD' digits, turned into days since 1970-01-01 (days-from-civil), month/day range-checked;
//   - market_value: [-]digits[.digits] accumulated as an integer mantissa m (< 2^53) and k decimals, value = m / 10^k
//     (one correctly rounded division of two exact doubles, so the same double as Number(text) for these inputs);
//   - '\n' or '\r\n' line end.
// Rows go into growable Int32Array (portfolio index), Int32Array (day) and Float64Array (value) columns.
// Anything else (quotes, other columns, bad digits, too many digits) stops the probe with the line number: a real
// fast path would hand the file to the general csv-parse path there.
// --no-store parses every field but keeps no columns (sums the values instead): the parse cost alone.
// --threads N splits the file into N line-aligned byte ranges parsed by N worker threads (the 2-core figure).
// --metrics (1 thread, sorted input) then times the per-day float64 loop over the value column: per portfolio the
//   daily returns (flows taken as 0: this times the arithmetic, it is not the bench's answer), linked growth, mean,
//   sample sd (two passes), downside deviation and max drawdown, into Float64Arrays.
// --verify re-reads the file with split(',') / Number() / Date.parse and compares every row (slow; for the small file).
import fs from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const file = process.argv[2];
if (!file) { console.error('usage: node bench/probes/byteParser.mjs FILE [--chunk-mb N] [--verify]'); process.exit(2); }
const ci = process.argv.indexOf('--chunk-mb');
const CHUNK = (ci > 0 ? Number(process.argv[ci + 1]) : 4) * (1 << 20);
const verify = process.argv.includes('--verify');
const STORE = !process.argv.includes('--no-store');
const METRICS = process.argv.includes('--metrics');
const ti = process.argv.indexOf('--threads');
const THREADS = ti > 0 ? Number(process.argv[ti + 1]) : 1;

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
const HEADER = 'portfolio_id,date,market_value';

class Fail extends Error {}

function daysFromCivil(y, m, d) {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = ((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 | 0) + d - 1;
  const doe = yoe * 365 + (yoe / 4 | 0) - (yoe / 100 | 0) + doy;
  return era * 146097 + doe - 719468;
}
const MDAYS = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

// Parser state, module level so that the hot per-chunk function stays small and monomorphic.
let cap = 0;
let pidCol = new Int32Array(0);
let dayCol = new Int32Array(0);
let valCol = new Float64Array(0);
let rows = 0;
let line = 1;
let noStoreSum = 0;
let noStoreCheck = 0;
const idNames = [];
let tableMask = (1 << 14) - 1;
let table = new Int32Array(tableMask + 1); // index + 1 of the id, 0 = empty
let pool = new Uint8Array(1 << 16); // id bytes, back to back
let poolLen = 0;
let idOff = new Int32Array(1 << 12); // id q occupies pool[idOff[q] .. idOff[q + 1])

function grow() {
  cap = Math.max(1024, cap * 2);
  const a = new Int32Array(cap); a.set(pidCol); pidCol = a;
  const c = new Int32Array(cap); c.set(dayCol); dayCol = c;
  const e = new Float64Array(cap); e.set(valCol); valCol = e;
}

function fnv(bytes, start, end) {
  let h = 0x811c9dc5;
  for (let j = start; j < end; j++) h = Math.imul(h ^ bytes[j], 0x01000193);
  return h >>> 0;
}

/** The index of the id in buf[start, end): FNV-1a + open addressing over the byte pool; inserts new ids. */
function lookupId(buf, start, end) {
  const len = end - start;
  if (len === 0 || len > 255) throw new Fail(`line ${line}: id length`);
  let slot = fnv(buf, start, end) & tableMask;
  for (;;) {
    const e = table[slot];
    if (e === 0) break;
    const cand = e - 1;
    const off = idOff[cand];
    if (idOff[cand + 1] - off === len) {
      let j = 0;
      while (j < len && pool[off + j] === buf[start + j]) j++;
      if (j === len) return cand;
    }
    slot = (slot + 1) & tableMask;
  }
  const idx = idNames.length;
  idNames.push(buf.latin1Slice(start, end));
  if (poolLen + len > pool.length) { const np = new Uint8Array(pool.length * 2 + len); np.set(pool); pool = np; }
  buf.copy(pool, poolLen, start, end);
  poolLen += len;
  if (idx + 2 > idOff.length) { const no = new Int32Array(idOff.length * 2); no.set(idOff); idOff = no; }
  idOff[idx + 1] = poolLen;
  table[slot] = idx + 1;
  if (idNames.length * 2 > tableMask) {
    tableMask = tableMask * 2 + 1;
    table = new Int32Array(tableMask + 1);
    for (let q = 0; q < idNames.length; q++) {
      let sl = fnv(pool, idOff[q], idOff[q + 1]) & tableMask;
      while (table[sl] !== 0) sl = (sl + 1) & tableMask;
      table[sl] = q + 1;
    }
  }
  return idx;
}

/** Parses the complete lines buf[p, stop) (stop just after a '\n') into the columns. */
function parseLines(buf, p, stop) {
  let prevStart = 0; // the previous row's id bytes in buf
  let prevLen = -1;
  let prevIdx = -1;
  while (p < stop) {
    const idStart = p;
    let idx = prevIdx;
    // sorted input: the previous row's id followed by a comma is the common case, checked without scanning
    let same = prevLen > 0 && buf[p + prevLen] === 44;
    for (let j = 0; same && j < prevLen; j++) same = buf[idStart + j] === buf[prevStart + j];
    if (same) {
      p += prevLen;
    } else {
      let c = buf[p];
      while (c !== 44) {
        if (c === 10 || c === 34 || c === 13) throw new Fail(`line ${line}: id`);
        c = buf[++p];
      }
      idx = lookupId(buf, idStart, p);
      prevLen = p - idStart;
      prevIdx = idx;
    }
    prevStart = idStart;
    p++;
    // date YYYY-MM-DD
    const y0 = buf[p] - 48, y1 = buf[p + 1] - 48, y2 = buf[p + 2] - 48, y3 = buf[p + 3] - 48;
    const m0 = buf[p + 5] - 48, m1 = buf[p + 6] - 48, d0 = buf[p + 8] - 48, d1 = buf[p + 9] - 48;
    if ((y0 >>> 0) > 9 || (y1 >>> 0) > 9 || (y2 >>> 0) > 9 || (y3 >>> 0) > 9 || (m0 >>> 0) > 9 || (m1 >>> 0) > 9 ||
        (d0 >>> 0) > 9 || (d1 >>> 0) > 9 || buf[p + 4] !== 45 || buf[p + 7] !== 45 || buf[p + 10] !== 44) throw new Fail(`line ${line}: date`);
    const y = y0 * 1000 + y1 * 100 + y2 * 10 + y3, m = m0 * 10 + m1, d = d0 * 10 + d1;
    if (m < 1 || m > 12 || d < 1 || d > MDAYS[m] || (m === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)))) throw new Fail(`line ${line}: date range`);
    const day = daysFromCivil(y, m, d);
    p += 11;
    // value
    let neg = false;
    if (buf[p] === 45) { neg = true; p++; }
    let mant = 0;
    let digits = 0;
    let b = buf[p];
    while (b >= 48 && b <= 57) { mant = mant * 10 + (b - 48); digits++; b = buf[++p]; }
    let k = 0;
    if (b === 46) {
      b = buf[++p];
      while (b >= 48 && b <= 57) { mant = mant * 10 + (b - 48); k++; b = buf[++p]; }
      if (k === 0) throw new Fail(`line ${line}: value`);
    }
    if (digits === 0 || digits + k > 15) throw new Fail(`line ${line}: value digits`);
    if (b === 13) b = buf[++p];
    if (b !== 10) throw new Fail(`line ${line}: expected end of line`);
    p++;
    const v = k === 0 ? mant : mant / POW10[k];
    if (STORE) {
      if (rows === cap) grow();
      pidCol[rows] = idx; dayCol[rows] = day; valCol[rows] = neg ? -v : v;
    } else {
      noStoreSum += neg ? -v : v;
      noStoreCheck = (noStoreCheck + idx + day) | 0;
    }
    rows++;
    line++;
  }
}

/** Parses the lines in bytes [from, to) of the file (from = 0: the header first; else from is a line start). */
function parse(path, from = 0, to = Infinity) {
  const fd = fs.openSync(path, 'r');
  to = Math.min(to, fs.fstatSync(fd).size);
  // columns sized from the range size (rows of >= 24 bytes), so a plain bench file never regrows
  if (STORE) {
    cap = Math.max(1 << 16, Math.ceil((to - from) / 24));
    pidCol = new Int32Array(cap); dayCol = new Int32Array(cap); valCol = new Float64Array(cap);
  }
  const buf = Buffer.allocUnsafe(CHUNK + 256);
  let carry = 0;
  let headerDone = from > 0;
  let bytes = 0;
  let pos = from;
  for (;;) {
    const n = fs.readSync(fd, buf, carry, Math.min(CHUNK, to - pos), pos);
    pos += n;
    bytes += n;
    let end = carry + n;
    const eof = n === 0;
    if (eof) {
      if (carry === 0) break;
      buf[end++] = 10; // terminate a last line without newline
    }
    const lastNl = end > 0 ? buf.lastIndexOf(10, end - 1) : -1;
    if (lastNl < 0) {
      if (end >= CHUNK) throw new Fail(`line ${line}: longer than the buffer`);
      carry = end; // no complete line yet: read on
      continue;
    }
    let p = 0;
    if (!headerDone) {
      const nl = buf.indexOf(10);
      let h = buf.latin1Slice(0, nl);
      if (h.endsWith('\r')) h = h.slice(0, -1);
      if (h !== HEADER) throw new Fail(`line 1: header is not ${HEADER}`);
      p = nl + 1;
      line = 2;
      headerDone = true;
    }
    const stop = lastNl + 1;
    parseLines(buf, p, stop);
    carry = end - stop;
    if (carry > 0) buf.copy(buf, 0, stop, end);
    if (eof) break;
  }
  fs.closeSync(fd);
  return { rows, bytes, portfolios: idNames.length, idNames, pidCol, dayCol, valCol };
}

function verifyAll(path, r) {
  const text = fs.readFileSync(path, 'latin1');
  const lines = text.split('\n');
  let i = 0;
  for (let l = 1; l < lines.length; l++) {
    if (lines[l] === '') continue;
    const [id, date, value] = lines[l].replace(/\r$/, '').split(',');
    const day = Date.parse(date + 'T00:00:00Z') / 86400000;
    if (r.idNames[r.pidCol[i]] !== id || r.dayCol[i] !== day || r.valCol[i] !== Number(value)) {
      throw new Error(`verify: line ${l + 1} differs: ${lines[l]} vs ${r.idNames[r.pidCol[i]]},${r.dayCol[i]},${r.valCol[i]}`);
    }
    i++;
  }
  if (i !== r.rows) throw new Error(`verify: ${i} rows by split vs ${r.rows}`);
  return i;
}

function metricsLoop(r) {
  const t0 = process.hrtime.bigint();
  const P = r.portfolios;
  const growth = new Float64Array(P), mean = new Float64Array(P), sd = new Float64Array(P);
  const down = new Float64Array(P), mdd = new Float64Array(P);
  const { pidCol, dayCol, valCol, rows } = r;
  let i = 0;
  while (i < rows) {
    const p = pidCol[i];
    let j = i + 1;
    while (j < rows && pidCol[j] === p) {
      if (dayCol[j] <= dayCol[j - 1]) throw new Error('--metrics needs rows sorted by portfolio then date');
      j++;
    }
    const n = j - i - 1;
    let g = 1, peak = 1, worst = 0, sum = 0, d2 = 0;
    for (let k = i + 1; k < j; k++) {
      const ret = valCol[k] / valCol[k - 1] - 1;
      g *= 1 + ret;
      if (g > peak) peak = g;
      const dd = g / peak - 1;
      if (dd < worst) worst = dd;
      sum += ret;
      if (ret < 0) d2 += ret * ret;
    }
    const m = sum / n;
    let ss = 0;
    for (let k = i + 1; k < j; k++) { const e = valCol[k] / valCol[k - 1] - 1 - m; ss += e * e; }
    growth[p] = g; mean[p] = m; sd[p] = Math.sqrt(ss / (n - 1)); down[p] = Math.sqrt(d2 / n); mdd[p] = -worst;
    i = j;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let check = 0;
  for (let p = 0; p < P; p++) check += growth[p] + sd[p] + down[p] + mdd[p];
  return { metricsSeconds: +seconds.toFixed(3), metricsCheck: check };
}

function runRange(from, to) {
  const t0 = process.hrtime.bigint();
  const r = parse(file, from, to);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let sum = noStoreSum;
  if (STORE) for (let i = 0; i < r.rows; i++) sum += r.valCol[i];
  return { r, seconds, sum };
}

/** Byte offsets splitting the file into n ranges, each starting at a line start (after the header for the first). */
function splitPoints(n) {
  const fd = fs.openSync(file, 'r');
  const size = fs.fstatSync(fd).size;
  const b = Buffer.alloc(4096);
  const points = [0];
  for (let k = 1; k < n; k++) {
    const at = Math.floor((size * k) / n);
    const got = fs.readSync(fd, b, 0, b.length, at);
    const nl = b.subarray(0, got).indexOf(10);
    points.push(nl < 0 ? size : at + nl + 1);
  }
  points.push(size);
  fs.closeSync(fd);
  return points;
}

if (!isMainThread) {
  try {
    const { r, seconds, sum } = runRange(workerData.from, workerData.to);
    parentPort.postMessage({ rows: r.rows, bytes: r.bytes, portfolios: r.portfolios, seconds, sum });
  } catch (e) {
    parentPort.postMessage({ fallback: e instanceof Fail ? e.message : String(e) });
  }
} else if (THREADS > 1) {
  // --threads N: the file cut into N line-aligned byte ranges, one worker thread each (each its own id table and
  // columns; line numbers in messages are relative to the range). Time = until the last worker is done.
  const t0 = process.hrtime.bigint();
  const points = splitPoints(THREADS);
  const parts = await Promise.all(points.slice(0, -1).map((from, k) => new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { from, to: points[k + 1] }, argv: process.argv.slice(2) });
    w.once('message', resolve);
    w.once('error', reject);
  })));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const bad = parts.find((x) => x.fallback);
  if (bad) { console.log(JSON.stringify({ probe: 'byte-parser', file, fallback: bad.fallback })); process.exit(3); }
  const rows = parts.reduce((a, x) => a + x.rows, 0);
  const bytes = parts.reduce((a, x) => a + x.bytes, 0);
  console.log(JSON.stringify({
    probe: 'byte-parser', file, node: process.version, threads: THREADS, chunkMB: CHUNK / (1 << 20), rows, store: STORE, bytes,
    seconds: +s.toFixed(3), MBps: +(bytes / 1e6 / s).toFixed(1), rowsPerSecond: Math.round(rows / s),
    workerSeconds: parts.map((x) => +x.seconds.toFixed(3)), valueSum: parts.reduce((a, x) => a + x.sum, 0),
    peakRssMB: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
  }));
} else {
  let res;
  try {
    res = runRange(0, Infinity);
  } catch (e) {
    if (e instanceof Fail) { console.log(JSON.stringify({ probe: 'byte-parser', file, fallback: e.message })); process.exit(3); }
    throw e;
  }
  const { r, seconds: s, sum } = res;
  const out = {
    probe: 'byte-parser', file, node: process.version, threads: 1, chunkMB: CHUNK / (1 << 20), rows: r.rows, portfolios: r.portfolios,
    store: STORE, bytes: r.bytes, seconds: +s.toFixed(3), MBps: +(r.bytes / 1e6 / s).toFixed(1), rowsPerSecond: Math.round(r.rows / s),
    valueSum: sum, cpuSeconds: +((process.cpuUsage().user + process.cpuUsage().system) / 1e6).toFixed(3), peakRssMB: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
  };
  if (verify) out.verifiedRows = verifyAll(file, r);
  if (METRICS) Object.assign(out, metricsLoop(r));
  console.log(JSON.stringify(out));
}
