/**
 * The batch's task module for the grouped scan (scanWorkers.ts): runs inside each worker thread,
 * turns one scanned portfolio (a ValuationGroup) plus its flows into result rows with the same
 * functions the in-process batch uses (combinePortfolio, computeCachedValue), and sends back only
 * the rows. Any per-portfolio failure is returned as a result, never thrown (a throw would fail
 * the whole scan).
 */
import { formatProblem } from '../errors.js';
import type { ValuationGroup } from '../storage/csv/fastGroups.js';
import { unpackFlows, type PackedFlows } from '../storage/csv/cashFlows.js';
import { combinePortfolio } from '../storage/csv/loadPortfolios.js';
import type { DailySeries } from '../storage/types.js';
import { dailySeries } from './dailySeries.js';
import { computeCachedValue, computeEnv, type BatchOptions, type CachedValue, type CacheOutcome, type ComputeEnv, type PortfolioError } from './runBatch.js';

export interface ScanTaskOptions {
  batch: Pick<BatchOptions, 'runId' | 'compute' | 'context' | 'cache'>;
  flows: PackedFlows;
  /** The input files in message order (valuations, then cash flows). */
  files: string[];
  wantsDaily: boolean;
}

/**
 * What a worker sends back per portfolio. `json` is the JSON text of the portfolio's CachedValue
 * (its rows without the per-run columns, which runRows adds on the main thread): the text the
 * result cache stores anyway, so the worker serialises each value once, and the main thread
 * turns it back into rows (`scanResultValue`) while the workers scan, instead of both sides
 * structured-cloning thousands of small row objects.
 */
export type ScanTaskResult =
  | { id: string; ok: true; json: string; daily: DailySeries[]; cache: CacheOutcome; key: string; note?: string }
  | { id: string; ok: false; error: PortfolioError };

/** The rows of a successful ScanTaskResult. */
export function scanResultValue(r: Extract<ScanTaskResult, { ok: true }>): CachedValue {
  return JSON.parse(r.json) as CachedValue;
}

interface Context {
  env: ComputeEnv;
  flowIndex: Map<string, number>;
  exactByRow: Map<number, string>;
}

export function init(o: ScanTaskOptions): Context {
  return {
    env: computeEnv(o.batch, Date.now),
    flowIndex: new Map(o.flows.ids.map((id, k) => [id, k])),
    exactByRow: new Map(o.flows.exact),
  };
}

/** Only a failed portfolio's result quotes lines of the input (its problems); rows never do. */
export function linesMatter(r: ScanTaskResult): boolean {
  return !r.ok;
}

/** Called once by the worker after its last group: publishes the cache entries it wrote; a warning if it could not. */
export function finish(_o: ScanTaskOptions, ctx: Context): string | undefined {
  const flushed = ctx.env.cache?.flush();
  return flushed?.error ? `result cache not saved: ${flushed.error}` : undefined;
}

export function handleGroup(g: ValuationGroup, o: ScanTaskOptions, ctx: Context): ScanTaskResult {
  const id = g.portfolioId;
  let stage: PortfolioError['stage'] = 'load';
  try {
    const k = ctx.flowIndex.get(id);
    const flows = k === undefined ? undefined : unpackFlows(o.flows, k, ctx.exactByRow);
    const c = combinePortfolio(id, g, flows, o.files);
    if (!c.data) return { id, ok: false, error: { portfolio_id: id, stage: 'load', message: c.problems.map(formatProblem).join(' | ') } };
    stage = 'compute';
    const { value, cache, key, note, json } = computeCachedValue(c.data, ctx.env);
    const daily = o.wantsDaily ? [dailySeries(c.data, o.batch.compute.flowTiming)] : [];
    return { id, ok: true, json: json ?? JSON.stringify(value), daily, cache, key, note };
  } catch (err) {
    return { id, ok: false, error: { portfolio_id: id, stage, message: (err as Error).message } };
  }
}
