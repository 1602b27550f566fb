/**
 * The batch over a large plain valuations file: the file is split into byte ranges scanned by
 * worker threads (scanWorkers.ts), each computing its portfolios as their rows stream past, so
 * memory stays proportional to one portfolio and both cores work. Used when the file is grouped
 * by portfolio (each portfolio's rows contiguous, the usual export); otherwise it reports
 * `undefined` and the caller runs the whole-file loader instead, with the same results.
 */
import { availableParallelism } from 'node:os';
import { readCashFlowsFast } from '../storage/csv/fastLoad.js';
import { packFlows, unpackFlows, type PackedFlows } from '../storage/csv/cashFlows.js';
import { combinePortfolio } from '../storage/csv/loadPortfolios.js';
import { formatProblem } from '../errors.js';
import { compareIds } from '../ids.js';
import type { ResultSink } from '../storage/types.js';
import { runGroupedScan } from './scanWorkers.js';
import { batchCollector, ENGINE_VERSION, optionsDigestOf, runRows, type BatchHooks, type BatchOptions, type BatchOutcome, type CachedValue, type RunResultRow } from './runBatch.js';
import { scanResultValue, type ScanTaskOptions, type ScanTaskResult } from './scanTask.js';
import { openCache } from './cache.js';
import { scanMemoKey, type ScanMemoValue } from './scanMemo.js';

/** The input files' sha256 for the scan memo (scanMemo.ts); the caller knows how far to trust them. */
export interface ScanMemoInputs {
  /** The input files' sha256, in the order valuations, cash flows, when known without reading them; else undefined. */
  known?: readonly string[];
  /** After the scan: the files' sha256 if they provably did not change while the run read them; else undefined. */
  settle(): Promise<readonly string[] | undefined>;
}

const TASK_URL = new URL(import.meta.url.endsWith('.ts') ? './scanTask.ts' : './scanTask.js', import.meta.url);

export async function runScanBatch(
  input: { valuations: string; cashFlows?: string },
  sinks: readonly ResultSink[],
  opts: BatchOptions,
  hooks: BatchHooks = {},
  memo?: ScanMemoInputs,
): Promise<BatchOutcome | undefined> {
  const wantsDaily = sinks.some((k) => k.wantsDailySeries);
  // the memo gives back rows only (no daily series), and lives in the result cache
  const useMemo = memo !== undefined && opts.cache !== null && !wantsDaily;
  const optionsDigest = useMemo ? optionsDigestOf(opts) : '';
  if (useMemo && memo.known !== undefined) {
    const warm = await fromMemo(scanMemoKey({ inputs: memo.known, optionsDigest, engineVersion: ENGINE_VERSION }), sinks, opts, hooks);
    if (warm) return warm;
  }
  const files = input.cashFlows !== undefined ? [input.valuations, input.cashFlows] : [input.valuations];
  // The cash flows are read once the workers have been created (they start scanning meanwhile and
  // hold what they find until the flows come).
  let expected = 0;
  let packedFlows: Promise<PackedFlows> | undefined;
  const readFlows = (): Promise<PackedFlows> =>
    (packedFlows ??= (input.cashFlows !== undefined ? readCashFlowsFast(input.cashFlows, { shared: true, sync: true }) : Promise.resolve(new Map())).then((flows) => {
      // the flow columns in shared memory: every worker reads the one copy (~20 MB each for the bench's 1.15 million flows)
      const packed = packFlows(flows, { shared: true });
      expected = packed.ids.length;
      return packed;
    }));
  const taskOptions = async (): Promise<ScanTaskOptions> => ({
    batch: { runId: opts.runId, compute: opts.compute, context: opts.context, cache: opts.cache },
    flows: await readFlows(),
    files,
    wantsDaily,
  });
  // Results are held until the scan says the file was grouped: a file that is not must leave no trace.
  // each result's rows with the per-run columns, made (and prepared by the sinks) as it arrives
  const results: Array<{ r: ScanTaskResult; rows?: RunResultRow[] }> = [];
  const scan = await runGroupedScan({
    path: input.valuations,
    workers: Math.max(1, Math.min(opts.concurrency, availableParallelism())),
    taskModule: TASK_URL,
    taskOptions,
    digest: 'none',
    onWarning: (msg) => hooks.onEvent?.({ level: 'warn', msg }),
    onStarted: () => hooks.onScanStarted?.(),
    onResult: (m) => {
      const r = m as ScanTaskResult;
      if (r.ok) {
        const rows = runRows(scanResultValue(r), opts.runId);
        for (const sink of sinks) sink.prepare?.(rows);
        results.push({ r: { ...r, json: '' }, rows });
      } else results.push({ r });
      hooks.onProgress?.({ done: results.length, total: Math.max(expected, results.length), failed: 0 });
    },
  });
  if (!scan.grouped) return undefined;
  const packed = await readFlows();

  results.sort((a, b) => compareIds(a.r.id, b.r.id));
  const seen = new Set(results.map((x) => x.r.id));
  // portfolios with flows but no valuations: the same problem the whole-file loader reports
  const orphans = packed.ids.flatMap((id, k) => {
    if (seen.has(id)) return [];
    const c = combinePortfolio(id, undefined, unpackFlows(packed, k, new Map(packed.exact)), files);
    return [{ portfolio_id: id, stage: 'load' as const, message: c.problems.map(formatProblem).join(' | ') }];
  });
  const run = batchCollector(sinks, { failFast: false }, { ...hooks, onProgress: undefined }, results.length + orphans.length);
  for (const { r, rows } of results) {
    if (r.ok) await run.accept(r.id, rows!, r.daily, r.cache, r.note);
    else run.fail(r.error);
  }
  for (const e of orphans) run.fail(e);
  const outcome = run.outcome();
  if (useMemo) {
    const inputs = await memo.settle();
    if (inputs !== undefined) {
      const value: ScanMemoValue = {
        portfolios: results.flatMap(({ r }) => (r.ok && r.key !== '' ? [{ id: r.id, key: r.key }] : [])),
        errors: outcome.errors,
      };
      try {
        const cache = openCache<ScanMemoValue>(opts.cache!);
        cache.putSync(scanMemoKey({ inputs, optionsDigest, engineVersion: ENGINE_VERSION }), value, (hooks.now ?? Date.now)());
        const flushed = cache.flush();
        if (flushed.error) throw new Error(flushed.error);
      } catch (err) {
        hooks.onEvent?.({ level: 'warn', msg: `could not write the scan memo: ${(err as Error).message}` });
      }
    }
  }
  return outcome;
}

/**
 * The whole batch from the scan memo and the result cache, without reading the inputs; undefined
 * (nothing written anywhere) when there is no memo or any entry it lists is not a valid hit.
 */
async function fromMemo(key: string, sinks: readonly ResultSink[], opts: BatchOptions, hooks: BatchHooks): Promise<BatchOutcome | undefined> {
  const now = (hooks.now ?? Date.now)();
  // one read-only handle; flush() (nothing to publish) releases its read descriptors
  const cache = openCache<ScanMemoValue | CachedValue>(opts.cache!);
  const values: CachedValue[] = [];
  let memoValue: ScanMemoValue | undefined;
  try {
    const memoHit = cache.get(key, now);
    if (memoHit.status !== 'hit') return undefined;
    memoValue = memoHit.value as ScanMemoValue;
    for (const p of memoValue.portfolios) {
      const hit = cache.get(p.key, now);
      if (hit.status !== 'hit') return undefined;
      values.push(hit.value as CachedValue);
    }
  } finally {
    cache.flush();
  }
  const { portfolios, errors } = memoValue;
  hooks.onEvent?.({ level: 'info', msg: 'inputs unchanged since they were last scanned with these options: every result from the cache (scan memo), inputs not read' });
  const run = batchCollector(sinks, { failFast: false }, hooks, portfolios.length + errors.length);
  for (let i = 0; i < portfolios.length; i++) await run.accept(portfolios[i]!.id, runRows(values[i]!, opts.runId), [], 'hit');
  for (const e of errors) run.fail(e);
  return run.outcome();
}
