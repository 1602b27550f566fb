/**
 * Progress of a batch over `total` portfolios, on stderr.
 *
 * - Text log on a TTY (and not quiet): an ora spinner whose text is
 *   `1234/10000 portfolios, 2 failed, 512/s, ETA 17s`, changed at most once per `minIntervalMs`
 *   (default 250 ms, i.e. at most 4 updates a second; ora animates the frame on its own timer).
 *   `finish` stops the spinner and prints the one-line summary.
 * - Text log without a TTY (cron): nothing while running; `finish` prints the summary line.
 * - JSON log (`--log json`): no spinner; a 'progress' info line at most once per
 *   `jsonIntervalMs` (default 10 s) and a 'run finished' line at the end, through the logger, so
 *   every line carries the run id.
 * - quiet: no spinner and no summary (JSON: the logger's quiet threshold drops info lines).
 * Colour only where allowed (NO_COLOR, TERM=dumb, not a TTY turn it off).
 * Rate = done / elapsed seconds since creation; ETA = remaining / rate. The clock (ms, monotonic
 * is best) is injectable, as is the spinner, for tests.
 */
import { colourAllowed } from '../output/format.js';
import type { LogFormat, Logger, LogStream } from './log.js';

/** The little of a spinner that progress uses (ora's Ora satisfies it). */
export interface Spinner {
  text: string;
  start(): unknown;
  stop(): unknown;
  clear(): unknown;
  render(): unknown;
}

export type SpinnerFactory = (opts: { stream: LogStream; text: string; colour: boolean }) => Spinner;

/**
 * An ora spinner, with ora loaded on first use: importing it costs ~50 ms here, which every run
 * without a TTY (cron, CI, the bench) would pay for nothing. Until the import resolves the
 * spinner only remembers its text and state; it then starts drawing if it was started and not
 * stopped meanwhile.
 */
export const oraSpinner: SpinnerFactory = ({ stream, text, colour }) => {
  let real: Spinner | undefined;
  let current = text;
  let started = false;
  let stopped = false;
  void import('ora').then(
    ({ default: ora }) => {
      if (stopped) return;
      real = ora({ text: current, stream: stream as NodeJS.WritableStream, isEnabled: true, color: colour ? 'cyan' : false, discardStdin: false });
      if (started) real.start();
    },
    () => undefined, // no spinner, the run goes on
  );
  return {
    get text() {
      return current;
    },
    set text(t: string) {
      current = t;
      if (real) real.text = t;
    },
    start() {
      started = true;
      return real?.start();
    },
    stop() {
      stopped = true;
      return real?.stop();
    },
    clear() {
      return real?.clear();
    },
    render() {
      return real?.render();
    },
  };
};

export interface ProgressOptions {
  total: number;
  stream: LogStream;
  log?: LogFormat;
  /** Required for log 'json'. */
  logger?: Logger;
  quiet?: boolean;
  /** ms; default performance.now. */
  clock?: () => number;
  env?: NodeJS.ProcessEnv;
  minIntervalMs?: number;
  jsonIntervalMs?: number;
  /** What is counted (default 'portfolios'). */
  unit?: string;
  spinner?: SpinnerFactory;
}

export interface ProgressSummary {
  total: number;
  done: number;
  succeeded: number;
  failed: number;
  elapsedMs: number;
  /** Items per second over the whole run (0 when no time has passed). */
  rate: number;
}

export interface Progress {
  /** Counts `n` finished items (failed ones with outcome 'failed'); redraws if the throttle allows. */
  tick(outcome?: 'ok' | 'failed', n?: number): void;
  /**
   * Runs `write` with the spinner line cleared, then redraws it (for log lines during a run).
   * ora 9 also does this by itself for writes to the stream it spins on and to process.stdout and
   * stderr; `pause` keeps any other Spinner honest.
   */
  pause(write: () => void): void;
  /** Stops the display, prints the summary (unless quiet) and returns it; `extra` fields are appended. */
  finish(extra?: Record<string, number | string>): ProgressSummary;
  /** The status text as it would be shown now. */
  statusText(): string;
}

/** '17s', '2m 05s', '1h 02m'; '--' when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A rate with 3 significant figures at most, no exponent: 512, 51.2, 0.512. */
export function formatRate(r: number): string {
  if (!Number.isFinite(r) || r <= 0) return '0';
  if (r >= 100) return String(Math.round(r));
  return String(Number(r.toPrecision(3)));
}

export function createProgress(opts: ProgressOptions): Progress {
  const clock = opts.clock ?? (() => performance.now());
  const unit = opts.unit ?? 'portfolios';
  const minInterval = opts.minIntervalMs ?? 250;
  const jsonInterval = opts.jsonIntervalMs ?? 10_000;
  const json = opts.log === 'json';
  if (json && opts.logger === undefined) throw new TypeError('createProgress: log json needs a logger');
  const started = clock();
  let done = 0;
  let failed = 0;
  let lastDraw = -Infinity;
  let finished = false;

  // A TTY that reports 0 columns (a pty nobody sized) makes ora erase "infinitely many" wrapped lines
  // on every frame (measured: tens of MB of escape codes); such a terminal gets the cron summary instead.
  const spinning = !json && !opts.quiet && Boolean(opts.stream.isTTY) && (opts.stream.columns === undefined || opts.stream.columns > 0);
  const colour = colourAllowed(opts.stream, opts.env ?? process.env);
  const status = (): string => {
    const elapsed = (clock() - started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const eta = done >= opts.total ? 0 : rate > 0 ? (opts.total - done) / rate : NaN;
    const fails = failed > 0 ? `, ${failed} failed` : '';
    return `${done}/${opts.total} ${unit}${fails}, ${formatRate(rate)}/s, ETA ${formatDuration(eta)}`;
  };
  const spinner = spinning ? (opts.spinner ?? oraSpinner)({ stream: opts.stream, text: status(), colour }) : undefined;
  spinner?.start();
  lastDraw = clock();

  const summarise = (): ProgressSummary => {
    const elapsedMs = clock() - started;
    return { total: opts.total, done, succeeded: done - failed, failed, elapsedMs, rate: elapsedMs > 0 ? done / (elapsedMs / 1000) : 0 };
  };

  return {
    tick(outcome = 'ok', n = 1) {
      done += n;
      if (outcome === 'failed') failed += n;
      const now = clock();
      if (spinner) {
        if (now - lastDraw >= minInterval) {
          lastDraw = now;
          spinner.text = status();
        }
      } else if (json && now - lastDraw >= jsonInterval) {
        lastDraw = now;
        const s = summarise();
        opts.logger!.info('progress', { done, total: opts.total, failed, rate: Number(formatRate(s.rate)) });
      }
    },
    pause(write) {
      if (!spinner || finished) return write();
      spinner.clear();
      write();
      spinner.render();
    },
    statusText: status,
    finish(extra = {}) {
      const s = summarise();
      if (finished) return s;
      finished = true;
      spinner?.stop();
      if (json) {
        opts.logger!.info('run finished', { done, total: opts.total, succeeded: s.succeeded, failed, elapsed_ms: Math.round(s.elapsedMs), rate: Number(formatRate(s.rate)), ...extra });
      } else if (!opts.quiet) {
        const kv = Object.entries(extra).map(([k, v]) => `, ${k} ${v}`).join('');
        opts.stream.write(
          `perfcalc: ${done}/${opts.total} ${unit} in ${(s.elapsedMs / 1000).toFixed(1)} s (${s.succeeded} ok, ${failed} failed), ${formatRate(s.rate)}/s${kv}\n`,
        );
      }
      return s;
    },
  };
}
