#!/usr/bin/env node
// Probe (a measurement, not product code): the speed of the product's byte-level CSV readers in one thread.
//
//   node [--expose-gc] bench/probes/scan.mjs [--src ROOT]... [--valuations FILE] [--bytes N] [--flows FILE] [--runs N] [--only scan|flows]
//
// For each source tree ROOT (default: this checkout; give several to compare, e.g. a `git archive HEAD src | tar -x`
// copy as the baseline), it bundles ROOT/src/storage/csv/{fastGroups,fastLoad}.ts with esbuild (as tsup would) and
// then, round-robin over the trees (see below), N times (default 3):
//   - scanValuationGroups over bytes [0, N) of the valuations file (default: the 1,000-portfolio bench file, whole;
//     --bytes cuts the range at the first line start at or after N) with a no-op handler and { digest: 'none' },
//     as a scan worker thread runs it: MB/s of the range;
//   - readCashFlowsFast over the flows file (default: the 10,000-portfolio bench flows file): seconds.
// Prints one JSON line per tree: median and minimum wall seconds, median process CPU seconds and, for the scan, the main
// thread's CPU seconds (the scan loop itself, without the reads in libuv's pool and GC helper threads; the machine may
// be shared: the minimum and the CPU times are the steadier figures), and every run. Then, untimed, each tree reads both files once
// more into a sha256 of everything the readers give (ids, dates, value bits, lines, problems, byte ranges, digests), so
// that a faster tree is also shown to give the same bytes; `sameOutput` is false and the exit code 1 when any differs.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const srcs = args.flatMap((a, i) => (a === '--src' ? [path.resolve(args[i + 1])] : []));
if (srcs.length === 0) srcs.push(repo);
const valuations = opt('--valuations', path.join(repo, 'bench/data/valuations-1000-s20261122.csv'));
const flows = opt('--flows', path.join(repo, 'bench/data/cash_flows-10000-s20261122.csv'));
const runs = Number(opt('--runs', '3'));
const wantBytes = opt('--bytes', undefined);
const only = opt('--only', undefined);

/** Bytes [0, end) of the file: end is the first line start at or after --bytes (or the size). */
function rangeEnd(file) {
  const size = fs.statSync(file).size;
  if (wantBytes === undefined || Number(wantBytes) >= size) return size;
  const fd = fs.openSync(file, 'r');
  const b = Buffer.alloc(4096);
  const at = Number(wantBytes);
  const got = fs.readSync(fd, b, 0, b.length, at - 1);
  fs.closeSync(fd);
  const nl = b.subarray(0, got).indexOf(10);
  return nl < 0 ? size : at + nl;
}

async function load(root, k) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `perfcalc-scan-probe-${k}-`));
  await build({
    entryPoints: { fastGroups: path.join(root, 'src/storage/csv/fastGroups.ts'), fastLoad: path.join(root, 'src/storage/csv/fastLoad.ts') },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    outdir: out,
    outExtension: { '.js': '.mjs' },
    nodePaths: [path.join(repo, 'node_modules')],
    logLevel: 'warning',
  });
  const groups = await import(pathToFileURL(path.join(out, 'fastGroups.mjs')).href);
  const loadMod = await import(pathToFileURL(path.join(out, 'fastLoad.mjs')).href);
  return { root, out, scan: groups.scanValuationGroups, readFlows: loadMod.readCashFlowsFast, scanS: [], scanCpuS: [], scanMainCpuS: [], flowsS: [], flowsCpuS: [], check: undefined };
}

const bytesOf = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** sha256 of every group the tree's scan hands over (with the sha256 group digests) and of its outcome. */
async function scanDigest(t) {
  const h = createHash('sha256');
  const outcome = await t.scan(valuations, { start: 0, end }, (g) => {
    const { dates, values, ...facts } = g;
    h.update(JSON.stringify(facts)).update(bytesOf(dates)).update(bytesOf(values));
  });
  return h.update(JSON.stringify(outcome)).digest('hex');
}

/** sha256 of every cash-flow build the tree's reader gives: columns, exact amounts, problems, currency. */
async function flowsDigest(t) {
  const h = createHash('sha256');
  for (const [id, b] of await t.readFlows(flows)) {
    h.update(id).update(bytesOf(b.dates.view())).update(bytesOf(b.amounts.view())).update(bytesOf(b.timing.view())).update(bytesOf(b.lines.view()));
    h.update(JSON.stringify({ exact: [...b.exact].map(([i, m]) => [i, String(m)]), problems: b.problems, currency: b.currency }));
  }
  return h.digest('hex');
}

const median = (xs) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
const end = rangeEnd(valuations);
const trees = [];
for (let k = 0; k < srcs.length; k++) trees.push(await load(srcs[k], k));

/** One timed scan of the valuations range with a no-op handler and no digest, as a scan worker runs it. */
async function timeScan(t) {
  let groups = 0;
  let rows = 0;
  let sum = 0;
  const c0 = process.cpuUsage();
  const m0 = process.threadCpuUsage();
  const t0 = process.hrtime.bigint();
  const outcome = await t.scan(valuations, { start: 0, end }, (g) => {
    groups++;
    rows += g.dates.length;
    sum += g.values[g.values.length - 1] ?? 0;
  }, { digest: 'none' });
  t.scanS.push(Number(process.hrtime.bigint() - t0) / 1e9);
  const c1 = process.cpuUsage(c0);
  const m1 = process.threadCpuUsage(m0);
  t.scanCpuS.push((c1.user + c1.system) / 1e6);
  t.scanMainCpuS.push((m1.user + m1.system) / 1e6);
  if (!outcome.grouped) throw new Error(`${t.root}: not grouped (${outcome.reason})`);
  Object.assign(t.check, { groups, rows, valueCheck: sum });
}

/** One timed read of the cash-flows file. */
async function timeFlows(t) {
  const c2 = process.cpuUsage();
  const t1 = process.hrtime.bigint();
  const f = await t.readFlows(flows);
  t.flowsS.push(Number(process.hrtime.bigint() - t1) / 1e9);
  const c3 = process.cpuUsage(c2);
  t.flowsCpuS.push((c3.user + c3.system) / 1e6);
  let flowRows = 0;
  let flowSum = 0;
  for (const b of f.values()) {
    flowRows += b.length;
    for (let i = 0; i < b.length; i++) flowSum += b.amounts.get(i);
  }
  Object.assign(t.check, { flowPortfolios: f.size, flowRows, flowSum });
}

// Round-robin, every other round in reverse order: a run pays for part of the garbage the run before it left, so
// each tree must come first as often as last. With --expose-gc, a full collection before each timed call.
const collect = typeof globalThis.gc === 'function' ? globalThis.gc : () => {};
for (let r = 0; r < runs; r++) {
  for (const t of r % 2 === 0 ? trees : [...trees].reverse()) {
    t.check = {};
    if (only !== 'flows') {
      collect();
      await timeScan(t);
    }
    if (only !== 'scan') {
      collect();
      await timeFlows(t);
    }
  }
}

for (const t of trees) {
  if (only !== 'flows') t.check.scanSha256 = await scanDigest(t);
  if (only !== 'scan') t.check.flowsSha256 = await flowsDigest(t);
}
const sameOutput = trees.every((t) => JSON.stringify(t.check) === JSON.stringify(trees[0].check));
for (const t of trees) {
  const s = median(t.scanS);
  console.log(JSON.stringify({
    probe: 'scan', src: t.root, node: process.version, valuations, bytes: end, runs,
    scanMedianS: +s.toFixed(3), scanMBps: +(end / 1e6 / s).toFixed(1), scanMinS: +Math.min(...t.scanS).toFixed(3),
    scanCpuMedianS: +median(t.scanCpuS).toFixed(3), scanS: t.scanS.map((x) => +x.toFixed(3)), scanCpuS: t.scanCpuS.map((x) => +x.toFixed(3)),
    scanMainCpuMedianS: +median(t.scanMainCpuS).toFixed(3), scanMainCpuS: t.scanMainCpuS.map((x) => +x.toFixed(3)),
    flows, flowsMedianS: +median(t.flowsS).toFixed(3), flowsMinS: +Math.min(...t.flowsS).toFixed(3),
    flowsCpuMedianS: +median(t.flowsCpuS).toFixed(3), flowsS: t.flowsS.map((x) => +x.toFixed(3)), flowsCpuS: t.flowsCpuS.map((x) => +x.toFixed(3)), ...t.check, sameOutput,
  }));
  fs.rmSync(t.out, { recursive: true, force: true });
}
if (!sameOutput) process.exitCode = 1;
