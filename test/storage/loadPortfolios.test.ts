import { describe, expect, it } from 'vitest';
import { TIMING_DEFAULT, TIMING_END, TIMING_START } from '../../src/engine/types.js';
import { formatProblem, InputError, UsageError } from '../../src/errors.js';
import { allProblems, loadPortfolios, throwIfAnyProblems } from '../../src/storage/csv/index.js';
import { csvFile, inputError } from './csvFiles.js';

const JAN1_2024 = 54 * 365 + 13; // 1970..2023: 54 years of 365 days + 13 leap days
const day = (d: number): number => JAN1_2024 + d - 1; // day(2) = 2024-01-02

const VALUATIONS = [
  'portfolio_id,date,market_value,currency',
  'P2,2024-01-05,110,USD',
  'P2,2024-01-02,100,USD',
  'P1,2024-01-02,1000,EUR',
  'P1,2024-01-10,1010,EUR',
].join('\n');

describe('loadPortfolios', () => {
  it('builds PortfolioData in id order, nets same-day same-timing flows exactly', async () => {
    const v = await csvFile('v.csv', VALUATIONS);
    const f = await csvFile(
      'f.csv',
      [
        'type,amount,date,portfolio_id,timing,currency',
        'dep,0.1,2024-01-03,P2,end,USD',
        'dep,0.2,2024-01-03,P2,END,USD', // nets with the line above: 0.1 + 0.2 = 0.3 exactly
        'dep,5,2024-01-03,P2,start,USD', // another timing: kept apart
        'wd,-7,2024-01-05,P2,,USD', // default timing, on the last valuation date (allowed)
        'dep,1234567890123.4567,2024-01-02,P2,,USD', // 17 significant digits, on the first date
        'dep,0.0033,2024-01-02,P2,,USD', // exact sum 1234567890123.46
      ].join('\n'),
    );
    const load = await loadPortfolios({ valuations: v, cashFlows: f });
    expect(load.problems.size).toBe(0);
    expect([...load.portfolios.keys()]).toEqual(['P1', 'P2']);
    const p2 = load.portfolios.get('P2')!;
    expect(p2.portfolioId).toBe('P2');
    expect([...p2.valuations.dates]).toEqual([day(2), day(5)]);
    expect([...p2.valuations.values]).toEqual([100, 110]);
    // sorted by date, then timing code (default 0 < end 1 < start 2)
    expect([...p2.flows.dates]).toEqual([day(2), day(3), day(3), day(5)]);
    expect([...p2.flows.timing]).toEqual([TIMING_DEFAULT, TIMING_END, TIMING_START, TIMING_DEFAULT]);
    expect([...p2.flows.amounts]).toEqual([1234567890123.46, 0.3, 5, -7]);
    const p1 = load.portfolios.get('P1')!;
    expect(p1.flows.dates.length).toBe(0);
  });

  it('loads from holdings in place of valuations', async () => {
    const h = await csvFile('h.csv', 'portfolio_id,date,security_id,market_value\nP1,2024-01-02,A,1.1\nP1,2024-01-02,B,2.2\n');
    const load = await loadPortfolios({ holdings: h });
    // 1.1 + 2.2 = 3.3 exactly (float addition gives 3.3000000000000003)
    expect([...load.portfolios.get('P1')!.valuations.values]).toEqual([3.3]);
  });

  it('isolates portfolios with row problems and lists them in file/line order', async () => {
    const v = await csvFile('valuations.csv', `${VALUATIONS}\nP3,2024-01-02,5,USD\nP3,2024-01-02,6,USD\n`);
    const f = await csvFile(
      'cash_flows.csv',
      [
        'portfolio_id,date,amount,timing,currency',
        'P2,2024-01-01,5,,USD', // 2: before P2's first valuation 2024-01-02
        'P2,2024-01-06,5,,USD', // 3: after P2's last valuation 2024-01-05
        'P9,2024-01-03,5,,USD', // 4: P9 has no valuations
        'P9,2024-01-04,5,,USD', // 5
        'P1,2024-01-03,5,soon,USD', // 6: bad timing; P1's valuations are in EUR
        'P1,2024-01-04,5,,USD', // 7
      ].join('\n'),
    );
    const load = await loadPortfolios({ valuations: v, cashFlows: f });
    expect([...load.portfolios.keys()]).toEqual([]);
    expect([...load.problems.keys()]).toEqual(['P1', 'P2', 'P3', 'P9']);
    const expected = [
      `${v}:7: column 'date': duplicate valuation for portfolio 'P3' on 2024-01-02 (also on line 6)`,
      `${f}:2: column 'date': flow on 2024-01-01 is before portfolio 'P2''s first valuation on 2024-01-02`,
      `${f}:3: column 'date': flow on 2024-01-06 is after portfolio 'P2''s last valuation on 2024-01-05`,
      `${f}:4: column 'portfolio_id': portfolio 'P9' has cash flows but no valuations`,
      `${f}:6: column 'timing': "soon" is not a timing (expected start, end or blank)`,
      `${f}:6: column 'currency': portfolio 'P1' has mixed currencies: "USD" here, "EUR" on ${v}:4`,
    ];
    expect(allProblems(load).map(formatProblem)).toEqual(expected);
    expect(load.problemTotal).toBe(6);
    let thrown: unknown;
    try {
      throwIfAnyProblems(load);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(InputError);
    expect((thrown as InputError).message).toBe(expected.join('\n'));
  });

  it('keeps clean portfolios beside a bad one (batch isolation)', async () => {
    const v = await csvFile('v.csv', 'portfolio_id,date,market_value\nA,2024-01-02,1\nB,2024-01-02,-1\nB,2024-01-03,2\n');
    const load = await loadPortfolios({ valuations: v });
    expect([...load.portfolios.keys()]).toEqual(['A']);
    expect(load.problems.get('B')!.map(formatProblem)).toEqual([
      `${v}:3: column 'market_value': "-1" is not positive (a return needs a positive value)`,
    ]);
    expect(() => throwIfAnyProblems({ ...load, problems: new Map(), problemTotal: 0 })).not.toThrow();
  });

  it('throws file-level problems of both files in one InputError', async () => {
    const v = await csvFile('v.csv', '');
    const f = await csvFile('f.csv', 'portfolio_id,date\nP1,2024-01-02\n');
    const e = await inputError(loadPortfolios({ valuations: v, cashFlows: f }));
    expect(e.message).toBe(`${v}: file is empty\n${f}:1: column 'amount': required column is missing`);
  });

  it('needs exactly one of valuations and holdings', async () => {
    await expect(loadPortfolios({})).rejects.toBeInstanceOf(UsageError);
    await expect(loadPortfolios({ valuations: 'a', holdings: 'b' })).rejects.toBeInstanceOf(UsageError);
  });
});
