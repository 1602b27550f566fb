import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import {
  envName,
  flagName,
  formatConfig,
  newRunId,
  parseDuration,
  requireRunInputs,
  resolveRunConfig,
  suggest,
  userFlags,
  type ResolveOptions,
} from '../../src/config.js';
import { UsageError } from '../../src/errors.js';
import { parseIsoDate } from '../../src/engine/calendarDate.js';

const CWD = '/work/proj';
const HOME = '/home/ann';

/** A fake file system: path -> content; anything else is ENOENT. */
function files(map: Record<string, string>): ResolveOptions['readFile'] {
  return async (path) => {
    const body = map[path];
    if (body === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
    return body;
  };
}

function resolveWith(o: { file?: unknown; fileAt?: string; env?: Record<string, string>; flags?: Record<string, unknown>; raw?: string }) {
  const at = o.fileAt ?? `${CWD}/perfcalc.config.json`;
  const fs: Record<string, string> = {};
  if (o.raw !== undefined) fs[at] = o.raw;
  else if (o.file !== undefined) fs[at] = JSON.stringify(o.file);
  return resolveRunConfig({
    flags: o.flags,
    env: o.env,
    cwd: CWD,
    home: HOME,
    cores: 2,
    now: new Date(Date.UTC(2026, 10, 22, 3, 40, 5)),
    random: () => 'abc123',
    readFile: files(fs),
  });
}

async function usageMessage(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('defaults', () => {
  it('fills every default, with derived paths from the state dir, run id and cwd', async () => {
    const { config, sources, configFile, warnings } = await resolveWith({});
    expect(configFile).toBeUndefined();
    expect(warnings).toEqual([]);
    expect(config).toEqual({
      periods: ['MTD', 'QTD', 'YTD', '1Y', '3Y', '5Y', 'ITD'],
      metrics: ['twr', 'mwr', 'risk'],
      method: 'daily',
      flowTiming: 'end',
      returnsUnit: 'decimal',
      riskFrequency: 'monthly',
      mar: 0,
      confidence: 0.95,
      concurrency: 2,
      stateDir: '/home/ann/.perfcalc',
      cacheDir: '/home/ann/.perfcalc/cache',
      cache: true,
      cacheTtl: 604800, // 7 d x 86,400 s
      scanThreshold: 16 * 1024 * 1024,
      runId: '20261122T034005Z-abc123',
      out: '/work/proj/perfcalc-out/20261122T034005Z-abc123',
      format: ['csv'],
      failFast: false,
      quiet: false,
      log: 'text',
      source: 'csv',
      sinks: ['files'],
      table: 'perfcalc',
      tenant: 'default',
    });
    expect(Object.values(sources).every((s) => s === 'default')).toBe(true);
    expect(Object.keys(sources)).toHaveLength(36);
  });

  it('run ids sort by start time', () => {
    const a = newRunId(new Date(Date.UTC(2026, 0, 2, 23, 59, 59)), () => 'ffffff');
    const b = newRunId(new Date(Date.UTC(2026, 0, 3, 0, 0, 0)), () => '000000');
    expect(a).toBe('20260102T235959Z-ffffff');
    expect(b).toBe('20260103T000000Z-000000');
    expect([b, a].sort()).toEqual([a, b]);
    expect(newRunId(new Date(0))).toMatch(/^19700101T000000Z-[0-9a-f]{6}$/);
  });
});

describe('precedence default < file < env < flag', () => {
  const file = { concurrency: 3, cacheTtl: '12h', periods: ['YTD', '1Y'], format: ['json'], quiet: true, tenant: 'acme' };

  it('file beats defaults', async () => {
    const { config, sources } = await resolveWith({ file });
    expect(config.concurrency).toBe(3);
    expect(config.cacheTtl).toBe(43200); // 12 x 3600
    expect(config.periods).toEqual(['YTD', '1Y']);
    expect(config.format).toEqual(['json']);
    expect(config.quiet).toBe(true);
    expect(config.tenant).toBe('acme');
    expect(sources.concurrency).toBe('file');
    expect(sources.method).toBe('default');
  });

  it('env beats file', async () => {
    const env = { PERFCALC_CONCURRENCY: '5', PERFCALC_CACHE_TTL: '30m', PERFCALC_PERIODS: 'mtd, itd', PERFCALC_QUIET: 'no' };
    const { config, sources } = await resolveWith({ file, env });
    expect(config.concurrency).toBe(5);
    expect(config.cacheTtl).toBe(1800); // 30 x 60
    expect(config.periods).toEqual(['MTD', 'ITD']);
    expect(config.quiet).toBe(false);
    expect(config.format).toEqual(['json']);
    expect(sources).toMatchObject({ concurrency: 'env', cacheTtl: 'env', periods: 'env', quiet: 'env', format: 'file', tenant: 'file' });
  });

  it('flags beat env', async () => {
    const env = { PERFCALC_CONCURRENCY: '5', PERFCALC_CACHE_TTL: '30m', PERFCALC_OUT: 'env-out', PERFCALC_TABLE: 'envtable' };
    const flags = { concurrency: '8', cacheTtl: '90', out: 'flag-out', format: 'csv,json', quiet: false };
    const { config, sources } = await resolveWith({ file, env, flags });
    expect(config.concurrency).toBe(8);
    expect(config.cacheTtl).toBe(90);
    expect(config.out).toBe('/work/proj/flag-out');
    expect(config.format).toEqual(['csv', 'json']);
    expect(config.quiet).toBe(false);
    expect(config.table).toBe('envtable');
    expect(sources).toMatchObject({ concurrency: 'flag', cacheTtl: 'flag', out: 'flag', format: 'flag', quiet: 'flag', table: 'env', tenant: 'file' });
  });

  it('undefined flags and empty env values do not override', async () => {
    const { config, sources } = await resolveWith({ file, env: { PERFCALC_CONCURRENCY: '' }, flags: { concurrency: undefined } });
    expect(config.concurrency).toBe(3);
    expect(sources.concurrency).toBe('file');
  });

  it('derived defaults follow the merged state dir and run id', async () => {
    const { config, sources } = await resolveWith({ env: { PERFCALC_STATE_DIR: '~/state' }, flags: { runId: 'nightly-2026-11-21' } });
    expect(config.stateDir).toBe('/home/ann/state');
    expect(config.cacheDir).toBe('/home/ann/state/cache');
    expect(config.out).toBe('/work/proj/perfcalc-out/nightly-2026-11-21');
    expect(sources.cacheDir).toBe('default');
  });

  it('relative paths: file ones against the file directory, env and flag ones against cwd', async () => {
    const { config, configFile } = await resolveWith({
      fileAt: '/etc/perfcalc/nightly.json',
      file: { valuations: 'data/v.csv', returns: ['bench.csv', '/abs/rf.csv'], cacheDir: '../cache' },
      flags: { config: '/etc/perfcalc/nightly.json', cashFlows: 'cf.csv' },
    });
    expect(configFile).toBe('/etc/perfcalc/nightly.json');
    expect(config.valuations).toBe('/etc/perfcalc/data/v.csv');
    expect(config.returns).toEqual(['/etc/perfcalc/bench.csv', '/abs/rf.csv']);
    expect(config.cacheDir).toBe('/etc/cache');
    expect(config.cashFlows).toBe('/work/proj/cf.csv');
  });

  it('PERFCALC_CONFIG names the file; --config beats it', async () => {
    const fs = files({ '/a.json': '{"tenant":"a"}', '/b.json': '{"tenant":"b"}' });
    const base = { cwd: CWD, home: HOME, cores: 2, readFile: fs };
    expect((await resolveRunConfig({ ...base, env: { PERFCALC_CONFIG: '/a.json' } })).config.tenant).toBe('a');
    expect((await resolveRunConfig({ ...base, env: { PERFCALC_CONFIG: '/a.json' }, flags: { config: '/b.json' } })).config.tenant).toBe('b');
  });

  it('a higher layer picks the other member of an exclusive pair and the lower one is dropped with a warning', async () => {
    const { config, sources, warnings } = await resolveWith({ file: { valuations: 'v.csv', rf: 0.02 }, flags: { holdings: 'h.csv' }, env: { PERFCALC_RF_SERIES: 'RF' } });
    expect(config.holdings).toBe('/work/proj/h.csv');
    expect(config.valuations).toBeUndefined();
    expect(sources.valuations).toBe('default');
    expect(config.rfSeries).toBe('RF');
    expect(config.rf).toBeUndefined();
    expect(warnings).toEqual([
      "perfcalc.config.json key 'valuations' ignored: --holdings replaces it",
      "perfcalc.config.json key 'rf' ignored: PERFCALC_RF_SERIES replaces it",
    ]);
  });

  it('parses every kind of value from env', async () => {
    const env = {
      PERFCALC_VALUATIONS: 'v.csv',
      PERFCALC_CASH_FLOWS: '/data/cf.csv',
      PERFCALC_RETURNS: 'a.csv,b.csv',
      PERFCALC_BENCHMARK: 'SP500 TR',
      PERFCALC_RF: '0.0425',
      PERFCALC_METRICS: 'TWR,risk',
      PERFCALC_METHOD: 'linked-modified-dietz',
      PERFCALC_FLOW_TIMING: 'start',
      PERFCALC_AS_OF: '2026-06-30',
      PERFCALC_CACHE: 'off',
      PERFCALC_FAIL_FAST: '1',
      PERFCALC_LOG: 'json',
      PERFCALC_SOURCE: 'dynamodb',
      PERFCALC_SINKS: 'dynamodb,timestream',
      PERFCALC_TS_DATABASE: 'perf',
      PERFCALC_TS_TABLE: 'daily',
      PERFCALC_RETURNS_UNIT: 'percent',
      PERFCALC_LARGE_FLOW: '0.1',
      PERFCALC_RISK_FREQUENCY: 'daily',
      PERFCALC_SCALE: '252',
      PERFCALC_MAR: '-0.001',
      PERFCALC_CONFIDENCE: '0.99',
    };
    const { config } = await resolveWith({ env });
    expect(config).toMatchObject({
      valuations: '/work/proj/v.csv',
      cashFlows: '/data/cf.csv',
      returns: ['/work/proj/a.csv', '/work/proj/b.csv'],
      benchmark: 'SP500 TR',
      rf: 0.0425,
      metrics: ['twr', 'risk'],
      method: 'linked-modified-dietz',
      flowTiming: 'start',
      asOf: parseIsoDate('2026-06-30'),
      cache: false,
      failFast: true,
      log: 'json',
      source: 'dynamodb',
      sinks: ['dynamodb', 'timestream'],
      tsDatabase: 'perf',
      tsTable: 'daily',
      returnsUnit: 'percent',
      largeFlow: 0.1,
      riskFrequency: 'daily',
      scale: 252,
      mar: -0.001,
      confidence: 0.99,
    });
    // epoch day of 2026-06-30: 56 years x 365 + 14 leap days (1972..2024) + 180 days (Jan..May 151, +29) = 20634
    expect(parseIsoDate('2026-06-30')).toBe(20634);
  });

  it('flags may arrive already parsed by commander (numbers, arrays, epoch days)', async () => {
    const { config } = await resolveWith({ flags: { concurrency: 4, rf: 0.02, asOf: 20634, returns: ['a.csv', 'b.csv'], cache: false } });
    expect(config).toMatchObject({ concurrency: 4, rf: 0.02, asOf: 20634, returns: ['/work/proj/a.csv', '/work/proj/b.csv'], cache: false });
  });

  it('warns about unknown PERFCALC_ variables, suggesting the near one', async () => {
    const { warnings } = await resolveWith({ env: { PERFCALC_CONCURENCY: '4', PERFCALC_TEST_SEED: '1', HOME: '/x' } });
    expect(warnings).toEqual([
      "PERFCALC_CONCURENCY: not a perfcalc setting, ignored (did you mean 'PERFCALC_CONCURRENCY'?)",
      'PERFCALC_TEST_SEED: not a perfcalc setting, ignored',
    ]);
  });
});

describe('validation messages', () => {
  const cases: [string, Parameters<typeof resolveWith>[0], string][] = [
    ['unknown file key with suggestion', { file: { concurency: 4 } }, "perfcalc.config.json: key 'concurency' is not a known setting (did you mean 'concurrency'?)"],
    ['kebab-case file key', { file: { 'cash-flows': 'cf.csv' } }, "perfcalc.config.json: key 'cash-flows' is not a known setting (did you mean 'cashFlows'?)"],
    ['unknown file key, nothing close', { file: { colour: true } }, "perfcalc.config.json: key 'colour' is not a known setting"],
    ['env positive integer', { env: { PERFCALC_CONCURRENCY: 'abc' } }, 'PERFCALC_CONCURRENCY: "abc" is not a positive integer'],
    ['zero concurrency', { flags: { concurrency: '0' } }, '--concurrency: "0" is not a positive integer'],
    ['fractional concurrency in file', { file: { concurrency: 2.5 } }, "perfcalc.config.json: key 'concurrency': 2.5 is not a positive integer"],
    ['huge concurrency', { env: { PERFCALC_CONCURRENCY: '5000' } }, 'PERFCALC_CONCURRENCY: "5000" is more than 1024'],
    ['ttl', { env: { PERFCALC_CACHE_TTL: '7 days' } }, `PERFCALC_CACHE_TTL: "7 days" is not a duration (seconds, or a number with s, m, h, d or w: '7d', '12h', '30m')`],
    ['ttl zero', { flags: { cacheTtl: '0' } }, `--cache-ttl: "0" is not a duration (seconds, or a number with s, m, h, d or w: '7d', '12h', '30m')`],
    ['period', { env: { PERFCALC_PERIODS: 'YTD,2Y' } }, "PERFCALC_PERIODS: unknown period '2Y'; expected one of MTD, QTD, YTD, 1Y, 3Y, 5Y, 10Y, ITD"],
    ['metric', { flags: { metrics: 'twr,sharpe' } }, '--metrics: "sharpe" is not one of twr, mwr, risk or a risk metric name'],
    ['metric typo', { flags: { metrics: 'twr,sharpe_ration' } }, `--metrics: "sharpe_ration" is not one of twr, mwr, risk or a risk metric name (did you mean 'sharpe_ratio'?)`],
    ['method', { file: { method: 'dietz' } }, `perfcalc.config.json: key 'method': "dietz" is not one of daily, modified-dietz, linked-modified-dietz`],
    ['flow timing', { env: { PERFCALC_FLOW_TIMING: 'middle' } }, 'PERFCALC_FLOW_TIMING: "middle" is not one of end, start'],
    ['format', { flags: { format: 'csv,xlsx' } }, '--format: "xlsx" is not one of csv, json'],
    ['log', { env: { PERFCALC_LOG: 'yaml' } }, 'PERFCALC_LOG: "yaml" is not one of text, json'],
    ['sink', { file: { sinks: ['files', 's3'] } }, `perfcalc.config.json: key 'sinks': "s3" is not one of files, dynamodb, timestream`],
    ['source', { env: { PERFCALC_SOURCE: 'postgres' } }, 'PERFCALC_SOURCE: "postgres" is not one of csv, dynamodb'],
    ['date', { env: { PERFCALC_AS_OF: '2026-02-30' } }, 'PERFCALC_AS_OF: "2026-02-30" is not a date (YYYY-MM-DD)'],
    ['date type in file', { file: { asOf: 20260630 } }, "perfcalc.config.json: key 'asOf': 20260630 is not a date (YYYY-MM-DD)"],
    ['boolean in file is strict', { file: { cache: 'yes' } }, `perfcalc.config.json: key 'cache': "yes" is not a boolean (true or false)`],
    ['boolean in env', { env: { PERFCALC_FAIL_FAST: 'maybe' } }, 'PERFCALC_FAIL_FAST: "maybe" is not a boolean (true/false, 1/0, yes/no, on/off)'],
    ['rf not a number', { env: { PERFCALC_RF: '2%' } }, 'PERFCALC_RF: "2%" is not a number'],
    ['rf at -100%', { flags: { rf: -1 } }, '--rf: -1 is not a rate above -1 (-100%)'],
    ['empty string', { file: { benchmark: '  ' } }, "perfcalc.config.json: key 'benchmark': is empty"],
    ['string type', { file: { table: 42 } }, "perfcalc.config.json: key 'table': 42 is not a string"],
    ['list type', { file: { returns: 7 } }, "perfcalc.config.json: key 'returns': 7 is not a list (a JSON array or comma-separated text)"],
    ['list item type', { file: { format: ['csv', 1] } }, "perfcalc.config.json: key 'format': 1 in the list is not a string"],
    ['empty list item', { env: { PERFCALC_RETURNS: 'a.csv,,b.csv' } }, 'PERFCALC_RETURNS: "a.csv,,b.csv" has an empty item'],
    ['empty list', { file: { metrics: [] } }, "perfcalc.config.json: key 'metrics': is an empty list"],
    ['run id', { flags: { runId: '../etc' } }, `--run-id: "../etc" is not a run id (letters, digits, '.', '_' and '-', starting with a letter or digit, at most 128)`],
    ['not JSON', { raw: '{"concurrency": 4,}' }, 'perfcalc.config.json: not valid JSON: '],
    ['not an object', { raw: '[1,2]' }, 'perfcalc.config.json: expected a JSON object of settings, like {"concurrency": 4}'],
    ['missing --config', { flags: { config: 'nope.json' } }, 'nope.json: config file not found (/work/proj/nope.json)'],
    ['exclusive pair in one layer', { file: { valuations: 'v.csv', holdings: 'h.csv' } }, "perfcalc.config.json key 'valuations' and perfcalc.config.json key 'holdings' cannot be used together"],
    ['exclusive flags', { flags: { rf: '0.02', rfSeries: 'RF' } }, '--rf-series and --rf cannot be used together'],
    ['large flow without linked Modified Dietz', { env: { PERFCALC_LARGE_FLOW: '0.1' }, file: { method: 'daily' } }, 'PERFCALC_LARGE_FLOW applies only to method linked-modified-dietz'],
    ['large flow not positive', { flags: { largeFlow: '0', method: 'linked-modified-dietz' } }, '--large-flow: "0" is not a positive number'],
    ['confidence', { file: { confidence: 95 } }, "perfcalc.config.json: key 'confidence': 95 is not between 0 and 1 (exclusive)"],
    ['mar', { env: { PERFCALC_MAR: 'zero' } }, 'PERFCALC_MAR: "zero" is not a number'],
    ['scale', { flags: { scale: '-12' } }, '--scale: "-12" is not a positive number'],
    ['risk frequency', { env: { PERFCALC_RISK_FREQUENCY: 'weekly' } }, 'PERFCALC_RISK_FREQUENCY: "weekly" is not one of monthly, daily'],
    ['returns unit', { file: { returnsUnit: 'bp' } }, `perfcalc.config.json: key 'returnsUnit': "bp" is not one of decimal, percent`],
    ['unknown flag key', { flags: { concurency: 3 } }, "--concurency: not a run setting (did you mean '--concurrency'?)"],
  ];
  for (const [name, input, message] of cases) {
    it(name, async () => {
      const got = await usageMessage(resolveWith(input));
      if (name === 'not JSON') expect(got.startsWith(message)).toBe(true);
      else expect(got).toBe(message);
    });
  }

  it('reports every problem at once, one per line, in file, env, flag order', async () => {
    const got = await usageMessage(
      resolveWith({ file: { concurency: 4, quiet: 'no' }, env: { PERFCALC_CONCURRENCY: 'abc' }, flags: { format: 'pdf' } }),
    );
    expect(got.split('\n')).toEqual([
      "perfcalc.config.json: key 'concurency' is not a known setting (did you mean 'concurrency'?)",
      `perfcalc.config.json: key 'quiet': "no" is not a boolean (true or false)`,
      'PERFCALC_CONCURRENCY: "abc" is not a positive integer',
      '--format: "pdf" is not one of csv, json',
    ]);
  });

  it('an unreadable config file (not ENOENT) is a usage error naming it', async () => {
    const readFile = async () => {
      throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    };
    const got = await usageMessage(resolveRunConfig({ cwd: CWD, home: HOME, readFile }));
    expect(got).toBe('perfcalc.config.json: cannot read the config file: EACCES: permission denied');
  });
});

describe('helpers', () => {
  it('durations', () => {
    expect(parseDuration('7d')).toBe(604800); // 7 x 86,400
    expect(parseDuration('12h')).toBe(43200); // 12 x 3,600
    expect(parseDuration('30m')).toBe(1800); // 30 x 60
    expect(parseDuration('2w')).toBe(1209600); // 14 x 86,400
    expect(parseDuration('45')).toBe(45);
    expect(parseDuration(3600)).toBe(3600);
  });
  it('names', () => {
    expect(envName('cashFlows')).toBe('PERFCALC_CASH_FLOWS');
    expect(envName('tsDatabase')).toBe('PERFCALC_TS_DATABASE');
    expect(flagName('rfSeries')).toBe('--rf-series');
    expect(suggest('flowtiming', ['flowTiming', 'format'])).toBe('flowTiming');
    expect(suggest('xyz', ['flowTiming', 'format'])).toBeUndefined();
  });
  it('userFlags keeps only what was typed (not commander implicit defaults like --no-cache => cache: true)', () => {
    const cmd = new Command('run')
      .exitOverride()
      .option('--no-cache')
      .option('--concurrency <n>')
      .option('--quiet');
    cmd.parse(['--concurrency', '4'], { from: 'user' });
    expect(cmd.opts()).toEqual({ cache: true, concurrency: '4' });
    expect(userFlags(cmd)).toEqual({ concurrency: '4' });
    const cmd2 = new Command('run').exitOverride().option('--no-cache');
    cmd2.parse(['--no-cache'], { from: 'user' });
    expect(userFlags(cmd2)).toEqual({ cache: false });
  });
});

describe('formatConfig', () => {
  it('text: one aligned line per setting with its source; json: config and sources', async () => {
    const r = await resolveWith({ file: { concurrency: 3 }, env: { PERFCALC_AS_OF: '2026-06-30' }, flags: { cacheTtl: '36h' } });
    const lines = formatConfig(r).trimEnd().split('\n');
    expect(lines).toHaveLength(36);
    const parsed = new Map(lines.map((l) => {
      const m = /^(\S+) +(.*?) +\((default|file|env|flag)\)$/.exec(l);
      expect(m, l).not.toBeNull();
      return [m![1], [m![2], m![3]]] as const;
    }));
    expect(parsed.get('concurrency')).toEqual(['3', 'file']);
    expect(parsed.get('asOf')).toEqual(['2026-06-30', 'env']);
    expect(parsed.get('cacheTtl')).toEqual(['36h', 'flag']);
    expect(parsed.get('valuations')).toEqual(['-', 'default']);
    expect(parsed.get('periods')).toEqual(['MTD,QTD,YTD,1Y,3Y,5Y,ITD', 'default']);
    // aligned: every value starts in the same column, every source in the same column
    expect(new Set(lines.map((l) => l.lastIndexOf('(')))).toEqual(new Set([lines[0]!.lastIndexOf('(')]));
    // keys are padded to the longest name ('riskFrequency') plus two spaces
    expect(new Set(lines.map((l) => /^\S+ +/.exec(l)![0].length))).toEqual(new Set(['riskFrequency  '.length]));
    const j = JSON.parse(formatConfig(r, 'json'));
    expect(j.config.asOf).toBe('2026-06-30');
    expect(j.config.cacheTtl).toBe(129600); // 36 x 3,600
    expect(j.config.valuations).toBeNull();
    expect(j.sources.concurrency).toBe('file');
  });
});

describe('requireRunInputs', () => {
  it('needs portfolio data, and returns files for named series (with csv source)', async () => {
    const r = await resolveWith({ env: { PERFCALC_BENCHMARK: 'BENCH' }, flags: { rfSeries: 'RF' } });
    expect(() => requireRunInputs(r)).toThrow(UsageError);
    expect(() => requireRunInputs(r)).toThrow(
      [
        "no portfolio data: give --valuations or --holdings (or 'valuations' in perfcalc.config.json, or PERFCALC_VALUATIONS)",
        'PERFCALC_BENCHMARK names a series, but no --returns file was given to read it from',
        '--rf-series names a series, but no --returns file was given to read it from',
      ].join('\n'),
    );
    const ok = await resolveWith({ file: { holdings: 'h.csv', returns: 'b.csv', benchmark: 'BENCH' } });
    expect(() => requireRunInputs(ok)).not.toThrow();
    const dynamo = await resolveWith({ flags: { source: 'dynamodb' } });
    expect(() => requireRunInputs(dynamo)).not.toThrow();
  });
});
