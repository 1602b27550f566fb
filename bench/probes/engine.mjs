#!/usr/bin/env node
// Probe (a measurement, not product code): the cost of computePortfolio per portfolio, without any I/O.
//
//   npx node bench/probes/engine.mjs [--n 500] [--passes 5] [--size 1000] [--config bench|default|both]
//                                    [--save FILE] [--compare FILE] [--baseline DIR]
//
// Bundles the current sources (src/, via esbuild, which tsup brings along) into a temporary module, so it
// measures the working tree without `npm run build`. Loads the first N portfolios of
// bench/data/valuations-<size>-s20261122.csv + cash_flows-<size>-s20261122.csv with the project's CSV loader
// (loadPortfoliosFast), builds ComputeOptions with the CLI's own resolveRunConfig + computeOptionsOf, then times
// computePortfolio over the N portfolios: one untimed warm-up pass, then --passes timed passes; prints the median
// (and min) ms per portfolio for each configuration, in wall time and in process CPU time (user + system, all
// threads: includes V8's GC helpers; on a shared box it is less disturbed by other processes than wall time).
//   bench:   run --flow-timing start --periods ITD --metrics twr,mwr,annualized_volatility,sharpe_ratio,
//            sortino_ratio,max_drawdown --risk-frequency daily        (the nightly bench)
//   default: run --flow-timing start                                   (all default periods, twr+mwr+risk, monthly)
// --save FILE writes every result row of both configurations (values printed exactly: shortest round-trip
// decimal, -0 kept) to FILE; --compare FILE checks the rows of this run against such a file, field by field, and
// reports the number of rows and any difference (exit 1 if any). --baseline DIR bundles a second copy of the
// sources (DIR/src and DIR/package.json,
// e.g. from `git archive HEAD src package.json | tar -x -C DIR`) and times it in alternation with the
// working tree's, pass by pass, so both see the same machine load.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_FLAGS, bundleSources, runOptions } from './bundle.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const N = Number(arg('n', 500));
const PASSES = Number(arg('passes', 5));
const SIZE = arg('size', '1000');
const WHICH = arg('config', 'both');
const SAVE = arg('save');
const COMPARE = arg('compare');

const entry = `
export { computePortfolio } from './src/batch/computePortfolio.ts';
export { computeOptionsOf } from './src/commands/run.ts';
export { resolveRunConfig } from './src/config.ts';
export { loadPortfoliosFast } from './src/storage/csv/fastLoad.ts';
`;
const bundle = (dir, tag) => bundleSources(dir, tag, entry);
const m = await bundle(root, 'current');
// --baseline DIR: another copy of the sources (e.g. `git archive HEAD src package.json | tar -x -C DIR`), timed in alternation
const BASELINE = arg('baseline');
const variants = [['current', m]];
if (BASELINE) variants.push(['baseline', await bundle(path.resolve(BASELINE), 'baseline')]);

const data = path.join(root, 'bench/data');
const valuations = path.join(data, `valuations-${SIZE}-s20261122.csv`);
const cashFlows = path.join(data, `cash_flows-${SIZE}-s20261122.csv`);
const t0 = performance.now();
const load = await m.loadPortfoliosFast({ valuations, cashFlows });
const portfolios = [...load.portfolios.values()].slice(0, N);
console.log(`loaded ${load.portfolios.size} portfolios in ${((performance.now() - t0) / 1000).toFixed(1)} s; timing the first ${portfolios.length}`);

const configs = {
  bench: await runOptions(m, valuations, cashFlows, BENCH_FLAGS),
  default: await runOptions(m, valuations, cashFlows, { flowTiming: 'start' }),
};

const exact = (v) => (typeof v === 'number' ? (Object.is(v, -0) ? '-0' : String(v)) : JSON.stringify(v));
const rowText = (r) => Object.keys(r).sort().map((k) => `${k}=${exact(r[k])}`).join('|');

const lines = [];
let sink = 0;
for (const [name, opts] of Object.entries(configs)) {
  if (WHICH !== 'both' && WHICH !== name) continue;
  const ctx = {};
  // warm-up pass of each variant; the current one's rows are saved / compared
  let rows = 0;
  for (const [label, mod] of variants) {
    for (const p of portfolios) {
      const out = mod.computePortfolio(p, opts, ctx);
      if (label !== 'current') continue;
      rows += out.length;
      for (const r of out) lines.push(`${name}|${rowText(r)}`);
    }
  }
  const times = variants.map(() => []);
  const cpu = variants.map(() => []);
  for (let pass = 0; pass < PASSES; pass++) {
    variants.forEach(([, mod], v) => {
      const c = process.cpuUsage();
      const t = performance.now();
      for (const p of portfolios) sink += mod.computePortfolio(p, opts, ctx).length;
      times[v].push((performance.now() - t) / portfolios.length);
      const used = process.cpuUsage(c);
      cpu[v].push((used.user + used.system) / 1000 / portfolios.length);
    });
  }
  const median = (xs) => xs[Math.floor(xs.length / 2)];
  const p10 = (xs) => xs[Math.floor(xs.length / 10)];
  variants.forEach(([label], v) => {
    const ts = times[v].sort((a, b) => a - b);
    const cs = cpu[v].sort((a, b) => a - b);
    console.log(
      `${name.padEnd(8)} ${label.padEnd(8)} ${rows / portfolios.length} rows/portfolio  wall median ${median(ts).toFixed(4)} ms/portfolio ` +
        `(p10 ${p10(ts).toFixed(4)}, min ${ts[0].toFixed(4)})  cpu median ${median(cs).toFixed(4)} (p10 ${p10(cs).toFixed(4)})`,
    );
  });
}
if (sink < 0) console.log(sink);

if (SAVE) {
  fs.writeFileSync(SAVE, lines.join('\n') + '\n');
  console.log(`saved ${lines.length} rows to ${SAVE}`);
}
if (COMPARE) {
  const before = fs.readFileSync(COMPARE, 'utf8').trimEnd().split('\n');
  let diff = 0;
  const max = Math.max(before.length, lines.length);
  for (let i = 0; i < max; i++) {
    if (before[i] !== lines[i]) {
      if (diff < 10) console.log(`row ${i} differs:\n  before ${before[i]}\n  after  ${lines[i]}`);
      diff++;
    }
  }
  console.log(`compared ${lines.length} rows (before: ${before.length}): ${diff === 0 ? 'all identical' : `${diff} differ`}`);
  if (diff > 0) process.exitCode = 1;
}
