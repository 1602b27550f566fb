/**
 * The AWS commands of the CLI: `perfcalc tables create`, `perfcalc import --to dynamodb`, the
 * run flags that choose DynamoDB (`--source`, `--sink`, `--table`, `--tenant`, when the run
 * command does not have them yet) and the DynamoDB options of `perfcalc audit`. `src/cli.ts`
 * calls `addAwsCommands(program, io)` once, after its own commands. Commands return data here
 * and throw UsageError / InputError; cli.ts maps errors to exit codes.
 */
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { resolveRunConfig, type RunConfig } from './config.js';
import { createProgress, type Progress } from './batch/progress.js';
import { emitRecords } from './output/emit.js';
import { auditRow, auditView } from './output/auditView.js';
import type { OutputFormat } from './output/format.js';
import { DEFAULT_TS_DATABASE, DEFAULT_TS_TABLE } from './storage/timestream/timestreamRecords.js';
import { appendAudit, auditUntil, currentUser, type AuditInput } from './batch/auditLog.js';
import { randomBytes } from 'node:crypto';

/**
 * The AWS SDK clients load only when a command uses them: importing them costs ~0.4 s of module
 * loading here, which every other command (and every nightly run with local files) would pay.
 */
const aws = async () => {
  const [client, tables, timestream, importer, audit] = await Promise.all([
    import('./storage/dynamodb/client.js'),
    import('./storage/dynamodb/tables.js'),
    import('./storage/timestream/timestreamClient.js'),
    import('./storage/dynamodb/importCsv.js'),
    import('./storage/dynamodb/audit.js'),
  ]);
  return { ...client, ...tables, ...timestream, ...importer, ...audit };
};

export interface AwsCliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

function positiveInt(t: string): number {
  const n = Number(t);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`'${t}' is not a positive integer.`);
  return n;
}

/** Table and tenant (and the rest) merged like `run`'s settings: defaults < config file < PERFCALC_* < flags. */
async function settings(flags: { config?: string; table?: string; tenant?: string; stateDir?: string }): Promise<RunConfig> {
  const picked: Record<string, unknown> = {};
  for (const k of ['config', 'table', 'tenant', 'stateDir'] as const) if (flags[k] !== undefined) picked[k] = flags[k];
  const { config } = await resolveRunConfig({ flags: picked, env: process.env, cwd: process.cwd(), readFile: (p) => readFile(p, 'utf8') });
  return config;
}

const withTarget = (cmd: Command): Command =>
  cmd
    .option('--config <file>', 'config file (default: ./perfcalc.config.json when present)')
    .option('--table <name>', 'DynamoDB table (env PERFCALC_TABLE, default perfcalc)')
    .option('--tenant <id>', 'tenant whose items are read or written (default "default")');

/** The options `perfcalc audit` needs for the DynamoDB store (added to the existing audit command). */
export function addDynamoAuditOptions(audit: Command): Command {
  const has = (long: string) => audit.options.some((o) => o.long === long);
  if (!has('--audit')) audit.addOption(new Option('--audit <store>', 'which audit store to query').choices(['local', 'dynamodb']));
  if (!has('--source')) audit.addOption(new Option('--source <kind>', 'with dynamodb: query the audit records in the table').choices(['csv', 'dynamodb']));
  if (!has('--system')) audit.option('--system <name>', 'dynamodb store: only records touching this system (csv, files, dynamodb, timestream)');
  if (!has('--resource')) audit.option('--resource <name>', 'dynamodb store: only records touching this resource of --system (a file path, a table)');
  if (!has('--next-token')) audit.option('--next-token <token>', 'dynamodb store: the page after the one that printed this token');
  if (!has('--table')) audit.option('--table <name>', 'DynamoDB table (default perfcalc)');
  if (!has('--tenant')) audit.option('--tenant <id>', 'tenant (default "default")');
  return audit;
}

/**
 * The DynamoDB branch of `perfcalc audit`: when `--audit dynamodb` or `--source dynamodb` was given,
 * queries the table (newest first, one page), prints the records, and the next-page token on
 * stderr; returns false (doing nothing) otherwise, so the local-file branch runs.
 */
export async function maybeDynamoAudit(
  flags: { audit?: string; source?: string; user?: string; from?: string; to?: string; system?: string; resource?: string; nextToken?: string; limit?: number; config?: string; table?: string; tenant?: string; format?: OutputFormat; output?: string; quiet?: boolean },
  io: AwsCliIo,
): Promise<boolean> {
  if (flags.audit !== 'dynamodb' && !(flags.audit === undefined && flags.source === 'dynamodb')) return false;
  const c = await settings(flags);
  const { openDynamo, queryAuditDynamo, auditQueryCache } = await aws();
  const target = openDynamo({ table: c.table, tenant: c.tenant });
  try {
    const to = auditUntil(flags.to);
    const page = await queryAuditDynamo(
      target,
      { user: flags.user, from: flags.from, to, system: flags.system, resource: flags.resource, limit: flags.limit, nextToken: flags.nextToken },
      auditQueryCache,
    );
    await emitRecords(page.records.map(auditRow), auditView, { format: flags.format, output: flags.output, quiet: flags.quiet, stdout: io.stdout });
    if (page.nextToken) io.stderr.write(`perfcalc: more records: --next-token ${page.nextToken}\n`);
  } finally {
    target.close();
  }
  return true;
}

export function addAwsCommands(program: Command, io: AwsCliIo): void {
  const tables = program.command('tables').description('create the DynamoDB table (and the Timestream database and table) perfcalc uses');
  withTarget(tables.command('create').description('create the table and its indexes (idempotent); waits until ACTIVE'))
    .option('--dry-run', 'print the definitions as JSON and create nothing')
    .option('--timestream', 'also create the Timestream database and table (--ts-database, --ts-table)')
    .option('--ts-database <name>', `Timestream database (default ${DEFAULT_TS_DATABASE})`)
    .option('--ts-table <name>', `Timestream table (default ${DEFAULT_TS_TABLE})`)
    .addHelpText('after', '\nExample:\n  $ perfcalc tables create --table perfcalc\n  $ perfcalc tables create --timestream --ts-database perfcalc --ts-table results\n  $ perfcalc tables create --timestream --dry-run')
    .action(async (flags: { dryRun?: boolean; timestream?: boolean; tsDatabase?: string; tsTable?: string; config?: string; table?: string; tenant?: string }) => {
      const c = await settings(flags);
      const { tableDefinition, timestreamTableDefinitions, openDynamo, createTables, createTimestreamTables } = await aws();
      const ts = { database: flags.tsDatabase ?? c.tsDatabase ?? DEFAULT_TS_DATABASE, table: flags.tsTable ?? c.tsTable ?? DEFAULT_TS_TABLE };
      if (flags.dryRun) {
        const defs = { dynamodb: tableDefinition(c.table), ...(flags.timestream ? { timestream: timestreamTableDefinitions(ts) } : {}) };
        io.stdout.write(`${JSON.stringify(defs, null, 2)}\n`);
        return;
      }
      const target = openDynamo({ table: c.table });
      try {
        const r = await createTables(target.client, c.table);
        io.stdout.write(`table ${r.table}: ${r.status === 'created' ? 'created' : 'already exists'}, ACTIVE\n`);
      } finally {
        target.close();
      }
      if (flags.timestream) {
        const r = await createTimestreamTables(ts);
        io.stdout.write(`timestream ${ts.database}: ${r.database}; table ${ts.database}.${ts.table}: ${r.table}\n`);
        for (const w of r.warnings) io.stderr.write(`perfcalc: warning: ${w}\n`);
      }
    });

  withTarget(program.command('import').description('load CSV files into DynamoDB (idempotent: a re-import overwrites the same keys)'))
    .addOption(new Option('--to <store>', 'where to import').choices(['dynamodb']).makeOptionMandatory())
    .option('--valuations <file>', 'end-of-day valuations CSV')
    .option('--holdings <file>', 'holdings CSV (instead of --valuations)')
    .option('--cash-flows <file>', 'external cash flows CSV')
    .option('--returns <files...>', 'return series CSV files (benchmark, risk-free)')
    .addOption(new Option('--returns-unit <unit>', 'unit of the returns files').choices(['decimal', 'percent']))
    .option('--concurrency <n>', 'BatchWriteItem requests in flight (default 4)', positiveInt)
    .option('-q, --quiet', 'no progress and no summary line')
    .option('--state-dir <dir>', 'state directory for the local audit log (default ~/.perfcalc)')
    .addHelpText(
      'after',
      '\nExample:\n  $ perfcalc import --to dynamodb --valuations fixtures/valuations.csv --cash-flows fixtures/cash_flows.csv --returns fixtures/benchmark.csv --tenant acme',
    )
    .action(async (flags: { config?: string; table?: string; tenant?: string; stateDir?: string; valuations?: string; holdings?: string; cashFlows?: string; returns?: string[]; returnsUnit?: 'decimal' | 'percent'; concurrency?: number; quiet?: boolean }) => {
      const c = await settings(flags);
      const { openDynamo, writeAuditRecord, importCsv } = await aws();
      const target = openDynamo({ table: c.table, tenant: c.tenant });
      let progress: Progress | undefined;
      const started = new Date().toISOString();
      // the audit record of the import: locally and in the table, on success and on failure
      const audit = async (outcome: 'ok' | 'failed', extra: Record<string, unknown>, inputs: AuditInput[] = [], counts: Record<string, number> = {}) => {
        const record = {
          run_id: `import-${started.replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`,
          user: currentUser(),
          command: 'import',
          argv: process.argv.slice(2),
          inputs,
          counts,
          outcome,
          started_at: started,
          finished_at: new Date().toISOString(),
          tenant: c.tenant,
          resources: [{ system: 'dynamodb', resource: c.table }],
          ...extra,
        };
        await appendAudit(c.stateDir, record);
        await writeAuditRecord(target, record);
      };
      try {
        const report = await importCsv(target, {
          valuations: flags.valuations,
          holdings: flags.holdings,
          cashFlows: flags.cashFlows,
          returns: flags.returns,
          returnsUnit: flags.returnsUnit,
          concurrency: flags.concurrency ?? 4,
          onStart: (total) => {
            progress = createProgress({ total, stream: io.stderr, quiet: flags.quiet, unit: 'items' });
          },
          onWritten: (n) => progress?.tick('ok', n),
        });
        progress?.finish({ portfolios: report.portfolios, series: report.series });
        await audit('ok', {}, report.inputs, { portfolios: report.portfolios, series: report.series, items: report.items });
        io.stdout.write(`${JSON.stringify(report)}\n`);
      } catch (err) {
        await audit('failed', { error: (err as Error).message }).catch(() => undefined);
        throw err;
      } finally {
        target.close();
      }
    });

  // run: the flags that choose DynamoDB, where the run command does not define them itself
  const run = program.commands.find((c) => c.name() === 'run');
  if (run) {
    const has = (long: string) => run.options.some((o) => o.long === long);
    if (!has('--source')) run.addOption(new Option('--source <kind>', 'where portfolios come from').choices(['csv', 'dynamodb']));
    if (!has('--sink') && !has('--sinks')) {
      run.option('--sink <kind>', 'a result sink: files, dynamodb or timestream (repeatable; files are always written)', (v: string, prev: string[] = []) => [...prev, ...v.split(',')]);
      // the setting is called `sinks`: hand the value on under that name
      run.hook('preAction', (cmd) => {
        const v = cmd.getOptionValue('sink') as string[] | undefined;
        if (v === undefined) return;
        cmd.setOptionValueWithSource('sinks', v, 'cli');
        cmd.setOptionValue('sink', undefined);
      });
    }
    if (!has('--table')) run.option('--table <name>', 'DynamoDB table (env PERFCALC_TABLE, default perfcalc)');
    if (!has('--tenant')) run.option('--tenant <id>', 'tenant of the DynamoDB items (default "default")');
  }
  const audit = program.commands.find((c) => c.name() === 'audit');
  if (audit) addDynamoAuditOptions(audit);
}
