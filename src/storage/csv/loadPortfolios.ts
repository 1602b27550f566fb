/**
 * Loads portfolios for the return commands from a valuations (or holdings) file and an optional
 * cash-flows file, and sorts out which problems stop what:
 * - file-level problems (unreadable, empty or header-only file, missing column, malformed CSV,
 *   blank portfolio_id, wrong field count) throw InputError; when both files have such
 *   problems, one InputError carries both files' problems;
 * - row problems belong to one portfolio and go into `problems` under its id; that portfolio is
 *   then left out of `portfolios` (the twr command throws them all, the batch runner isolates
 *   the portfolio). A portfolio with flows but no valuations appears only in `problems`.
 */
import { compareIds } from '../../ids.js';
import { emptyFlows, type PortfolioData } from '../../engine/types.js';
import { InputError, UsageError, type InputProblem } from '../../errors.js';
import { readCashFlowsCsv, type CashFlowBuild } from './cashFlows.js';
import { PROBLEM_LIMIT } from './csvTable.js';
import { mixedCurrencyMessage } from './fieldParsers.js';
import { readHoldingsCsv } from './holdings.js';
import { readValuationsCsv, type ValuationBuild } from './valuations.js';

export interface PortfolioLoad {
  /** Portfolios without problems, by id in ascending code-unit order (independent of row order). */
  portfolios: Map<string, PortfolioData>;
  /** Row-level problems by portfolio id (at most PROBLEM_LIMIT kept per portfolio), in file/line order. */
  problems: Map<string, InputProblem[]>;
  /** How many problems were found in all (problems may hold fewer). */
  problemTotal: number;
  /** The input files in the order their problems are listed. */
  files: string[];
}

export interface LoadOptions {
  valuations?: string;
  holdings?: string;
  cashFlows?: string;
}



async function readBoth(
  values: () => Promise<Map<string, ValuationBuild>>,
  flows: (() => Promise<Map<string, CashFlowBuild>>) | undefined,
): Promise<[Map<string, ValuationBuild>, Map<string, CashFlowBuild>]> {
  const [v, f] = await Promise.allSettled([values(), flows ? flows() : Promise.resolve(new Map<string, CashFlowBuild>())]);
  if (v.status === 'fulfilled' && f.status === 'fulfilled') return [v.value, f.value];
  const errors = [v, f].filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  const nonInput = errors.find((e) => !(e instanceof InputError));
  if (nonInput !== undefined) throw nonInput;
  const inputErrors = errors as InputError[];
  if (inputErrors.length === 1) throw inputErrors[0];
  const problems = inputErrors.flatMap((e) => e.problems);
  const total = inputErrors.reduce((s, e) => s + e.total, 0);
  throw new InputError(problems, total);
}

/** File readers for `loadPortfolios`; each defaults to the csv-parse reader (fastLoad.ts has faster ones). */
export interface LoadReaders {
  valuations?: (path: string) => Promise<Map<string, ValuationBuild>>;
  cashFlows?: (path: string) => Promise<Map<string, CashFlowBuild>>;
}

/** One portfolio's valuations as combinePortfolio needs them (from a ValuationBuild or a scanned group). */
export interface ValuationSide {
  /** The file as the caller named it (used in problems). */
  file: string;
  /** Ascending unique dates (epoch days) and their values; not to be used when there are problems. */
  dates: Int32Array;
  values: Float64Array;
  /** The first problems (at most PROBLEM_LIMIT, in line order) and how many in all. */
  problems: InputProblem[];
  problemTotal: number;
  /** The portfolio's currency in the valuations file (first non-blank cell) and its line. */
  currency: string | undefined;
  currencyLine: number;
}

export function valuationSide(v: ValuationBuild): ValuationSide {
  return {
    file: v.file,
    dates: v.dates,
    values: v.values,
    problems: v.problems.problems,
    problemTotal: v.problems.total,
    currency: v.currency.currency,
    currencyLine: v.currency.line,
  };
}

/**
 * One portfolio's data from its valuations and raw flows, or its problems: flows range-checked
 * against the valuations and netted, a portfolio with flows but no valuations, a currency that
 * differs between the files. The whole-file loaders and the batch's grouped scan both use it, so
 * a portfolio gets the same answer either way.
 */
export function combinePortfolio(
  id: string,
  v: ValuationSide | undefined,
  f: CashFlowBuild | undefined,
  files: readonly string[],
): { data?: PortfolioData; problems: InputProblem[]; problemTotal: number } {
  const found: InputProblem[] = [];
  let total = 0;
  if (v !== undefined) {
    found.push(...v.problems);
    total += v.problemTotal;
  }
  let flowSeries = emptyFlows();
  if (f !== undefined) {
    if (v === undefined) {
      f.problems.add({
        file: f.file,
        line: f.firstLine(),
        field: 'portfolio_id',
        message: `portfolio '${id}' has cash flows but no valuations`,
      });
    } else {
      const n = v.dates.length;
      // With no usable valuation (all rows bad) the range check would only repeat that problem.
      flowSeries = f.finish(n > 0 ? { first: v.dates[0] as number, last: v.dates[n - 1] as number } : undefined);
      const fc = f.currency;
      if (v.currency !== undefined && fc.currency !== undefined && v.currency !== fc.currency) {
        f.problems.add({
          file: f.file,
          line: fc.line,
          field: 'currency',
          message: mixedCurrencyMessage(id, fc.currency, v.currency, v.file, f.file, v.currencyLine),
        });
      }
    }
    found.push(...f.problems.problems);
    total += f.problems.total;
  }
  if (total > 0) {
    found.sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file) || a.line - b.line);
    return { problems: found.slice(0, PROBLEM_LIMIT), problemTotal: total };
  }
  return { data: { portfolioId: id, valuations: { dates: v!.dates, values: v!.values }, flows: flowSeries }, problems: [], problemTotal: 0 };
}

/** Loads portfolios from CSV files; see the module comment for how problems are reported. */
export async function loadPortfolios(opts: LoadOptions, readers: LoadReaders = {}): Promise<PortfolioLoad> {
  if ((opts.valuations === undefined) === (opts.holdings === undefined)) {
    throw new UsageError('give exactly one of a valuations file or a holdings file');
  }
  const valueFile = (opts.valuations ?? opts.holdings) as string;
  const readValues = readers.valuations ?? readValuationsCsv;
  const readFlows = readers.cashFlows ?? readCashFlowsCsv;
  const [values, flows] = await readBoth(
    () => (opts.valuations !== undefined ? readValues(valueFile) : readHoldingsCsv(valueFile)),
    opts.cashFlows !== undefined ? () => readFlows(opts.cashFlows as string) : undefined,
  );
  const files = opts.cashFlows !== undefined ? [valueFile, opts.cashFlows] : [valueFile];
  const portfolios = new Map<string, PortfolioData>();
  const problems = new Map<string, InputProblem[]>();
  let problemTotal = 0;
  const ids = [...new Set([...values.keys(), ...flows.keys()])].sort(compareIds);
  for (const id of ids) {
    const v = values.get(id);
    const c = combinePortfolio(id, v && valuationSide(v), flows.get(id), files);
    if (c.data) portfolios.set(id, c.data);
    else {
      problems.set(id, c.problems);
      problemTotal += c.problemTotal;
    }
  }
  return { portfolios, problems, problemTotal, files };
}

/** Every portfolio's problems, flattened, in file then line order. */
export function allProblems(load: PortfolioLoad): InputProblem[] {
  const all = [...load.problems.values()].flat();
  const fileIndex = (file: string): number => {
    const i = load.files.indexOf(file);
    return i < 0 ? load.files.length : i;
  };
  return all.sort((a, b) => fileIndex(a.file) - fileIndex(b.file) || a.line - b.line);
}

/**
 * Throws one InputError with the first PROBLEM_LIMIT problems (file/line order) and the total,
 * when the load has any problem (what the twr and mwr commands do).
 */
export function throwIfAnyProblems(load: PortfolioLoad): void {
  if (load.problemTotal === 0) return;
  throw new InputError(allProblems(load).slice(0, PROBLEM_LIMIT), load.problemTotal);
}
