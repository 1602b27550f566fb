/**
 * The committed bad-input files in fixtures/bad (for the CLI's bad-input suite too) and the
 * sample data in fixtures/. Paths are relative, as a user would type them (vitest runs in the
 * repository root), and messages show them as given.
 */
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/errors.js';
import {
  allProblems,
  loadPortfolios,
  readHoldingsCsv,
  readReturnsCsv,
  readValuationsCsv,
} from '../../src/storage/csv/index.js';
import { inputError } from './csvFiles.js';

const B = 'fixtures/bad';

async function rowMessages(load: Promise<Awaited<ReturnType<typeof loadPortfolios>>>): Promise<string[]> {
  return allProblems(await load).map(formatProblem);
}

describe('fixtures/bad', () => {
  it('file-level errors', async () => {
    expect((await inputError(readValuationsCsv(`${B}/empty.csv`))).message).toBe(`${B}/empty.csv: file is empty`);
    expect((await inputError(readValuationsCsv(`${B}/header_only.csv`))).message).toBe(
      `${B}/header_only.csv: file has a header but no data rows`,
    );
    expect((await inputError(readValuationsCsv(`${B}/missing_column.csv`))).message).toBe(
      `${B}/missing_column.csv:1: column 'market_value': required column is missing`,
    );
  });

  it('valuation row errors', async () => {
    expect(await rowMessages(loadPortfolios({ valuations: `${B}/bad_date.csv` }))).toEqual([
      `${B}/bad_date.csv:3: column 'date': "2024-02-30" is not a date (expected YYYY-MM-DD)`,
      `${B}/bad_date.csv:4: column 'date': "2024/01/04" is not a date (expected YYYY-MM-DD)`,
    ]);
    expect(await rowMessages(loadPortfolios({ valuations: `${B}/bad_number.csv` }))).toEqual([
      `${B}/bad_number.csv:3: column 'market_value': "12,5x" is not a number`,
    ]);
    expect(await rowMessages(loadPortfolios({ valuations: `${B}/duplicate_valuation.csv` }))).toEqual([
      `${B}/duplicate_valuation.csv:4: column 'date': duplicate valuation for portfolio 'P1' on 2024-01-02 (also on line 2)`,
    ]);
    expect(await rowMessages(loadPortfolios({ valuations: `${B}/non_positive_value.csv` }))).toEqual([
      `${B}/non_positive_value.csv:3: column 'market_value': "0" is not positive (a return needs a positive value)`,
      `${B}/non_positive_value.csv:4: column 'market_value': "-5" is not positive (a return needs a positive value)`,
    ]);
    expect(await rowMessages(loadPortfolios({ holdings: `${B}/duplicate_holding.csv` }))).toEqual([
      `${B}/duplicate_holding.csv:4: column 'security_id': duplicate holding of 'AAA' for portfolio 'P1' on 2024-01-02 (also on line 2)`,
    ]);
  });

  it('cash-flow errors against fixtures/bad/valuations_ok.csv (P1, 2024-01-02 .. 2024-01-05)', async () => {
    const valuations = `${B}/valuations_ok.csv`;
    expect(await rowMessages(loadPortfolios({ valuations, cashFlows: `${B}/flow_outside_valuations.csv` }))).toEqual([
      `${B}/flow_outside_valuations.csv:3: column 'date': flow on 2024-01-01 is before portfolio 'P1''s first valuation on 2024-01-02`,
      `${B}/flow_outside_valuations.csv:4: column 'date': flow on 2024-01-08 is after portfolio 'P1''s last valuation on 2024-01-05`,
    ]);
    expect(await rowMessages(loadPortfolios({ valuations, cashFlows: `${B}/flow_without_valuations.csv` }))).toEqual([
      `${B}/flow_without_valuations.csv:3: column 'portfolio_id': portfolio 'P7' has cash flows but no valuations`,
    ]);
    expect(await rowMessages(loadPortfolios({ valuations, cashFlows: `${B}/bad_timing.csv` }))).toEqual([
      `${B}/bad_timing.csv:3: column 'timing': "midday" is not a timing (expected start, end or blank)`,
    ]);
  });

  it('returns errors', async () => {
    expect((await inputError(readReturnsCsv(`${B}/returns_bad_return.csv`))).message).toBe(
      `${B}/returns_bad_return.csv:3: column 'return': "1.2%" is not a number`,
    );
    expect((await inputError(readReturnsCsv(`${B}/returns_duplicate.csv`))).message).toBe(
      `${B}/returns_duplicate.csv:4: column 'date': duplicate return for series 'A' on 2024-01-31 (also on line 2)`,
    );
    expect((await inputError(readReturnsCsv(`${B}/returns_wide_duplicate_columns.csv`))).message).toBe(
      `${B}/returns_wide_duplicate_columns.csv:1: column 'A': duplicate column name (columns 2 and 4)`,
    );
  });
});

describe('sample fixtures load without problems', () => {
  it('valuations + cash flows, holdings, benchmark returns', async () => {
    const load = await loadPortfolios({ valuations: 'fixtures/valuations.csv', cashFlows: 'fixtures/cash_flows.csv' });
    expect(allProblems(load)).toEqual([]);
    expect(load.portfolios.size).toBeGreaterThan(0);
    for (const p of load.portfolios.values()) {
      for (let i = 1; i < p.valuations.dates.length; i++) {
        expect(p.valuations.dates[i]! > p.valuations.dates[i - 1]!).toBe(true);
      }
    }
    const holdings = await readHoldingsCsv('fixtures/holdings.csv');
    for (const b of holdings.values()) expect(b.problems.total).toBe(0);
    const bench = await readReturnsCsv('fixtures/benchmark.csv');
    expect(bench.layout).toBe('long');
    // the first data row of fixtures/benchmark.csv, read back through the same loader
    const firstRow = (await import('node:fs')).readFileSync('fixtures/benchmark.csv', 'utf8').split('\n')[1]!.split(',');
    expect(bench.series.get(firstRow[0]!)!.returns[0]).toBe(Number(firstRow[2]));
  });
});
