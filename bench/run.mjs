#!/usr/bin/env node
// `npm run bench`: the issue-4 benchmark harness. See bench/README.md.
//
//   node bench/run.mjs [--size small|large|all] [--runs N] [--seed N] [--shuffle] [--only a,b,...] [--keep]
//
// For each dataset size it generates (or reuses) the seeded dataset, then times every available command N times
// (default 5 runs for small, 3 for large), round-robin (run 1 of every command, then run 2, ...) so that a change in
// machine load hits all commands alike. Reports the median wall time, rows/s and MB/s (both over the valuations
// file), the peak RSS (the largest of the runs) and the ratio pandas median / command median, prints a table and
// writes bench/results/latest.json (git-ignored).
// Peak RSS: GNU time's %M (max resident set of the child, in KB) when /usr/bin/time exists, else VmHWM from
// /proc/<pid>/status polled every 20 ms (which can miss growth in the last 20 ms).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SEED, SIZES, generateDataset } from './generate.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const NODE = process.execPath;
const GNU_TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
// The perfcalc entry point to bench; PERFCALC_BENCH_BIN overrides it (another build, or a stub to test the harness).
const PERFCALC_BIN = path.resolve(ROOT, process.env.PERFCALC_BENCH_BIN || 'bin/perfcalc.js');

function parseArgs(argv) {
  const o = { size: 'all', runs: null, seed: DEFAULT_SEED, shuffle: false, only: null, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--size') o.size = argv[++i];
    else if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--seed') o.seed = Number(argv[++i]);
    else if (a === '--shuffle') o.shuffle = true;
    else if (a === '--only') o.only = argv[++i].split(',');
    else if (a === '--keep') o.keep = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: node bench/run.mjs [--size small|large|all] [--runs N] [--seed N] [--shuffle] [--only io-floor,pandas,perfcalc-cold,perfcalc-cold-known,perfcalc-warm] [--keep]');
      process.exit(0);
    } else { console.error(`unknown option ${a}`); process.exit(2); }
  }
  if (!['small', 'large', 'all'].includes(o.size)) { console.error('--size must be small, large or all'); process.exit(2); }
  if (o.runs !== null && !(Number.isInteger(o.runs) && o.runs >= 1)) { console.error('--runs must be a positive integer'); process.exit(2); }
  const names = ['io-floor', 'pandas', 'perfcalc-cold', 'perfcalc-cold-known', 'perfcalc-warm'];
  const unknown = (o.only ?? []).filter((n) => !names.includes(n));
  if (unknown.length) { console.error(`--only: unknown ${unknown.join(', ')} (known: ${names.join(', ')})`); process.exit(2); }
  return o;
}

/** The python with pandas and numpy importable, or null with the reason. */
function findPandasPython() {
  const tried = [];
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import pandas, numpy; print(pandas.__version__, numpy.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python: py, versions: r.stdout.trim() };
    tried.push(`${py}: ${r.error ? r.error.code : (r.stderr.trim().split('\n').pop() || `exit ${r.status}`)}`);
  }
  return { python: null, reason: `no python3 with pandas and numpy (${tried.join('; ')}); on Debian: apt-get install -y python3-pandas python3-numpy` };
}

/** Whether `perfcalc run` exists: `run --help` must exit 0 and print the run command's own usage. */
function perfcalcRunAvailable() {
  const r = spawnSync(NODE, [PERFCALC_BIN, 'run', '--help'], { encoding: 'utf8', cwd: ROOT });
  if (r.status === 0 && /Usage: perfcalc run\b/.test(r.stdout)) return { ok: true };
  const why = r.status !== 0 ? `exit ${r.status}: ${(r.stderr || r.stdout).trim().split('\n')[0]}` : 'it printed the top-level help (no run command yet)';
  return { ok: false, reason: `\`perfcalc run\` is not available (node ${path.relative(ROOT, PERFCALC_BIN)} run --help: ${why}); build with \`npm run build\` once it exists` };
}

function distIsStale() {
  try {
    const built = fs.statSync(path.join(ROOT, 'dist/cli.js')).mtimeMs;
    let newest = 0;
    const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p); else newest = Math.max(newest, fs.statSync(p).mtimeMs); } };
    walk(path.join(ROOT, 'src'));
    return newest > built;
  } catch { return true; }
}

/**
 * The measured commands. Each: name, label, check() -> {ok, reason}, optional setup(ctx), argv(ctx, run).
 * perfcalc gets the issue's metric set (twr, mwr and four risk figures) and --risk-frequency daily: its default
 * (monthly returns linked from daily, GIPS) is not the work the
 * pandas baseline and the issue's target do (risk over the daily returns).
 */
function commands(pandas, perfcalc) {
  // every perfcalc run gets its own --state-dir: cold runs a fresh one, so they hash the inputs for the audit record
  // like a nightly run on a new export; the warm runs share the one their setup run filled (digest memo)
  const perfcalcArgs = (ds, out, cache, state) => [PERFCALC_BIN, 'run', '--valuations', ds.valuations, '--cash-flows', ds.cashFlows,
    '--flow-timing', 'start', '--periods', 'ITD', '--metrics', 'twr,mwr,annualized_volatility,sharpe_ratio,sortino_ratio,max_drawdown', '--risk-frequency', 'daily', '--out', out, '--cache-dir', cache, '--state-dir', state, '--quiet'];
  return [
    {
      name: 'io-floor', label: 'I/O floor (read valuations, 1 MB chunks)',
      check: () => ({ ok: true }),
      argv: (ctx) => [NODE, path.join(HERE, 'probes/ioFloor.mjs'), ctx.ds.valuations],
    },
    {
      name: 'pandas', label: `pandas + numpy baseline`,
      check: () => (pandas.python ? { ok: true } : { ok: false, reason: pandas.reason }),
      argv: (ctx, run) => [pandas.python, path.join(HERE, 'pandas_baseline.py'), '--valuations', ctx.ds.valuations, '--cash-flows', ctx.ds.cashFlows,
        '--out', path.join(ctx.tmp, `pandas-${run}.csv`)],
    },
    {
      name: 'perfcalc-cold', label: 'perfcalc run, cold cache',
      check: () => perfcalc,
      argv: (ctx, run) => [NODE, ...perfcalcArgs(ctx.ds, path.join(ctx.tmp, `cold-out-${run}`), path.join(ctx.tmp, `cold-cache-${run}`), path.join(ctx.tmp, `cold-state-${run}`))],
    },
    {
      // informative, not a target line: the cold run's cost without the audit's sha256 of the inputs
      // (a state directory whose digest memo already knows the files, as on a rerun of the same export)
      name: 'perfcalc-cold-known', label: 'perfcalc run, cold cache, inputs already hashed',
      check: () => perfcalc,
      setup: (ctx) => [NODE, ...perfcalcArgs(ctx.ds, path.join(ctx.tmp, 'known-out-setup'), path.join(ctx.tmp, 'known-cache-setup'), path.join(ctx.tmp, 'known-state'))],
      argv: (ctx, run) => [NODE, ...perfcalcArgs(ctx.ds, path.join(ctx.tmp, `known-out-${run}`), path.join(ctx.tmp, `known-cache-${run}`), path.join(ctx.tmp, 'known-state'))],
    },
    {
      name: 'perfcalc-warm', label: 'perfcalc run, warm cache',
      check: () => perfcalc,
      // one untimed run fills the cache that the timed runs reuse
      setup: (ctx) => [NODE, ...perfcalcArgs(ctx.ds, path.join(ctx.tmp, 'warm-out-setup'), path.join(ctx.tmp, 'warm-cache'), path.join(ctx.tmp, 'warm-state'))],
      argv: (ctx, run) => [NODE, ...perfcalcArgs(ctx.ds, path.join(ctx.tmp, `warm-out-${run}`), path.join(ctx.tmp, 'warm-cache'), path.join(ctx.tmp, 'warm-state'))],
    },
  ];
}

/** Runs argv once; resolves {seconds, peakRssMB, code, stderrTail}. */
function measure(argv) {
  return new Promise((resolve) => {
    const timeFile = path.join(os.tmpdir(), `perfcalc-bench-time-${process.pid}.txt`);
    const full = GNU_TIME ? [GNU_TIME, '-f', '%M', '-o', timeFile, ...argv] : argv;
    const t0 = process.hrtime.bigint();
    const child = spawn(full[0], full.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out = (out + d).slice(-4000); });
    child.stderr.on('data', (d) => { err = (err + d).slice(-4000); });
    let hwm = 0;
    const poll = GNU_TIME ? null : setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwm = Math.max(hwm, Number(m[1]));
      } catch { /* exited */ }
    }, 20);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (poll) clearInterval(poll);
      let kb = hwm;
      if (GNU_TIME) {
        try {
          const lines = fs.readFileSync(timeFile, 'utf8').trim().split('\n');
          kb = Number(lines[lines.length - 1]);
        } catch { kb = NaN; }
        fs.rmSync(timeFile, { force: true });
      }
      resolve({ seconds, peakRssMB: kb / 1024, code, stdoutTail: out.trim(), stderrTail: err.trim() });
    });
  });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmt = (x, d) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));

function printTable(rows) {
  const head = ['command', 'median s', 'rows/s', 'MB/s', 'peak RSS MB', 'vs pandas', 'runs'];
  const body = rows.map((r) => r.skipped
    ? [r.name, 'skipped', '', '', '', '', '']
    : r.failed
      ? [r.name, 'FAILED', '', '', '', '', String(r.runs.length)]
      : [r.name, fmt(r.medianSeconds, 3), r.rowsPerSecond === null ? '-' : (r.rowsPerSecond / 1e6).toFixed(2) + 'M', fmt(r.MBps, 1), fmt(r.peakRssMB, 0),
        r.vsPandas === null ? '-' : `${r.vsPandas.toFixed(2)}x`, String(r.runs.length)]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const b of body) console.log(line(b));
}

async function benchSize(size, o, pandas, perfcalc) {
  const portfolios = SIZES[size];
  const runs = o.runs ?? (size === 'small' ? 5 : 3);
  console.log(`\n== ${size}: ${portfolios} portfolios x 2,520 days${o.shuffle ? ', shuffled rows' : ''}, ${runs} runs each ==`);
  const ds = generateDataset({ portfolios, seed: o.seed, shuffle: o.shuffle, log: (m) => console.log(m) });
  if (ds.reused) console.log(`reused ${path.relative(ROOT, ds.valuations)} (${ds.valuationRows} rows, ${(ds.valuationsBytes / 1e6).toFixed(1)} MB; generated earlier in ${ds.generateSeconds} s)`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `perfcalc-bench-${size}-`));
  const ctx = { ds, tmp };
  const cmds = commands(pandas, perfcalc).filter((c) => !o.only || o.only.includes(c.name));
  const results = [];
  for (const c of cmds) {
    const chk = c.check();
    const r = { name: c.name, label: c.label, skipped: !chk.ok, reason: chk.reason ?? null, failed: false, runs: [] };
    if (!chk.ok) console.log(`skip ${c.name}: ${chk.reason}`);
    else if (c.setup) {
      const s = await measure(c.setup(ctx));
      r.setup = { seconds: s.seconds, code: s.code };
      if (s.code !== 0) { r.failed = true; r.error = s.stderrTail.split('\n').slice(-5).join('\n'); console.log(`${c.name}: setup failed (exit ${s.code})\n${r.error}`); }
    }
    results.push({ cmd: c, r });
  }
  for (let run = 1; run <= runs; run++) {
    for (const { cmd, r } of results) {
      if (r.skipped || r.failed) continue;
      const argv = cmd.argv(ctx, run);
      if (run === 1) r.command = argv.map((a) => (a.includes(' ') ? JSON.stringify(a) : a)).join(' ');
      const m = await measure(argv);
      if (m.code !== 0) {
        r.failed = true;
        r.error = `exit ${m.code}: ${m.stderrTail.split('\n').slice(-5).join('\n')}`;
        console.log(`${cmd.name} run ${run}: FAILED ${r.error}`);
        continue;
      }
      let detail;
      try { detail = JSON.parse(m.stdoutTail.split('\n').pop()); } catch { detail = undefined; } // the probes' and pandas' JSON line
      r.runs.push({ seconds: +m.seconds.toFixed(3), peakRssMB: +m.peakRssMB.toFixed(1), detail, stderr: m.stderrTail.split('\n').slice(-1)[0] || undefined });
      console.log(`${cmd.name} run ${run}/${runs}: ${m.seconds.toFixed(3)} s, peak RSS ${m.peakRssMB.toFixed(0)} MB`);
    }
  }
  for (const { r } of results) {
    if (r.skipped || r.failed || r.runs.length === 0) { r.medianSeconds = null; continue; }
    r.medianSeconds = +median(r.runs.map((x) => x.seconds)).toFixed(3);
    r.rowsPerSecond = Math.round(ds.valuationRows / r.medianSeconds);
    r.MBps = +(ds.valuationsBytes / 1e6 / r.medianSeconds).toFixed(1);
    r.peakRssMB = Math.max(...r.runs.map((x) => x.peakRssMB));
  }
  const pandasRow = results.find((x) => x.r.name === 'pandas')?.r;
  for (const { r } of results) {
    r.vsPandas = pandasRow?.medianSeconds && r.medianSeconds ? +(pandasRow.medianSeconds / r.medianSeconds).toFixed(3) : null;
  }
  const rows = results.map((x) => x.r);
  console.log('');
  printTable(rows);
  const cold = rows.find((r) => r.name === 'perfcalc-cold');
  const warm = rows.find((r) => r.name === 'perfcalc-warm');
  const targets = [];
  if (size === 'large' && cold?.medianSeconds) {
    if (cold.vsPandas !== null) targets.push([`perfcalc cold >= 4.5x faster than pandas`, cold.vsPandas >= 4.5, `${cold.vsPandas.toFixed(2)}x`]);
    targets.push([`perfcalc cold peak RSS <= 300 MB`, cold.peakRssMB <= 300, `${cold.peakRssMB.toFixed(0)} MB`]);
    if (warm?.medianSeconds) targets.push([`perfcalc warm <= 1/4 of cold`, warm.medianSeconds <= cold.medianSeconds / 4, `${(warm.medianSeconds / cold.medianSeconds).toFixed(3)} of cold`]);
  }
  for (const [what, ok, got] of targets) console.log(`target ${ok ? 'MET   ' : 'MISSED'} ${what}: ${got}`);
  if (!o.keep) fs.rmSync(tmp, { recursive: true, force: true });
  else console.log(`kept outputs in ${tmp}`);
  const { reused, ...dataset } = ds;
  return { size, runsPerCommand: runs, dataset: { ...dataset, reused }, commands: rows, targets: targets.map(([what, ok, got]) => ({ what, met: ok, got })) };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const pandas = findPandasPython();
  const perfcalc = perfcalcRunAvailable();
  const startedAt = new Date();
  const load0 = os.loadavg();
  console.log(`perfcalc bench: node ${process.version}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, load ${load0.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`peak RSS from ${GNU_TIME ? 'GNU time %M (/usr/bin/time)' : '/proc/<pid>/status VmHWM polled every 20 ms'}`);
  console.log(pandas.python ? `pandas: ${pandas.python} (pandas, numpy ${pandas.versions})` : `pandas: ${pandas.reason}`);
  if (perfcalc.ok && distIsStale()) console.log('warning: dist/ is older than src/: run `npm run build` first to bench the current code');
  const sizes = o.size === 'all' ? ['small', 'large'] : [o.size];
  const out = [];
  for (const s of sizes) out.push(await benchSize(s, o, pandas, perfcalc));
  const report = {
    startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), node: process.version,
    cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, totalMemGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    loadavgStart: load0, loadavgEnd: os.loadavg(), rssMethod: GNU_TIME ? 'gnu-time-%M' : 'proc-VmHWM-poll',
    pandas: pandas.python ? { python: pandas.python, versions: pandas.versions } : { skipped: pandas.reason },
    seed: o.seed, shuffle: o.shuffle, sizes: out,
  };
  fs.mkdirSync(path.join(HERE, 'results'), { recursive: true });
  const file = path.join(HERE, 'results', 'latest.json');
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(ROOT, file)}; load at the end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const failed = out.some((s) => s.commands.some((c) => c.failed));
  process.exitCode = failed ? 1 : 0;
}

main();
