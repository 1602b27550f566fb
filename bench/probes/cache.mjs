#!/usr/bin/env node
// Probe (a measurement, not product code): the result cache's cost for a nightly run's worth of entries.
//
//   node bench/probes/cache.mjs [--src ROOT]... [--entries N] [--rows N] [--runs N] [--handles N] [--tmp DIR]
//
// For each source tree ROOT (default: this checkout; give several to compare, e.g. a
// `git archive <rev> src | tar -x -C /tmp/before` copy as the baseline), it bundles ROOT/src/batch/cache.ts with
// esbuild (as tsup would), then, round-robin over the trees, N times (default 3), in a fresh child process each:
//   - put: N entries (default 10,000) with putSync on H handles (default 1; entries dealt round-robin, as the scan
//     worker threads would), then flush() every handle: wall seconds, and the process's user and system CPU seconds;
//   - get: a fresh handle reads every entry back (get = read + checksum + JSON.parse) and checks it: wall seconds;
//   - the directory's file count and bytes afterwards;
//   - the serialization floor any layout pays: JSON.stringify of every value, JSON.parse of every text.
// The value is a realistic CachedValue (src/batch/runBatch.ts): {input_digest, rows: ResultRow[]} with R rows
// (default 16, about 3.5 KB of JSON; --rows 28 gives about 6 KB), each row's numbers distinct per entry.
// Prints one JSON line per run, then one per tree with the medians.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};

if (args[0] === '--child') {
  await child(args[1], args[2], Number(args[3]), Number(args[4]), Number(args[5]));
  process.exit(0);
}

const srcs = args.flatMap((a, i) => (a === '--src' ? [path.resolve(args[i + 1])] : []));
if (srcs.length === 0) srcs.push(repo);
const entries = Number(opt('--entries', '10000'));
const rows = Number(opt('--rows', '16'));
const runs = Number(opt('--runs', '3'));
const handles = Number(opt('--handles', '1'));
const tmp = fs.mkdtempSync(path.join(opt('--tmp', os.tmpdir()), 'perfcalc-cache-probe-'));

const { build } = await import('esbuild');
const bundles = [];
for (const [i, src] of srcs.entries()) {
  const outfile = path.join(tmp, `cache-${i}.mjs`);
  await build({ entryPoints: [path.join(src, 'src/batch/cache.ts')], bundle: true, platform: 'node', format: 'esm', outfile, nodePaths: [path.join(repo, 'node_modules')], logLevel: 'silent' });
  bundles.push(outfile);
}

const results = srcs.map(() => []);
for (let r = 0; r < runs; r++) {
  for (const [i, bundle] of bundles.entries()) {
    const dir = path.join(tmp, `dir-${i}-${r}`);
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', bundle, dir, String(entries), String(rows), String(handles)], { encoding: 'utf8' });
    const m = JSON.parse(out);
    results[i].push(m);
    console.log(JSON.stringify({ src: srcs[i], run: r, ...m }));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const [i, src] of srcs.entries()) {
  const ms = results[i];
  const med = {};
  for (const k of Object.keys(ms[0])) if (typeof ms[0][k] === 'number') med[k] = median(ms.map((m) => m[k]));
  console.log(JSON.stringify({ probe: 'cache', src, entries, rows, handles, runs, median: med }));
}
fs.rmSync(tmp, { recursive: true, force: true });

async function child(bundle, dir, n, rowCount, handleCount) {
  const { openCache } = await import(pathToFileURL(bundle).href);
  const { createHash } = await import('node:crypto');
  const key = (i) => createHash('sha256').update(`portfolio P-${i}`).digest('hex');
  const metrics = ['twr', 'twr_annualized', 'mwr', 'mwr_annualized', 'annualized_volatility', 'sharpe_ratio', 'sortino_ratio', 'max_drawdown'];
  const value = (i) => ({
    input_digest: createHash('md5').update(String(i)).digest('hex'),
    rows: Array.from({ length: rowCount }, (_, j) => ({
      portfolio_id: `P-${String(i).padStart(5, '0')}`,
      period: j < rowCount / 2 ? 'ITD' : 'YTD',
      start_date: j < rowCount / 2 ? '2016-11-22' : '2026-01-01',
      end_date: '2026-11-20',
      metric: metrics[j % metrics.length],
      value: Math.sin(i * 31 + j) / 7,
      method: j % 8 < 2 ? 'daily' : j % 8 < 4 ? 'xirr' : 'risk-daily',
      status: 'ok',
      note: j % 8 < 2 ? `${(i % 17) + 1} cash flows dated on days without a valuation moved to the next valuation day as start-of-day flows` : '',
    })),
  });
  const keys = Array.from({ length: n }, (_, i) => key(i));
  const values = Array.from({ length: n }, (_, i) => value(i));
  const now = Date.now();
  const caches = Array.from({ length: handleCount }, () => openCache({ dir, ttlMs: 86_400_000 }));

  // the serialization floor: JSON.stringify of every value and JSON.parse of every text, which any layout pays
  const ts = performance.now();
  const texts = values.map((v) => JSON.stringify(v));
  const tp = performance.now();
  for (const t of texts) JSON.parse(t);
  const te = performance.now();

  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) caches[i % handleCount].putSync(keys[i], values[i], now);
  const t1 = performance.now();
  for (const c of caches) c.flush();
  const t2 = performance.now();
  const c1 = process.cpuUsage(c0);

  const reader = openCache({ dir, ttlMs: 86_400_000 });
  const t3 = performance.now();
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const g = reader.get(keys[i], now + 1);
    if (g.status === 'hit' && g.value.rows[0].value === values[i].rows[0].value && g.value.input_digest === values[i].input_digest) hits++;
  }
  const t4 = performance.now();
  reader.flush();
  if (hits !== n) throw new Error(`read back ${hits} of ${n} entries`);

  let files = 0;
  let bytes = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else {
        files++;
        bytes += fs.statSync(path.join(d, e.name)).size;
      }
    }
  };
  walk(dir);
  const s = (ms) => +(ms / 1000).toFixed(3);
  const valueBytes = Buffer.byteLength(JSON.stringify(values[0]));
  process.stdout.write(
    `${JSON.stringify({ valueBytes, put_s: s(t1 - t0), flush_s: s(t2 - t1), put_flush_s: s(t2 - t0), stringify_s: s(tp - ts), parse_s: s(te - tp), put_user_s: s(c1.user / 1000), put_sys_s: s(c1.system / 1000), get_all_s: s(t4 - t3), files, bytes })}\n`,
  );
}
