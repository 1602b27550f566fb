/**
 * The nightly batch: every portfolio of the inputs, the chosen metrics for every period, with a
 * result cache, bounded concurrency (p-limit) and per-portfolio isolation (one bad portfolio is
 * reported and the others complete). Returns data; where it goes (files, DynamoDB, ...) is the
 * sinks' business, and printing is the CLI's. The SQS worker calls this same function.
 */
import pLimit from 'p-limit';
import pkg from '../../package.json' with { type: 'json' };
import { formatProblem, type InputProblem } from '../errors.js';
import type { PortfolioData, ReturnSeries } from '../engine/types.js';
import { openCache, cacheKey, type ResultCache } from './cache.js';
import { computePortfolio, type ComputeContext, type ComputeOptions, type ResultRow } from './computePortfolio.js';
import { digestArrays, digestJson } from './digest.js';

export const PERFCALC_VERSION: string = pkg.version;
/** Bumped whenever a change to the engine can change a number: part of every cache key. */
export const ENGINE_VERSION = `${pkg.version}+engine.1`;

/** A result row as written by a run: the computed row plus provenance. */
export interface RunResultRow extends ResultRow {
  run_id: string;
  input_digest: string;
  perfcalc_version: string;
}

export const RESULT_COLUMNS: readonly (keyof RunResultRow)[] = [
  'run_id',
  'portfolio_id',
  'period',
  'start_date',
  'end_date',
  'metric',
  'value',
  'method',
  'status',
  'note',
  'input_digest',
  'perfcalc_version',
];

export interface PortfolioError {
  portfolio_id: string;
  stage: 'load' | 'compute' | 'cache';
  message: string;
}

/** One unit of work from a source: a portfolio's data, or the problems that keep it from being computed. */
export interface PortfolioWork {
  portfolioId: string;
  data?: PortfolioData;
  problems?: InputProblem[];
}

export interface CacheCounts {
  hits: number;
  misses: number;
  expired: number;
  corrupt: number;
}

export interface BatchOptions {
  runId: string;
  compute: ComputeOptions;
  context: ComputeContext;
  concurrency: number;
  cache: { dir: string; ttlMs: number } | null;
  failFast: boolean;
}

export interface BatchHooks {
  /** ms since the epoch; injectable for tests. */
  now?: () => number;
  onProgress?: (p: { done: number; total: number; failed: number }) => void;
  /** A notable event (corrupt cache entry, failed portfolio), for logs. */
  onEvent?: (e: { level: 'info' | 'warn' | 'error'; msg: string; portfolio_id?: string }) => void;
}

export interface BatchOutcome {
  rows: RunResultRow[];
  errors: PortfolioError[];
  portfolios: { total: number; succeeded: number; failed: number };
  cache: CacheCounts;
  /** True when --fail-fast stopped the run early. */
  stopped: boolean;
}

/** The canonical digest of a portfolio's inputs: its sorted dates, values and flows (row order and formatting do not matter). */
export function portfolioDigest(p: PortfolioData): string {
  return digestArrays([p.valuations.dates, p.valuations.values, p.flows.dates, p.flows.amounts, p.flows.timing]);
}

function seriesDigest(s: ReturnSeries | undefined): string | null {
  return s ? digestArrays([s.dates, s.returns]) : null;
}

interface CachedValue {
  input_digest: string;
  rows: ResultRow[];
}

function ordered(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Runs the batch over the work items. Rows come back sorted by portfolio id (code-unit order), and
 * within a portfolio in computePortfolio's fixed order, so the output is the same bytes whatever the
 * concurrency and the input row order.
 */
export async function runBatch(work: PortfolioWork[], opts: BatchOptions, hooks: BatchHooks = {}): Promise<BatchOutcome> {
  const now = hooks.now ?? Date.now;
  const cache: ResultCache<CachedValue> | null = opts.cache ? openCache<CachedValue>(opts.cache) : null;
  const counts: CacheCounts = { hits: 0, misses: 0, expired: 0, corrupt: 0 };
  const optionsKey = {
    compute: opts.compute,
    benchmark: seriesDigest(opts.context.benchmark),
    riskFree: seriesDigest(opts.context.riskFree),
  };
  const optionsDigest = digestJson(optionsKey);
  const byPortfolio = new Map<string, RunResultRow[]>();
  const errors: PortfolioError[] = [];
  let done = 0;
  let failed = 0;
  let stopped = false;
  const total = work.length;
  const limit = pLimit(Math.max(1, opts.concurrency));

  const fail = (e: PortfolioError): void => {
    errors.push(e);
    failed++;
    hooks.onEvent?.({ level: 'error', msg: `${e.stage}: ${e.message}`, portfolio_id: e.portfolio_id });
    if (opts.failFast) {
      stopped = true;
      limit.clearQueue();
    }
  };

  const one = async (w: PortfolioWork): Promise<void> => {
    if (stopped) return;
    try {
      if (w.problems && w.problems.length > 0) {
        fail({ portfolio_id: w.portfolioId, stage: 'load', message: w.problems.map(formatProblem).join(' | ') });
        return;
      }
      const data = w.data!;
      const inputDigest = portfolioDigest(data);
      const key = cache ? cacheKey({ inputDigest, options: optionsDigest, engineVersion: ENGINE_VERSION }) : '';
      let rows: ResultRow[] | undefined;
      if (cache) {
        const hit = cache.get(key, now());
        if (hit.status === 'hit' && hit.value.input_digest === inputDigest) {
          counts.hits++;
          rows = hit.value.rows;
        } else {
          if (hit.status === 'corrupt') {
            counts.corrupt++;
            hooks.onEvent?.({ level: 'warn', msg: `cache entry was corrupt (${hit.reason}); recomputed`, portfolio_id: w.portfolioId });
          } else if (hit.status === 'expired') counts.expired++;
          else counts.misses++;
        }
      }
      if (!rows) {
        rows = computePortfolio(data, opts.compute, opts.context);
        if (cache) {
          try {
            await cache.put(key, { input_digest: inputDigest, rows }, now());
          } catch (err) {
            hooks.onEvent?.({ level: 'warn', msg: `could not write cache entry: ${(err as Error).message}`, portfolio_id: w.portfolioId });
          }
        }
      }
      byPortfolio.set(
        w.portfolioId,
        rows.map((r) => ({ run_id: opts.runId, ...r, input_digest: inputDigest, perfcalc_version: PERFCALC_VERSION })),
      );
    } catch (err) {
      fail({ portfolio_id: w.portfolioId, stage: 'compute', message: (err as Error).message });
    } finally {
      done++;
      hooks.onProgress?.({ done, total, failed });
    }
  };

  await Promise.all(work.map((w) => limit(() => one(w))));

  const ids = [...byPortfolio.keys()].sort(ordered);
  errors.sort((a, b) => ordered(a.portfolio_id, b.portfolio_id));
  return {
    rows: ids.flatMap((id) => byPortfolio.get(id)!),
    errors,
    portfolios: { total, succeeded: byPortfolio.size, failed },
    cache: counts,
    stopped,
  };
}
