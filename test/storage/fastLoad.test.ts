/**
 * Differential tests: the byte-level fast path (fastLoad.ts) against the csv-parse loaders,
 * over hand-written and fast-check-generated files, valid and malformed. Both must give the
 * same PortfolioLoad (portfolios' arrays, problems, totals) or the same InputError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { loadPortfolios, type PortfolioLoad } from '../../src/storage/csv/loadPortfolios.js';
import { CashFlowBuild, packFlows, readCashFlowsCsv, unpackFlows } from '../../src/storage/csv/cashFlows.js';
import { Money } from '../../src/engine/money.js';
import {
  loadPortfoliosFast,
  readCashFlowsPlain,
  readValuationsPlain,
} from '../../src/storage/csv/fastLoad.js';
import { csvFile } from './csvFiles.js';

type Outcome =
  | { error: { problems: unknown[]; total: number } }
  | {
      portfolios: Array<[string, number[], number[], number[], number[], number[]]>;
      problems: Array<[string, unknown[]]>;
      problemTotal: number;
      files: string[];
    };

/** Plain arrays; -0 written as the string '-0' so that it cannot compare equal to 0. */
function plain(a: ArrayLike<number>): number[] {
  return Array.from(a, (x) => (Object.is(x, -0) ? ('-0' as unknown as number) : x));
}

function normal(load: PortfolioLoad): Outcome {
  return {
    portfolios: [...load.portfolios].map(([id, p]) => [
      id,
      plain(p.valuations.dates),
      plain(p.valuations.values),
      plain(p.flows.dates),
      plain(p.flows.amounts),
      plain(p.flows.timing),
    ]),
    problems: [...load.problems],
    problemTotal: load.problemTotal,
    files: load.files,
  };
}

async function outcome(run: () => Promise<PortfolioLoad>): Promise<Outcome> {
  try {
    return normal(await run());
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return { error: { problems: err.problems, total: err.total } };
  }
}

/** Loads with both paths, expects the same outcome and returns it. */
async function same(valuations: string, cashFlows?: string): Promise<Outcome> {
  const opts = cashFlows === undefined ? { valuations } : { valuations, cashFlows };
  const slow = await outcome(() => loadPortfolios(opts));
  const fast = await outcome(() => loadPortfoliosFast(opts));
  expect(fast).toEqual(slow);
  return fast;
}

// Epoch days written out: 2024-01-01 is 54 * 365 + 13 leap days (1972..2020) = 19723.
const JAN1_2024 = 19723;

describe('fast loader: hand-written files', () => {
  it('reads the plain layout itself, with the csv-parse values (BOM, CRLF, reordered and extra columns)', async () => {
    const v = await csvFile(
      'v.csv',
      '\ufeffMarket_Value,note, DATE ,portfolio_id\r\n' + '101.5,x,2024-01-03,P1\r\n' + '100,y,2024-01-02,P1\r\n' + '\r\n' + '2000.25,z,2024-01-02,P2\r\n',
    );
    const c = await csvFile('c.csv', 'portfolio_id,date,amount,timing\n' + 'P1,2024-01-03,-5.5,START\n' + 'P1,2024-01-03,1.25,start\n' + 'P1,2024-01-03,7,\n');
    expect(await readValuationsPlain(v)).toBeDefined();
    expect(await readCashFlowsPlain(c)).toBeDefined();
    const out = await same(v, c);
    // P1: 2024-01-02 -> 100, 2024-01-03 -> 101.5; flows on 2024-01-03: default 7, start -5.5 + 1.25 = -4.25
    expect(out).toEqual({
      portfolios: [
        ['P1', [JAN1_2024 + 1, JAN1_2024 + 2], [100, 101.5], [JAN1_2024 + 2, JAN1_2024 + 2], [7, -4.25], [0, 2]],
        ['P2', [JAN1_2024 + 1], [2000.25], [], [], []],
      ],
      problems: [],
      problemTotal: 0,
      files: [v, c],
    });
  });

  it('gives the same row problems: bad dates, bad and non-positive values, blanks, duplicates, timings, currencies', async () => {
    const v = await csvFile(
      'v.csv',
      'portfolio_id,date,market_value,currency\n' +
        'P1,2024-02-30,5,USD\n' +
        'P1,2024-01-02,0,USD\n' +
        'P1,2024-01-03,-1.5,USD\n' +
        'P1,,1,USD\n' +
        'P1,2024-01-04,,EUR\n' +
        'P1,2024-01-05,1e3,USD\n' +
        'P1,2024-01-05,12.5,USD\n' +
        'P2, 2024-01-02 ,abc,\n' +
        'P2,2024-1-2,3,\n' +
        'P3,2024-01-02,1234567890123456789,\n' +
        'P3,2024-01-03,0.1000000000000000055511151231257827,\n',
    );
    const c = await csvFile('c.csv', 'portfolio_id,date,amount,timing,currency\n' + 'P3,2024-01-02,12345678901234567.5,end,GBP\n' + 'P3,2024-01-02,1,later,\n' + 'P4,2024-01-02,1,,\n');
    expect(await readValuationsPlain(v)).toBeDefined();
    const out = await same(v, c);
    if (!('problems' in out)) throw new Error('expected a load');
    const p1 = (out.problems.find(([id]) => id === 'P1') as [string, Array<{ line: number; message: string }>])[1];
    expect(p1.map((p) => `${p.line}: ${p.message}`)).toEqual([
      '2: "2024-02-30" is not a date (expected YYYY-MM-DD)',
      '3: "0" is not positive (a return needs a positive value)',
      '4: "-1.5" is not positive (a return needs a positive value)',
      '5: value is blank',
      '6: value is blank',
      '6: portfolio \'P1\' has mixed currencies: "EUR" here, "USD" on line 2',
      "8: duplicate valuation for portfolio 'P1' on 2024-01-05 (also on line 7)",
    ]);
  });

  it('throws the same file-level errors: blank id, wrong field counts, missing column, header only, empty, missing file', async () => {
    const cases = [
      'portfolio_id,date,market_value\nP1,2024-01-02,1\n ,2024-01-03,1\nP1,2024-01-04\nP1,2024-01-05,1,2\n',
      'date,market_value\n2024-01-02,1\n',
      'portfolio_id,date,market_value\n',
      'portfolio_id,date,market_value',
      '',
      '\n\n',
    ];
    for (const text of cases) {
      const v = await csvFile('v.csv', text);
      const out = await same(v);
      expect('error' in out).toBe(true);
    }
    await same('/nonexistent/perfcalc/v.csv');
  });

  it('hands quoted files, bare CRs, mixed line endings and leading blank lines to csv-parse and still agrees', async () => {
    const texts = [
      'portfolio_id,date,market_value\n"P1",2024-01-02,1\n',
      'portfolio_id,date,market_value\nP1,2024-01-02,"1,5"\n',
      'portfolio_id,date,market_value\nP1,2024-01-02,1"\n',
      'portfolio_id,date,market_value\rP1,2024-01-02,1\r',
      'portfolio_id,date,market_value\r\nP1,2024-01-02,1\nP1,2024-01-03,2\r\n',
      'portfolio_id,date,market_value\nP1,2024-01-02,1\r\nP1,2024-01-03,2\n',
      '\n\nportfolio_id,date,market_value\nP1,2024-01-02,1\n',
    ];
    for (const text of texts) {
      const v = await csvFile('v.csv', text);
      expect(await readValuationsPlain(v)).toBeUndefined();
      await same(v);
    }
  });

  it('reads non-ASCII ids and a last line without a line ending', async () => {
    const v = await csvFile('v.csv', 'portfolio_id,date,market_value\r\nÄ1,2024-01-02,1.5\r\n\u00a0Ä1\u00a0,2024-01-03,2');
    expect(await readValuationsPlain(v)).toBeDefined();
    const out = await same(v);
    expect(out).toEqual({
      portfolios: [['Ä1', [JAN1_2024 + 1, JAN1_2024 + 2], [1.5, 2], [], [], []]],
      problems: [],
      problemTotal: 0,
      files: [v],
    });
  });
});

// ---- generated files ----------------------------------------------------------------------

const ID = fc.constantFrom('P1', 'P2', 'P10', ' P2', 'Ä7', 'Q-9');
const BAD_ID = fc.constantFrom('', '  ');
const DATE_OK = fc.integer({ min: 0, max: 40 }).map((k) => {
  const d = new Date(Date.UTC(2023, 11, 20) + k * 86_400_000);
  return d.toISOString().slice(0, 10);
});
const DATE_BAD = fc.constantFrom('', ' ', '2024-02-30', '2023-13-01', '2024-1-05', '20240105', 'abcd-ef-gh', ' 2024-01-05 ', '2024-01-05x', '0000-02-29');
const VALUE_OK = fc.oneof(
  fc.integer({ min: 1, max: 99_999_999 }).map((c) => (c / 100).toFixed(2)),
  fc.integer({ min: 1, max: 9_999_999 }).map(String),
  fc.bigInt({ min: 1n, max: 10n ** 20n }).map((b) => `${b}.${String(b % 1000n).padStart(3, '0')}`),
  fc.constantFrom('0.1', '5.', '.5', '007.50', '1e3', '+3', ' 7.25 ', '0.30000000000000004', '123456789012345', '1234567890123456'),
);
const VALUE_BAD = fc.constantFrom('', '0', '-0', '-5.25', '0.00', 'abc', '1e400', '1,5', '--1', '.', '-', 'NaN', 'Infinity', '0x10');
const AMOUNT = fc.oneof(
  fc.integer({ min: -99_999_999, max: 99_999_999 }).map((c) => (c / 100).toFixed(2)),
  fc.bigInt({ min: -(10n ** 19n), max: 10n ** 19n }).map((b) => `${b}.5`),
  fc.constantFrom('', '-0', '0', 'abc', '1e2', '-1e-2', '+4', ' 3 ', '12345678901234567890.123', '1e400'),
);
const TIMING = fc.constantFrom('', 'start', 'end', 'START', ' End ', 'later', 'st');
const CURRENCY = fc.constantFrom('', 'USD', 'USD', 'EUR');

interface GenFile {
  columns: string[];
  rows: string[][];
  crlf: boolean;
  bom: boolean;
  trailingNewline: boolean;
  emptyLines: number[];
  /** Rows that lose or gain a field. */
  shortRows: number[];
  longRows: number[];
  /** Rows where a quote character is put into the first field. */
  quoted: number[];
}

function render(g: GenFile): string {
  const nl = g.crlf ? '\r\n' : '\n';
  const lines = [g.columns.join(',')];
  g.rows.forEach((r, i) => {
    let fields = r.slice();
    if (g.shortRows.includes(i)) fields = fields.slice(0, -1);
    if (g.longRows.includes(i)) fields.push('x');
    if (g.quoted.includes(i)) fields[0] = `"${fields[0]}"`;
    lines.push(fields.join(','));
    if (g.emptyLines.includes(i)) lines.push('');
  });
  return (g.bom ? '\ufeff' : '') + lines.join(nl) + (g.trailingNewline ? nl : '');
}

/** A table with the given columns (in a random order, header case varied, an extra column maybe). */
function table(
  required: Record<string, fc.Arbitrary<string>>,
  optional: Record<string, fc.Arbitrary<string>>,
  malformed: boolean,
): fc.Arbitrary<GenFile> {
  const optionalNames = Object.keys(optional);
  return fc
    .record({
      withOptional: fc.subarray(optionalNames),
      extra: fc.boolean(),
      order: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
      upper: fc.boolean(),
      n: fc.integer({ min: 1, max: 25 }),
      crlf: fc.boolean(),
      bom: fc.boolean(),
      trailingNewline: fc.boolean(),
      /** Rows sorted by portfolio id (runs of one id, as exported files have them). */
      grouped: fc.boolean(),
    })
    .chain((shape) => {
      const names = [...Object.keys(required), ...shape.withOptional, ...(shape.extra ? ['note'] : [])];
      const keyed = names.map((name, i) => ({ name, key: shape.order[i] ?? i }));
      keyed.sort((a, b) => a.key - b.key);
      const columns = keyed.map((k) => k.name);
      const cell = (name: string): fc.Arbitrary<string> => required[name] ?? optional[name] ?? fc.constantFrom('a', 'b c', '');
      const row = fc.tuple(...columns.map(cell));
      const idx = fc.array(fc.integer({ min: 0, max: shape.n - 1 }), { maxLength: malformed ? 2 : 0 });
      return fc
        .record({
          rows: fc.array(row, { minLength: shape.n, maxLength: shape.n }),
          emptyLines: fc.array(fc.integer({ min: 0, max: shape.n - 1 }), { maxLength: 2 }),
          shortRows: idx,
          longRows: idx,
          quoted: fc.array(fc.integer({ min: 0, max: shape.n - 1 }), { maxLength: malformed ? 1 : 0 }),
        })
        .map((r) => ({
          ...r,
          rows: shape.grouped ? sortedBy(r.rows, columns.indexOf('portfolio_id')) : r.rows,
        }))
        .map((r) => ({
          columns: columns.map((c) => (shape.upper && c !== 'note' ? c.toUpperCase() : c)),
          crlf: shape.crlf,
          bom: shape.bom,
          trailingNewline: shape.trailingNewline,
          ...r,
        }));
    });
}

function sortedBy(rows: string[][], col: number): string[][] {
  return rows.slice().sort((a, b) => ((a[col] as string) < (b[col] as string) ? -1 : (a[col] as string) > (b[col] as string) ? 1 : 0));
}

function valuationsTable(malformed: boolean): fc.Arbitrary<GenFile> {
  return table(
    {
      portfolio_id: malformed ? fc.oneof({ weight: 20, arbitrary: ID }, { weight: 1, arbitrary: BAD_ID }) : ID,
      date: malformed ? fc.oneof({ weight: 6, arbitrary: DATE_OK }, { weight: 1, arbitrary: DATE_BAD }) : DATE_OK,
      market_value: malformed ? fc.oneof({ weight: 4, arbitrary: VALUE_OK }, { weight: 1, arbitrary: VALUE_BAD }) : VALUE_OK,
    },
    { currency: CURRENCY },
    malformed,
  );
}

function flowsTable(malformed: boolean): fc.Arbitrary<GenFile> {
  return table(
    {
      portfolio_id: malformed ? fc.oneof({ weight: 20, arbitrary: ID }, { weight: 1, arbitrary: BAD_ID }) : ID,
      date: malformed ? fc.oneof({ weight: 6, arbitrary: DATE_OK }, { weight: 1, arbitrary: DATE_BAD }) : DATE_OK,
      amount: AMOUNT,
    },
    { currency: CURRENCY, timing: TIMING },
    malformed,
  );
}

describe('fast loader: generated files (fast-check)', () => {
  it('valid-shaped files (any row order, CRLF, BOM, reordered and extra columns): identical loads, read by the fast path', async () => {
    let fastTook = 0;
    await fc.assert(
      fc.asyncProperty(valuationsTable(false), flowsTable(false), async (vg, cg) => {
        const v = await csvFile('v.csv', render(vg));
        const c = await csvFile('c.csv', render(cg));
        await same(v, c);
        // Only a file with blank lines before its header... none here: every one must be taken.
        expect(await readValuationsPlain(v)).toBeDefined();
        fastTook++;
      }),
      { numRuns: 120 },
    );
    expect(fastTook).toBe(120);
  });

  it('malformed files (bad fields, blank ids, wrong field counts, quotes, duplicates): identical loads or errors', async () => {
    await fc.assert(
      fc.asyncProperty(valuationsTable(true), flowsTable(true), async (vg, cg) => {
        const v = await csvFile('v.csv', render(vg));
        const c = await csvFile('c.csv', render(cg));
        await same(v, c);
        // The fast path hands back exactly the files with a quote in them.
        const plain = await readValuationsPlain(v).catch((e: unknown) => (e instanceof InputError ? 'error' : Promise.reject(e)));
        expect(plain === undefined).toBe(vg.quoted.length > 0);
      }),
      { numRuns: 200 },
    );
  });
});

// ---- raw cash flows: the fast reader's builds, row by row ------------------------------------

/** A cash-flows read as plain data: every build's rows, exact amounts, currency and problems; or the InputError. */
async function rawFlows(read: () => Promise<Map<string, CashFlowBuild> | undefined>): Promise<unknown> {
  let m: Map<string, CashFlowBuild> | undefined;
  try {
    m = await read();
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return { error: { problems: err.problems, total: err.total } };
  }
  if (m === undefined) return undefined;
  return [...m].map(([id, b]) => ({
    id,
    file: b.file,
    dates: plain(b.dates.toArray()),
    amounts: plain(b.amounts.toArray()),
    timing: [...b.timing.toArray()],
    lines: [...b.lines.toArray()],
    exact: [...b.exact].map(([i, x]) => [i, x.toString()]),
    currency: [b.currency.currency, b.currency.line, b.currency.file],
    problems: b.problems.problems,
    total: b.problems.total,
  }));
}

/** Builds after packFlows and unpackFlows (the scan workers' copy). */
function repacked(m: Map<string, CashFlowBuild>, shared = false): Map<string, CashFlowBuild> {
  const packed = structuredClone(packFlows(m, { shared }));
  const exact = new Map(packed.exact);
  return new Map(packed.ids.map((id, k) => [id, unpackFlows(packed, k, exact)]));
}

/** The bench layout portfolio_id,date,amount[,timing]: the fast reader's own shortcut for runs of one portfolio. */
const BENCH_FLOW = fc.record({
  id: fc.constantFrom('P1', 'P2', 'P10', 'Ä7'),
  date: fc.oneof({ weight: 8, arbitrary: DATE_OK }, { weight: 1, arbitrary: DATE_BAD }),
  amount: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: -99_999_999, max: 99_999_999 }).map((c) => (c / 100).toFixed(2)) },
    { weight: 1, arbitrary: AMOUNT },
    {
      weight: 1,
      arbitrary: fc.constantFrom('5.', '.5', '-.5', '-5.', '-0.00', '0', '123456789012345', '-12345678901234.5', '1234567890123456', '-', '.', '1.2.3', '1-2'),
    },
  ),
  timing: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('', 'start', 'end', 'START', 'End', 'sTaRt') }, { weight: 1, arbitrary: fc.constantFrom('en', 'starts', 'end ', ' start', 'x', 'ends') }),
});

function benchFlowsFile(rows: Array<{ id: string; date: string; amount: string; timing: string }>, timing: boolean, crlf: boolean, trailing: boolean, grouped: boolean): string {
  const list = grouped ? rows.slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) : rows;
  const nl = crlf ? '\r\n' : '\n';
  const lines = [timing ? 'portfolio_id,date,amount,timing' : 'portfolio_id,date,amount'];
  for (const r of list) lines.push(`${r.id},${r.date},${r.amount}${timing ? `,${r.timing}` : ''}`);
  return lines.join(nl) + (trailing ? nl : '');
}

describe('fast cash-flows reader: raw builds', () => {
  it('bench-layout files: the same rows, exact amounts, lines and problems as readCashFlowsCsv, at any read size', async () => {
    const chunk = fc.option(fc.integer({ min: 16, max: 200 }), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(fc.array(BENCH_FLOW, { minLength: 1, maxLength: 40 }), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), chunk, async (rows, timing, crlf, trailing, grouped, chunkBytes) => {
        const c = await csvFile('c.csv', benchFlowsFile(rows, timing, crlf, trailing, grouped));
        const slow = await rawFlows(() => readCashFlowsCsv(c));
        const fast = await rawFlows(() => readCashFlowsPlain(c, chunkBytes));
        expect(fast).toEqual(slow);
        const m = await readCashFlowsPlain(c).catch(() => undefined);
        if (m !== undefined) expect(await rawFlows(async () => repacked(m))).toEqual(slow);
        // read into shared columns and packed without a copy where the file is grouped
        const ms = await readCashFlowsPlain(c, chunkBytes, { shared: true }).catch(() => undefined);
        if (ms !== undefined) expect(await rawFlows(async () => repacked(ms, true))).toEqual(slow);
      }),
      { numRuns: 200 },
    );
  });

  it('generated files of any layout (currency, reordered and extra columns, malformed lines): the same raw builds, at any read size', async () => {
    const chunk = fc.option(fc.integer({ min: 16, max: 120 }), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(flowsTable(true), chunk, async (cg, chunkBytes) => {
        const c = await csvFile('c.csv', render(cg));
        const slow = await rawFlows(() => readCashFlowsCsv(c));
        const fast = await rawFlows(() => readCashFlowsPlain(c, chunkBytes));
        if (fast !== undefined) expect(fast).toEqual(slow);
        else expect(cg.quoted.length).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });

  it('bench-layout amounts of every length and dot position, signs, near-miss timings and bytes up to 0xff: as readCashFlowsCsv reads them', async () => {
    // The shortcut reads dates, amounts and timings 4 bytes at a time: lengths around 4, 8 and 12 digits, the 15-digit
    // limit, and whatever follows an amount or a timing.
    const digits = fc.stringMatching(/^[0-9]{0,9}\.?[0-9]{0,9}$/);
    const amount = fc.oneof(
      { weight: 3, arbitrary: fc.tuple(fc.constantFrom('', '-', '--', '+'), digits).map(([sign, d]) => sign + d) },
      { weight: 1, arbitrary: fc.constantFrom('1234', '-12345678', '123456789012', '-123456789012345', '1234567890123456', '0.000000000000001', '-0', '-.5', '5.', '1..2', '12.5x', '1 ', '-', '') },
      // A byte that is no digit (up to 0xff, whose + 6 carries into the next byte) among digits; no line end, quote or comma.
      { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 255 }).filter((b) => ![10, 13, 34, 44].includes(b)), digits).map(([b, d]) => `1${String.fromCharCode(b)}${d}`) },
    );
    const timing = fc.constantFrom('', 'start', 'end', 'START', 'End', 'sTaRt', 'star', 'stars', 'STARx', 'sta', 's', 'e', 'en', 'enx', 'ENa', 'starts', 'ends', 'startt', 'stbrt', 'emd', 'end ', '\xff', 'st\xffrt', 'ENDX');
    const date = fc.oneof(DATE_OK, fc.constantFrom('2024-02-29', '2023-02-29', '2024-00-10', '2024-13-01', '2024-1x-01', '2024-01-0x', '2024-01-32', '\xff024-01-01'));
    // Ids of 1 to 14 bytes; those of 4 to 8 are compared in words: some differ in one first, middle or last byte only.
    const id = fc.constantFrom('P1', 'q', 'P00001', 'P00101', 'Q00001', 'ABCD', 'ABCE', 'XBCD', 'ABCDEFGH', 'ABCDXFGH', 'XBCDEFGH', 'ABCDEFG', 'ABCDEFGHI', 'ABCDXFGHI', 'LONGER-ID-0001');
    const row = fc.record({ id, date, amount, timing });
    const chunk = fc.option(fc.integer({ min: 16, max: 200 }), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 60 }), fc.boolean(), fc.boolean(), chunk, async (rows, withTiming, crlf, chunkBytes) => {
        // latin1: one byte a character, 0x80..0xff included (not UTF-8, as a corrupt file may be).
        const c = await csvFile('c.csv', Buffer.from(benchFlowsFile(rows, withTiming, crlf, true, true), 'latin1'));
        const slow = await rawFlows(() => readCashFlowsCsv(c));
        expect(await rawFlows(() => readCashFlowsPlain(c, chunkBytes))).toEqual(slow);
        expect(await rawFlows(() => readCashFlowsPlain(c))).toEqual(slow);
      }),
      { numRuns: 200 },
    );
  });

  it('packFlows({ shared: true }) keeps the shared columns of a grouped file as they are, and copies an ungrouped one', async () => {
    // enough rows that the reader keeps its columns rather than a trimmed copy (it reserves a row per 32 bytes, at least 1,024, and trims below 3/4 full)
    const rows = Array.from({ length: 999 }, (_, i) => `P${Math.floor(i / 333) + 1},2024-01-${String((i % 28) + 1).padStart(2, '0')},${i + 0.5}`);
    const grouped = await csvFile('g.csv', `portfolio_id,date,amount\n${rows.join('\n')}\n`);
    const m = (await readCashFlowsPlain(grouped, undefined, { shared: true }))!;
    const packed = packFlows(m, { shared: true });
    expect(packed.dates.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(packed.dates.buffer).toBe(m.get('P1')!.dates.view().buffer);
    expect(packed.amounts.buffer).toBe(m.get('P3')!.amounts.view().buffer);
    expect(packed.amounts.slice(331, 335)).toEqual(new Float64Array([331.5, 332.5, 333.5, 334.5]));
    expect([...packed.starts]).toEqual([0, 333, 666, 999]);
    expect(await rawFlows(async () => repacked(m, true))).toEqual(await rawFlows(() => readCashFlowsCsv(grouped)));
    const mixed = await csvFile('u.csv', 'portfolio_id,date,amount\nP1,2024-01-02,1.5\nP2,2024-01-02,-3\nP1,2024-01-03,2\n');
    const mu = (await readCashFlowsPlain(mixed, undefined, { shared: true }))!;
    const pu = packFlows(mu, { shared: true });
    expect(pu.amounts.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect([...pu.amounts]).toEqual([1.5, 2, -3]);
    expect(await rawFlows(async () => repacked(mu, true))).toEqual(await rawFlows(() => readCashFlowsCsv(mixed)));
  });

  it('keeps amounts of more than 15 significant digits exact through packFlows and unpackFlows', async () => {
    const c = await csvFile(
      'c.csv',
      'portfolio_id,date,amount\nP1,2024-01-02,1.5\nP1,2024-01-02,12345678901234567.25\nP2,2024-01-02,-0.1000000000000000055511151231257827\nP1,2024-01-03,2\n',
    );
    const m = (await readCashFlowsPlain(c))!;
    const raw = await rawFlows(async () => m);
    expect(raw).toEqual(await rawFlows(() => readCashFlowsCsv(c)));
    expect((raw as Array<{ id: string; exact: unknown[] }>).map((b) => [b.id, b.exact])).toEqual([
      ['P1', [[1, '12345678901234567.25']]],
      ['P2', [[0, '-0.1000000000000000055511151231257827']]],
    ]);
    expect(await rawFlows(async () => repacked(m))).toEqual(raw);
  });
});

describe('fast valuations reader: read sizes', () => {
  it('gives the same builds at any read size', async () => {
    const chunk = fc.integer({ min: 16, max: 120 });
    await fc.assert(
      fc.asyncProperty(valuationsTable(true), chunk, async (vg, chunkBytes) => {
        const v = await csvFile('v.csv', render(vg));
        const read = (n?: number) => readValuationsPlain(v, n).catch((e: unknown) => (e instanceof InputError ? { problems: e.problems } : Promise.reject(e)));
        expect(await read(chunkBytes)).toEqual(await read());
      }),
      { numRuns: 150 },
    );
  });
});

describe('CashFlowBuild.finish', () => {
  it('sorts by (date, timing) keeping file order, nets equal keys exactly and reports flows outside the range (oracle)', () => {
    const flow = fc.record({
      day: fc.integer({ min: 0, max: 6 }),
      timing: fc.constantFrom(0, 1, 2),
      amount: fc.oneof(
        fc.integer({ min: -9_999_999, max: 9_999_999 }).map((c) => (c / 100).toFixed(2)),
        fc.constantFrom('0.1', '0.2', '-0.3', '12345678901234567.25', '-0.1000000000000000055511151231257827', '1e3'),
      ),
    });
    const range = fc.option(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 })), { nil: undefined });
    fc.assert(
      fc.property(fc.array(flow, { maxLength: 30 }), range, (flows, r) => {
        const base = JAN1_2024;
        const b = new CashFlowBuild('P1', 'c.csv');
        flows.forEach((f, k) => b.add(base + f.day, new Money(f.amount), f.amount, f.timing, k + 2));
        const lim = r === undefined ? undefined : { first: base + Math.min(...r), last: base + Math.max(...r) };
        const got = b.finish(lim);
        // The specification, written plainly.
        const rows = flows.map((f, k) => ({ ...f, line: k + 2 }));
        rows.sort((x, y) => x.day * 4 + x.timing - (y.day * 4 + y.timing) || x.line - y.line);
        const want = { dates: [] as number[], amounts: [] as number[], timing: [] as number[] };
        const problems: number[] = [];
        for (let k = 0; k < rows.length; ) {
          let j = k;
          while (j < rows.length && rows[j]!.day === rows[k]!.day && rows[j]!.timing === rows[k]!.timing) j++;
          const group = rows.slice(k, j);
          const date = base + rows[k]!.day;
          if (lim !== undefined && (date < lim.first || date > lim.last)) problems.push(...group.map((g) => g.line));
          else {
            want.dates.push(date);
            want.timing.push(rows[k]!.timing);
            want.amounts.push(group.reduce((s, g) => s.plus(new Money(g.amount)), new Money(0)).toNumber());
          }
          k = j;
        }
        expect({ dates: plain(got.dates), amounts: plain(got.amounts), timing: [...got.timing] }).toEqual({
          dates: plain(want.dates),
          amounts: plain(want.amounts),
          timing: want.timing,
        });
        expect(b.problems.problems.map((p) => p.line)).toEqual(problems);
      }),
      { numRuns: 500 },
    );
  });
});
