/**
 * The local-files sink of `perfcalc run`: results.csv and/or results.json, errors.csv and
 * summary.json in the run's output directory. Each file is written to a temp file and renamed,
 * so it appears complete or not at all; summary.json is written last, so its presence means the
 * run's files are all there.
 */
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { removeStaleTemps, writeFileAtomic } from '../../output/atomicWrite.js';
import { RESULT_COLUMNS, type PortfolioError, type RunResultRow } from '../../batch/runBatch.js';
import type { ResultSink } from '../types.js';
import { compareIds } from '../../ids.js';

export type ResultFileFormat = 'csv' | 'json';

function csvValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  return String(v);
}

const NEEDS_QUOTES = /[",\n]/;

/**
 * One CSV field as csv-stringify writes it with record_delimiter '\n' (quoted when it holds a
 * comma, a quote or a LF, quotes doubled; a lone CR is left bare, as csv-stringify does). results.csv is formatted here rather than through
 * csv-stringify because it is the one large file of a run (80,000 rows for the nightly bench):
 * building the row arrays for csv-stringify and its per-field casting cost ~0.45 s of the warm
 * rerun's ~2 s here, this loop ~0.06 s. A property test holds the two to the same bytes.
 */
export function csvField(v: unknown): string {
  const s = csvValue(v);
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** results.csv: one row per portfolio x period x metric, full float precision, null as an empty cell. */
export function resultsCsv(rows: readonly RunResultRow[]): string {
  return `${RESULT_COLUMNS.join(',')}\n${resultsCsvLines(rows)}`;
}

/** The UTF-8 bytes of each row array's lines (a run's row arrays are never changed once made). */
const formatted = new WeakMap<readonly RunResultRow[], Buffer>();

/**
 * resultsCsvLines' bytes, remembered for the array: the files sink formats a portfolio's rows
 * when they are prepared (while the scan workers run) and at the end only writes the pieces
 * (joining 10,000 strings built by concatenation made V8 flatten each one then: ~0.06 s).
 */
function resultsCsvBytes(rows: readonly RunResultRow[]): Buffer {
  let bytes = formatted.get(rows);
  if (bytes === undefined) {
    bytes = Buffer.from(resultsCsvLines(rows), 'utf8');
    formatted.set(rows, bytes);
  }
  return bytes;
}

/**
 * results.csv's lines for `rows` (no header), in RESULT_COLUMNS order. A portfolio's rows share
 * everything but metric and value, so the leading fields (run_id .. end_date) and the trailing
 * ones (method .. perfcalc_version) are formatted once per change (compared with the previous
 * row's) and each line is four pieces (~0.15 s -> ~0.06 s for the bench's 80,000 rows here, mostly
 * string concatenation). Same bytes as resultsCsvReference (csv-stringify), which the property
 * test checks.
 */
export function resultsCsvLines(rows: readonly RunResultRow[]): string {
  const parts: string[] = [];
  let chunk = '';
  let lead = '';
  let trail = '';
  let prev: RunResultRow | undefined;
  const metricText = new Map<unknown, string>();
  for (const r of rows) {
    if (prev === undefined || r.run_id !== prev.run_id || r.portfolio_id !== prev.portfolio_id || r.period !== prev.period || r.start_date !== prev.start_date || r.end_date !== prev.end_date) {
      lead = `${csvField(r.run_id)},${csvField(r.portfolio_id)},${csvField(r.period)},${csvField(r.start_date)},${csvField(r.end_date)},`;
    }
    if (prev === undefined || r.method !== prev.method || r.status !== prev.status || r.note !== prev.note || r.input_digest !== prev.input_digest || r.perfcalc_version !== prev.perfcalc_version) {
      trail = `,${csvField(r.method)},${csvField(r.status)},${csvField(r.note)},${csvField(r.input_digest)},${csvField(r.perfcalc_version)}\n`;
    }
    prev = r;
    let metric = metricText.get(r.metric);
    if (metric === undefined) {
      metric = `${csvField(r.metric)},`;
      metricText.set(r.metric, metric);
    }
    const v = r.value as unknown;
    // a number's text never needs quotes
    chunk += lead + metric + (typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : csvField(v)) + trail;
    if (chunk.length > 65536) {
      parts.push(chunk);
      chunk = '';
    }
  }
  parts.push(chunk);
  return parts.join('');
}

/** resultsCsv through csv-stringify: the reference the property test compares resultsCsv with. */
export function resultsCsvReference(rows: readonly RunResultRow[]): string {
  return stringify(
    rows.map((r) => RESULT_COLUMNS.map((c) => csvValue(r[c]))),
    { header: true, columns: RESULT_COLUMNS as string[], record_delimiter: '\n' },
  );
}

export function errorsCsv(errors: readonly PortfolioError[]): string {
  return stringify(
    errors.map((e) => [e.portfolio_id, e.stage, e.message]),
    { header: true, columns: ['portfolio_id', 'stage', 'message'], record_delimiter: '\n' },
  );
}

export interface RunFiles {
  results: string[];
  errors: string;
  summary: string;
}

export async function writeRunFiles(
  outDir: string,
  /** The result rows as one array per portfolio, in output order (each formatted once: resultsCsvBytes). */
  data: { groups: ReadonlyArray<readonly RunResultRow[]>; errors: readonly PortfolioError[] },
  formats: readonly ResultFileFormat[],
  /** Called after the other files are written: summary.json comes last, so its presence means the run's files are complete. */
  summary: () => unknown,
): Promise<RunFiles> {
  // temp files of an earlier run into this directory that was killed while writing
  await removeStaleTemps(outDir, [...formats.map((f) => `results.${f}`), 'errors.csv', 'summary.json']);
  const results: string[] = [];
  for (const f of formats) {
    const path = join(outDir, `results.${f}`);
    const text = f === 'csv' ? [Buffer.from(`${RESULT_COLUMNS.join(',')}\n`), ...data.groups.map(resultsCsvBytes)] : `${JSON.stringify(data.groups.flat())}\n`;
    await writeFileAtomic(path, text);
    results.push(path);
  }
  const errors = join(outDir, 'errors.csv');
  await writeFileAtomic(errors, errorsCsv(data.errors));
  const summaryPath = join(outDir, 'summary.json');
  await writeFileAtomic(summaryPath, `${JSON.stringify(summary(), null, 2)}\n`);
  return { results, errors, summary: summaryPath };
}

export interface FileSinkOptions {
  out: string;
  formats: readonly ResultFileFormat[];
}

/**
 * Local files as a ResultSink. Rows are held until `finish`, which writes results (sorted by
 * portfolio id, so the bytes do not depend on completion order), errors.csv and, last,
 * summary.json, each atomically.
 */
export function openFileSink(opts: FileSinkOptions): ResultSink & { files(): RunFiles | null } {
  // a portfolio's rows as first written; a portfolio written again is merged by (period, metric):
  // a rewrite of the same row replaces it (idempotent, like every sink)
  const byPortfolio = new Map<string, RunResultRow[]>();
  const rowKey = (r: RunResultRow) => `${r.period}\u0000${r.metric}`;
  let written: RunFiles | null = null;
  return {
    kind: 'files',
    wantsDailySeries: false,
    async begin() {},
    async writeResults(rows) {
      // the usual call: one portfolio's rows, not written before
      const id = rows[0]?.portfolio_id;
      if (id !== undefined && !byPortfolio.has(id) && rows.every((r) => r.portfolio_id === id)) {
        byPortfolio.set(id, rows as RunResultRow[]);
        return { written: 0, rejected: [] };
      }
      const incoming = new Map<string, RunResultRow[]>();
      for (const r of rows) {
        const list = incoming.get(r.portfolio_id);
        if (list) list.push(r);
        else incoming.set(r.portfolio_id, [r]);
      }
      for (const [id, list] of incoming) {
        const had = byPortfolio.get(id);
        if (!had) {
          byPortfolio.set(id, list);
          continue;
        }
        const merged = new Map(had.map((r) => [rowKey(r), r]));
        for (const r of list) merged.set(rowKey(r), r);
        byPortfolio.set(id, [...merged.values()]);
      }
      return { written: 0, rejected: [] };
    },
    prepare(rows) {
      if (opts.formats.includes('csv')) resultsCsvBytes(rows);
    },
    async writeDailySeries() {
      return { written: 0, rejected: [] };
    },
    async finish(_run, errors, summary) {
      const ids = [...byPortfolio.keys()].sort(compareIds);
      const groups = ids.map((id) => byPortfolio.get(id)!);
      written = await writeRunFiles(opts.out, { groups, errors }, opts.formats, () => (typeof summary === 'function' ? summary() : summary));
      return { written: groups.reduce((n, g) => n + g.length, 0), rejected: [] };
    },
    files: () => written,
  };
}
