/**
 * Grouped valuations scan on worker threads. `runGroupedScan` splits a plain valuations file
 * into byte ranges, scans each in a worker (scanWorker.ts) and runs the task module's
 * `handleGroup(group, taskOptions, context)` inside that worker for every portfolio; only the
 * results travel back (structured clone) to `onResult`.
 *
 * Range boundaries are moved forward to the first line of a portfolio (the line where the
 * portfolio id changes), so no portfolio straddles two ranges and each group is handled once,
 * by one worker, with all its rows: the results do not depend on the number of workers or on
 * where the split points fall.
 *
 * `{ grouped: false }` means the file is not for this path (a portfolio's rows are not
 * contiguous, in one range or across ranges; a file-level problem; a missing column; a file the
 * plain scanner hands back): the caller must discard the results it was given and use the
 * whole-file loader (loadPortfoliosFast / loadPortfolios), which gives the full answer or the
 * InputError.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { headerKey } from '../storage/csv/csvTable.js';
import type { GroupDigest, NotGroupedReason } from '../storage/csv/fastGroups.js';
import { readPlainHeader, type PlainHeader } from '../storage/csv/fastScan.js';

/**
 * A task module runs in each worker: `handleGroup` receives a ValuationGroup
 * (storage/csv/fastGroups.ts), the taskOptions and what `init` returned (once per worker).
 * Its return value must be structured-cloneable. An exception fails the whole scan, so catch
 * per-portfolio failures inside and return them as results.
 */
export interface GroupTaskModule {
  init?(taskOptions: unknown): unknown;
  handleGroup(group: import('../storage/csv/fastGroups.js').ValuationGroup, taskOptions: unknown, context: unknown): unknown;
  /** Called once after the worker's last group (before it reports done); a string it returns is passed to onWarning. */
  finish?(taskOptions: unknown, context: unknown): unknown;
  /**
   * Whether a result may quote a line number of the group (its error messages do). Without it,
   * a group with a currency in a range whose first line is not known yet is re-scanned later
   * instead of handled (see scanWorker.ts).
   */
  linesMatter?(result: unknown): boolean;
}

export interface GroupedScanOptions {
  /** The valuations file (plain layout). */
  path: string;
  /** Worker threads (at least 1; fewer are used when the file has fewer portfolios). */
  workers: number;
  /** The task module (see GroupTaskModule): a URL, a file: URL string or a file path. */
  taskModule: URL | string;
  /**
   * Passed to init and handleGroup in every worker (structured-cloned). A promise is awaited while
   * the workers start (their module loading overlaps the work behind it), then posted to them; a
   * function is called once the workers have been created (so that main-thread work it starts
   * does not hold back their creation) and its promise treated so. A rejection fails the scan
   * with its error.
   */
  taskOptions?: unknown;
  /** Called on the main thread with each group's result, in arrival order (not file order). */
  onResult(result: unknown, portfolioId: string): void;
  /** Digest of each group's bytes (default sha256). */
  digest?: GroupDigest;
  /** Byte offsets to split at instead of equal parts (each moved to the next portfolio's first line). */
  splitAt?: number[];
  /**
   * Called once every worker thread has been created and has been sent its task options (when
   * they are a promise: once it resolved). Main-thread work started here no longer holds back
   * the workers' start.
   */
  onStarted?(): void;
  /** A warning a worker's task `finish` returned (e.g. a cache it could not save). */
  onWarning?(message: string): void;
}

export type GroupedScanResult =
  | {
      grouped: true;
      /** Portfolios handled and data records read. */
      groups: number;
      rows: number;
      /** The byte ranges the workers scanned. */
      ranges: Array<{ start: number; end: number }>;
    }
  | { grouped: false; reason: NotGroupedReason };

type WorkerMessage =
  | { type: 'loaded' }
  | { type: 'results'; results: Array<{ portfolioId: string; result: unknown }> }
  | { type: 'lines'; lines: number }
  | { type: 'done'; ids: string[]; groups: number; rows: number; warning?: string }
  | { type: 'not-grouped'; reason: NotGroupedReason }
  | { type: 'error'; message: string; stack?: string };

const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './scanWorker.ts' : './scanWorker.js', import.meta.url);

/** Reads lines forward from a file offset through a window buffer. */
class LineReader {
  private buf = Buffer.allocUnsafe(65536);
  private bufStart = 0;
  private bufLen = 0;

  constructor(
    private readonly fh: FileHandle,
    private readonly size: number,
  ) {}

  /** The line starting at `pos` (without its LF) and the next line's start; undefined at the end. */
  async lineAt(pos: number): Promise<{ bytes: Buffer; next: number } | undefined> {
    if (pos >= this.size) return undefined;
    for (;;) {
      if (pos >= this.bufStart && pos < this.bufStart + this.bufLen) {
        const nl = this.buf.indexOf(10, pos - this.bufStart);
        if (nl >= 0 && nl < this.bufLen) {
          return { bytes: this.buf.subarray(pos - this.bufStart, nl), next: this.bufStart + nl + 1 };
        }
        if (this.bufStart + this.bufLen >= this.size) {
          return { bytes: this.buf.subarray(pos - this.bufStart, this.bufLen), next: this.size };
        }
        if (pos === this.bufStart) this.buf = Buffer.allocUnsafe(this.buf.length * 2);
      }
      const { bytesRead } = await this.fh.read(this.buf, 0, this.buf.length, pos);
      this.bufStart = pos;
      this.bufLen = bytesRead;
      if (bytesRead === 0) return undefined;
    }
  }
}

/** The trimmed text of field `col` of a line (CR before the LF removed). */
function fieldText(line: Buffer, col: number): string {
  let end = line.length;
  if (end > 0 && line[end - 1] === 13) end--;
  let s = 0;
  for (let f = 0; f < col; f++) {
    const c = line.indexOf(44, s);
    if (c < 0 || c >= end) return '';
    s = c + 1;
  }
  let e = line.indexOf(44, s);
  if (e < 0 || e > end) e = end;
  return line.toString('utf8', s, e).trim();
}

/**
 * The start of the first line at or after `target` that begins a portfolio (its id differs from
 * the previous line's), or the file size.
 */
async function groupStartAfter(reader: LineReader, header: PlainHeader, pidCol: number, target: number): Promise<number> {
  if (target <= header.dataStart) return header.dataStart;
  if (target >= header.size) return header.size;
  const before = await reader.lineAt(target - 1);
  if (before === undefined) return header.size;
  // `before` runs from target - 1 to the end of its line, so `next` is the first line start >= target.
  let pos = before.next;
  let id: string | undefined;
  for (;;) {
    const line = await reader.lineAt(pos);
    if (line === undefined) return header.size;
    const empty = line.bytes.length === 0 || (line.bytes.length === 1 && line.bytes[0] === 13);
    if (!empty) {
      const lineId = fieldText(line.bytes, pidCol);
      if (id === undefined) id = lineId;
      else if (lineId !== id) return pos;
    }
    pos = line.next;
  }
}

/** Splits a file's data bytes into ranges that each start at a portfolio's first line. */
export async function groupRanges(
  path: string,
  parts: number,
  splitAt?: number[],
): Promise<{ header: PlainHeader; ranges: Array<{ start: number; end: number }> } | undefined> {
  const fh = await open(path, 'r');
  try {
    const header = await readPlainHeader(fh);
    if (header === undefined) return undefined;
    const pidCol = header.fields.findIndex((f) => headerKey(f) === 'portfolio_id');
    if (pidCol < 0) return { header, ranges: [] };
    const span = header.size - header.dataStart;
    const targets = splitAt ?? Array.from({ length: Math.max(0, parts - 1) }, (_, k) => header.dataStart + Math.floor((span * (k + 1)) / parts));
    const reader = new LineReader(fh, header.size);
    const bounds = [header.dataStart];
    for (const t of [...targets].sort((a, b) => a - b)) {
      const b = await groupStartAfter(reader, header, pidCol, t);
      bounds.push(Math.max(b, bounds[bounds.length - 1] as number));
    }
    bounds.push(header.size);
    const ranges: Array<{ start: number; end: number }> = [];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const start = bounds[i] as number;
      const end = bounds[i + 1] as number;
      if (end > start) ranges.push({ start, end });
    }
    return { header, ranges };
  } finally {
    await fh.close();
  }
}

/** Runs the grouped scan on worker threads; see the module comment. */
export async function runGroupedScan(opts: GroupedScanOptions): Promise<GroupedScanResult> {
  // handled below once the workers exist; a scan that ends before that must not leave it unhandled
  if (opts.taskOptions instanceof Promise) opts.taskOptions.catch(() => undefined);
  let split: Awaited<ReturnType<typeof groupRanges>>;
  try {
    split = await groupRanges(opts.path, Math.max(1, Math.floor(opts.workers)), opts.splitAt);
  } catch {
    return { grouped: false, reason: 'unsupported' };
  }
  if (split === undefined) return { grouped: false, reason: 'unsupported' };
  const { header, ranges } = split;
  if (!header.fields.some((f) => headerKey(f) === 'portfolio_id')) return { grouped: false, reason: 'header' };
  if (ranges.length === 0) return { grouped: false, reason: 'unsupported' };
  const taskModule =
    opts.taskModule instanceof URL
      ? opts.taskModule.href
      : /^(file|data):/.test(opts.taskModule)
        ? opts.taskModule
        : pathToFileURL(resolve(opts.taskModule)).href;
  const n = ranges.length;
  const later = opts.taskOptions instanceof Promise || typeof opts.taskOptions === 'function';
  const workers: Worker[] = [];
  const firstLines: Array<number | undefined> = new Array(n).fill(undefined);
  const lineCounts: Array<number | undefined> = new Array(n).fill(undefined);
  const ids: string[][] = new Array(n);
  firstLines[0] = header.line + 1;
  let groups = 0;
  let rows = 0;
  let finished = 0;

  return await new Promise<GroupedScanResult>((resolve, reject) => {
    let settled = false;
    // A worker is terminated only once its modules are loaded ('loaded', or 'error'/'done', which
    // come after): terminating a thread while V8 is still evaluating an ES module graph with a
    // top-level await (the task module's digest.ts) can abort the whole process (seen with Node
    // 22.23: "Check failed: (location_) != nullptr" in SourceTextModule::AsyncModuleExecutionFulfilled,
    // SIGTRAP, about 1 run in 100 of a scan that finds the file not grouped on its first block).
    const loaded: boolean[] = new Array(n).fill(false);
    const stopWanted: boolean[] = new Array(n).fill(false);
    const stop = (k: number): void => {
      if (loaded[k]) void workers[k]?.terminate();
      else stopWanted[k] = true;
    };
    const stopAll = (): void => {
      for (let k = 0; k < workers.length; k++) stop(k);
    };
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      stopAll();
      reject(err);
    };
    const settle = (r: GroupedScanResult): void => {
      if (settled) return;
      settled = true;
      stopAll();
      resolve(r);
    };
    const passBases = (): void => {
      for (let k = 0; k + 1 < n; k++) {
        const first = firstLines[k];
        const count = lineCounts[k];
        if (first !== undefined && count !== undefined && firstLines[k + 1] === undefined) {
          firstLines[k + 1] = first + count;
          workers[k + 1]?.postMessage({ type: 'base', firstLine: first + count });
        }
      }
    };
    const finish = (): void => {
      const seen = new Set<string>();
      for (const list of ids) {
        for (const id of list) {
          if (seen.has(id)) return settle({ grouped: false, reason: 'not-grouped' });
          seen.add(id);
        }
      }
      settle({ grouped: true, groups, rows, ranges });
    };
    ranges.forEach((range, k) => {
      const w = new Worker(WORKER_URL, {
        workerData: {
          path: opts.path,
          start: range.start,
          end: range.end,
          firstLine: k === 0 ? (firstLines[0] as number) : null,
          taskModule,
          taskOptions: later ? undefined : opts.taskOptions,
          taskOptionsLater: later,
          digest: opts.digest ?? 'sha256',
        },
      });
      workers.push(w);
      let done = false;
      w.on('message', (m: WorkerMessage) => {
        if (m.type === 'loaded' || m.type === 'error' || m.type === 'done') {
          loaded[k] = true;
          if (stopWanted[k]) void w.terminate();
        }
        if (settled) return;
        switch (m.type) {
          case 'results':
            try {
              for (const r of m.results) {
                if (settled) break;
                opts.onResult(r.result, r.portfolioId);
              }
            } catch (err) {
              fail(err as Error);
            }
            break;
          case 'lines':
            lineCounts[k] = m.lines;
            passBases();
            break;
          case 'done':
            done = true;
            if (m.warning !== undefined) opts.onWarning?.(m.warning);
            ids[k] = m.ids;
            groups += m.groups;
            rows += m.rows;
            stop(k);
            if (++finished === n) finish();
            break;
          case 'not-grouped':
            settle({ grouped: false, reason: m.reason });
            break;
          case 'error': {
            const err = new Error(`scan worker ${k}: ${m.message}`);
            if (m.stack !== undefined) err.stack = m.stack;
            fail(err);
            break;
          }
        }
      });
      w.on('error', (err) => fail(err));
      w.on('exit', (code) => {
        if (!done && !settled) fail(new Error(`scan worker ${k} exited (code ${code}) before finishing`));
      });
    });
    passBases();
    if (!later) opts.onStarted?.();
    else {
      const options = opts.taskOptions;
      (typeof options === 'function' ? Promise.resolve().then(options as () => unknown) : (options as Promise<unknown>)).then(
        (taskOptions) => {
          if (settled) return;
          for (const w of workers) w.postMessage({ type: 'options', taskOptions });
          opts.onStarted?.();
        },
        (err: unknown) => fail(err instanceof Error ? err : new Error(String(err))),
      );
    }
  });
}
