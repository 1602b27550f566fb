#!/usr/bin/env node
// Seeded generator of the issue-4 bench dataset (a measurement tool, not product code).
//
//   node bench/generate.mjs [--size small|large|all] [--seed N] [--shuffle] [--out-dir DIR] [--force]
//
// small = 1,000 portfolios, large = 10,000 portfolios; both x 2,520 business days (Mon-Fri, from 2016-01-04).
// Files (under bench/data/ by default):
//   valuations-<n>-s<seed>[-shuffled].csv   portfolio_id,date,market_value      (plain, unquoted, 2 decimals)
//   cash_flows-<n>-s<seed>[-shuffled].csv   portfolio_id,date,amount,timing     (timing always "start")
//   <same stem>.meta.json                   the marker: generator version, parameters, file sizes, SHA-free
// A run is skipped when the marker exists, matches the parameters and both files have the recorded sizes.
//
// Model, per portfolio p (its own PRNG stream derived from (seed, p), so the small set is exactly the first
// 1,000 portfolios of the large one):
//   V_0 = start value (1,000,000.00 .. 5,000,000.00), no flow on the first day;
//   on the first business day of every later month a flow F_t = V_{t-1} * u, u uniform in [-3%, +5%], cents;
//   V_t = round_cents((V_{t-1} + F_t) * (1 + r_t)), r_t = mu_p + sigma_p * z_t, z_t = Irwin-Hall(3) rescaled to sd 1
//   (|z| <= 3, so r_t > -7% and V_t stays positive). Only +,-,*,/ and Math.round/floor are used (IEEE-754 exact, so the
//   bytes are identical on every platform and Node version). With flows at the start of the day,
//   r_t = V_t / (V_{t-1} + F_t) - 1 recovers the drawn return up to the cent rounding.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const GENERATOR_VERSION = 1;
export const DAYS = 2520;
export const SIZES = { small: 1000, large: 10000 };
export const DEFAULT_SEED = 20261122;
const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_DATA_DIR = path.join(HERE, 'data');

/** sfc32 PRNG (32-bit state words), returns uniform doubles in [0, 1). */
function sfc32(a, b, c, d) {
  return function next() {
    a |= 0; b |= 0; c |= 0; d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** splitmix32 step, used to derive independent stream seeds from (seed, stream id). */
function splitmix32(x) {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function streamFor(seed, id) {
  let s = splitmix32((seed ^ Math.imul(id + 1, 0x27d4eb2d)) | 0);
  const a = s; s = splitmix32(s);
  const b = s; s = splitmix32(s);
  const c = s; s = splitmix32(s);
  const d = s;
  const rnd = sfc32(a, b, c, d);
  for (let i = 0; i < 12; i++) rnd(); // warm up
  return rnd;
}

/** The 2,520 business days (Mon-Fri) from 2016-01-04 as ASCII 'YYYY-MM-DD' bytes, plus month-start flags. */
export function businessDays(n = DAYS) {
  const dates = Buffer.alloc(n * 10);
  const monthStart = new Uint8Array(n);
  let t = Date.UTC(2016, 0, 4); // a Monday; fixed, never the clock
  let prevMonth = -1;
  for (let i = 0; i < n; ) {
    const d = new Date(t);
    const wd = d.getUTCDay();
    if (wd !== 0 && wd !== 6) {
      dates.write(d.toISOString().slice(0, 10), i * 10, 'latin1');
      const m = d.getUTCMonth();
      monthStart[i] = prevMonth !== -1 && m !== prevMonth ? 1 : 0;
      prevMonth = m;
      i++;
    }
    t += 86400000;
  }
  return { dates, monthStart };
}

function portfolioId(p) {
  return 'P' + String(p + 1).padStart(5, '0');
}

/** Fills vals (cents, length DAYS) and the flow list for portfolio p. Returns the number of flows. */
function simulatePortfolio(seed, p, monthStart, vals, flowDay, flowCents) {
  const rnd = streamFor(seed, p);
  const start = Math.round(100000000 + rnd() * 400000000); // cents: 1,000,000.00 .. 5,000,000.00
  const mu = -0.0001 + rnd() * 0.0007;
  const sigma = 0.004 + rnd() * 0.016;
  let v = start;
  vals[0] = v;
  let nf = 0;
  for (let t = 1; t < vals.length; t++) {
    let f = 0;
    if (monthStart[t] === 1) {
      f = Math.round(v * (-0.03 + rnd() * 0.08));
      if (f === 0) f = 100;
      flowDay[nf] = t;
      flowCents[nf] = f;
      nf++;
    }
    const z = (rnd() + rnd() + rnd() - 1.5) * 2;
    v = Math.round((v + f) * (1 + mu + sigma * z));
    if (v < 1) v = 1;
    vals[t] = v;
  }
  return nf;
}

/** Writes an ASCII decimal with exactly 2 decimals for an integer number of cents (may be negative). */
function writeCents(buf, pos, cents) {
  if (cents < 0) { buf[pos++] = 45; cents = -cents; }
  const frac = cents % 100;
  let int = (cents - frac) / 100;
  let start = pos;
  if (int === 0) buf[pos++] = 48;
  while (int > 0) { const q = Math.floor(int / 10); buf[pos++] = 48 + (int - q * 10); int = q; }
  // reverse the integer digits in place
  for (let i = start, j = pos - 1; i < j; i++, j--) { const x = buf[i]; buf[i] = buf[j]; buf[j] = x; }
  buf[pos++] = 46;
  buf[pos++] = 48 + ((frac / 10) | 0);
  buf[pos++] = 48 + (frac % 10);
  return pos;
}

class BufferedFile {
  constructor(file, size = 8 << 20) {
    this.fd = fs.openSync(file, 'w');
    this.buf = Buffer.allocUnsafe(size);
    this.pos = 0;
    this.bytes = 0;
  }
  /** Guarantees room for `n` more bytes. */
  ensure(n) { if (this.pos + n > this.buf.length) this.flush(); }
  flush() {
    let off = 0;
    while (off < this.pos) off += fs.writeSync(this.fd, this.buf, off, this.pos - off);
    this.bytes += this.pos;
    this.pos = 0;
  }
  close() { this.flush(); fs.fsyncSync(this.fd); fs.closeSync(this.fd); return this.bytes; }
}

const VAL_HEADER = Buffer.from('portfolio_id,date,market_value\n');
const CF_HEADER = Buffer.from('portfolio_id,date,amount,timing\n');
const START = Buffer.from(',start\n');

function writeRow(out, id, dates, day, cents, tail) {
  out.ensure(64);
  const b = out.buf;
  let pos = out.pos;
  pos += id.copy(b, pos);
  b[pos++] = 44;
  pos += dates.copy(b, pos, day * 10, day * 10 + 10);
  b[pos++] = 44;
  pos = writeCents(b, pos, cents);
  if (tail) pos += tail.copy(b, pos);
  else b[pos++] = 10;
  out.pos = pos;
}

export function datasetPaths(portfolios, seed, shuffle, dir = DEFAULT_DATA_DIR) {
  const stem = `${portfolios}-s${seed}${shuffle ? '-shuffled' : ''}`;
  return {
    valuations: path.join(dir, `valuations-${stem}.csv`),
    cashFlows: path.join(dir, `cash_flows-${stem}.csv`),
    meta: path.join(dir, `dataset-${stem}.meta.json`),
  };
}

function markerMatches(paths, params) {
  try {
    const meta = JSON.parse(fs.readFileSync(paths.meta, 'utf8'));
    for (const k of Object.keys(params)) if (meta[k] !== params[k]) return null;
    if (fs.statSync(paths.valuations).size !== meta.valuationsBytes) return null;
    if (fs.statSync(paths.cashFlows).size !== meta.cashFlowsBytes) return null;
    return meta;
  } catch {
    return null;
  }
}

/**
 * Generates (or reuses) one dataset. Returns its metadata (paths, rows, bytes, seconds, reused flag).
 * Deterministic: the same (portfolios, seed, shuffle) always gives the same bytes.
 */
export function generateDataset({ portfolios, seed = DEFAULT_SEED, shuffle = false, dir = DEFAULT_DATA_DIR, force = false, log = () => {} }) {
  const paths = datasetPaths(portfolios, seed, shuffle, dir);
  const params = { generatorVersion: GENERATOR_VERSION, portfolios, days: DAYS, seed, shuffle };
  if (!force) {
    const meta = markerMatches(paths, params);
    if (meta) return { ...meta, ...paths, reused: true };
  }
  fs.mkdirSync(dir, { recursive: true });
  try { fs.unlinkSync(paths.meta); } catch { /* absent */ }
  const t0 = process.hrtime.bigint();
  const { dates, monthStart } = businessDays(DAYS);
  const maxFlows = monthStart.reduce((a, b) => a + b, 0);
  const ids = Array.from({ length: portfolios }, (_, p) => Buffer.from(portfolioId(p), 'latin1'));
  const vals = new Float64Array(DAYS);
  const flowDay = new Int32Array(maxFlows);
  const flowCents = new Float64Array(maxFlows);
  const tmpV = `${paths.valuations}.${process.pid}.tmp`;
  const tmpC = `${paths.cashFlows}.${process.pid}.tmp`;
  const outV = new BufferedFile(tmpV);
  const outC = new BufferedFile(tmpC, 1 << 20);
  outV.ensure(64); outV.pos += VAL_HEADER.copy(outV.buf, outV.pos);
  outC.ensure(64); outC.pos += CF_HEADER.copy(outC.buf, outC.pos);
  let valuationRows = 0;
  let flowRows = 0;

  if (!shuffle) {
    for (let p = 0; p < portfolios; p++) {
      const nf = simulatePortfolio(seed, p, monthStart, vals, flowDay, flowCents);
      const id = ids[p];
      for (let t = 0; t < DAYS; t++) writeRow(outV, id, dates, t, vals[t], null);
      for (let k = 0; k < nf; k++) writeRow(outC, id, dates, flowDay[k], flowCents[k], START);
      valuationRows += DAYS;
      flowRows += nf;
    }
  } else {
    // Keep every value (cents) and flow in typed arrays, then write them in a seeded random order (Fisher-Yates).
    const all = new Float64Array(portfolios * DAYS);
    const fP = new Int32Array(portfolios * maxFlows);
    const fD = new Int32Array(portfolios * maxFlows);
    const fC = new Float64Array(portfolios * maxFlows);
    for (let p = 0; p < portfolios; p++) {
      const nf = simulatePortfolio(seed, p, monthStart, vals, flowDay, flowCents);
      all.set(vals, p * DAYS);
      for (let k = 0; k < nf; k++) { fP[flowRows] = p; fD[flowRows] = flowDay[k]; fC[flowRows] = flowCents[k]; flowRows++; }
    }
    valuationRows = portfolios * DAYS;
    const rnd = streamFor(seed, -1);
    const perm = new Uint32Array(valuationRows);
    for (let i = 0; i < perm.length; i++) perm[i] = i;
    shuffleInPlace(perm, rnd);
    for (let i = 0; i < perm.length; i++) {
      const r = perm[i];
      const p = (r / DAYS) | 0;
      writeRow(outV, ids[p], dates, r - p * DAYS, all[r], null);
    }
    const fperm = new Uint32Array(flowRows);
    for (let i = 0; i < fperm.length; i++) fperm[i] = i;
    shuffleInPlace(fperm, rnd);
    for (let i = 0; i < fperm.length; i++) {
      const r = fperm[i];
      writeRow(outC, ids[fP[r]], dates, fD[r], fC[r], START);
    }
  }
  const valuationsBytes = outV.close();
  const cashFlowsBytes = outC.close();
  fs.renameSync(tmpV, paths.valuations);
  fs.renameSync(tmpC, paths.cashFlows);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const meta = {
    ...params,
    valuationRows,
    cashFlowRows: flowRows,
    valuationsBytes,
    cashFlowsBytes,
    firstDate: dates.toString('latin1', 0, 10),
    lastDate: dates.toString('latin1', (DAYS - 1) * 10, DAYS * 10),
    generateSeconds: Number(seconds.toFixed(3)),
    valuationsMBps: Number((valuationsBytes / 1e6 / seconds).toFixed(1)),
  };
  fs.writeFileSync(paths.meta, JSON.stringify(meta, null, 2) + '\n');
  log(`generated ${path.basename(paths.valuations)} (${valuationRows} rows, ${(valuationsBytes / 1e6).toFixed(1)} MB) and ${path.basename(paths.cashFlows)} (${flowRows} rows) in ${seconds.toFixed(2)} s`);
  return { ...meta, ...paths, reused: false };
}

function shuffleInPlace(a, rnd) {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const x = a[i]; a[i] = a[j]; a[j] = x;
  }
}

function parseArgs(argv) {
  const o = { size: 'all', seed: DEFAULT_SEED, shuffle: false, dir: DEFAULT_DATA_DIR, force: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--size') o.size = argv[++i];
    else if (a === '--seed') o.seed = Number(argv[++i]);
    else if (a === '--shuffle') o.shuffle = true;
    else if (a === '--out-dir') o.dir = path.resolve(argv[++i]);
    else if (a === '--force') o.force = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: node bench/generate.mjs [--size small|large|all] [--seed N] [--shuffle] [--out-dir DIR] [--force]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (!['small', 'large', 'all'].includes(o.size)) throw new Error(`--size must be small, large or all, got ${o.size}`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) throw new Error('--seed must be an integer in [0, 2^32)');
  return o;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const o = parseArgs(process.argv.slice(2));
  const sizes = o.size === 'all' ? ['small', 'large'] : [o.size];
  for (const s of sizes) {
    const m = generateDataset({ portfolios: SIZES[s], seed: o.seed, shuffle: o.shuffle, dir: o.dir, force: o.force, log: (x) => console.log(x) });
    if (m.reused) console.log(`reused ${path.basename(m.valuations)} (${m.valuationRows} rows, ${(m.valuationsBytes / 1e6).toFixed(1)} MB; marker ${path.basename(m.meta)})`);
    else console.log(`  ${m.valuationsMBps} MB/s of valuations written`);
  }
}
