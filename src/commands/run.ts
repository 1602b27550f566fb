/**
 * `perfcalc run`: the nightly batch over every portfolio of the inputs. Loads, runs the batch
 * (runBatch), writes the run's files, appends the audit record, and returns a report; the CLI
 * prints it and maps it to an exit code (0 all succeeded, 1 some portfolios failed).
 */
import { stat } from 'node:fs/promises';
import { formatIsoDate } from '../engine/calendarDate.js';
import { runScanBatch, type ScanMemoInputs } from '../batch/runScanBatch.js';
import { BENCHMARK_METRIC_KEYS, RISK_METRIC_KEYS, type RiskMetricKey } from '../engine/riskMetrics.js';
import type { ReturnSeries } from '../engine/types.js';
import { UsageError } from '../errors.js';
import type { RunConfig } from '../config.js';
import { appendAudit, type AuditInput, type AuditOutcome } from '../batch/auditLog.js';
import { fileIdentity, openDigestMemo, type DigestMemo } from '../batch/digest.js';
import type { ComputeOptions } from '../batch/computePortfolio.js';
import { ENGINE_VERSION, PERFCALC_VERSION, runBatch, type BatchHooks, type BatchOutcome } from '../batch/runBatch.js';
import { openCsvSource } from '../storage/csv/csvSource.js';
import { openFileSink, type RunFiles } from '../storage/files/fileSink.js';
import { DEFAULT_TS_DATABASE, DEFAULT_TS_TABLE } from '../storage/timestream/timestreamRecords.js';
import type { PortfolioSource, ResultSink, RunRecord } from '../storage/types.js';

// The AWS SDK loads only for runs that use DynamoDB or Timestream (~0.4 s of module loading here).
const dynamo = async () => {
  const [client, source, sink] = await Promise.all([
    import('../storage/dynamodb/client.js'),
    import('../storage/dynamodb/dynamoSource.js'),
    import('../storage/dynamodb/dynamoSink.js'),
  ]);
  return { ...client, ...source, ...sink };
};

/** The run's audit record to DynamoDB too, when the run reads or writes the table (see storage/dynamodb/audit.ts). */
async function auditToTable(c: RunConfig, record: Parameters<typeof import('../storage/dynamodb/audit.js').auditToTable>[1]): Promise<boolean> {
  if (c.source !== 'dynamodb' && !c.sinks.includes('dynamodb')) return false;
  return (await import('../storage/dynamodb/audit.js')).auditToTable(c, record);
}

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
  /** What the database and time-series sinks wrote and rejected (the files sink is these files). */
  sinks: { kinds: string[]; written: number; rejected: number; rejected_records: unknown[] };
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
  const named = new Set<string>(c.metrics);
  const risk: RiskMetricKey[] = RISK_METRIC_KEYS.filter(
    (k) => (named.has('risk') && (c.benchmark !== undefined || !BENCHMARK_METRIC_KEYS.includes(k))) || named.has(k),
  );
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

/**
 * Whether the run can take the worker-thread scan: CSV valuations (not holdings) large enough to
 * be worth the threads, and no --fail-fast (which needs portfolios one at a time, in order).
 */
async function scanEligible(c: RunConfig): Promise<boolean> {
  if (c.source !== 'csv' || !c.valuations || c.failFast) return false;
  try {
    return (await stat(c.valuations)).size >= c.scanThreshold;
  } catch {
    return false; // the loader reports the unreadable file
  }
}

/**
 * The scan memo's view of the input files: their sha256 when the digest memo vouches for them
 * without reading (identity unchanged since hashed), and after the scan, their sha256 only if
 * their identity is still the one they had before the scan started (so the scan read those bytes).
 */
async function scanMemoInputs(files: string[], digests: DigestMemo, inputsDigested: () => Promise<unknown>): Promise<ScanMemoInputs> {
  const before = await Promise.all(files.map((f) => fileIdentity(f)));
  const peeked = await Promise.all(files.map((f) => digests.peek(f)));
  return {
    known: peeked.every((p) => p !== undefined) ? peeked.map((p) => p!.sha256) : undefined,
    async settle() {
      await inputsDigested().catch(() => undefined);
      const after = await Promise.all(files.map((f) => digests.peek(f)));
      return after.every((p, i) => p !== undefined && p.id === before[i]!.id) ? after.map((p) => p!.sha256) : undefined;
    },
  };
}

/** The portfolio source a run reads (CSV files now; DynamoDB with --source dynamodb). */
export async function openSource(c: RunConfig, digests: DigestMemo = openDigestMemo(c.stateDir)): Promise<PortfolioSource> {
  if (c.source === 'dynamodb') {
    const { openDynamoSource, openDynamo } = await dynamo();
    return openDynamoSource(openDynamo({ table: c.table, tenant: c.tenant }));
  }
  if (c.source !== 'csv') throw new UsageError(`--source ${c.source} is not available in this version; use --source csv`);
  return openCsvSource({ valuations: c.valuations, holdings: c.holdings, cashFlows: c.cashFlows, returns: c.returns, returnsUnit: c.returnsUnit, digest: digests.digest });
}

/** The sinks a run writes to; the files sink is always there (results, errors, summary on disk). */
export async function openSinks(c: RunConfig): Promise<{ files: ReturnType<typeof openFileSink>; all: ResultSink[] }> {
  const files = openFileSink({ out: c.out, formats: c.format });
  const all: ResultSink[] = [files];
  for (const k of c.sinks) {
    if (k === 'dynamodb') {
      const { openDynamoSink, openDynamo } = await dynamo();
      all.push(openDynamoSink(openDynamo({ table: c.table, tenant: c.tenant })));
    } else if (k === 'timestream') all.push((await import('../storage/timestream/timestreamSink.js')).openTimestreamSink({ database: c.tsDatabase ?? DEFAULT_TS_DATABASE, table: c.tsTable ?? DEFAULT_TS_TABLE, tenant: c.tenant }));
    else if (k !== 'files') throw new UsageError(`--sink ${k} is not available in this version; use --sink files`);
  }
  return { files, all };
}

async function contextSeries(c: RunConfig, source: PortfolioSource): Promise<{ benchmark?: ReturnSeries; riskFree?: ReturnSeries }> {
  const ids = [c.benchmark, c.rfSeries].filter((x): x is string => x !== undefined);
  if (ids.length === 0) return {};
  const got = await source.loadSeries(ids);
  return { benchmark: c.benchmark ? got.get(c.benchmark) : undefined, riskFree: c.rfSeries ? got.get(c.rfSeries) : undefined };
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
    const failed = {
      run_id: c.runId,
      user: ctx.user,
      command: 'run',
      argv: ctx.argv,
      inputs: [],
      counts: {},
      outcome: 'failed' as const,
      started_at: new Date(started).toISOString(),
      finished_at: new Date(now()).toISOString(),
      perfcalc_version: PERFCALC_VERSION,
      error: (err as Error).message,
    };
    // the run's own error is what the user must see: an audit store that fails too is not allowed to hide it
    await appendAudit(c.stateDir, failed).catch(() => undefined);
    await auditToTable(c, failed).catch(() => undefined);
    throw err;
  }
}

async function runInner(c: RunConfig, ctx: RunContext, started: number): Promise<RunReport> {
  const now = ctx.now ?? Date.now;
  if (c.source === 'csv' && !c.valuations && !c.holdings) throw new UsageError('give --valuations FILE or --holdings FILE (or set them in perfcalc.config.json)');
  if (c.valuations && c.holdings) throw new UsageError('give either --valuations or --holdings, not both');
  if (c.metrics.length === 0) throw new UsageError('--metrics is empty: choose from twr, mwr, risk');
  const digests = openDigestMemo(c.stateDir);
  const source = await openSource(c, digests);
  const { files: fileSink, all: sinks } = await openSinks(c);
  // The input digests (for the audit and run records) are hashed while the batch runs. sha256 runs
  // on this thread, so the grouped scan starts it only once its workers are running and the cash
  // flows are read and posted to them: hashing first would hold back their start (by ~0.1 s here,
  // when it ran beside the flows reader).
  let digesting: Promise<AuditInput[]> | undefined;
  const inputsDigested = (): Promise<AuditInput[]> => {
    if (digesting === undefined) {
      digesting = source.describeInputs();
      // awaited after the batch; until then a failure must not surface as an unhandled rejection
      digesting.catch(() => undefined);
    }
    return digesting;
  };
  const scan = await scanEligible(c);
  if (!scan) void inputsDigested();
  const series = await contextSeries(c, source);
  // the whole-file path loads on listPortfolios: time it apart (the scan loads as it computes)
  if (!scan) await source.listPortfolios();
  const loaded = now();
  const runRecord: RunRecord = {
    run_id: c.runId,
    tenant: c.tenant,
    status: 'running',
    started_at: new Date(started).toISOString(),
    finished_at: null,
    perfcalc_version: PERFCALC_VERSION,
    options: computeOptionsOf(c),
    inputs: [],
    counts: {},
  };
  for (const sink of sinks) await sink.begin(runRecord);
  const batchOptions = {
    runId: c.runId,
    compute: computeOptionsOf(c),
    context: series,
    concurrency: c.concurrency,
    cache: c.cache ? { dir: c.cacheDir, ttlMs: c.cacheTtl * 1000 } : null,
    failFast: c.failFast,
  };
  const hooks: BatchHooks = { now, ...ctx.hooks, onScanStarted: () => void inputsDigested() };
  const scanInput = { valuations: c.valuations!, cashFlows: c.cashFlows };
  const scanned = scan
    ? await runScanBatch(scanInput, sinks, batchOptions, hooks, c.cache ? await scanMemoInputs([scanInput.valuations, ...(c.cashFlows ? [c.cashFlows] : [])], digests, inputsDigested) : undefined)
    : undefined;
  if (!scanned) void inputsDigested();
  const outcome = scanned ?? (await runBatch(source, sinks, batchOptions, hooks));
  const computed = now();
  const inputs = await inputsDigested();
  runRecord.inputs = inputs;
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
    sinks: {
      kinds: sinks.map((k) => k.kind),
      written: outcome.sinks.written,
      rejected: outcome.sinks.rejected.length,
      rejected_records: outcome.sinks.rejected.slice(0, 100),
    },
  };
  runRecord.status = outcome.stopped ? 'failed' : outcome.portfolios.failed > 0 ? 'partial' : 'succeeded';
  runRecord.counts = { portfolios: outcome.portfolios.total, succeeded: outcome.portfolios.succeeded, failed: outcome.portfolios.failed, results: outcome.rows.length };
  // summary.json is written last, after the results, so its times cover the writes too
  const summaryNow = () => {
    const end = now();
    summary.finished_at = new Date(end).toISOString();
    summary.duration_ms = end - started;
    summary.durations_ms.write = end - computed;
    const secs = Math.max(summary.duration_ms, 1) / 1000;
    summary.throughput.portfolios_per_s = outcome.portfolios.total / secs;
    summary.throughput.results_per_s = outcome.rows.length / secs;
    runRecord.finished_at = summary.finished_at;
    return summary;
  };
  // the other sinks first, the files sink last: its summary.json closes the run
  for (const sink of sinks) if (sink !== fileSink) await sink.finish(runRecord, outcome.errors, summaryNow());
  await fileSink.finish(runRecord, outcome.errors, summaryNow);
  await source.close();
  const files = fileSink.files()!;
  const auditRecord = {
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
  };
  await appendAudit(c.stateDir, auditRecord);
  await auditToTable(c, auditRecord);
  return { outcome, summary, files };
}
