/**
 * The ONE place `perfcalc run` settings are merged and validated.
 *
 * Precedence, lowest to highest: defaults < config file < environment (PERFCALC_*) < flags.
 * - Config file: `--config PATH` (or PERFCALC_CONFIG), else `perfcalc.config.json` in the working
 *   directory if it exists. A JSON object whose keys are the camelCase setting names below
 *   ("$schema" is ignored). Relative paths in it are relative to the file's own directory.
 * - Environment: `PERFCALC_<NAME>` with the name in SCREAMING_SNAKE case (cashFlows ->
 *   PERFCALC_CASH_FLOWS). An empty value counts as unset. Lists are comma-separated; booleans are
 *   1/0, true/false, yes/no, on/off. Unknown PERFCALC_* variables give a warning, not an error.
 * - Flags: commander's camelCase option values; pass only options the user actually gave (see
 *   `userFlags`: commander's implicit defaults, e.g. `cache: true` for `--no-cache`, would otherwise
 *   override the file and environment). Relative paths are relative to `cwd`.
 * A key's source is where its final value came from. Every problem names the key and its source,
 * e.g. `perfcalc.config.json: key 'concurency' is not a known setting (did you mean 'concurrency'?)`
 * or `PERFCALC_CONCURRENCY: "abc" is not a positive integer`; all problems found are reported
 * together in one UsageError, one per line.
 */
import { RISK_METRIC_KEYS, type RiskMetricKey } from './engine/riskMetrics.js';
import { availableParallelism, homedir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { formatIsoDate, parseIsoDate, type EpochDay } from './engine/calendarDate.js';
import { parsePeriodList, type PeriodCode } from './engine/periods.js';
import type { ReturnMethod } from './engine/periodReturns.js';
import type { FlowTiming } from './engine/types.js';
import { UsageError } from './errors.js';

/** `risk` stands for every risk metric; single risk metrics may be named instead (`sharpe_ratio`, ...). */
export type Metric = 'twr' | 'mwr' | 'risk' | RiskMetricKey;
export type ResultFormat = 'csv' | 'json';
export type LogFormat = 'text' | 'json';
export type SourceKind = 'csv' | 'dynamodb';
export type SinkKind = 'files' | 'dynamodb' | 'timestream';
export type ConfigSource = 'default' | 'file' | 'env' | 'flag';
/** Same union as computePortfolio's RiskFrequency: risk on monthly linked returns (GIPS) or on daily ones. */
export type RiskFrequency = 'monthly' | 'daily';
export type ReturnsUnit = 'decimal' | 'percent';

export interface RunConfig {
  /** Absolute path of the valuations CSV (exclusive with holdings). */
  valuations?: string;
  holdings?: string;
  cashFlows?: string;
  /** Return series CSV files (benchmark, risk-free), absolute paths. */
  returns?: string[];
  /** Unit of the returns files (default decimal). */
  returnsUnit: ReturnsUnit;
  benchmark?: string;
  /** Risk-free series id (exclusive with rf). */
  rfSeries?: string;
  /** Annual risk-free rate as a fraction (0.02 = 2%). */
  rf?: number;
  periods: PeriodCode[];
  metrics: Metric[];
  method: ReturnMethod;
  flowTiming: FlowTiming;
  /** Linked Modified Dietz only: revalue at flows above this fraction of the beginning value. */
  largeFlow?: number;
  asOf?: EpochDay;
  /** Risk metrics on monthly linked returns (default, GIPS) or on daily returns. */
  riskFrequency: RiskFrequency;
  /** Periods per year for risk annualisation; default: 12 for monthly, detected for daily. */
  scale?: number;
  /** Minimum acceptable return per period (downside deviation, Sortino); default 0. */
  mar: number;
  /** VaR / expected shortfall confidence, 0 < c < 1; default 0.95. */
  confidence: number;
  concurrency: number;
  /** Absolute; default <stateDir>/cache. */
  cacheDir: string;
  cache: boolean;
  /** Cache entry lifetime in SECONDS (default 7 days). */
  cacheTtl: number;
  /** Absolute output directory; default <cwd>/perfcalc-out/<runId>. */
  out: string;
  format: ResultFormat[];
  runId: string;
  failFast: boolean;
  quiet: boolean;
  log: LogFormat;
  /** Absolute; default ~/.perfcalc. */
  stateDir: string;
  /**
   * Valuations files at least this many bytes are read by the worker-thread scan (when grouped by
   * portfolio); smaller ones by the whole-file loader. Default 16 MiB. Both give the same results.
   */
  scanThreshold: number;
  source: SourceKind;
  sinks: SinkKind[];
  table: string;
  tenant: string;
  tsDatabase?: string;
  tsTable?: string;
}

export type ConfigKey = keyof RunConfig;

export interface ResolvedConfig {
  config: RunConfig;
  sources: Record<ConfigKey, ConfigSource>;
  /** Absolute path of the config file read, if any. */
  configFile?: string;
  /** Non-fatal notes (unknown PERFCALC_* variables, a lower layer's input overridden by a higher one). */
  warnings: string[];
}

export const DEFAULT_PERIODS: readonly PeriodCode[] = ['MTD', 'QTD', 'YTD', '1Y', '3Y', '5Y', 'ITD'];
export const DEFAULT_CACHE_TTL_SECONDS = 7 * 24 * 3600;
export const CONFIG_FILE_NAME = 'perfcalc.config.json';

const DEFAULT_METRICS: readonly Metric[] = ['twr', 'mwr', 'risk'];
const METRICS: readonly Metric[] = [...DEFAULT_METRICS, ...RISK_METRIC_KEYS];
const METHODS: readonly ReturnMethod[] = ['daily', 'modified-dietz', 'linked-modified-dietz'];
const TIMINGS: readonly FlowTiming[] = ['end', 'start'];
const FORMATS: readonly ResultFormat[] = ['csv', 'json'];
const LOGS: readonly LogFormat[] = ['text', 'json'];
const SOURCES: readonly SourceKind[] = ['csv', 'dynamodb'];
const SINKS: readonly SinkKind[] = ['files', 'dynamodb', 'timestream'];
const RISK_FREQUENCIES: readonly RiskFrequency[] = ['monthly', 'daily'];
const RETURNS_UNITS: readonly ReturnsUnit[] = ['decimal', 'percent'];

/** Raised by a value parser; the caller prefixes where the value came from. */
class BadValue extends Error {}

type Layer = 'file' | 'env' | 'flag';
interface ParseCtx {
  layer: Layer;
  /** Directory relative paths are resolved against. */
  base: string;
  home: string;
}

type Parser = (raw: unknown, ctx: ParseCtx) => unknown;

const show = (raw: unknown): string => (typeof raw === 'string' ? JSON.stringify(raw) : JSON.stringify(raw) ?? String(raw));

function text(raw: unknown): string {
  if (typeof raw !== 'string') throw new BadValue(`${show(raw)} is not a string`);
  if (raw.trim() === '') throw new BadValue('is empty');
  return raw.trim();
}

function pathValue(raw: unknown, ctx: ParseCtx): string {
  const p = text(raw);
  if (p === '~') return ctx.home;
  if (p.startsWith('~/')) return join(ctx.home, p.slice(2));
  return isAbsolute(p) ? resolve(p) : resolve(ctx.base, p);
}

/** A list from an array, or from comma-separated text. */
function list(raw: unknown): string[] {
  const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : undefined;
  if (items === undefined) throw new BadValue(`${show(raw)} is not a list (a JSON array or comma-separated text)`);
  const out: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string') throw new BadValue(`${show(item)} in the list is not a string`);
    const t = item.trim();
    if (t === '') throw new BadValue(`${show(raw)} has an empty item`);
    if (!out.includes(t)) out.push(t);
  }
  if (out.length === 0) throw new BadValue('is an empty list');
  return out;
}

function oneOf<T extends string>(choices: readonly T[]) {
  return (raw: unknown): T => {
    const t = text(raw);
    const hit = choices.find((c) => c === t.toLowerCase());
    if (hit === undefined) throw new BadValue(`${show(raw)} is not one of ${choices.join(', ')}`);
    return hit;
  };
}

function listOf<T extends string>(choices: readonly T[]) {
  return (raw: unknown): T[] => {
    const out: T[] = [];
    for (const item of list(raw)) {
      const hit = choices.find((c) => c === item.toLowerCase());
      if (hit === undefined) throw new BadValue(`${show(item)} is not one of ${choices.join(', ')}`);
      if (!out.includes(hit)) out.push(hit);
    }
    return out;
  };
}

function positiveInteger(raw: unknown): number {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new BadValue(`${show(raw)} is not a positive integer`);
  if (n > 1024) throw new BadValue(`${show(raw)} is more than 1024`);
  return n;
}

function boolValue(raw: unknown, ctx: ParseCtx): boolean {
  if (typeof raw === 'boolean') return raw;
  if (ctx.layer !== 'file' && typeof raw === 'string') {
    const t = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(t)) return true;
    if (['0', 'false', 'no', 'off'].includes(t)) return false;
  }
  throw new BadValue(`${show(raw)} is not a boolean (${ctx.layer === 'file' ? 'true or false' : 'true/false, 1/0, yes/no, on/off'})`);
}

function rate(raw: unknown): number {
  const x = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(x)) throw new BadValue(`${show(raw)} is not a number`);
  if (x <= -1) throw new BadValue(`${show(raw)} is not a rate above -1 (-100%)`);
  return x;
}

function finiteNumber(raw: unknown): number {
  const x = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(x)) throw new BadValue(`${show(raw)} is not a number`);
  return x;
}

function positiveNumber(raw: unknown): number {
  const x = finiteNumber(raw);
  if (!(x > 0)) throw new BadValue(`${show(raw)} is not a positive number`);
  return x;
}

function fraction(raw: unknown): number {
  const x = finiteNumber(raw);
  if (!(x > 0 && x < 1)) throw new BadValue(`${show(raw)} is not between 0 and 1 (exclusive)`);
  return x;
}

function dateValue(raw: unknown, ctx: ParseCtx): EpochDay {
  // a flag already parsed by the CLI's dateArg arrives as an epoch day
  if (ctx.layer === 'flag' && typeof raw === 'number' && Number.isSafeInteger(raw)) return raw;
  const d = typeof raw === 'string' ? parseIsoDate(raw.trim()) : undefined;
  if (d === undefined) throw new BadValue(`${show(raw)} is not a date (YYYY-MM-DD)`);
  return d;
}

const TTL_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** A cache lifetime: seconds as a number or digits, or digits with a unit s, m, h, d, w ('7d', '12h', '30m'). */
export function parseDuration(raw: unknown): number {
  let secs = NaN;
  if (typeof raw === 'number') secs = raw;
  else if (typeof raw === 'string') {
    const m = /^\s*(\d+)\s*([smhdw]?)\s*$/i.exec(raw);
    if (m) secs = Number(m[1]) * TTL_UNITS[(m[2] || 's').toLowerCase()]!;
  }
  if (!Number.isSafeInteger(secs) || secs < 1) {
    throw new BadValue(`${show(raw)} is not a duration (seconds, or a number with s, m, h, d or w: '7d', '12h', '30m')`);
  }
  return secs;
}

/** '7d' for 604800, '90m' for 5400, '45s' ...: the largest unit that divides exactly. */
export function formatDuration(seconds: number): string {
  for (const u of ['w', 'd', 'h', 'm'] as const) {
    if (seconds % TTL_UNITS[u]! === 0) return `${seconds / TTL_UNITS[u]!}${u}`;
  }
  return `${seconds}s`;
}

function runIdValue(raw: unknown): string {
  const t = text(raw);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(t)) {
    throw new BadValue(`${show(raw)} is not a run id (letters, digits, '.', '_' and '-', starting with a letter or digit, at most 128)`);
  }
  return t;
}

function periodsValue(raw: unknown): PeriodCode[] {
  const joined = Array.isArray(raw) && raw.every((x) => typeof x === 'string') ? raw.join(',') : raw;
  if (typeof joined !== 'string') throw new BadValue(`${show(raw)} is not a list of periods`);
  try {
    return parsePeriodList(joined);
  } catch (err) {
    if (err instanceof UsageError) throw new BadValue(err.message);
    throw err;
  }
}

/** twr, mwr, risk, or risk metric names (docs/metrics.md), with a suggestion for a near miss. */
function metricsValue(raw: unknown): Metric[] {
  const out: Metric[] = [];
  for (const item of list(raw)) {
    const hit = METRICS.find((c) => c === item.toLowerCase());
    if (hit === undefined) {
      const near = suggest(item, METRICS);
      throw new BadValue(`${show(item)} is not one of twr, mwr, risk or a risk metric name${near ? ` (did you mean '${near}'?)` : ''}`);
    }
    if (!out.includes(hit)) out.push(hit);
  }
  return out;
}

/** A size in bytes: digits, optionally with k, m or g (powers of 1024). */
function byteCount(raw: unknown): number {
  const m = typeof raw === 'number' ? [String(raw), String(raw), ''] : typeof raw === 'string' ? /^\s*(\d+)\s*([kmg]?)b?\s*$/i.exec(raw) : null;
  const n = m ? Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase()) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new BadValue(`${show(raw)} is not a size in bytes (e.g. 16m, 500k, 0)`);
  return n;
}

/** Every setting: its parser. The order is the order of `formatConfig`. */
const PARSERS: Record<ConfigKey, Parser> = {
  valuations: pathValue,
  holdings: pathValue,
  cashFlows: pathValue,
  returns: (raw, ctx) => list(raw).map((p) => pathValue(p, ctx)),
  returnsUnit: oneOf(RETURNS_UNITS),
  benchmark: text,
  rfSeries: text,
  rf: rate,
  periods: periodsValue,
  metrics: metricsValue,
  method: oneOf(METHODS),
  flowTiming: oneOf(TIMINGS),
  largeFlow: positiveNumber,
  asOf: dateValue,
  riskFrequency: oneOf(RISK_FREQUENCIES),
  scale: positiveNumber,
  mar: finiteNumber,
  confidence: fraction,
  concurrency: positiveInteger,
  cacheDir: pathValue,
  cache: boolValue,
  cacheTtl: parseDuration,
  out: pathValue,
  format: listOf(FORMATS),
  runId: runIdValue,
  failFast: boolValue,
  quiet: boolValue,
  log: oneOf(LOGS),
  stateDir: pathValue,
  scanThreshold: byteCount,
  source: oneOf(SOURCES),
  sinks: listOf(SINKS),
  table: text,
  tenant: text,
  tsDatabase: text,
  tsTable: text,
};

export const CONFIG_KEYS = Object.keys(PARSERS) as ConfigKey[];

/** Exclusive pairs: a higher layer's choice replaces a lower layer's other member; both in one layer is an error. */
const EXCLUSIVE: readonly [ConfigKey, ConfigKey][] = [
  ['valuations', 'holdings'],
  ['rfSeries', 'rf'],
];

/** Flag keys that are not settings and are ignored here. */
const NON_SETTING_FLAGS = new Set(['config', 'printConfig']);

/** 'cashFlows' -> 'PERFCALC_CASH_FLOWS'. */
export function envName(key: string): string {
  return `PERFCALC_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** 'cashFlows' -> '--cash-flows'. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest known name to `name` (ignoring case, '-' and '_'), if it is close enough to be a typo. */
export function suggest(name: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const n = norm(name);
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(n, norm(k));
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(n.length / 4)) ? best : undefined;
}

/** The options a commander command got from the command line itself (not commander's implicit defaults). */
export function userFlags(cmd: {
  opts(): Record<string, unknown>;
  getOptionValueSource(key: string): string | undefined;
}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cmd.opts())) if (cmd.getOptionValueSource(k) === 'cli') out[k] = v;
  return out;
}

/** A sortable run id: UTC start time to the second, then 6 random hex digits ('20261122T034000Z-a1b2c3'). */
export function newRunId(now: Date, random: () => string = () => randomBytes(3).toString('hex')): string {
  const iso = now.toISOString(); // 2026-11-22T03:40:00.123Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z-${random()}`;
}

export interface ResolveOptions {
  /** Option values from the command line, camelCase (see `userFlags`); undefined values are ignored. */
  flags?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  cwd: string;
  /** Reads a file as UTF-8 text; must reject with code ENOENT for a missing file. */
  readFile: (path: string) => Promise<string>;
  /** Default os.homedir(). */
  home?: string;
  /** Default os.availableParallelism(). */
  cores?: number;
  /** Start time for the default run id; default new Date(). */
  now?: Date;
  /** Random suffix for the default run id. */
  random?: () => string;
}

function isEnoent(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Merges defaults < config file < env < flags into a validated RunConfig; throws UsageError listing every problem. */
export async function resolveRunConfig(opts: ResolveOptions): Promise<ResolvedConfig> {
  const env = opts.env ?? {};
  const flags = opts.flags ?? {};
  const home = opts.home ?? homedir();
  const problems: string[] = [];
  const warnings: string[] = [];
  const layers: Record<Layer, Partial<Record<ConfigKey, unknown>>> = { file: {}, env: {}, flag: {} };

  const take = (layer: Layer, key: ConfigKey, raw: unknown, where: string, base: string) => {
    try {
      layers[layer][key] = PARSERS[key](raw, { layer, base, home });
    } catch (err) {
      if (err instanceof BadValue) problems.push(`${where}: ${err.message}`);
      else throw err;
    }
  };

  // --- config file
  const explicit = flags.config ?? (env.PERFCALC_CONFIG === '' ? undefined : env.PERFCALC_CONFIG);
  let configFile: string | undefined;
  if (explicit !== undefined && (typeof explicit !== 'string' || explicit.trim() === '')) {
    problems.push(`${flags.config !== undefined ? '--config' : 'PERFCALC_CONFIG'}: ${show(explicit)} is not a file name`);
  } else {
    const label = (explicit as string | undefined) ?? CONFIG_FILE_NAME;
    const path = resolve(opts.cwd, label.startsWith('~/') ? join(home, label.slice(2)) : label);
    let body: string | undefined;
    try {
      body = await opts.readFile(path);
    } catch (err) {
      if (!isEnoent(err)) throw new UsageError(`${label}: cannot read the config file: ${(err as Error).message}`);
      if (explicit !== undefined) problems.push(`${label}: config file not found (${path})`);
    }
    if (body !== undefined) {
      configFile = path;
      let data: unknown;
      try {
        data = JSON.parse(body.replace(/^\uFEFF/, ''));
      } catch (err) {
        problems.push(`${label}: not valid JSON: ${(err as Error).message}`);
      }
      if (data !== undefined) {
        if (typeof data !== 'object' || data === null || Array.isArray(data)) {
          problems.push(`${label}: expected a JSON object of settings, like {"concurrency": 4}`);
        } else {
          for (const [k, v] of Object.entries(data)) {
            if (k === '$schema') continue;
            if (!(k in PARSERS)) {
              const s = suggest(k, CONFIG_KEYS);
              problems.push(`${label}: key '${k}' is not a known setting${s ? ` (did you mean '${s}'?)` : ''}`);
              continue;
            }
            if (v === null) continue; // explicit null: leave to the default
            take('file', k as ConfigKey, v, `${label}: key '${k}'`, dirname(path));
          }
        }
      }
    }
  }

  // --- environment
  const envKeys = new Map(CONFIG_KEYS.map((k) => [envName(k), k] as const));
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('PERFCALC_') || value === undefined || value === '') continue;
    const key = envKeys.get(name);
    if (key === undefined) {
      if (name === 'PERFCALC_CONFIG') continue;
      const s = suggest(name.slice('PERFCALC_'.length), CONFIG_KEYS.map((k) => envName(k).slice('PERFCALC_'.length)));
      warnings.push(`${name}: not a perfcalc setting, ignored${s ? ` (did you mean 'PERFCALC_${s}'?)` : ''}`);
      continue;
    }
    take('env', key, value, name, opts.cwd);
  }

  // --- flags
  for (const [k, v] of Object.entries(flags)) {
    if (v === undefined || NON_SETTING_FLAGS.has(k)) continue;
    if (!(k in PARSERS)) {
      const s = suggest(k, CONFIG_KEYS);
      problems.push(`${flagName(k)}: not a run setting${s ? ` (did you mean '${flagName(s)}'?)` : ''}`);
      continue;
    }
    take('flag', k as ConfigKey, v, flagName(k), opts.cwd);
  }

  // --- exclusive pairs
  const order: Layer[] = ['flag', 'env', 'file'];
  const whereOf = (layer: Layer, key: ConfigKey, fileLabel: string) =>
    layer === 'flag' ? flagName(key) : layer === 'env' ? envName(key) : `${fileLabel} key '${key}'`;
  const fileLabel = (flags.config as string | undefined) ?? env.PERFCALC_CONFIG ?? CONFIG_FILE_NAME;
  for (const [a, b] of EXCLUSIVE) {
    const top = order.find((l) => layers[l][a] !== undefined || layers[l][b] !== undefined);
    if (top === undefined) continue;
    if (layers[top][a] !== undefined && layers[top][b] !== undefined) {
      problems.push(`${whereOf(top, a, fileLabel)} and ${whereOf(top, b, fileLabel)} cannot be used together`);
      continue;
    }
    const kept = layers[top][a] !== undefined ? a : b;
    const dropped = kept === a ? b : a;
    for (const l of order.slice(order.indexOf(top) + 1)) {
      if (layers[l][dropped] !== undefined) {
        warnings.push(`${whereOf(l, dropped, fileLabel)} ignored: ${whereOf(top, kept, fileLabel)} replaces it`);
        delete layers[l][dropped];
      }
    }
  }

  // --- dependent settings (checked on the merged layers)
  const topOf = (key: ConfigKey) => order.find((l) => layers[l][key] !== undefined);
  const largeFlowAt = topOf('largeFlow');
  const methodAt = topOf('method');
  if (largeFlowAt !== undefined && (methodAt === undefined || layers[methodAt].method !== 'linked-modified-dietz')) {
    problems.push(`${whereOf(largeFlowAt, 'largeFlow', fileLabel)} applies only to method linked-modified-dietz`);
  }

  if (problems.length > 0) throw new UsageError(problems.join('\n'));

  // --- merge
  const sources = {} as Record<ConfigKey, ConfigSource>;
  const merged: Partial<Record<ConfigKey, unknown>> = {};
  for (const key of CONFIG_KEYS) {
    const layer = order.find((l) => layers[l][key] !== undefined);
    sources[key] = layer ?? 'default';
    if (layer !== undefined) merged[key] = layers[layer][key];
  }
  const stateDir = (merged.stateDir as string | undefined) ?? join(home, '.perfcalc');
  const runId = (merged.runId as string | undefined) ?? newRunId(opts.now ?? new Date(), opts.random);
  const config: RunConfig = {
    ...(merged as Partial<RunConfig>),
    periods: (merged.periods as PeriodCode[] | undefined) ?? [...DEFAULT_PERIODS],
    metrics: (merged.metrics as Metric[] | undefined) ?? [...DEFAULT_METRICS],
    method: (merged.method as ReturnMethod | undefined) ?? 'daily',
    flowTiming: (merged.flowTiming as FlowTiming | undefined) ?? 'end',
    returnsUnit: (merged.returnsUnit as ReturnsUnit | undefined) ?? 'decimal',
    riskFrequency: (merged.riskFrequency as RiskFrequency | undefined) ?? 'monthly',
    mar: (merged.mar as number | undefined) ?? 0,
    confidence: (merged.confidence as number | undefined) ?? 0.95,
    concurrency: (merged.concurrency as number | undefined) ?? Math.max(1, opts.cores ?? availableParallelism()),
    stateDir,
    cacheDir: (merged.cacheDir as string | undefined) ?? join(stateDir, 'cache'),
    cache: (merged.cache as boolean | undefined) ?? true,
    cacheTtl: (merged.cacheTtl as number | undefined) ?? DEFAULT_CACHE_TTL_SECONDS,
    scanThreshold: (merged.scanThreshold as number | undefined) ?? 16 * 1024 * 1024,
    runId,
    out: (merged.out as string | undefined) ?? join(opts.cwd, 'perfcalc-out', runId),
    format: (merged.format as ResultFormat[] | undefined) ?? ['csv'],
    failFast: (merged.failFast as boolean | undefined) ?? false,
    quiet: (merged.quiet as boolean | undefined) ?? false,
    log: (merged.log as LogFormat | undefined) ?? 'text',
    source: (merged.source as SourceKind | undefined) ?? 'csv',
    sinks: (merged.sinks as SinkKind[] | undefined) ?? ['files'],
    table: (merged.table as string | undefined) ?? 'perfcalc',
    tenant: (merged.tenant as string | undefined) ?? 'default',
  };
  return configFile !== undefined ? { config, sources, configFile, warnings } : { config, sources, warnings };
}

function displayValue(key: ConfigKey, v: unknown): string {
  if (v === undefined) return '-';
  if (key === 'asOf') return formatIsoDate(v as number);
  if (key === 'cacheTtl') return formatDuration(v as number);
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

/**
 * The merged settings for `--print-config`. 'text': one line per setting, `name  value  (source)`,
 * unset optional settings shown as '-'; 'json': {"config": {...}, "sources": {...}} with asOf as
 * YYYY-MM-DD and cacheTtl in seconds.
 */
export function formatConfig(r: Pick<ResolvedConfig, 'config' | 'sources'>, format: 'text' | 'json' = 'text'): string {
  if (format === 'json') {
    const config: Record<string, unknown> = {};
    for (const key of CONFIG_KEYS) {
      const v = r.config[key];
      config[key] = v === undefined ? null : key === 'asOf' ? formatIsoDate(v as number) : v;
    }
    return `${JSON.stringify({ config, sources: r.sources }, null, 2)}\n`;
  }
  const rows = CONFIG_KEYS.map((key) => [key, displayValue(key, r.config[key]), `(${r.sources[key]})`] as const);
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  return rows.map(([k, v, s]) => `${k.padEnd(w0)}  ${v.padEnd(w1)}  ${s}`.trimEnd()).join('\n') + '\n';
}

function describeSource(r: Pick<ResolvedConfig, 'sources'>, key: ConfigKey): string {
  const s = r.sources[key];
  return s === 'flag' ? flagName(key) : s === 'env' ? envName(key) : s === 'file' ? `config file key '${key}'` : key;
}

/**
 * The checks `perfcalc run` makes before computing (not made by `resolveRunConfig`, so that
 * `--print-config` works on an incomplete setup): with source csv, returns metrics need
 * valuations or holdings; a benchmark or risk-free series needs returns files to come from.
 * Throws UsageError listing every problem.
 */
export function requireRunInputs(r: Pick<ResolvedConfig, 'config' | 'sources'>): void {
  const c = r.config;
  const problems: string[] = [];
  if (c.source === 'csv') {
    if (c.valuations === undefined && c.holdings === undefined) {
      problems.push(
        `no portfolio data: give --valuations or --holdings (or 'valuations' in ${CONFIG_FILE_NAME}, or ${envName('valuations')})`,
      );
    }
    for (const key of ['benchmark', 'rfSeries'] as const) {
      if (c[key] !== undefined && c.returns === undefined) {
        problems.push(`${describeSource(r, key)} names a series, but no --returns file was given to read it from`);
      }
    }
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
}
