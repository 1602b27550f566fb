/**
 * CSV sources: valuations, holdings, cash flows (-> PortfolioData) and return series.
 *
 * Contract (shared by every loader):
 * - Streamed with csv-parse; UTF-8 BOM, CRLF, quoting and blank lines tolerated. Header names
 *   are trimmed and case-insensitive; columns in any order; extra columns ignored.
 * - Dates strict ISO `YYYY-MM-DD` -> epoch days; numbers plain decimal text (money.ts policy).
 * - Messages: `file:line: column 'x': ...` (formatProblem), file as the user gave it, line the
 *   physical 1-based line (header = 1; a record with a quoted newline is numbered by its last line).
 * - File-level problems (unreadable, empty, header-only, missing column, malformed CSV, wrong
 *   field count, blank portfolio_id / series_id in a portfolio file) throw InputError with the first
 *   10 and the total. Row problems of a portfolio go to `PortfolioLoad.problems` (at most 10
 *   kept per portfolio; `problemTotal` counts all) and that portfolio is left out of `portfolios`.
 * - Rows may come in any order: per-portfolio growable typed arrays, sorted by date at the end.
 *   `portfolios` is keyed in ascending code-unit order of ids.
 * - Cash flows that share a portfolio, date and timing code are netted exactly into one flow.
 *   `timing` is start | end | blank, case-insensitive. The flow `type` column is ignored.
 * - `currency` is accepted and not converted; two different currencies in one portfolio (within
 *   a file, or valuations vs flows) are a row problem.
 * - Returns: missing wide cells are absent (never NaN), so long and wide layouts load identically.
 */
export {
  loadPortfolios,
  allProblems,
  throwIfAnyProblems,
  type PortfolioLoad,
  type LoadOptions,
} from './loadPortfolios.js';
export { readValuationsCsv, type ValuationBuild } from './valuations.js';
export { readHoldingsCsv } from './holdings.js';
export { readCashFlowsCsv, CashFlowBuild, timingCode } from './cashFlows.js';
export { readReturnFiles, readReturnsCsv, type ReturnsLoad, type ReturnsUnit } from './returns.js';
export { readCsvTable, PROBLEM_LIMIT, type RowSink, type SinkStarter, type TableContext } from './csvTable.js';
