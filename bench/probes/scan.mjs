#!/usr/bin/env node
// Probe (a measurement, not product code): the speed of the product's byte-level CSV readers in one thread.
//
//   node bench/probes/scan.mjs [--src ROOT]... [--valuations FILE] [--bytes N] [--flows FILE] [--runs N]
//
// For each source tree ROOT (default: this checkout; give several to compare, e.g. a `git archive HEAD src | tar -x`
// copy as the baseline), it bundles ROOT/src/storage/csv/{fastGroups,fastLoad}.ts with esbuild (as tsup would) and
// then, round-robin over the trees, N times (default 3):
//   - scanValuationGroups over bytes [0, N) of the valuations file (default: the 1,000-portfolio bench file, whole;
//     --bytes cuts the range at the first line start at or after N) with a no-op handler and { digest: 'none' },
//     as a scan worker thread runs it: MB/s of the range;
//   - readCashFlowsFast over the flows file (default: the 10,000-portfolio bench flows file): seconds.
// Prints one JSON line per tree: median and minimum wall seconds, median process CPU seconds (the machine may be shared:
// the minimum and the CPU time are the steadier figures), and every run.
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
  return { root, out, scan: groups.scanValuationGroups, readFlows: loadMod.readCashFlowsFast, scanS: [], scanCpuS: [], flowsS: [], flowsCpuS: [], check: undefined };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const end = rangeEnd(valuations);
const trees = [];
for (let k = 0; k < srcs.length; k++) trees.push(await load(srcs[k], k));

for (let r = 0; r < runs; r++) {
  for (const t of trees) {
    let groups = 0;
    let rows = 0;
    let sum = 0;
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const outcome = await t.scan(valuations, { start: 0, end }, (g) => {
      groups++;
      rows += g.dates.length;
      sum += g.values[g.values.length - 1] ?? 0;
    }, { digest: 'none' });
    t.scanS.push(Number(process.hrtime.bigint() - t0) / 1e9);
    const c1 = process.cpuUsage(c0);
    t.scanCpuS.push((c1.user + c1.system) / 1e6);
    if (!outcome.grouped) throw new Error(`${t.root}: not grouped (${outcome.reason})`);
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
    t.check = { groups, rows, valueCheck: sum, flowPortfolios: f.size, flowRows, flowSum };
  }
}
for (const t of trees) {
  const s = median(t.scanS);
  console.log(JSON.stringify({
    probe: 'scan', src: t.root, node: process.version, valuations, bytes: end, runs,
    scanMedianS: +s.toFixed(3), scanMBps: +(end / 1e6 / s).toFixed(1), scanMinS: +Math.min(...t.scanS).toFixed(3),
    scanCpuMedianS: +median(t.scanCpuS).toFixed(3), scanS: t.scanS.map((x) => +x.toFixed(3)),
    flows, flowsMedianS: +median(t.flowsS).toFixed(3), flowsMinS: +Math.min(...t.flowsS).toFixed(3),
    flowsCpuMedianS: +median(t.flowsCpuS).toFixed(3), flowsS: t.flowsS.map((x) => +x.toFixed(3)), ...t.check,
  }));
  fs.rmSync(t.out, { recursive: true, force: true });
}
