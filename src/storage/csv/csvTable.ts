/**
 * The csv-parse reading step, kept apart from what a row means. `readCsvTable` streams a file
 * through csv-parse (UTF-8 BOM, CRLF and quoting handled there) and hands the header, then each
 * record with its physical 1-based line number, to a `RowSink`. The sinks (valuations, holdings,
 * cash flows, returns) turn fields into typed-array builders; a faster byte-level parser can
 * later feed the same sinks.
 *
 * Problems that concern the whole file (unreadable, empty, header-only, a missing column, a
 * malformed CSV record, a row that cannot be tied to a portfolio) are collected in the table's
 * `fileProblems` and thrown together as one InputError when the file has been read.
 */
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import { InputError, ProblemCollector, type InputProblem } from '../../errors.js';

/** Receives the records of one file after its header. */
export interface RowSink {
  /** One record's fields (as many as the header has) and its physical 1-based line number. */
  row(fields: string[], line: number): void;
  /** Called after the last record, before file-level problems are thrown (for checks that need every row). */
  end?(): void;
}

export interface TableContext {
  /** The file name shown in messages: the path as the user gave it. */
  file: string;
  /** Problems that no single portfolio or series owns; thrown together after the file is read. */
  fileProblems: ProblemCollector;
}

/** Builds the sink for a file from its header fields; throws InputError for a bad header. */
export type SinkStarter = (header: string[], ctx: TableContext) => RowSink;

/** Problem limit for one file, and per portfolio. */
export const PROBLEM_LIMIT = 10;

/** A file-level InputError with a single problem. */
export function fileError(file: string, message: string, line = 0, field?: string): InputError {
  const p: InputProblem = field === undefined ? { file, line, message } : { file, line, field, message };
  return new InputError([p]);
}

/** Normalised header name: trimmed and lower-cased. */
export function headerKey(name: string): string {
  return name.trim().toLowerCase();
}

/**
 * Finds the named columns in a header (names trimmed, case-insensitive, any order, extra columns
 * ignored). Required names that are absent raise one file-level InputError naming all of them;
 * optional ones that are absent map to -1.
 */
export function resolveColumns<R extends string, O extends string = never>(
  header: string[],
  ctx: TableContext,
  required: readonly R[],
  optional: readonly O[] = [],
): Record<R | O, number> {
  const index = new Map<string, number>();
  header.forEach((name, i) => {
    const key = headerKey(name);
    if (!index.has(key)) index.set(key, i);
  });
  const out = {} as Record<R | O, number>;
  const missing: InputProblem[] = [];
  for (const name of required) {
    const i = index.get(name);
    if (i === undefined) missing.push({ file: ctx.file, line: 1, field: name, message: 'required column is missing' });
    else out[name] = i;
  }
  if (missing.length > 0) throw new InputError(missing);
  for (const name of optional) out[name] = index.get(name) ?? -1;
  return out;
}

/**
 * Streams `path` through csv-parse and feeds `start(header)`'s sink. Resolves when the file has
 * been read; throws InputError for file-level problems (see the module comment).
 * A record that spans several physical lines (a quoted newline) is numbered by its last line.
 */
export async function readCsvTable(path: string, start: SinkStarter): Promise<void> {
  const ctx: TableContext = { file: path, fileProblems: new ProblemCollector(PROBLEM_LIMIT) };
  let sink: RowSink | undefined;
  let headerLength = 0;
  let dataRows = 0;
  const parser = parse({
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    on_record: (record: string[], info: { lines: number }) => {
      if (sink === undefined) {
        sink = start(record, ctx);
        headerLength = record.length;
        return undefined;
      }
      dataRows++;
      if (record.length !== headerLength) {
        ctx.fileProblems.add({
          file: ctx.file,
          line: info.lines,
          message: `expected ${headerLength} fields as in the header, found ${record.length}`,
        });
        return undefined;
      }
      sink.row(record, info.lines);
      return undefined;
    },
  });
  const drain = new Writable({
    objectMode: true,
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  try {
    await pipeline(createReadStream(path), parser, drain);
  } catch (err) {
    if (err instanceof InputError) throw err;
    if (err instanceof CsvError) {
      const line = typeof (err as { lines?: unknown }).lines === 'number' ? (err as unknown as { lines: number }).lines : 0;
      ctx.fileProblems.add({ file: ctx.file, line, message: `malformed CSV: ${err.message}` });
      ctx.fileProblems.throwIfAny();
    }
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String((err as Error).message ?? err);
    throw fileError(ctx.file, `cannot read file: ${reason}`);
  }
  if (sink === undefined) throw fileError(ctx.file, 'file is empty');
  if (dataRows === 0) throw fileError(ctx.file, 'file has a header but no data rows');
  sink.end?.();
  ctx.fileProblems.problems.sort((a, b) => a.line - b.line);
  ctx.fileProblems.throwIfAny();
}
