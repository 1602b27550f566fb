/**
 * The byte-level field parsers of fastScan.ts against the text parsers they stand in for:
 * fastDecimal must be Number(text) exactly (or NaN = "not taken"), fastDate parseIsoDate.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIsoDate, parseIsoDate } from '../../src/engine/calendarDate.js';
import { commaDate, fastDate, fastDecimal } from '../../src/storage/csv/fastScan.js';
import { InputError } from '../../src/errors.js';
import { readValuationsCsv, type ValuationBuild } from '../../src/storage/csv/valuations.js';
import { readValuationsPlain } from '../../src/storage/csv/fastLoad.js';
import { scanValuationGroups, type ValuationGroup } from '../../src/storage/csv/fastGroups.js';
import { csvFile } from './csvFiles.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
const dec = (s: string): number => fastDecimal(bytes(s), 0, s.length);
const date = (s: string): number => fastDate(bytes(s), 0, s.length);
const view = (s: string): DataView => {
  const b = bytes(s);
  return new DataView(b.buffer, b.byteOffset, b.length);
};

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
        expect(commaDate(view(`x,${t},y`), 1)).toBe(expected);
      }),
      { numRuns: 5000 },
    );
    for (const t of ['2000-02-29', '1900-02-29', '2100-02-28', '0000-02-29', '9999-12-31', '1969-12-31']) {
      expect(date(t)).toBe(parseIsoDate(t) ?? NaN);
    }
  });

  it('commaDate is fastDate between two commas, for any 12 bytes (words of digits, dashes and others up to 0xff)', () => {
    // Mostly date-like bytes, so that most fields get far into the checks; any byte in any place.
    const byte = fc.oneof(fc.constantFrom(44, 45, 47, 48, 49, 50, 57, 58), fc.integer({ min: 0, max: 255 }));
    const like = fc.tuple(fc.stringMatching(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/), fc.array(fc.tuple(fc.nat({ max: 11 }), byte), { maxLength: 3 })).map(([t, edits]) => {
      const b = [...bytes(`,${t},`)];
      for (const [at, v] of edits) b[at] = v;
      return b;
    });
    fc.assert(
      fc.property(fc.oneof(like, fc.array(byte, { minLength: 12, maxLength: 12 })), (b) => {
        const buf = Buffer.from(b);
        const expected = buf[0] === 44 && buf[11] === 44 ? fastDate(buf, 1, 11) : NaN;
        expect(commaDate(new DataView(buf.buffer, buf.byteOffset, 12), 0)).toBe(expected);
      }),
      { numRuns: 5000 },
    );
  });

  it('commaDate declines a date without its commas or with other bytes in it', () => {
    const t = '2024-01-05';
    expect(commaDate(view(`,${t},`), 0)).toBe(parseIsoDate(t));
    for (const s of [`;${t},`, `,${t};`, `,${t.replace('-', '/')},`, `,2024-01-5,,`, `, 2024-01-5,`, `,2024-0a-05,`]) {
      expect(commaDate(view(s), 0)).toBeNaN();
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

/** Every build of a valuations read as plain data (values with -0 marked), or the InputError's problems. */
async function valuationBuilds(read: () => Promise<Map<string, ValuationBuild> | undefined>): Promise<unknown> {
  try {
    const m = await read();
    return m && [...m].map(([id, b]) => [id, [...b.dates], [...b.values].map((x) => (Object.is(x, -0) ? '-0' : x)), [...b.lines], b.problems.problems, b.problems.total]);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return { error: err.problems, total: err.total };
  }
}

/** The csv-parse read, the fast read at each read size and (when grouped) the grouped scan must agree; the fast read is returned. */
async function expectSameValuations(path: string, chunkSizes: Array<number | undefined>): Promise<unknown> {
  const slow = await valuationBuilds(() => readValuationsCsv(path));
  let fast: unknown;
  for (const chunkBytes of chunkSizes) {
    fast = await valuationBuilds(() => readValuationsPlain(path, chunkBytes));
    // These files are all plain: the fast path must read them, not hand them back.
    expect(fast).toEqual(slow);
    const groups: ValuationGroup[] = [];
    const outcome = await scanValuationGroups(path, undefined, (g) => void groups.push(g), { chunkBytes, digest: 'none' });
    if (!outcome.grouped) continue;
    const builds = await readValuationsCsv(path);
    expect(groups.map((g) => g.portfolioId)).toEqual([...builds.keys()]);
    for (const g of groups) {
      const b = builds.get(g.portfolioId)!;
      expect([...g.dates]).toEqual([...b.dates]);
      expect([...g.values]).toEqual([...b.values]);
      expect(g.problems).toEqual([...b.problems.problems].sort((x, y) => x.line - y.line));
    }
  }
  return fast;
}

// 2024-01-01 as an epoch day (see fastDate's test above).
const JAN1_2024 = 19723;

describe('the portfolio_id,date,market_value shortcut, 4 bytes at a time', () => {
  // Values around the word boundaries of the value reader (4, 8, 12 digits), the int32 and
  // 15-digit limits, leading zeros, zero, and whatever follows a value that is not a line end.
  const VALUES = [
    '1', '12', '123', '1234', '12345', '1234567', '12345678', '123456789', '1234567890', '123456789012', '123456789012345', '1234567890123456',
    '0.5', '.5', '5.', '1.2', '1.23', '1.234', '1.2345', '1.23456789', '12345678.9', '1234.5678', '12345.6789012', '1234567.89012345', '12345678901.2345',
    '99999999.99', '2147483647', '2147483648', '4294967295', '4294967296', '999999999999999', '99999999999999.9', '9999999999999999', '0.000000000000001',
    '0001', '0000.0001', '007.50', '0', '0.00', '00.000', '.', '..', '1..2', '1.2.3', '12.5x', '12x5', '1 ', ' 1', '', '-1', '+1', '1e5', '12.', '/1', '1:', '12:5',
  ];

  it('reads values of every length and dot position exactly, and hands the rest to the general path', async () => {
    for (const nl of ['\n', '\r\n']) {
      const lines = ['portfolio_id,date,market_value'];
      // Each case after a good row of the same run; all on different days.
      VALUES.forEach((v, k) => lines.push(`P1,${formatIsoDate(JAN1_2024 + 2 * k)},${2 * k + 1}.25`, `P1,${formatIsoDate(JAN1_2024 + 2 * k + 1)},${v}`));
      const path = await csvFile('v.csv', lines.join(nl) + nl);
      const fast = (await expectSameValuations(path, [undefined, 16, 17, 29, 64])) as Array<[string, number[], number[]]>;
      // Each value of the plain form, positive and of at most 15 digits, is read as Number(text).
      const plainForm = VALUES.filter((v) => /^[0-9]*\.?[0-9]*$/.test(v) && Number(v) > 0 && v.replace('.', '').length <= 15);
      expect(plainForm.length).toBeGreaterThan(30);
      for (const v of plainForm) expect(fast[0]![2]).toContain(Number(v));
    }
  });

  it('checks the day, the comma and the month length of rows that share the previous row\'s id and month', async () => {
    const days = ['2017-02-28', '2017-02-29', '2017-02-00', '2017-02-3x', '2017-02-x3', '2017-02-32', '2017-02-1:', '2017-02-/1', '2017-02-31', '2017-02-1'];
    const lines = ['portfolio_id,date,market_value'];
    days.forEach((d, k) => lines.push(`P1,2017-02-1${k},1.5`, `P1,${d},2.5`));
    // The same prefix then a line with a wrong field count: the comma after the day is missing.
    lines.push('P1,2017-02-11,1.5', 'P1,2017-02-12;2.5', 'P1,2017-02-13,3.5');
    const path = await csvFile('v.csv', lines.join('\n') + '\n');
    await expectSameValuations(path, [undefined, 16, 33]);
    const good = await csvFile('v.csv', lines.filter((l) => !l.includes(';')).join('\n') + '\n');
    await expectSameValuations(good, [undefined, 16, 33]);
  });

  it('tells ids apart that differ in any byte, at any id length, and reads bytes up to 0xff as not digits', async () => {
    // Ids of 1 to 20 bytes: those of more than 7 bytes are compared partly byte by byte, partly as words.
    const tail = fc.stringMatching(/^[A-Z0-9]{0,19}$/);
    const heads = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'ab', 'ba'), { minLength: 1, maxLength: 4 });
    const value = fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 9_999_999_999 }).map((c) => (c / 100).toFixed(2)) },
      { weight: 2, arbitrary: fc.stringMatching(/^[0-9]{0,9}\.?[0-9]{0,9}$/) },
      { weight: 1, arbitrary: fc.constantFrom(...VALUES) },
      // A digit, then a byte that is no digit (up to 0xff, whose + 6 carries into the next byte), then
      // digits; not a line end, quote or comma, which change the lines or fields.
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.integer({ min: 0, max: 255 }).filter((b) => ![10, 13, 34, 44].includes(b)), fc.stringMatching(/^[0-9]{1,6}$/))
          .map(([b, d]) => `1${String.fromCharCode(b)}${d}`),
      },
    );
    const date = fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 1, max: 28 }).map((d) => `2024-02-${String(d).padStart(2, '0')}`) },
      { weight: 1, arbitrary: fc.constantFrom('2024-02-29', '2024-02-30', '2024-02-00', '2024-03-01', '2023-02-29', '2024-13-01', '2024-0x-01', '2024-02-0x') },
    );
    const chunk = fc.option(fc.integer({ min: 16, max: 200 }), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(tail, heads, fc.array(fc.array(fc.tuple(date, value), { minLength: 1, maxLength: 30 }), { minLength: 4, maxLength: 4 }), fc.boolean(), chunk, async (t, hs, rows, crlf, chunkBytes) => {
        const nl = crlf ? '\r\n' : '\n';
        const parts = ['portfolio_id,date,market_value'];
        hs.forEach((h, k) => {
          for (const [d, v] of rows[k]!) parts.push(`${h}${t},${d},${v}`);
        });
        // latin1: each character is one byte, 0x80..0xff included (not UTF-8, as a corrupt file may be).
        const path = await csvFile('v.csv', Buffer.from(parts.join(nl) + nl, 'latin1'));
        await expectSameValuations(path, [chunkBytes]);
      }),
      { numRuns: 150 },
    );
  });
});
