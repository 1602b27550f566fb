/**
 * The batch over a large plain valuations file: the file is split into byte ranges scanned by
 * worker threads (scanWorkers.ts), each computing its portfolios as their rows stream past, so
 * memory stays proportional to one portfolio and both cores work. Used when the file is grouped
 * by portfolio (each portfolio's rows contiguous, the usual export); otherwise it reports
 * `undefined` and the caller runs the whole-file loader instead, with the same results.
 */
import { availableParallelism } from 'node:os';
import { readCashFlowsFast } from '../storage/csv/fastLoad.js';
import { packFlows, unpackFlows } from '../storage/csv/cashFlows.js';
import { combinePortfolio } from '../storage/csv/loadPortfolios.js';
import { formatProblem } from '../errors.js';
import { compareIds } from '../ids.js';
import type { ResultSink } from '../storage/types.js';
import { runGroupedScan } from './scanWorkers.js';
import { batchCollector, type BatchHooks, type BatchOptions, type BatchOutcome } from './runBatch.js';
import type { ScanTaskOptions, ScanTaskResult } from './scanTask.js';

const TASK_URL = new URL(import.meta.url.endsWith('.ts') ? './scanTask.ts' : './scanTask.js', import.meta.url);

export async function runScanBatch(
  input: { valuations: string; cashFlows?: string },
  sinks: readonly ResultSink[],
  opts: BatchOptions,
  hooks: BatchHooks = {},
): Promise<BatchOutcome | undefined> {
  const flows = input.cashFlows !== undefined ? await readCashFlowsFast(input.cashFlows) : new Map();
  const packed = packFlows(flows);
  const files = input.cashFlows !== undefined ? [input.valuations, input.cashFlows] : [input.valuations];
  const wantsDaily = sinks.some((k) => k.wantsDailySeries);
  const taskOptions: ScanTaskOptions = {
    batch: { runId: opts.runId, compute: opts.compute, context: opts.context, cache: opts.cache },
    flows: packed,
    files,
    wantsDaily,
  };
  // Results are held until the scan says the file was grouped: a file that is not must leave no trace.
  const results: ScanTaskResult[] = [];
  const expected = packed.ids.length;
  const scan = await runGroupedScan({
    path: input.valuations,
    workers: Math.max(1, Math.min(opts.concurrency, availableParallelism())),
    taskModule: TASK_URL,
    taskOptions,
    digest: 'none',
    onResult: (r) => {
      results.push(r as ScanTaskResult);
      hooks.onProgress?.({ done: results.length, total: Math.max(expected, results.length), failed: 0 });
    },
  });
  if (!scan.grouped) return undefined;

  results.sort((a, b) => compareIds(a.id, b.id));
  const seen = new Set(results.map((r) => r.id));
  // portfolios with flows but no valuations: the same problem the whole-file loader reports
  const orphans = packed.ids.flatMap((id, k) => {
    if (seen.has(id)) return [];
    const c = combinePortfolio(id, undefined, unpackFlows(packed, k, new Map(packed.exact)), files);
    return [{ portfolio_id: id, stage: 'load' as const, message: c.problems.map(formatProblem).join(' | ') }];
  });
  const run = batchCollector(sinks, { failFast: false }, { ...hooks, onProgress: undefined }, results.length + orphans.length);
  for (const r of results) {
    if (r.ok) await run.accept(r.id, r.rows, r.daily, r.cache, r.note);
    else run.fail(r.error);
  }
  for (const e of orphans) run.fail(e);
  return run.outcome();
}
