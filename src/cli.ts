/**
 * perfcalc's command line. Parses flags into plain options, calls a command (which returns data),
 * prints the data, and is the only place that maps errors to exit codes:
 *   0 success, 1 a batch finished with some failed portfolios, 2 usage or input error, 3 internal error.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { parseIsoDate, type EpochDay } from './engine/calendarDate.js';
import { parsePeriodList, type PeriodSpec } from './engine/periods.js';
import type { ReturnMethod } from './engine/periodReturns.js';
import { PerfcalcError, InputError, UsageError } from './errors.js';
import { twr } from './commands/twr.js';
import { mwr } from './commands/mwr.js';
import { emitRecords } from './output/emit.js';
import { OUTPUT_FORMATS, type OutputFormat } from './output/format.js';
import { periodResultView } from './output/periodResultView.js';
import { risk } from './commands/risk.js';
import { calendar } from './commands/calendar.js';
import { flattenRisk, riskResultView } from './output/riskResultView.js';
import { calendarView } from './output/calendarView.js';
import { readFile } from 'node:fs/promises';
import { formatConfig, requireRunInputs, resolveRunConfig, userFlags } from './config.js';
import { run } from './commands/run.js';
import { createLogger } from './batch/log.js';
import { createProgress, type Progress } from './batch/progress.js';
import { openCache } from './batch/cache.js';
import { auditUntil, readAudit } from './batch/auditLog.js';
import { renderJson } from './output/format.js';
import { auditRow, auditView } from './output/auditView.js';
import { addAwsCommands, maybeDynamoAudit } from './cliAws.js';

export const EXIT = { ok: 0, partial: 1, usage: 2, internal: 3 } as const;

function dateArg(flag: string) {
  return (text: string): EpochDay => {
    const d = parseIsoDate(text);
    if (d === undefined) throw new InvalidArgumentError(`'${text}' is not a date (YYYY-MM-DD).`);
    return d;
  };
}

function listArg(text: string, previous: string[] = []): string[] {
  return previous.concat(text.split(',').map((s) => s.trim()).filter((s) => s.length > 0));
}

function numberArg(text: string): number {
  const x = Number(text);
  if (text.trim() === '' || !Number.isFinite(x)) throw new InvalidArgumentError(`'${text}' is not a number.`);
  return x;
}

interface ReturnFlags {
  valuations?: string;
  holdings?: string;
  cashFlows?: string;
  portfolio?: string[];
  method?: ReturnMethod;
  flowTiming: 'start' | 'end';
  periods?: string;
  asOf?: EpochDay;
  from?: EpochDay;
  to?: EpochDay;
  largeFlow?: number;
  format?: OutputFormat;
  output?: string;
  quiet?: boolean;
}

/** The periods a returns command computes: --periods codes, plus a custom --from/--to period. */
export function periodSpecs(flags: { periods?: string; from?: EpochDay; to?: EpochDay }, defaults: string): PeriodSpec[] {
  if ((flags.from === undefined) !== (flags.to === undefined)) throw new UsageError('--from and --to go together');
  const specs: PeriodSpec[] = [];
  if (flags.periods !== undefined || flags.from === undefined) {
    for (const code of parsePeriodList(flags.periods ?? defaults)) specs.push({ label: code, code });
  }
  if (flags.from !== undefined && flags.to !== undefined) {
    if (flags.from > flags.to) throw new UsageError('--from is after --to');
    specs.push({ label: 'CUSTOM', code: 'CUSTOM', from: flags.from, to: flags.to });
  }
  return specs;
}

function addInputOptions(cmd: Command): Command {
  return cmd
    .option('--valuations <file>', 'end-of-day valuations CSV (portfolio_id,date,market_value)')
    .option('--holdings <file>', 'holdings CSV, summed per portfolio and day (instead of --valuations)')
    .option('--cash-flows <file>', 'external cash flows CSV (portfolio_id,date,amount[,timing])')
    .option('--portfolio <ids...>', 'portfolio ids to compute (default: every portfolio in the file)', listArg)
    .addOption(new Option('--flow-timing <timing>', 'default timing of flows without a timing column value').choices(['end', 'start']).default('end'))
    .option('--periods <list>', 'comma-separated periods: MTD,QTD,YTD,1Y,3Y,5Y,10Y,ITD')
    .option('--as-of <date>', 'end date of every period (default: each portfolio\'s last valuation)', dateArg('--as-of'))
    .option('--from <date>', 'custom period: first day (with --to)', dateArg('--from'))
    .option('--to <date>', 'custom period: last day (with --from)', dateArg('--to'));
}

function addOutputOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--format <format>', 'output format (default: table on a terminal, csv when piped)').choices(OUTPUT_FORMATS as string[]))
    .option('--output <file>', 'write results to this file (atomically); format from --format or the extension')
    .option('-q, --quiet', 'with --output: print nothing on stdout');
}

const DEFAULT_PERIODS = 'MTD,QTD,YTD,1Y,3Y,5Y,ITD';

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export function buildProgram(io: CliIo, state: { exit: number } = { exit: 0 }, argv: string[] = []): Command {
  const program = new Command('perfcalc')
    .description('Investment performance: time- and money-weighted returns, risk and benchmark-relative metrics.')
    .version(pkg.version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();

  const twrCmd = addOutputOptions(
    addInputOptions(program.command('twr').description('time-weighted returns per portfolio and period'))
      .addOption(
        new Option('--method <method>', 'daily chain-linked, one Modified Dietz over the period, or Modified Dietz per month linked')
          .choices(['daily', 'modified-dietz', 'linked-modified-dietz'])
          .default('daily'),
      )
      .option('--large-flow <fraction>', 'linked Modified Dietz: revalue at flows above this fraction of the beginning value (0.1 = 10%)', numberArg),
  );
  twrCmd
    .addHelpText(
      'after',
      `
Example:
  $ perfcalc twr --valuations fixtures/valuations.csv --cash-flows fixtures/cash_flows.csv --portfolio P-001 --periods YTD,1Y,ITD
  $ perfcalc twr --holdings fixtures/holdings.csv --method modified-dietz --from 2026-01-01 --to 2026-06-30 --format json`,
    )
    .action(async (flags: ReturnFlags) => {
      if (flags.largeFlow !== undefined && flags.method !== 'linked-modified-dietz') {
        throw new UsageError('--large-flow applies to --method linked-modified-dietz');
      }
      const results = await twr({
        valuations: flags.valuations,
        holdings: flags.holdings,
        cashFlows: flags.cashFlows,
        portfolios: flags.portfolio,
        method: flags.method ?? 'daily',
        flowTiming: flags.flowTiming,
        periods: periodSpecs(flags, DEFAULT_PERIODS),
        asOf: flags.asOf,
        largeFlow: flags.largeFlow,
      });
      await emitRecords(results, periodResultView, { format: flags.format, output: flags.output, quiet: flags.quiet, stdout: io.stdout });
    });

  addOutputOptions(addInputOptions(program.command('mwr').description('money-weighted returns (XIRR, actual/365) per portfolio and period')))
    .addHelpText(
      'after',
      `
Example:
  $ perfcalc mwr --valuations fixtures/valuations.csv --cash-flows fixtures/cash_flows.csv --portfolio P-002 --periods 1Y,3Y,ITD`,
    )
    .action(async (flags: ReturnFlags) => {
      const results = await mwr({
        valuations: flags.valuations,
        holdings: flags.holdings,
        cashFlows: flags.cashFlows,
        portfolios: flags.portfolio,
        flowTiming: flags.flowTiming,
        periods: periodSpecs(flags, DEFAULT_PERIODS),
        asOf: flags.asOf,
      });
      await emitRecords(results, periodResultView, { format: flags.format, output: flags.output, quiet: flags.quiet, stdout: io.stdout });
    });

  const addSeriesOptions = (cmd: Command): Command =>
    cmd
      .option('--returns <files...>', 'return series CSV files (long series_id,date,return or wide date,<id>...), merged by series id')
      .addOption(new Option('--returns-unit <unit>', 'unit of the returns files').choices(['decimal', 'percent']).default('decimal'))
      .option('--valuations <file>', "use each portfolio's daily time-weighted returns as a series")
      .option('--holdings <file>', 'like --valuations, from holdings')
      .option('--cash-flows <file>', 'external cash flows for --valuations/--holdings')
      .option('--portfolio <ids...>', 'portfolios to load from --valuations/--holdings', listArg)
      .addOption(new Option('--flow-timing <timing>', 'default timing of flows').choices(['end', 'start']).default('end'))
      .option('--series <ids...>', 'series to report (default: every series)', listArg)
      .option('--from <date>', 'first date of the window', dateArg('--from'))
      .option('--to <date>', 'last date of the window', dateArg('--to'));

  addOutputOptions(
    addSeriesOptions(program.command('risk').description('risk and benchmark-relative metrics per series (PerformanceAnalytics conventions)'))
      .option('--benchmark <id>', 'benchmark series (from the returns files)')
      .option('--rf-series <id>', 'risk-free series of per-period returns')
      .option('--rf <rate>', 'annual risk-free rate (per period: (1 + rf)^(1/scale) - 1)', numberArg)
      .option('--scale <n>', 'periods per year (default: detected from the dates: 252, 52, 12, 4 or 1)', numberArg)
      .option('--mar <rate>', 'minimum acceptable return per period, for downside deviation and Sortino', numberArg, 0)
      .option('--confidence <p>', 'VaR and expected shortfall confidence', numberArg, 0.95),
  )
    .addHelpText(
      'after',
      `
Example:
  $ perfcalc risk --returns fixtures/returns/managers_long.csv --benchmark "SP500 TR" --rf-series "US 3m TR" --series HAM1 HAM2
  $ perfcalc risk --valuations fixtures/valuations.csv --returns fixtures/benchmark.csv --benchmark BENCH --rf-series RF --portfolio P-001 --series P-001`,
    )
    .action(async (flags) => {
      const results = await risk({ ...flags, portfolios: flags.portfolio, riskFreeSeries: flags.rfSeries });
      await emitRecords(results.map(flattenRisk), riskResultView, { format: flags.format, output: flags.output, quiet: flags.quiet, stdout: io.stdout });
    });

  addOutputOptions(addSeriesOptions(program.command('returns').description('calendar table: monthly returns per year and the year\'s compounded return')))
    .addHelpText(
      'after',
      `
Example:
  $ perfcalc returns --returns fixtures/returns/managers_wide.csv --series HAM1
  $ perfcalc returns --valuations fixtures/valuations.csv --cash-flows fixtures/cash_flows.csv --portfolio P-001`,
    )
    .action(async (flags) => {
      const rows = await calendar({ ...flags, portfolios: flags.portfolio });
      await emitRecords(rows, calendarView, { format: flags.format, output: flags.output, quiet: flags.quiet, stdout: io.stdout });
    });

  addRunCommand(program, io, state, argv);
  addCacheCommand(program, io);
  addAuditCommand(program, io);
  addAwsCommands(program, io);
  return program;
}

/** The settings `cache` and `audit` need (state dir, cache dir, TTL), merged like `run`'s. */
async function stateConfig(cmd: Command) {
  const { config } = await resolveRunConfig({ flags: userFlags(cmd), env: process.env, cwd: process.cwd(), readFile: (path) => readFile(path, 'utf8') });
  return config;
}

function addCacheCommand(program: Command, io: CliIo): void {
  const cache = program.command('cache').description('inspect and manage the result cache of perfcalc run');
  const withDirs = (cmd: Command): Command =>
    cmd
      .option('--config <file>', 'config file (default: ./perfcalc.config.json when present)')
      .option('--cache-dir <dir>', 'cache directory (default <state-dir>/cache)')
      .option('--state-dir <dir>', 'state directory (default ~/.perfcalc)');
  withDirs(cache.command('stats').description('entries, size, oldest and newest entry'))
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']))
    .addHelpText('after', '\nExample:\n  $ perfcalc cache stats --cache-dir ~/.perfcalc/cache')
    .action(async (flags: { format?: string }, cmd: Command) => {
      const c = await stateConfig(cmd);
      const stats = await openCache({ dir: c.cacheDir, ttlMs: c.cacheTtl * 1000 }).stats();
      const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
      const view = { ...stats, oldest: iso(stats.oldest), newest: iso(stats.newest) };
      io.stdout.write(flags.format === 'json' ? renderJson(view) : `${Object.entries(view).map(([k, v]) => `${k.padEnd(10)} ${v ?? '-'}`).join('\n')}\n`);
    });
  withDirs(cache.command('clear').description('delete every cache entry'))
    .addHelpText('after', '\nExample:\n  $ perfcalc cache clear')
    .action(async (_flags: unknown, cmd: Command) => {
      const c = await stateConfig(cmd);
      const n = await openCache({ dir: c.cacheDir, ttlMs: c.cacheTtl * 1000 }).clear();
      io.stdout.write(`removed ${n} cache file(s) (packs) from ${c.cacheDir}\n`);
    });
  withDirs(cache.command('prune').description('delete expired and corrupt entries and stray temp files'))
    .option('--cache-ttl <duration>', "entries older than this are expired (default: the configured TTL, 7d)")
    .addHelpText('after', '\nExample:\n  $ perfcalc cache prune --cache-ttl 3d')
    .action(async (_flags: unknown, cmd: Command) => {
      const c = await stateConfig(cmd);
      const r = await openCache({ dir: c.cacheDir, ttlMs: c.cacheTtl * 1000 }).prune(Date.now());
      io.stdout.write(
        `expired ${r.expired}, corrupt ${r.corrupt}, superseded ${r.superseded}, old-format ${r.legacy}, temp files ${r.tempFiles} removed; ${r.kept} kept (${r.packsRemoved} pack(s) removed, ${r.packsWritten} written)\n`,
      );
    });
}

function addAuditCommand(program: Command, io: CliIo): void {
  addOutputOptions(
    program
      .command('audit')
      .description('query the audit trail of runs (newest first)')
      .option('--config <file>', 'config file')
      .option('--state-dir <dir>', 'state directory holding audit.jsonl (default ~/.perfcalc)')
      .option('--user <name>', 'only records of this user')
      .option('--from <date>', 'only runs started on or after this date (YYYY-MM-DD or ISO time)')
      .option('--to <date>', 'only runs started on or before this date (a date means the whole day)')
      .option('--limit <n>', 'at most this many records', (t) => {
        const n = Number(t);
        if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`'${t}' is not a positive integer.`);
        return n;
      }, 50),
  )
    .addHelpText('after', '\nExample:\n  $ perfcalc audit --user alice --from 2026-11-01 --format json')
    .action(async (flags: Parameters<typeof maybeDynamoAudit>[0] & { limit: number }, cmd: Command) => {
      // --audit dynamodb (or --source dynamodb): the table's audit records, through its indexes
      if (await maybeDynamoAudit(flags, io)) return;
      const c = await stateConfig(cmd);
      const to = auditUntil(flags.to);
      let result;
      try {
        result = await readAudit({ stateDir: c.stateDir, user: flags.user, from: flags.from, to, limit: flags.limit });
      } catch (err) {
        if (err instanceof RangeError) throw new UsageError(err.message);
        throw err;
      }
      await emitRecords(result.records.map(auditRow), auditView, { format: flags.format, output: flags.output, quiet: flags.quiet, stdout: io.stdout });
    });
}

/**
 * `perfcalc run`: every flag is also a config-file key and a PERFCALC_* variable; src/config.ts
 * merges them (defaults < file < env < flags). Only flags given on the command line are passed on,
 * so commander's own defaults never hide a config file's value.
 */
function addRunCommand(program: Command, io: CliIo, state: { exit: number }, argv: string[]): void {
  program
    .command('run')
    .description('the nightly batch: every portfolio, the chosen metrics for every period, written to an output directory')
    .option('--config <file>', 'config file (default: ./perfcalc.config.json when present)')
    .option('--print-config', 'print the merged configuration and where each value came from, then exit')
    .option('--valuations <file>', 'end-of-day valuations CSV')
    .option('--holdings <file>', 'holdings CSV (instead of --valuations)')
    .option('--cash-flows <file>', 'external cash flows CSV')
    .option('--returns <files...>', 'return series CSV files holding the --benchmark and --rf-series series')
    .addOption(new Option('--returns-unit <unit>', 'unit of the returns files').choices(['decimal', 'percent']))
    .option('--benchmark <id>', 'benchmark series for the risk metrics')
    .option('--rf-series <id>', 'risk-free series (per-period returns)')
    .option('--rf <rate>', 'annual risk-free rate', numberArg)
    .option('--periods <list>', 'periods (default MTD,QTD,YTD,1Y,3Y,5Y,ITD)')
    .option('--metrics <list>', 'twr, mwr, risk (every risk metric) or risk metric names (default twr,mwr)')
    .addOption(new Option('--method <method>', 'time-weighted method').choices(['daily', 'modified-dietz', 'linked-modified-dietz']))
    .option('--large-flow <fraction>', 'linked Modified Dietz: revalue at flows above this fraction', numberArg)
    .addOption(new Option('--flow-timing <timing>', 'default flow timing').choices(['end', 'start']))
    .addOption(new Option('--risk-frequency <f>', 'risk on monthly returns linked from daily (GIPS) or on daily returns').choices(['monthly', 'daily']))
    .option('--scale <n>', 'periods per year for risk (default 12 monthly, detected daily)', numberArg)
    .option('--mar <rate>', 'minimum acceptable return per period (Sortino)', numberArg)
    .option('--confidence <p>', 'VaR / expected shortfall confidence', numberArg)
    .option('--as-of <date>', 'end date of every period (default: each portfolio\'s last valuation)', dateArg('--as-of'))
    .option('--concurrency <n>', 'portfolios in flight at once (default: number of cores)')
    .option('--cache-dir <dir>', 'result cache directory (default <state-dir>/cache)')
    .option('--no-cache', 'compute everything, read and write no cache')
    .option('--cache-ttl <duration>', "cache entry lifetime: '7d', '12h', '30m' or seconds (default 7d)")
    .option('--out <dir>', 'output directory (default ./perfcalc-out/<run-id>/)')
    .option('--format <list>', 'result files: csv, json or csv,json (default csv)')
    .option('--run-id <id>', 'run id (default: UTC start time and a random suffix)')
    .option('--fail-fast', 'stop at the first failed portfolio')
    .option('-q, --quiet', 'no progress and no summary line')
    .addOption(new Option('--log <format>', 'log format on stderr').choices(['text', 'json']))
    .option('--state-dir <dir>', 'state directory for the audit log and default cache (default ~/.perfcalc)')
    .option('--ts-database <name>', 'Timestream database for --sink timestream (default perfcalc)')
    .option('--ts-table <name>', 'Timestream table for --sink timestream (default results)')
    .option('--scan-threshold <size>', 'valuations files from this size on are scanned by worker threads (default 16m)')
    .addHelpText(
      'after',
      `
Example:
  $ perfcalc run --valuations fixtures/valuations.csv --cash-flows fixtures/cash_flows.csv --returns fixtures/benchmark.csv \\
      --benchmark BENCH --rf-series RF --metrics twr,mwr,risk --out perfcalc-out/nightly
  $ perfcalc run --config perfcalc.config.json --print-config

Exit codes: 0 every portfolio succeeded, 1 some failed (see errors.csv), 2 usage or unreadable input.`,
    )
    .action(async (_flags: Record<string, unknown>, cmd: Command) => {
      const flags = userFlags(cmd);
      const resolved = await resolveRunConfig({
        flags,
        env: process.env,
        cwd: process.cwd(),
        readFile: (path) => readFile(path, 'utf8'),
      });
      if (flags.printConfig) {
        io.stdout.write(formatConfig(resolved));
        return;
      }
      requireRunInputs(resolved);
      const c = resolved.config;
      let progress: Progress | undefined;
      let ticksFailed = 0;
      const logger = createLogger({ format: c.log, runId: c.runId, stream: io.stderr, quiet: c.quiet, around: (w) => (progress ? progress.pause(w) : w()) });
      const report = await run(c, {
        argv: argv.slice(2),
        hooks: {
          onProgress: ({ total, failed }) => {
            progress ??= createProgress({ total, stream: io.stderr, log: c.log, logger, quiet: c.quiet });
            progress.tick(failed > ticksFailed ? 'failed' : 'ok');
            ticksFailed = failed;
          },
          onEvent: (e) => logger[e.level](e.msg, e.portfolio_id ? { portfolio_id: e.portfolio_id } : {}),
        },
      });
      const s = report.summary;
      (progress ?? createProgress({ total: s.portfolios.total, stream: io.stderr, log: c.log, logger, quiet: c.quiet })).finish({
        results: s.results,
        cache_hits: s.cache.hits,
      });
      // stdout: where the results are, for scripts (`out=$(perfcalc run ...)`)
      io.stdout.write(`${c.out}\n`);
      if (s.portfolios.failed > 0) {
        logger.warn(`${s.portfolios.failed} of ${s.portfolios.total} portfolios failed: see ${report.files.errors}`);
        state.exit = EXIT.partial;
      }
    });
}

/** Runs the CLI and returns the exit code (never calls process.exit). */
export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const state = { exit: EXIT.ok as number };
  const program = buildProgram(io, state, argv);
  try {
    await program.parseAsync(argv);
    return state.exit;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version "errors" are successes; commander already printed its own message otherwise
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    if (err instanceof InputError || err instanceof UsageError) {
      io.stderr.write(`perfcalc: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof PerfcalcError) {
      io.stderr.write(`perfcalc: ${err.message}\n`);
      return EXIT.internal;
    }
    const e = err as NodeJS.ErrnoException;
    if (e && (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR')) {
      io.stderr.write(`perfcalc: ${e.message}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`perfcalc: internal error: ${e?.stack ?? String(err)}\n`);
    return EXIT.internal;
  }
}
