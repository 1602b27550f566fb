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
import { dailySeries } from './dailySeries.js';
import type { DateRange, PortfolioSource, ResultSink, SinkReport } from '../storage/types.js';

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
  stage: 'load' | 'compute' | 'write';
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
  /** Only data inside this range is loaded (a source never reads more). */
  range?: DateRange;
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
  /** What the sinks wrote while the run went, and what they rejected. */
  sinks: SinkReport;
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
 * Runs the batch: every portfolio of the source through computePortfolio (or the cache), the rows
 * to every sink as each portfolio completes. The outcome's rows come back sorted by portfolio id
 * (code-unit order), and within a portfolio in computePortfolio's fixed order, so files are the
 * same bytes whatever the concurrency and the input row order.
 */
export async function runBatch(source: PortfolioSource, sinks: readonly ResultSink[], opts: BatchOptions, hooks: BatchHooks = {}): Promise<BatchOutcome> {
  const now = hooks.now ?? Date.now;
  const cache: ResultCache<CachedValue> | null = opts.cache ? openCache<CachedValue>(opts.cache) : null;
  const counts: CacheCounts = { hits: 0, misses: 0, expired: 0, corrupt: 0 };
  const optionsKey = {
    compute: opts.compute,
    benchmark: seriesDigest(opts.context.benchmark),
    riskFree: seriesDigest(opts.context.riskFree),
  };
  const optionsDigest = digestJson(optionsKey);
  const wantsDaily = sinks.some((k) => k.wantsDailySeries);
  const byPortfolio = new Map<string, RunResultRow[]>();
  const errors: PortfolioError[] = [];
  const sinkReports: SinkReport[] = [];
  let done = 0;
  let failed = 0;
  let stopped = false;
  const ids = await source.listPortfolios();
  const total = ids.length;
  const limit = pLimit(Math.max(1, opts.concurrency));

  const fail = (e: PortfolioError): void => {
    errors.push(e);
    failed++;
    hooks.onEvent?.({ level: 'error', msg: `${e.stage}: ${e.message}`, portfolio_id: e.portfolio_id });
    // queued portfolios see `stopped` and return at once (clearQueue would leave their promises unsettled)
    if (opts.failFast) stopped = true;
  };

  const one = async (id: string): Promise<void> => {
    if (stopped) return;
    let stage: PortfolioError['stage'] = 'load';
    try {
      const w = await source.loadPortfolio(id, opts.range);
      if (w.problems && w.problems.length > 0) {
        fail({ portfolio_id: id, stage: 'load', message: w.problems.map(formatProblem).join(' | ') });
        return;
      }
      stage = 'compute';
      const data = w.data!;
      const inputDigest = portfolioDigest(data);
      const key = cache ? cacheKey({ inputDigest, options: optionsDigest, engineVersion: ENGINE_VERSION }) : '';
      let rows: ResultRow[] | undefined;
      if (cache) {
        const hit = cache.get(key, now());
        if (hit.status === 'hit' && hit.value.input_digest === inputDigest) {
          counts.hits++;
          rows = hit.value.rows;
        } else if (hit.status === 'corrupt') {
          counts.corrupt++;
          hooks.onEvent?.({ level: 'warn', msg: `cache entry was corrupt (${hit.reason}); recomputed`, portfolio_id: id });
        } else if (hit.status === 'expired') counts.expired++;
        else counts.misses++;
      }
      if (!rows) {
        rows = computePortfolio(data, opts.compute, opts.context);
        if (cache) {
          try {
            await cache.put(key, { input_digest: inputDigest, rows }, now());
          } catch (err) {
            hooks.onEvent?.({ level: 'warn', msg: `could not write cache entry: ${(err as Error).message}`, portfolio_id: id });
          }
        }
      }
      const out = rows.map((r) => ({ run_id: opts.runId, ...r, input_digest: inputDigest, perfcalc_version: PERFCALC_VERSION }));
      stage = 'write';
      for (const sink of sinks) {
        sinkReports.push(await sink.writeResults(out));
        if (wantsDaily && sink.wantsDailySeries) sinkReports.push(await sink.writeDailySeries([dailySeries(data, opts.compute.flowTiming)]));
      }
      byPortfolio.set(id, out);
    } catch (err) {
      fail({ portfolio_id: id, stage, message: (err as Error).message });
    } finally {
      done++;
      hooks.onProgress?.({ done, total, failed });
    }
  };

  await Promise.all(ids.map((id) => limit(() => one(id))));

  const sorted = [...byPortfolio.keys()].sort(ordered);
  errors.sort((a, b) => ordered(a.portfolio_id, b.portfolio_id));
  return {
    rows: sorted.flatMap((id) => byPortfolio.get(id)!),
    errors,
    portfolios: { total, succeeded: byPortfolio.size, failed },
    cache: counts,
    stopped,
    sinks: {
      written: sinkReports.reduce((n, r) => n + r.written, 0),
      rejected: sinkReports.flatMap((r) => r.rejected),
    },
  };
}
