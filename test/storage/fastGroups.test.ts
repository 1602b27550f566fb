/**
 * The streaming grouped scan (fastGroups.ts): each group equals the csv-parse loader's build
 * for that portfolio; the digest covers exactly the header and the group's bytes; files that
 * are not grouped (or not for the fast path) are reported, not half-read.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readValuationsCsv } from '../../src/storage/csv/valuations.js';
import { scanValuationGroups, type ValuationGroup } from '../../src/storage/csv/fastGroups.js';
import { csvFile } from './csvFiles.js';

async function groupsOf(path: string, range?: { start: number; end: number; firstLine?: number }, chunkBytes?: number) {
  const groups: ValuationGroup[] = [];
  const outcome = await scanValuationGroups(
    path,
    range,
    (g) => {
      groups.push(g);
    },
    { chunkBytes },
  );
  return { groups, outcome };
}

/** Each group against readValuationsCsv's build of the same portfolio, and its digest recomputed here. */
async function expectLikeLoader(path: string, groups: ValuationGroup[]): Promise<void> {
  const builds = await readValuationsCsv(path);
  expect(groups.map((g) => g.portfolioId)).toEqual([...builds.keys()]);
  const bytes = await readFile(path);
  const text = bytes.toString('latin1');
  const bom = text.startsWith('\xef\xbb\xbf') ? 3 : 0;
  const headerEnd = text.indexOf('\n');
  const header = bytes.subarray(bom, text[headerEnd - 1] === '\r' ? headerEnd - 1 : headerEnd);
  for (const g of groups) {
    const b = builds.get(g.portfolioId)!;
    expect([...g.dates]).toEqual([...b.dates]);
    expect([...g.values]).toEqual([...b.values]);
    expect(g.problems).toEqual([...b.problems.problems].sort((x, y) => x.line - y.line));
    expect(g.problemTotal).toBe(b.problems.total);
    expect(g.currency).toBe(b.currency.currency);
    const expected = createHash('sha256').update(header).update('\n').update(bytes.subarray(g.byteStart, g.byteEnd)).digest('hex');
    expect(g.digest).toBe(expected);
    expect(g.linesKnown).toBe(true);
  }
}

describe('scanValuationGroups', () => {
  it('hands over one portfolio at a time, sorted by date, with the loader problems and a digest of its bytes', async () => {
    const text =
      'portfolio_id,date,market_value\r\n' +
      'P1,2024-01-03,101\r\n' +
      'P1,2024-01-02,100\r\n' +
      '\r\n' +
      'P2,2024-01-02,5\r\n' +
      'P2,2024-01-02,6\r\n' +
      'P2,2024-01-04,0\r\n' +
      'P3,2024-01-02,7';
    const path = await csvFile('v.csv', text);
    const { groups, outcome } = await groupsOf(path);
    expect(outcome).toEqual({ grouped: true, groups: 3, rows: 6, lines: 7, ids: ['P1', 'P2', 'P3'] });
    await expectLikeLoader(path, groups);
    // P1's bytes run from the first data line to P2's first line (the blank line belongs to P1).
    const p1Start = 'portfolio_id,date,market_value\r\n'.length;
    const p2Start = p1Start + 'P1,2024-01-03,101\r\n'.length + 'P1,2024-01-02,100\r\n'.length + 2;
    expect([groups[0]!.byteStart, groups[0]!.byteEnd]).toEqual([p1Start, p2Start]);
    expect(groups[2]!.byteEnd).toBe(text.length);
    expect(groups[1]!.problems.map((p) => `${p.line}: ${p.message}`)).toEqual([
      "6: duplicate valuation for portfolio 'P2' on 2024-01-02 (also on line 5)",
      '7: "0" is not positive (a return needs a positive value)',
    ]);
    expect(groups.map((g) => [g.firstLine, g.rows])).toEqual([
      [2, 2],
      [5, 3],
      [8, 1],
    ]);
  });

  it('gives each group arrays of its own, of its length, whatever the lengths of the groups before it', async () => {
    // Row counts: runs of equal lengths, a longer group, shorter ones, a group with no rows kept,
    // and groups out of date order or with a duplicate (sorted).
    const counts = [3, 3, 3, 3, 5, 5, 5, 2, 2, 2, 1, 0, 4, 4, 4, 4];
    const lines = ['portfolio_id,date,market_value'];
    counts.forEach((c, k) => {
      if (c === 0) lines.push(`P${k},2024-01-02,0`);
      for (let d = 0; d < c; d++) lines.push(`P${k},2024-01-${String(10 + d).padStart(2, '0')},${k * 100 + d + 0.25}`);
    });
    lines.push('P90,2024-01-03,1', 'P90,2024-01-02,2', 'P90,2024-01-04,3');
    lines.push('P91,2024-01-03,1', 'P91,2024-01-03,2', 'P91,2024-01-04,3');
    const path = await csvFile('v.csv', lines.join('\n') + '\n');
    for (const chunkBytes of [undefined, 16, 40]) {
      const { groups, outcome } = await groupsOf(path, undefined, chunkBytes);
      expect(outcome.grouped).toBe(true);
      // Checked only after the whole scan: a later group must not have written into an earlier one's arrays.
      await expectLikeLoader(path, groups);
      const buffers = groups.flatMap((g) => [g.dates.buffer, g.values.buffer]);
      expect(new Set(buffers).size).toBe(buffers.length);
      for (const g of groups) {
        expect(g.dates.buffer.byteLength).toBe(g.dates.length * 4);
        expect(g.values.buffer.byteLength).toBe(g.values.length * 8);
      }
    }
  });

  it('reports a file whose portfolio reappears after its group as not grouped', async () => {
    const path = await csvFile('v.csv', 'portfolio_id,date,market_value\nP1,2024-01-02,1\nP2,2024-01-02,1\nP1,2024-01-03,1\n');
    const { outcome } = await groupsOf(path);
    expect(outcome).toEqual({ grouped: false, reason: 'not-grouped' });
  });

  it('treats ids that differ only by surrounding spaces as the same group', async () => {
    const path = await csvFile('v.csv', 'portfolio_id,date,market_value\nP1,2024-01-02,1\n P1 ,2024-01-03,2\nP2,2024-01-02,1\n');
    const { groups, outcome } = await groupsOf(path);
    expect(outcome.grouped).toBe(true);
    expect(groups.map((g) => [g.portfolioId, [...g.values]])).toEqual([
      ['P1', [1, 2]],
      ['P2', [1]],
    ]);
  });

  it('hands back file-level problems, missing columns and quoted files', async () => {
    const cases: Array<[string, string]> = [
      ['portfolio_id,date,market_value\nP1,2024-01-02,1\n,2024-01-03,1\n', 'file-problems'],
      ['portfolio_id,date,market_value\nP1,2024-01-02\n', 'file-problems'],
      ['portfolio_id,date\nP1,2024-01-02\n', 'header'],
      ['portfolio_id,date,market_value\nP1,2024-01-02,"1"\n', 'unsupported'],
      ['portfolio_id,date,market_value\n', 'unsupported'],
    ];
    for (const [text, reason] of cases) {
      const { outcome } = await groupsOf(await csvFile('v.csv', text));
      expect(outcome).toEqual({ grouped: false, reason });
    }
  });

  it('scans byte ranges: two halves split at a group boundary give the whole-file groups; unknown first lines are relative', async () => {
    const head = 'portfolio_id,date,market_value\n';
    const a = 'A,2024-01-02,1\nA,2024-01-03,2\n';
    const b = 'B,2024-01-03,3\nB,2024-01-03,4\n';
    const path = await csvFile('v.csv', head + a + b);
    const whole = await groupsOf(path);
    const first = await groupsOf(path, { start: 0, end: head.length + a.length });
    const second = await groupsOf(path, { start: head.length + a.length, end: head.length + a.length + b.length });
    expect([...first.groups, ...second.groups].map((g) => [g.portfolioId, g.digest, [...g.values]])).toEqual(
      whole.groups.map((g) => [g.portfolioId, g.digest, [...g.values]]),
    );
    // B's duplicate is on line 5 (header 1, A 2-3, B 4-5); without firstLine the scan counts from 1.
    expect(second.groups[0]!.linesKnown).toBe(false);
    expect(second.groups[0]!.problems.map((p) => p.line)).toEqual([2]);
    const known = await groupsOf(path, { start: head.length + a.length, end: head.length + a.length + b.length, firstLine: 4 });
    expect(known.groups[0]!.problems).toEqual(whole.groups[1]!.problems);
    expect(whole.groups[1]!.problems.map((p) => p.line)).toEqual([5]);
  });

  it('generated grouped files: every group equals the loader build (fast-check)', async () => {
    const row = fc.tuple(
      fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 30 }).map((k) => `2024-01-${String(1 + k).padStart(2, '0')}`) }, { weight: 1, arbitrary: fc.constantFrom('2024-02-30', '', 'x') }),
      fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 9_999_999 }).map((c) => (c / 100).toFixed(2)) }, { weight: 1, arbitrary: fc.constantFrom('0', '-1', '', '1e2', '12345678901234567') }),
      fc.constantFrom('', 'USD', 'EUR'),
    );
    const portfolio = fc.array(row, { minLength: 1, maxLength: 12 });
    // Small read sizes: lines, groups and digests cross chunk ends.
    const chunk = fc.option(fc.integer({ min: 16, max: 120 }), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(fc.array(portfolio, { minLength: 1, maxLength: 6 }), fc.boolean(), fc.boolean(), fc.boolean(), chunk, async (ps, crlf, currency, idFirst, chunkBytes) => {
        const nl = crlf ? '\r\n' : '\n';
        // portfolio_id,date,market_value is the bench layout (its own shortcut in the scanner).
        const lines = [(idFirst ? 'portfolio_id,date,market_value' : 'date,portfolio_id,market_value') + (currency ? ',currency' : '')];
        ps.forEach((rows, k) => {
          for (const [d, v, c] of rows) lines.push((idFirst ? `P${k},${d},${v}` : `${d},P${k},${v}`) + (currency ? `,${c}` : ''));
        });
        const path = await csvFile('v.csv', lines.join(nl) + nl);
        const { groups, outcome } = await groupsOf(path, undefined, chunkBytes);
        expect(outcome.grouped).toBe(true);
        await expectLikeLoader(path, groups);
        const whole = await groupsOf(path);
        expect(groups.map((g) => [g.byteStart, g.byteEnd, g.firstLine, g.rows])).toEqual(whole.groups.map((g) => [g.byteStart, g.byteEnd, g.firstLine, g.rows]));
        expect(outcome).toEqual(whole.outcome);
      }),
      { numRuns: 120 },
    );
  });
});
