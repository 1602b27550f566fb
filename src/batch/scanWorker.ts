/**
 * Worker-thread entry of `runGroupedScan` (scanWorkers.ts): scans one byte range of a grouped
 * valuations file and runs the task module's `handleGroup` on each portfolio here, posting back
 * only its (structured-cloned) result, batched a few dozen to a message.
 *
 * Line numbers: the worker of the first range knows its first line; the others learn theirs
 * (a `base` message) once every earlier range has reported its line count. Until then a group
 * whose result could name a line is re-scanned, with absolute lines, when the base is known: a
 * group with problems is not handled at all; a group with a currency (whose line a cross-file
 * check may quote) is handled, and re-scanned only when the task's `linesMatter(result)` says
 * the result names a line (a task without `linesMatter` gets every such group re-scanned).
 *
 * The scan begins at once; the groups it finds before the task options (the cash flows) have
 * arrived are held, up to BACKLOG_BYTES, and handled when they come.
 *
 * This file uses only erasable TypeScript and imports no project module statically: run from
 * the sources (tests), it first registers module hooks that map the project's `.js` specifiers
 * to `.ts` files and compile them with esbuild; built into dist/ it is plain JavaScript.
 */
import { parentPort, workerData } from 'node:worker_threads';

/** What runGroupedScan passes to each worker. */
interface ScanWorkerInput {
  path: string;
  start: number;
  end: number;
  /** Physical line at `start`, or null when not known yet. */
  firstLine: number | null;
  taskModule: string;
  taskOptions: unknown;
  /** The task options come later, in an 'options' message (the main thread was still preparing them). */
  taskOptionsLater?: boolean;
  digest: string;
}

interface TaskModule {
  init?: (taskOptions: unknown) => unknown;
  handleGroup: (group: unknown, taskOptions: unknown, context: unknown) => unknown;
  finish?: (taskOptions: unknown, context: unknown) => unknown;
  linesMatter?: (result: unknown) => boolean;
}

/** Rows scanned ahead while the task options are on their way: at most this many bytes of them (8-byte value + 4-byte date a row); 24 MB cost ~40 MB of peak RSS here (freed blocks stay with the allocator), for ~20-40 ms. */
const BACKLOG_BYTES = 8 << 20;
const ROW_BYTES = 12;
/** Results batched into one message (~10 ms of a worker's work on the bench; progress stays smooth). */
const RESULTS_PER_MESSAGE = 32;

interface GroupLike {
  portfolioId: string;
  rows: number;
  problemTotal: number;
  currency: string | undefined;
  linesKnown: boolean;
  byteStart: number;
  byteEnd: number;
  firstLine: number;
}

async function registerSourceHooks(): Promise<void> {
  const mod = await import('node:module');
  const fs = await import('node:fs');
  const url = await import('node:url');
  const esbuildName = 'esbuild';
  const esbuild = (await import(esbuildName)) as {
    transformSync(code: string, options: Record<string, unknown>): { code: string };
  };
  mod.registerHooks({
    resolve(specifier, context, nextResolve) {
      const parent = context.parentURL;
      if (parent !== undefined && parent.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
        const target = new URL(specifier, parent);
        if (!fs.existsSync(target)) {
          const ts = new URL(`${target.href.slice(0, -3)}.ts`);
          if (fs.existsSync(ts)) return { url: ts.href, shortCircuit: true };
        }
      }
      return nextResolve(specifier, context);
    },
    load(href, context, nextLoad) {
      if (href.startsWith('file:') && href.endsWith('.ts')) {
        const file = url.fileURLToPath(href);
        const out = esbuild.transformSync(fs.readFileSync(file, 'utf8'), {
          loader: 'ts',
          format: 'esm',
          target: 'node22',
          sourcefile: file,
          sourcemap: 'inline',
        });
        return { format: 'module', source: out.code, shortCircuit: true };
      }
      return nextLoad(href, context);
    },
  });
}

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('scanWorker must run in a worker thread');
  const input = workerData as ScanWorkerInput;
  let base: number | undefined = input.firstLine ?? undefined;
  let baseWaiter: ((n: number) => void) | undefined;
  let optionsWaiter: ((o: unknown) => void) | undefined;
  const optionsLater = input.taskOptionsLater ? new Promise<unknown>((resolve) => (optionsWaiter = resolve)) : undefined;
  port.on('message', (m: { type: string; firstLine: number; taskOptions?: unknown }) => {
    if (m.type === 'base') {
      base = m.firstLine;
      baseWaiter?.(m.firstLine);
    } else if (m.type === 'options') {
      optionsWaiter?.(m.taskOptions);
    }
  });
  try {
    if (import.meta.url.endsWith('.ts')) await registerSourceHooks();
    const { scanValuationGroups } = await import('../storage/csv/fastGroups.js');
    const task = (await import(input.taskModule)) as TaskModule;
    // no module is being evaluated from here on: the main thread may terminate this thread (see scanWorkers.ts)
    port.postMessage({ type: 'loaded' });
    if (typeof task.handleGroup !== 'function') throw new Error(`${input.taskModule} does not export handleGroup`);
    // The scan starts before the task options (the run's cash flows, read on the main thread)
    // arrive: groups scanned meanwhile wait in `backlog` (each owns its arrays), up to
    // BACKLOG_BYTES of rows, and only then does the scan wait too.
    let ready = false;
    let context: unknown;
    const starting = (async () => {
      if (optionsLater) input.taskOptions = await optionsLater;
      context = task.init ? await task.init(input.taskOptions) : undefined;
      ready = true;
    })();
    starting.catch(() => undefined); // awaited below; a failure surfaces there
    // results go to the main thread a few dozen to a message: one wake-up of its event loop each, not one per portfolio
    let outbox: Array<{ portfolioId: string; result: unknown }> = [];
    const sendResults = (): void => {
      if (outbox.length === 0) return;
      port.postMessage({ type: 'results', results: outbox });
      outbox = [];
    };
    const pending: Array<{ start: number; end: number; relLine: number }> = [];
    // a group to scan again once its range's first line is known
    const holdBack = (g: GroupLike): void => {
      pending.push({ start: g.byteStart, end: g.byteEnd, relLine: g.firstLine });
    };
    const backlog: GroupLike[] = [];
    let backlogBytes = 0;
    const drainBacklog = async (): Promise<void> => {
      await starting;
      while (backlog.length > 0) {
        const g = backlog.shift()!;
        backlogBytes -= g.rows * ROW_BYTES;
        const result = await task.handleGroup(g, input.taskOptions, context);
        if (!g.linesKnown && g.currency !== undefined && task.linesMatter!(result)) {
          holdBack(g);
          continue;
        }
        outbox.push({ portfolioId: g.portfolioId, result });
        if (outbox.length >= RESULTS_PER_MESSAGE) sendResults();
      }
    };
    const handle = async (g: GroupLike): Promise<void> => {
      if (!g.linesKnown && (g.problemTotal > 0 || (g.currency !== undefined && task.linesMatter === undefined))) {
        holdBack(g);
        return;
      }
      backlog.push(g);
      backlogBytes += g.rows * ROW_BYTES;
      if (!ready && backlogBytes < BACKLOG_BYTES) return;
      await drainBacklog();
    };
    const digest = input.digest as 'sha256';
    const outcome = await scanValuationGroups(
      input.path,
      { start: input.start, end: input.end, firstLine: base },
      handle,
      { digest },
    );
    if (!outcome.grouped) {
      port.postMessage({ type: 'not-grouped', reason: outcome.reason });
      return;
    }
    sendResults();
    port.postMessage({ type: 'lines', lines: outcome.lines });
    await drainBacklog();
    if (pending.length > 0) {
      const known = base ?? (await new Promise<number>((resolve) => (baseWaiter = resolve)));
      for (const p of pending) {
        const again = await scanValuationGroups(
          input.path,
          { start: p.start, end: p.end, firstLine: known + p.relLine - 1 },
          handle,
          { digest },
        );
        if (!again.grouped) throw new Error(`re-scan of bytes ${p.start}-${p.end} failed: ${again.reason}`);
      }
    }
    const warning = task.finish ? await task.finish(input.taskOptions, context) : undefined;
    sendResults();
    port.postMessage({ type: 'done', ids: outcome.ids, groups: outcome.groups, rows: outcome.rows, warning: typeof warning === 'string' ? warning : undefined });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    port.postMessage({ type: 'error', message: e.message, stack: e.stack });
  }
}

// Not a top-level await: this module's own evaluation ends here, so that a terminate() after the
// last message cannot meet it finishing (see scanWorkers.ts).
void main();
