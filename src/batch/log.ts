/**
 * Batch run logging to stderr, as text for people or as JSON lines for machines (`--log json`).
 *
 * JSON line shape (one object per line, keys in this order):
 *   {"level":"warn","msg":"portfolio failed","time":"2026-11-22T03:00:00.000Z","run_id":"...", ...fields}
 * `time` is ISO-8601 UTC from the injectable clock. Fields may not replace level, msg, time or
 * run_id (such a field is written as `field_<name>`); Error values become {name, message};
 * bigint becomes a string; non-finite numbers become null (JSON has no NaN).
 *
 * Text lines: `perfcalc: [warning: |error: |debug: ]msg key=value ...`; warning and error
 * prefixes are coloured only where `colourAllowed` (a TTY, NO_COLOR unset, TERM not dumb).
 *
 * Levels: debug < info < warn < error; the default threshold is info, and `quiet` raises it to
 * warn (warnings and errors always show).
 */
import { colourAllowed } from '../output/format.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'text' | 'json';
export type LogFields = Record<string, unknown>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const RESERVED = new Set(['level', 'msg', 'time', 'run_id']);

export interface LogStream {
  write(text: string): unknown;
  isTTY?: boolean;
  /** Terminal width; a TTY that reports 0 (some ptys) gets no spinner. */
  columns?: number;
}

export interface Logger {
  readonly format: LogFormat;
  readonly runId: string;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Whether a line at `level` would be written. */
  enabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  format: LogFormat;
  runId: string;
  stream: LogStream;
  /** ms since the epoch; default Date.now. */
  clock?: () => number;
  quiet?: boolean;
  /** Minimum level (default 'info', or 'warn' when quiet). */
  level?: LogLevel;
  env?: NodeJS.ProcessEnv;
  /**
   * Wraps each write, e.g. `(write) => progress.pause(write)` so a spinner line is cleared
   * before a log line and redrawn after it.
   */
  around?: (write: () => void) => void;
}

function jsonSafe(v: unknown): unknown {
  if (v instanceof Error) return { name: v.name, message: v.message };
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  return v;
}

/** One JSON log line (with trailing newline). */
export function jsonLogLine(level: LogLevel, msg: string, time: number, runId: string, fields: LogFields = {}): string {
  const rec: Record<string, unknown> = { level, msg, time: new Date(time).toISOString(), run_id: runId };
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    rec[RESERVED.has(k) ? `field_${k}` : k] = jsonSafe(v);
  }
  return `${JSON.stringify(rec, (_k, v) => jsonSafe(v))}\n`;
}

function textValue(v: unknown): string {
  const s = jsonSafe(v);
  if (typeof s === 'string') return /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s);
  return JSON.stringify(s) ?? String(s);
}

/** One text log line (with trailing newline). */
export function textLogLine(level: LogLevel, msg: string, fields: LogFields = {}, colour = false): string {
  const paint = (code: number, s: string) => (colour ? `\u001b[${code}m${s}\u001b[39m` : s);
  const prefix = level === 'warn' ? paint(33, 'warning: ') : level === 'error' ? paint(31, 'error: ') : level === 'debug' ? 'debug: ' : '';
  const kv = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}=${textValue(v)}`)
    .join('');
  return `perfcalc: ${prefix}${msg}${kv}\n`;
}

export function createLogger(opts: LoggerOptions): Logger {
  const clock = opts.clock ?? Date.now;
  const threshold = RANK[opts.level ?? (opts.quiet ? 'warn' : 'info')];
  const colour = colourAllowed(opts.stream, opts.env ?? process.env);
  const around = opts.around ?? ((w: () => void) => w());
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (RANK[level] < threshold) return;
    const line =
      opts.format === 'json' ? jsonLogLine(level, msg, clock(), opts.runId, fields) : textLogLine(level, msg, fields, colour);
    around(() => opts.stream.write(line));
  };
  return {
    format: opts.format,
    runId: opts.runId,
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    enabled: (level) => RANK[level] >= threshold,
  };
}
