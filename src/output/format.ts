import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';

export type OutputFormat = 'table' | 'json' | 'csv';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'csv'];

/** A rendered column: its header, and how a record's cell is shown in a table. */
export interface Column<R> {
  key: keyof R & string;
  header?: string;
  /** Table cell text; defaults to String(value), '' for null. */
  cell?: (record: R) => string;
  align?: 'left' | 'right';
}

/** Whether colour may be used on a stream: only on a TTY, and never when NO_COLOR is set (any value but ''). */
export function colourAllowed(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !(env.NO_COLOR !== undefined && env.NO_COLOR !== '') && env.TERM !== 'dumb';
}

/** Full-precision JSON: one document, an array of records, 2-space indent, trailing newline. */
export function renderJson(records: unknown): string {
  return `${JSON.stringify(records, null, 2)}\n`;
}

function csvCell(v: unknown): string | number | boolean | null {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.join('; ');
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return v as string;
}

/** CSV with a header row; numbers at full precision (shortest round-trip text), null as an empty cell. */
export function renderCsv<R>(records: readonly R[], columns: readonly (keyof R & string)[]): string {
  const rows = records.map((r) => columns.map((c) => csvCell(r[c])));
  return stringify(rows, { header: true, columns: [...columns] as string[], record_delimiter: '\n' });
}

/** A cli-table3 table; colour only where allowed. */
export function renderTable<R>(records: readonly R[], columns: readonly Column<R>[], opts: { colour: boolean }): string {
  const table = new Table({
    head: columns.map((c) => c.header ?? c.key),
    colAligns: columns.map((c) => c.align ?? 'left'),
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    style: opts.colour ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] },
  });
  for (const r of records) {
    table.push(columns.map((c) => (c.cell ? c.cell(r) : r[c.key] === null || r[c.key] === undefined ? '' : String(r[c.key]))));
  }
  return `${table.toString()}\n`;
}

/** A fraction as a percentage with 2 decimals ('12.34%'), '' for null. */
export function percent(x: number | null | undefined, dp = 2): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '';
  return `${(x * 100).toFixed(dp)}%`;
}

/** The format implied by a file name's extension, if any. */
export function formatFromPath(path: string): OutputFormat | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.csv')) return 'csv';
  return undefined;
}
