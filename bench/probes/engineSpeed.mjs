#!/usr/bin/env node
// Probe (a measurement, not product code): computePortfolio's CPU time, this working tree (B) against another
// copy of the sources (A, by default a git worktree of HEAD), timed in alternation on the same loaded portfolios.
//
//   git worktree add --detach /tmp/perfcalc-head HEAD
//   npx node bench/probes/engineSpeed.mjs [--baseline /tmp/perfcalc-head] [--size 1000] [--rounds 7] [--config bench|default]
//
// Loads every portfolio of bench/data/valuations-<size>-s20261122.csv (+ cash flows) once with the working tree's
// loadPortfoliosFast, builds the options with the CLI's resolveRunConfig + computeOptionsOf (bench: the nightly
// bench's flags; default: --flow-timing start, every default period and metric), and bundles computePortfolio from
// both trees (bundle.mjs). It first checks that A and B give the same rows, every field, values
// compared bit for bit (-0 told apart), then runs two untimed warm-up passes of each and `rounds` timed rounds, each
// one pass of A and one of B over all portfolios (the order swapped every round: A B, B A, ...). Prints the median
// process CPU time (user + system) and wall time per 1,000 portfolios of each, and B / A of the medians.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_FLAGS, bundleSources, runOptions } from './bundle.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const BASELINE = path.resolve(arg('baseline', '/tmp/perfcalc-head'));
const SIZE = arg('size', '1000');
const ROUNDS = Number(arg('rounds', 7));
const CONFIG = arg('config', 'bench');

const tools = await bundleSources(
  root,
  'tools',
  `export { computeOptionsOf } from './src/commands/run.ts';
export { resolveRunConfig } from './src/config.ts';
export { loadPortfoliosFast } from './src/storage/csv/fastLoad.ts';`,
);
const engineEntry = `export { computePortfolio } from './src/batch/computePortfolio.ts';`;
const variants = [
  ['A', (await bundleSources(BASELINE, 'baseline', engineEntry)).computePortfolio],
  ['B', (await bundleSources(root, 'current', engineEntry)).computePortfolio],
];

const data = path.join(root, 'bench/data');
const valuations = path.join(data, `valuations-${SIZE}-s20261122.csv`);
const cashFlows = path.join(data, `cash_flows-${SIZE}-s20261122.csv`);
const portfolios = [...(await tools.loadPortfoliosFast({ valuations, cashFlows })).portfolios.values()];
const opts = await runOptions(tools, valuations, cashFlows, { bench: BENCH_FLAGS, default: { flowTiming: 'start' } }[CONFIG]);
const ctx = {};

// same rows from A and B, every field, numbers bit for bit
const exact = (v) => (typeof v === 'number' ? (Object.is(v, -0) ? '-0' : String(v)) : JSON.stringify(v));
const rowsText = (compute) => portfolios.map((p) => compute(p, opts, ctx).map((r) => Object.entries(r).map(([k, v]) => `${k}=${exact(v)}`).join('|')).join('\n'));
const [textA, textB] = variants.map(([, compute]) => rowsText(compute));
const differing = textA.filter((t, i) => t !== textB[i]).length;
console.log(`${portfolios.length} portfolios, config ${CONFIG}: ${differing === 0 ? 'A and B give identical rows' : `${differing} portfolios differ`}`);
if (differing > 0) process.exitCode = 1;

let sink = 0;
const pass = (compute) => {
  const c = process.cpuUsage();
  const t = performance.now();
  for (const p of portfolios) sink += compute(p, opts, ctx).length;
  const wall = performance.now() - t;
  const used = process.cpuUsage(c);
  const per1000 = 1000 / portfolios.length;
  return { cpu: ((used.user + used.system) / 1000) * per1000, wall: wall * per1000 };
};
for (let w = 0; w < 2; w++) for (const [, compute] of variants) pass(compute);
const times = { A: [], B: [] };
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? variants : [...variants].reverse();
  for (const [label, compute] of order) times[label].push(pass(compute));
}
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stat = (label, key) => median(times[label].map((t) => t[key]));
for (const key of ['cpu', 'wall']) {
  const a = stat('A', key);
  const b = stat('B', key);
  const all = (label) => times[label].map((t) => t[key].toFixed(0)).join(' ');
  console.log(`${key.padEnd(4)} ms per 1,000 portfolios: A median ${a.toFixed(1)} [${all('A')}]  B median ${b.toFixed(1)} [${all('B')}]  B/A ${(b / a).toFixed(3)}`);
}
if (sink < 0) console.log(sink);
