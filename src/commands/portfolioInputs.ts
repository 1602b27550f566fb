import { InputError, UsageError } from '../errors.js';
import { compareIds } from '../ids.js';
import type { PortfolioData } from '../engine/types.js';
import { PROBLEM_LIMIT, throwIfAnyProblems } from '../storage/csv/index.js';
import { loadPortfoliosFast } from '../storage/csv/fastLoad.js';

/** Where a command's portfolio data comes from, and which portfolios it wants. */
export interface PortfolioInputOptions {
  valuations?: string;
  holdings?: string;
  cashFlows?: string;
  /** Portfolio ids to compute; empty or absent means every portfolio in the input. */
  portfolios?: string[];
}

/**
 * Loads the portfolios a single-portfolio command (twr, mwr, risk) works on. Any bad row is fatal
 * here (InputError, exit 2, nothing written): these commands answer one question and must not answer
 * it from partial data. The batch runner isolates bad portfolios instead.
 */
export async function loadSelectedPortfolios(opts: PortfolioInputOptions): Promise<PortfolioData[]> {
  if (!opts.valuations && !opts.holdings) throw new UsageError('give --valuations FILE or --holdings FILE');
  if (opts.valuations && opts.holdings) throw new UsageError('give either --valuations or --holdings, not both');
  // the byte-level reader, which hands anything unusual to csv-parse (same rows, same messages)
  const load = await loadPortfoliosFast({ valuations: opts.valuations, holdings: opts.holdings, cashFlows: opts.cashFlows });
  const wanted = opts.portfolios && opts.portfolios.length > 0 ? new Set(opts.portfolios) : undefined;
  if (!wanted) throwIfAnyProblems(load);
  // Row problems of portfolios the user did not ask for do not stop this answer.
  const problems = wanted ? [...wanted].flatMap((id) => load.problems.get(id) ?? []) : [];
  if (problems.length > 0) throw new InputError(problems.slice(0, PROBLEM_LIMIT), problems.length);
  if (!wanted) return [...load.portfolios.values()].sort((a, b) => compareIds(a.portfolioId, b.portfolioId));
  const missing = [...wanted].filter((id) => !load.portfolios.has(id));
  if (missing.length > 0) {
    const source = opts.valuations ?? opts.holdings;
    throw new UsageError(`portfolio ${missing.map((m) => `'${m}'`).join(', ')} not found in ${source}`);
  }
  return [...wanted].map((id) => load.portfolios.get(id)!);
}
