import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/errors.js';
import { readHoldingsCsv } from '../../src/storage/csv/index.js';
import { csvFile, inputError } from './csvFiles.js';

const JAN1_2024 = 54 * 365 + 13; // 1970..2023: 54 years of 365 days + 13 leap days

describe('readHoldingsCsv', () => {
  it('sums market values exactly in decimal, using quantity x price where market_value is blank', async () => {
    const path = await csvFile(
      'h.csv',
      [
        'portfolio_id,date,security_id,quantity,price,market_value,currency,asset_class,sector',
        'P1,2024-01-02,A,,,0.1,USD,eq,tech',
        'P1,2024-01-02,B,,,0.2,USD,eq,tech',
        'P1,2024-01-03,A,3,33.33,,USD,eq,tech', // 3 x 33.33 = 99.99
        'P1,2024-01-03,B,10,1.5,-0.99,USD,eq,tech', // market_value wins over quantity x price; shorts allowed
      ].join('\n'),
    );
    const b = (await readHoldingsCsv(path)).get('P1')!;
    expect(b.problems.total).toBe(0);
    expect([...b.dates]).toEqual([JAN1_2024 + 1, JAN1_2024 + 2]);
    // exact: 0.1 + 0.2 = 0.3 (float addition would give 0.30000000000000004); 99.99 - 0.99 = 99
    expect([...b.values]).toEqual([0.3, 99]);
    expect(0.1 + 0.2).not.toBe(0.3);
    expect([...b.lines]).toEqual([2, 4]);
  });

  it('works without quantity/price columns, and needs market_value when they are absent', async () => {
    const ok = await csvFile('h.csv', 'date,security_id,market_value,portfolio_id\n2024-01-02,A,5,P1\n');
    expect([...(await readHoldingsCsv(ok)).get('P1')!.values]).toEqual([5]);
    const bad = await csvFile('h.csv', 'portfolio_id,date,security_id,quantity\nP1,2024-01-02,A,5\n');
    expect((await inputError(readHoldingsCsv(bad))).message).toBe(
      `${bad}:1: column 'market_value': required column is missing`,
    );
  });

  it('reports duplicate holdings, bad numbers and non-positive day totals', async () => {
    const path = await csvFile(
      'holdings.csv',
      [
        'portfolio_id,date,security_id,quantity,price,market_value',
        'P1,2024-01-02,A,,,100', // 2
        'P1,2024-01-02,A,,,50', // 3: duplicate of line 2
        'P1,2024-01-03,A,2,1.5x,', // 4
        'P1,2024-01-04,A,,,10', // 5
        'P1,2024-01-04,B,,,-10', // 6: the day sums to 0
        'P1,2024-01-05,A,,,', // 7: no value at all
      ].join('\n'),
    );
    const b = (await readHoldingsCsv(path)).get('P1')!;
    const msgs = [...b.problems.problems].sort((x, y) => x.line - y.line).map(formatProblem);
    expect(msgs).toEqual([
      `${path}:3: column 'security_id': duplicate holding of 'A' for portfolio 'P1' on 2024-01-02 (also on line 2)`,
      `${path}:4: column 'price': "1.5x" is not a number`,
      `${path}:5: column 'market_value': holdings of portfolio 'P1' on 2024-01-04 sum to 0, not a positive value`,
      `${path}:7: column 'quantity': value is blank`,
      `${path}:7: column 'price': value is blank`,
    ]);
  });
});
