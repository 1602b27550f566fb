// Helpers of the engine probes (engine.mjs, engineSpeed.mjs), not product code: bundles TypeScript sources into a
// temporary module with esbuild (which tsup brings along) and imports it, so a probe measures a tree's sources
// without `npm run build`.
import { build } from 'esbuild';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Bundles `contents` (a TypeScript entry whose relative imports resolve from `dir`, e.g. a git worktree) and
 * imports the result. The bundle is written inside this repository (node_modules/.cache), so that its package
 * imports resolve, and removed once imported.
 */
export async function bundleSources(dir, tag, contents) {
  const outfile = path.join(root, 'node_modules/.cache', `perfcalc-probe-${process.pid}-${tag}.mjs`);
  await build({
    stdin: { contents, resolveDir: dir, loader: 'ts', sourcefile: `${tag}-entry.ts` },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    outfile,
    logLevel: 'warning',
  });
  try {
    return await import(pathToFileURL(outfile).href);
  } finally {
    fs.unlinkSync(outfile);
  }
}

/** The flags of the nightly bench's `perfcalc run` (bench/README.md). */
export const BENCH_FLAGS = {
  flowTiming: 'start',
  periods: 'ITD',
  metrics: 'twr,mwr,annualized_volatility,sharpe_ratio,sortino_ratio,max_drawdown',
  riskFrequency: 'daily',
};

/**
 * ComputeOptions as `perfcalc run` would make them from these flags, through a bundle's resolveRunConfig and
 * computeOptionsOf (no config file, no environment, no cache).
 */
export async function runOptions(mod, valuations, cashFlows, flags) {
  const r = await mod.resolveRunConfig({
    flags: { valuations, cashFlows, cache: false, ...flags },
    env: {},
    cwd: root,
    home: os.tmpdir(),
    readFile: () => Promise.reject(Object.assign(new Error('none'), { code: 'ENOENT' })),
  });
  return mod.computeOptionsOf(r.config);
}
