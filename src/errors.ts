/**
 * Error types shared by commands and storage. Only `src/cli.ts` maps them to exit codes:
 * usage and input errors exit 2, a batch with some failed portfolios exits 1.
 */

/** One problem found in an input file, located by file, 1-based line and column name. */
export interface InputProblem {
  file: string;
  /** 1-based physical line number in the file (the header is line 1); 0 when the problem is the whole file. */
  line: number;
  /** Column name the problem is about, when there is one. */
  field?: string;
  message: string;
}

export function formatProblem(p: InputProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}` : p.file;
  return p.field !== undefined ? `${where}: column '${p.field}': ${p.message}` : `${where}: ${p.message}`;
}

/** Base class: anything perfcalc raises on purpose carries a message fit for the user. */
export class PerfcalcError extends Error {
  override name = 'PerfcalcError';
}

/** Bad flags, bad config, conflicting options. */
export class UsageError extends PerfcalcError {
  override name = 'UsageError';
}

/** Bad input data. Holds the first several problems found (not only the first). */
export class InputError extends PerfcalcError {
  override name = 'InputError';
  readonly problems: InputProblem[];
  /** How many problems were found in all (problems may hold fewer). */
  readonly total: number;
  constructor(problems: InputProblem[], total = problems.length) {
    const shown = problems.map(formatProblem);
    if (total > problems.length) shown.push(`... and ${total - problems.length} more problem(s)`);
    super(shown.join('\n'));
    this.problems = problems;
    this.total = total;
  }
}

/** Collects input problems up to a limit, then throws them together. */
export class ProblemCollector {
  readonly problems: InputProblem[] = [];
  total = 0;
  constructor(readonly limit = 10) {}
  add(p: InputProblem): void {
    this.total++;
    if (this.problems.length < this.limit) this.problems.push(p);
  }
  get size(): number {
    return this.total;
  }
  throwIfAny(): void {
    if (this.total > 0) throw new InputError(this.problems, this.total);
  }
}
