/**
 * The byte-level field parsers of fastScan.ts against the text parsers they stand in for:
 * fastDecimal must be Number(text) exactly (or NaN = "not taken"), fastDate parseIsoDate.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIsoDate } from '../../src/engine/calendarDate.js';
import { commaDate, fastDate, fastDecimal } from '../../src/storage/csv/fastScan.js';
import { readValuationsCsv } from '../../src/storage/csv/valuations.js';
import { readValuationsPlain } from '../../src/storage/csv/fastLoad.js';
import { scanValuationGroups, type ValuationGroup } from '../../src/storage/csv/fastGroups.js';
import { csvFile } from './csvFiles.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
const dec = (s: string): number => fastDecimal(bytes(s), 0, s.length);
const date = (s: string): number => fastDate(bytes(s), 0, s.length);

describe('fastDecimal', () => {
  it('is Number(text) for plain decimals of at most 15 digits, -0 included', () => {
    expect(dec('2976616.09')).toBe(2976616.09);
    expect(Object.is(dec('-0.00'), -0)).toBe(true);
    expect(dec('5.')).toBe(5);
    expect(dec('.5')).toBe(0.5);
    // 0.1 + 0.2 is not 0.3 in float64, but the text 0.3 must give the double nearest 0.3: 3 / 10.
    expect(dec('0.3')).toBe(0.3);
    expect(dec('999999999999999')).toBe(999_999_999_999_999);
    fc.assert(
      fc.property(fc.boolean(), fc.stringMatching(/^[0-9]{1,15}$/), fc.nat({ max: 16 }), (neg, digits, at) => {
        const p = Math.min(at, digits.length);
        const text = `${neg ? '-' : ''}${digits.slice(0, p)}${at <= digits.length ? '.' : ''}${digits.slice(p)}`;
        expect(Object.is(dec(text), Number(text))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('declines (NaN) what it does not take: more than 15 digits, exponents, signs other than -, spaces, blanks', () => {
    for (const t of ['1234567890123456', '0.1234567890123456', '1e3', '+1', ' 1', '1 ', '', '-', '.', '1.2.3', '--1', '0x1']) {
      expect(dec(t)).toBeNaN();
    }
  });
});

describe('fastDate', () => {
  it('agrees with parseIsoDate on valid and invalid 10-character dates', () => {
    expect(date('1970-01-01')).toBe(0);
    // 2024-01-01: 54 years of 365 days plus 13 leap days (1972..2020) = 19723
    expect(date('2024-01-01')).toBe(19723);
    expect(date('2024-02-29')).toBe(19723 + 31 + 28);
    expect(date('2023-02-29')).toBeNaN();
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/), fc.stringMatching(/^[ -~]{10}$/), (digits, ascii) => {
        for (const t of [digits, ascii]) expect(date(t)).toBe(parseIsoDate(t) ?? NaN);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('the month table behind fastDate and commaDate', () => {
  it('gives parseIsoDate for dates of any year 0000-9999 (leap years, month ends, day 0 and 32)', () => {
    const text = fc
      .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
      .map(([y, m, d]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`);
    fc.assert(
      fc.property(text, (t) => {
        const expected = parseIsoDate(t) ?? NaN;
        expect(date(t)).toBe(expected);
        // commaDate reads the same date between two commas, and nothing else.
        expect(commaDate(bytes(`x,${t},y`), 1)).toBe(expected);
      }),
      { numRuns: 5000 },
    );
    for (const t of ['2000-02-29', '1900-02-29', '2100-02-28', '0000-02-29', '9999-12-31', '1969-12-31']) {
      expect(date(t)).toBe(parseIsoDate(t) ?? NaN);
    }
  });

  it('commaDate declines a date without its commas or with other bytes in it', () => {
    const t = '2024-01-05';
    expect(commaDate(bytes(`,${t},`), 0)).toBe(parseIsoDate(t));
    for (const s of [`;${t},`, `,${t};`, `,${t.replace('-', '/')},`, `,2024-01-5,,`, `, 2024-01-5,`, `,2024-0a-05,`]) {
      expect(commaDate(bytes(s), 0)).toBeNaN();
    }
  });
});

describe('the portfolio_id,date,market_value shortcut', () => {
  it('declines a month 13-99 even when year * 16 + month matches the previous row\'s month', async () => {
    // 2016-17 and 2015-33 would land on 2017-01's table entry; each bad date follows a 2017-01 row of the same run.
    const bad = ['2016-17-05', '2015-33-06', '2017-00-07', '2017-13-08', '2017-02-29', '2017-01-32', '2017-01-00'];
    const lines = ['portfolio_id,date,market_value', 'P1,2017-01-02,10'];
    bad.forEach((d, k) => lines.push(`P1,2017-01-${String(10 + k)},${k + 1}.5`, `P1,${d},${k + 20}`));
    const path = await csvFile('v.csv', lines.join('\n') + '\n');
    const slow = (await readValuationsCsv(path)).get('P1')!;
    const fast = (await readValuationsPlain(path))!.get('P1')!;
    const groups: ValuationGroup[] = [];
    await scanValuationGroups(path, undefined, (g) => {
      groups.push(g);
    });
    expect(slow.problems.problems.map((p) => p.line)).toEqual([4, 6, 8, 10, 12, 14, 16]);
    for (const got of [fast, groups[0]!]) {
      expect([...got.dates]).toEqual([...slow.dates]);
      expect([...got.values]).toEqual([...slow.values]);
    }
    expect(fast.problems.problems).toEqual(slow.problems.problems);
    expect(groups[0]!.problems).toEqual(slow.problems.problems);
  });

  it('long and short values in runs of one portfolio load as the csv-parse loader reads them', async () => {
    // 16 and 17 digits: past the exact range of the mantissa, where only the text parser is right.
    const long = fc
      .tuple(fc.bigInt({ min: 10n ** 15n, max: 10n ** 17n - 1n }), fc.integer({ min: 1, max: 15 }))
      .map(([b, p]) => `${String(b).slice(0, p)}.${String(b).slice(p)}`);
    const value = fc.oneof(
      long,
      fc.stringMatching(/^[1-9][0-9]{0,18}\.[0-9]{1,4}$/),
      fc.stringMatching(/^[1-9][0-9]{0,16}$/),
      fc.integer({ min: 1, max: 9_999_999 }).map((c) => (c / 100).toFixed(2)),
    );
    // Read sizes from 16 bytes up: lines and runs cross chunk ends, lines longer than a chunk grow the buffer.
    const chunk = fc.option(fc.integer({ min: 16, max: 300 }), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(value, { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 4 }), chunk, fc.boolean(), async (ps, chunkBytes, crlf) => {
        const lines = ['portfolio_id,date,market_value'];
        ps.forEach((vs, k) => vs.forEach((v, d) => lines.push(`P${k},2024-${String(1 + (d >> 4)).padStart(2, '0')}-${String(1 + (d & 15)).padStart(2, '0')},${v}`)));
        const nl = crlf ? '\r\n' : '\n';
        const path = await csvFile('v.csv', lines.join(nl) + nl);
        const slow = await readValuationsCsv(path);
        const fast = await readValuationsPlain(path, chunkBytes);
        const groups: ValuationGroup[] = [];
        await scanValuationGroups(
          path,
          undefined,
          (g) => {
            groups.push(g);
          },
          { chunkBytes },
        );
        expect(fast).toBeDefined();
        for (const [id, b] of slow) {
          expect([...fast!.get(id)!.dates]).toEqual([...b.dates]);
          expect([...fast!.get(id)!.values]).toEqual([...b.values]);
          expect([...fast!.get(id)!.lines]).toEqual([...b.lines]);
          expect([...groups.find((g) => g.portfolioId === id)!.dates]).toEqual([...b.dates]);
          expect([...groups.find((g) => g.portfolioId === id)!.values]).toEqual([...b.values]);
        }
      }),
      { numRuns: 80 },
    );
  });
});
