import { colourAllowed, formatFromPath, renderCsv, renderJson, renderTable, type Column, type OutputFormat } from './format.js';
import { writeFileAtomic } from './atomicWrite.js';

/** How a command's records are shown: table columns, and the CSV column order (JSON carries whole records). */
export interface RecordView<R> {
  /** Table columns, or a renderer for tables of another shape (metrics as rows, say). */
  table: readonly Column<R>[] | ((records: readonly R[], opts: { colour: boolean }) => string);
  csv: readonly (keyof R & string)[];
}

export interface EmitOptions {
  format?: OutputFormat;
  /** Write the results to this file (atomically); stdout then shows the table unless quiet. */
  output?: string;
  quiet?: boolean;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  env?: NodeJS.ProcessEnv;
}

export function render<R>(records: readonly R[], view: RecordView<R>, format: OutputFormat, colour: boolean): string {
  if (format === 'json') return renderJson(records);
  if (format === 'csv') return renderCsv(records, view.csv);
  return typeof view.table === 'function' ? view.table(records, { colour }) : renderTable(records, view.table, { colour });
}

/**
 * Sends results where the user asked: `--output FILE` gets the chosen format (from --format, else the
 * file's extension, else CSV) written atomically, and stdout shows a table for the person watching;
 * without --output, stdout gets the chosen format (table on a TTY, CSV when piped).
 */
export async function emitRecords<R>(records: readonly R[], view: RecordView<R>, opts: EmitOptions): Promise<void> {
  const colour = colourAllowed(opts.stdout, opts.env);
  if (opts.output) {
    const fileFormat = opts.format ?? formatFromPath(opts.output) ?? 'csv';
    await writeFileAtomic(opts.output, render(records, view, fileFormat, false));
    if (!opts.quiet) opts.stdout.write(render(records, view, 'table', colour));
    return;
  }
  const format = opts.format ?? (opts.stdout.isTTY ? 'table' : 'csv');
  opts.stdout.write(render(records, view, format, colour));
}
