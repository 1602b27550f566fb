/** CSV sources: valuations, holdings, cash flows (-> PortfolioData) and return series. */
export { loadPortfolios, allProblems, throwIfAnyProblems, type PortfolioLoad, type LoadOptions } from './loadPortfolios.js';
export { readValuationsCsv, type ValuationBuild } from './valuations.js';
export { readHoldingsCsv } from './holdings.js';
export { readCashFlowsCsv, CashFlowBuild, timingCode } from './cashFlows.js';
export { readReturnsCsv, type ReturnsLoad, type ReturnsUnit } from './returns.js';
export { readCsvTable, PROBLEM_LIMIT, type RowSink, type SinkStarter, type TableContext } from './csvTable.js';
