import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIsoDate } from '../../src/engine/calendarDate.js';
import { readReturnsCsv } from '../../src/storage/csv/index.js';
import { csvFile, inputError } from './csvFiles.js';

const DATA = '/work/shared/data';
const date = (s: string): number => parseIsoDate(s)!;

describe('readReturnsCsv on the PerformanceAnalytics data sets (/work/shared/data/README.md)', () => {
  for (const [name, seriesCount, observations] of [
    ['managers', 10, 1178],
    ['edhec', 13, 3809],
    ['portfolio_bacon', 2, 48],
  ] as const) {
    it(`${name}: long and wide layouts load to identical series`, async () => {
      const long = await readReturnsCsv(`${DATA}/${name}_long.csv`);
      const wide = await readReturnsCsv(`${DATA}/${name}_wide.csv`);
      expect(long.layout).toBe('long');
      expect(wide.layout).toBe('wide');
      expect(long.series.size).toBe(seriesCount);
      expect([...wide.series.keys()]).toEqual([...long.series.keys()]);
      // the README's row counts: one long row per non-missing observation
      expect([...long.series.values()].reduce((s, x) => s + x.dates.length, 0)).toBe(observations);
      expect(readFileSync(`${DATA}/${name}_long.csv`, 'utf8').trim().split('\n').length - 1).toBe(observations);
      for (const [id, l] of long.series) {
        const w = wide.series.get(id)!;
        expect(w.seriesId).toBe(id);
        expect([...w.dates]).toEqual([...l.dates]);
        expect([...w.returns]).toEqual([...l.returns]);
        expect(w.returns.some(Number.isNaN)).toBe(false);
      }
    });
  }

  it('managers: values and missing starts as the README states', async () => {
    const { series } = await readReturnsCsv(`${DATA}/managers_wide.csv`);
    const ham1 = series.get('HAM1')!;
    // first rows of managers_wide.csv: 1996-01-31 0.0074, 1996-02-29 0.0193
    expect(ham1.dates[0]).toBe(date('1996-01-31'));
    expect([ham1.returns[0], ham1.returns[1]]).toEqual([0.0074, 0.0193]);
    expect(ham1.dates.length).toBe(132);
    // HAM2 starts 1996-08-31, HAM5 2000-08-31, HAM6 2001-09-30, EDHEC LS EQ 1997-01-31
    expect(series.get('HAM2')!.dates[0]).toBe(date('1996-08-31'));
    expect(series.get('HAM5')!.dates[0]).toBe(date('2000-08-31'));
    expect(series.get('HAM6')!.dates[0]).toBe(date('2001-09-30'));
    expect(series.get('EDHEC LS EQ')!.dates[0]).toBe(date('1997-01-31'));
    expect(series.get('US 3m TR')!.returns[0]).toBe(0.00456);
  });
});

describe('readReturnsCsv: layouts and units', () => {
  it('long layout in any column order, rows in any order; percent unit divides by 100 in decimal', async () => {
    const path = await csvFile(
      'r.csv',
      'return,Series_ID,date,extra\r\n1.1,A,2024-02-29,x\r\n-0.7,A,2024-01-31,y\r\n0.3,B,2024-01-31,z\r\n',
    );
    const r = await readReturnsCsv(path, { unit: 'percent' });
    const a = r.series.get('A')!;
    expect([...a.dates]).toEqual([date('2024-01-31'), date('2024-02-29')]);
    // 1.1 / 100 = 0.011 exactly in decimal; float division 1.1 / 100 gives 0.011000000000000001
    expect([...a.returns]).toEqual([-0.007, 0.011]);
    expect(1.1 / 100).not.toBe(0.011);
    expect([...r.series.get('B')!.returns]).toEqual([0.003]);
  });

  it('wide layout: date column anywhere, empty cells are absent observations', async () => {
    const path = await csvFile('r.csv', 'X , date ,Y\n0.01,2024-01-31,\n,2024-02-29,0.02\n0.03,2024-03-31,0.04\n');
    const r = await readReturnsCsv(path);
    expect(r.layout).toBe('wide');
    expect([...r.series.keys()]).toEqual(['X', 'Y']);
    expect([...r.series.get('X')!.dates]).toEqual([date('2024-01-31'), date('2024-03-31')]);
    expect([...r.series.get('X')!.returns]).toEqual([0.01, 0.03]);
    expect([...r.series.get('Y')!.returns]).toEqual([0.02, 0.04]);
  });
});

describe('readReturnsCsv: problems', () => {
  it('long: unparseable return and date, blank id, duplicate series+date naming both lines', async () => {
    const path = await csvFile(
      'returns.csv',
      [
        'series_id,date,return',
        'A,2024-01-31,0.01', // 2
        'A,2024-02-31,0.01', // 3
        'A,2024-03-31,1%', // 4
        ',2024-04-30,0.01', // 5
        'B,2024-01-31,0.02', // 6
        'A,2024-01-31,0.05', // 7: duplicate of line 2
      ].join('\n'),
    );
    const e = await inputError(readReturnsCsv(path));
    expect(e.message).toBe(
      [
        `${path}:3: column 'date': "2024-02-31" is not a date (expected YYYY-MM-DD)`,
        `${path}:4: column 'return': "1%" is not a number`,
        `${path}:5: column 'series_id': value is blank`,
        `${path}:7: column 'date': duplicate return for series 'A' on 2024-01-31 (also on line 2)`,
      ].join('\n'),
    );
  });

  it('wide: duplicate column names are a file-level error', async () => {
    const path = await csvFile('returns.csv', 'date,A,B, A\n2024-01-31,0.1,0.2,0.3\n');
    const e = await inputError(readReturnsCsv(path));
    expect(e.message).toBe(`${path}:1: column 'A': duplicate column name (columns 2 and 4)`);
  });

  it('wide: unparseable cell names the series column; a repeated date names both lines', async () => {
    const path = await csvFile('returns.csv', 'date,A,B\n2024-01-31,0.1,abc\n2024-02-29,0.1,0.2\n2024-01-31,0.3,0.4\n');
    const e = await inputError(readReturnsCsv(path));
    expect(e.message).toBe(
      [
        `${path}:2: column 'B': "abc" is not a number`,
        `${path}:4: column 'date': duplicate date 2024-01-31 (also on line 2)`,
      ].join('\n'),
    );
  });

  it('header without series or date columns', async () => {
    const onlyDate = await csvFile('r.csv', 'date\n2024-01-31\n');
    expect((await inputError(readReturnsCsv(onlyDate))).message).toBe(
      `${onlyDate}:1: column 'date': no series columns beside date (expected long series_id,date,return or wide date,<id>,...)`,
    );
    const noDate = await csvFile('r.csv', 'when,A\n2024-01-31,0.1\n');
    expect((await inputError(readReturnsCsv(noDate))).message).toBe(`${noDate}:1: column 'date': required column is missing`);
    const longNoReturn = await csvFile('r.csv', 'series_id,date,value\nA,2024-01-31,0.1\n');
    expect((await inputError(readReturnsCsv(longNoReturn))).message).toBe(
      `${longNoReturn}:1: column 'return': required column is missing`,
    );
  });

  it('empty and header-only files', async () => {
    const empty = await csvFile('r.csv', '');
    expect((await inputError(readReturnsCsv(empty))).message).toBe(`${empty}: file is empty`);
    const header = await csvFile('r.csv', 'date,A\n');
    expect((await inputError(readReturnsCsv(header))).message).toBe(`${header}: file has a header but no data rows`);
  });
});
