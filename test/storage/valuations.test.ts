import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIsoDate } from '../../src/engine/calendarDate.js';
import { formatProblem } from '../../src/errors.js';
import { readValuationsCsv } from '../../src/storage/csv/index.js';
import { csvFile, inputError } from './csvFiles.js';

// Epoch days written out: 1970-01-01 .. 2024-01-01 is 54 years of 365 days plus the 13 leap days
// 1972, 1976, ..., 2020 -> 54 * 365 + 13 = 19723.
const JAN1_2024 = 54 * 365 + 13;
const isoOf = formatIsoDate;

function messages(problems: { file: string; line: number; field?: string; message: string }[]): string[] {
  return problems.map(formatProblem);
}

describe('readValuationsCsv: layout tolerance', () => {
  it('reads BOM, CRLF, any column order, extra columns, trimmed case-insensitive headers; sorts by date', async () => {
    const path = await csvFile(
      'v.csv',
      '\ufeff Market_Value ,note,DATE,portfolio_id\r\n' +
        '101.5,x,2024-01-03,P1\r\n' +
        '100,y,2024-01-02,P1\r\n' +
        '\r\n' +
        '"2,000.25",z,2024-01-02,P2\r\n',
    );
    const builds = await readValuationsCsv(path);
    const p1 = builds.get('P1')!;
    expect([...p1.dates]).toEqual([JAN1_2024 + 1, JAN1_2024 + 2]);
    expect([...p1.values]).toEqual([100, 101.5]);
    // the lines of the values after sorting: 2024-01-02 is on line 3, 2024-01-03 on line 2
    expect([...p1.lines]).toEqual([3, 2]);
    expect(p1.problems.total).toBe(0);
    // "2,000.25" is quoted CSV but not a plain number: a row problem for P2, on physical line 5
    const p2 = builds.get('P2')!;
    expect(messages(p2.problems.problems)).toEqual([`${path}:5: column 'market_value': "2,000.25" is not a number`]);
    expect(p2.dates.length).toBe(0);
  });

  it('numbers a record by its physical line even after a quoted newline', async () => {
    const path = await csvFile('v.csv', 'portfolio_id,date,market_value,note\nP1,2024-01-02,1,"two\nlines"\nP1,2024-01-0x,2,\n');
    const b = (await readValuationsCsv(path)).get('P1')!;
    expect(messages(b.problems.problems)).toEqual([
      `${path}:4: column 'date': "2024-01-0x" is not a date (expected YYYY-MM-DD)`,
    ]);
  });
});

describe('readValuationsCsv: row problems', () => {
  it('reports bad dates, bad numbers, non-positive values and duplicates with file, line and column', async () => {
    const path = await csvFile(
      'valuations.csv',
      [
        'portfolio_id,date,market_value',
        'P1,2024-01-02,100', // 2
        'P1,2024-02-30,100', // 3: no 30 February
        'P1,2024/01/03,100', // 4: not ISO
        'P1,2024-01-04,"12,5x"', // 5
        'P1,2024-01-05,0', // 6
        'P1,2024-01-06,-3.5', // 7
        'P1,2024-01-02,101', // 8: duplicate of line 2
        'P1,2024-01-09,NaN', // 9
        'P1,2024-01-10,', // 10
      ].join('\n'),
    );
    const b = (await readValuationsCsv(path)).get('P1')!;
    const sorted = [...b.problems.problems].sort((x, y) => x.line - y.line);
    expect(messages(sorted)).toEqual([
      `${path}:3: column 'date': "2024-02-30" is not a date (expected YYYY-MM-DD)`,
      `${path}:4: column 'date': "2024/01/03" is not a date (expected YYYY-MM-DD)`,
      `${path}:5: column 'market_value': "12,5x" is not a number`,
      `${path}:6: column 'market_value': "0" is not positive (a return needs a positive value)`,
      `${path}:7: column 'market_value': "-3.5" is not positive (a return needs a positive value)`,
      `${path}:8: column 'date': duplicate valuation for portfolio 'P1' on 2024-01-02 (also on line 2)`,
      `${path}:9: column 'market_value': "NaN" is not a number`,
      `${path}:10: column 'market_value': value is blank`,
    ]);
    // only line 2 survives
    expect([...b.dates]).toEqual([JAN1_2024 + 1]);
    expect([...b.values]).toEqual([100]);
  });

  it('names both lines of a duplicate even when rows arrive out of order', async () => {
    const path = await csvFile('v.csv', 'portfolio_id,date,market_value\nP1,2024-01-05,1\nP1,2024-01-02,2\nP1,2024-01-05,3\n');
    const b = (await readValuationsCsv(path)).get('P1')!;
    expect(messages(b.problems.problems)).toEqual([
      `${path}:4: column 'date': duplicate valuation for portfolio 'P1' on 2024-01-05 (also on line 2)`,
    ]);
    expect([...b.values]).toEqual([2, 1]);
  });

  it('keeps the first 10 problems of a portfolio and counts them all', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => `P1,2024-01-${String(i + 1).padStart(2, '0')},x${i}`);
    const path = await csvFile('v.csv', ['portfolio_id,date,market_value', ...rows].join('\n'));
    const b = (await readValuationsCsv(path)).get('P1')!;
    expect(b.problems.total).toBe(25);
    expect(b.problems.problems.length).toBe(10);
    expect(formatProblem(b.problems.problems[9]!)).toBe(`${path}:11: column 'market_value': "x9" is not a number`);
  });

  it('reports a second currency in one portfolio once, on the row that brings it', async () => {
    const path = await csvFile(
      'v.csv',
      'portfolio_id,date,market_value,currency\nP1,2024-01-02,1,USD\nP1,2024-01-03,1,\nP1,2024-01-04,1,EUR\nP1,2024-01-05,1,GBP\nP2,2024-01-02,1,EUR\n',
    );
    const m = await readValuationsCsv(path);
    expect(messages(m.get('P1')!.problems.problems)).toEqual([
      `${path}:4: column 'currency': portfolio 'P1' has mixed currencies: "EUR" here, "USD" on line 2`,
    ]);
    expect(m.get('P2')!.problems.total).toBe(0);
  });
});

describe('readValuationsCsv: file-level problems throw InputError', () => {
  it('empty file', async () => {
    const path = await csvFile('v.csv', '');
    expect((await inputError(readValuationsCsv(path))).message).toBe(`${path}: file is empty`);
  });

  it('BOM-only file is empty too', async () => {
    const path = await csvFile('v.csv', '\ufeff');
    expect((await inputError(readValuationsCsv(path))).message).toBe(`${path}: file is empty`);
  });

  it('header-only file', async () => {
    const path = await csvFile('v.csv', 'portfolio_id,date,market_value\r\n');
    expect((await inputError(readValuationsCsv(path))).message).toBe(`${path}: file has a header but no data rows`);
  });

  it('missing required columns are all named', async () => {
    const path = await csvFile('v.csv', 'portfolio,date\nP1,2024-01-02\n');
    const e = await inputError(readValuationsCsv(path));
    expect(e.message).toBe(
      `${path}:1: column 'portfolio_id': required column is missing\n${path}:1: column 'market_value': required column is missing`,
    );
  });

  it('blank portfolio_id and a wrong field count, in line order', async () => {
    const path = await csvFile('v.csv', 'portfolio_id,date,market_value\nP1,2024-01-02,1,extra\n  ,2024-01-02,1\nP1,2024-01-03,1\n');
    const e = await inputError(readValuationsCsv(path));
    expect(e.message).toBe(
      `${path}:2: expected 3 fields as in the header, found 4\n${path}:3: column 'portfolio_id': value is blank`,
    );
    expect(e.total).toBe(2);
  });

  it('malformed CSV (unclosed quote)', async () => {
    const path = await csvFile('v.csv', 'portfolio_id,date,market_value\nP1,2024-01-02,"1\n');
    const e = await inputError(readValuationsCsv(path));
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]!.line).toBe(2); // the record with the opening quote starts on line 2
    expect(e.message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2: malformed CSV: Quote Not Closed`));
  });

  it('unreadable file', async () => {
    const e = await inputError(readValuationsCsv('/nonexistent/dir/valuations.csv'));
    expect(e.message).toBe('/nonexistent/dir/valuations.csv: cannot read file: no such file');
  });
});

describe('readValuationsCsv: row order does not matter', () => {
  it('any permutation of the rows gives the same arrays (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 1000 }),
        async (offsets, seed) => {
          // value of day d is d + 1 (positive); ids alternate between two portfolios
          const rows = offsets.map((d, i) => [i % 2 === 0 ? 'A' : 'B', JAN1_2024 + d, d + 1] as const);
          const text = (rs: readonly (readonly [string, number, number])[]): string =>
            'portfolio_id,date,market_value\n' +
            rs.map(([id, z, v]) => `${id},${isoOf(z)},${v}`).join('\n');
          const shuffled = [...rows];
          let s = seed;
          for (let i = shuffled.length - 1; i > 0; i--) {
            s = (s * 1103515245 + 12345) % 2147483648;
            const j = s % (i + 1);
            [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
          }
          const a = await readValuationsCsv(await csvFile('a.csv', text(rows)));
          const b = await readValuationsCsv(await csvFile('b.csv', text(shuffled)));
          for (const id of ['A', 'B']) {
            const x = a.get(id);
            const y = b.get(id);
            expect(y === undefined).toBe(x === undefined);
            if (x === undefined || y === undefined) continue;
            expect([...y.dates]).toEqual([...x.dates]);
            expect([...y.values]).toEqual([...x.values]);
            // ascending, and each value is its date's offset + 1
            expect([...x.dates]).toEqual([...x.dates].sort((p, q) => p - q));
            x.dates.forEach((z, k) => expect(x.values[k]).toBe(z - JAN1_2024 + 1));
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
