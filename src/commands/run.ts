/**
 * `perfcalc run`: the nightly batch over every portfolio of the inputs. Loads, runs the batch
 * (runBatch), writes the run's files, appends the audit record, and returns a report; the CLI
 * prints it and maps it to an exit code (0 all succeeded, 1 some portfolios failed).
 */
import { formatIsoDate } from '../engine/calendarDate.js';
import { BENCHMARK_METRIC_KEYS, RISK_METRIC_KEYS, type RiskMetricKey } from '../engine/riskMetrics.js';
import type { ReturnSeries } from '../engine/types.js';
import { UsageError } from '../errors.js';
import type { RunConfig } from '../config.js';
import { appendAudit, type AuditInput, type AuditOutcome } from '../batch/auditLog.js';
import { sha256File } from '../batch/digest.js';
import type { ComputeOptions } from '../batch/computePortfolio.js';
import { ENGINE_VERSION, PERFCALC_VERSION, runBatch, type BatchHooks, type BatchOutcome, type PortfolioWork } from '../batch/runBatch.js';
import { loadPortfolios } from '../storage/csv/index.js';
import { writeRunFiles, type RunFiles } from '../storage/files/fileSink.js';
import { loadReturnSeries } from './risk.js';

export interface RunSummary {
  run_id: string;
  perfcalc_version: string;
  engine_version: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  durations_ms: { load: number; compute: number; write: number };
  as_of: string | null;
  portfolios: { total: number; succeeded: number; failed: number };
  results: number;
  cache: { enabled: boolean; hits: number; misses: number; expired: number; corrupt: number };
  throughput: { portfolios_per_s: number; results_per_s: number };
  inputs: AuditInput[];
  outcome: AuditOutcome;
  stopped_early: boolean;
}

export interface RunReport {
  outcome: BatchOutcome;
  summary: RunSummary;
  files: RunFiles;
}

export interface RunContext {
  argv: string[];
  user?: string;
  /** ms since the epoch. */
  now?: () => number;
  hooks?: BatchHooks;
}

/** The compute options of a run (everything that determines a number, so also part of the cache key). */
export function computeOptionsOf(c: RunConfig): ComputeOptions {
  // benchmark-relative metrics only when the run names a benchmark
  const risk: RiskMetricKey[] = c.metrics.includes('risk')
    ? RISK_METRIC_KEYS.filter((k) => c.benchmark !== undefined || !BENCHMARK_METRIC_KEYS.includes(k))
    : [];
  return {
    periods: c.periods.map((code) => ({ label: code, code })),
    twr: c.metrics.includes('twr'),
    mwr: c.metrics.includes('mwr'),
    risk,
    method: c.method,
    flowTiming: c.flowTiming,
    largeFlow: c.largeFlow,
    asOf: c.asOf,
    riskFrequency: c.riskFrequency,
    scale: c.scale,
    mar: c.mar,
    confidence: c.confidence,
    rf: c.rf,
  };
}

async function contextSeries(c: RunConfig): Promise<{ benchmark?: ReturnSeries; riskFree?: ReturnSeries }> {
  if (!c.benchmark && !c.rfSeries) return {};
  if (!c.returns || c.returns.length === 0) throw new UsageError('--benchmark and --rf-series name series in --returns files: give --returns FILE');
  const all = await loadReturnSeries(c.returns, c.returnsUnit);
  const get = (id: string | undefined, flag: string): ReturnSeries | undefined => {
    if (id === undefined) return undefined;
    const s = all.get(id);
    if (!s) throw new UsageError(`${flag} '${id}' is not a series in ${c.returns!.join(', ')}`);
    return s;
  };
  return { benchmark: get(c.benchmark, '--benchmark'), riskFree: get(c.rfSeries, '--rf-series') };
}

/** Loads the portfolios as work items: good ones with data, bad ones with their problems (reported, not fatal). */
async function loadWork(c: RunConfig): Promise<PortfolioWork[]> {
  const load = await loadPortfolios({ valuations: c.valuations, holdings: c.holdings, cashFlows: c.cashFlows });
  const work: PortfolioWork[] = [];
  for (const [id, data] of load.portfolios) work.push({ portfolioId: id, data });
  for (const [id, problems] of load.problems) work.push({ portfolioId: id, problems });
  return work;
}

/**
 * Runs the batch. A run that fails as a whole (bad flags, unreadable input) still leaves an audit
 * record with outcome 'failed' and the error, then rethrows for the CLI to report.
 */
export async function run(c: RunConfig, ctx: RunContext): Promise<RunReport> {
  const now = ctx.now ?? Date.now;
  const started = now();
  try {
    return await runInner(c, ctx, started);
  } catch (err) {
    await appendAudit(c.stateDir, {
      run_id: c.runId,
      user: ctx.user,
      command: 'run',
      argv: ctx.argv,
      inputs: [],
      counts: {},
      outcome: 'failed',
      started_at: new Date(started).toISOString(),
      finished_at: new Date(now()).toISOString(),
      perfcalc_version: PERFCALC_VERSION,
      error: (err as Error).message,
    }).catch(() => undefined);
    throw err;
  }
}

async function runInner(c: RunConfig, ctx: RunContext, started: number): Promise<RunReport> {
  const now = ctx.now ?? Date.now;
  if (!c.valuations && !c.holdings) throw new UsageError('give --valuations FILE or --holdings FILE (or set them in perfcalc.config.json)');
  if (c.valuations && c.holdings) throw new UsageError('give either --valuations or --holdings, not both');
  if (c.metrics.length === 0) throw new UsageError('--metrics is empty: choose from twr, mwr, risk');
  const inputPaths = [c.valuations ?? c.holdings!, c.cashFlows, ...(c.returns ?? [])].filter((p): p is string => typeof p === 'string');
  const [inputs, series, work] = await Promise.all([
    Promise.all(inputPaths.map(async (path) => ({ path, ...(await sha256File(path)) }))),
    contextSeries(c),
    loadWork(c),
  ]);
  const loaded = now();
  const outcome = await runBatch(
    work,
    {
      runId: c.runId,
      compute: computeOptionsOf(c),
      context: series,
      concurrency: c.concurrency,
      cache: c.cache ? { dir: c.cacheDir, ttlMs: c.cacheTtl * 1000 } : null,
      failFast: c.failFast,
    },
    { now, ...ctx.hooks },
  );
  const computed = now();
  const auditOutcome: AuditOutcome = outcome.stopped ? 'failed' : outcome.portfolios.failed > 0 ? 'partial' : 'ok';
  const summary: RunSummary = {
    run_id: c.runId,
    perfcalc_version: PERFCALC_VERSION,
    engine_version: ENGINE_VERSION,
    started_at: new Date(started).toISOString(),
    finished_at: '',
    duration_ms: 0,
    durations_ms: { load: loaded - started, compute: computed - loaded, write: 0 },
    as_of: c.asOf === undefined ? null : formatIsoDate(c.asOf),
    portfolios: outcome.portfolios,
    results: outcome.rows.length,
    cache: { enabled: c.cache, ...outcome.cache },
    throughput: { portfolios_per_s: 0, results_per_s: 0 },
    inputs,
    outcome: auditOutcome,
    stopped_early: outcome.stopped,
  };
  // summary.json is written last, after the results, so its times cover the writes too
  const files = await writeRunFiles(c.out, { rows: outcome.rows, errors: outcome.errors }, c.format, () => {
    const end = now();
    summary.finished_at = new Date(end).toISOString();
    summary.duration_ms = end - started;
    summary.durations_ms.write = end - computed;
    const secs = Math.max(summary.duration_ms, 1) / 1000;
    summary.throughput.portfolios_per_s = outcome.portfolios.total / secs;
    summary.throughput.results_per_s = outcome.rows.length / secs;
    return summary;
  });
  await appendAudit(c.stateDir, {
    run_id: c.runId,
    user: ctx.user,
    command: 'run',
    argv: ctx.argv,
    inputs,
    counts: {
      portfolios: outcome.portfolios.total,
      succeeded: outcome.portfolios.succeeded,
      failed: outcome.portfolios.failed,
      results: outcome.rows.length,
      cache_hits: outcome.cache.hits,
      cache_misses: outcome.cache.misses,
    },
    outcome: auditOutcome,
    started_at: summary.started_at,
    finished_at: summary.finished_at,
    perfcalc_version: PERFCALC_VERSION,
    out: c.out,
  });
  return { outcome, summary, files };
}
