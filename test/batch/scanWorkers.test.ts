/**
 * runGroupedScan on worker threads: the same results for 1, 2 and 4 workers and for any split
 * points (a portfolio whose rows straddle a split point is handled once, whole), absolute line
 * numbers in every range, and non-grouped files reported.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/errors.js';
import { runGroupedScan } from '../../src/batch/scanWorkers.js';
import { scanValuationGroups } from '../../src/storage/csv/fastGroups.js';
import { readValuationsCsv } from '../../src/storage/csv/valuations.js';
import { csvFile } from '../storage/csvFiles.js';
import { handleGroup, type TaskResult } from './scanTask.js';

const TASK = new URL('./scanTask.ts', import.meta.url);

async function run(path: string, workers: number, splitAt?: number[], taskOptions: unknown = { tag: 't' }) {
  const results: TaskResult[] = [];
  const outcome = await runGroupedScan({
    path,
    workers,
    taskModule: TASK,
    taskOptions,
    splitAt,
    onResult: (r, id) => {
      expect((r as TaskResult).id).toBe(id);
      results.push(r as TaskResult);
    },
  });
  results.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { outcome, results };
}

/** The file: 24 portfolios x 30 days, a bad value in P07 and P20, a duplicate in P22, currencies on P18.. */
function bench(): string {
  const lines = ['portfolio_id,date,market_value,currency'];
  for (let p = 0; p < 24; p++) {
    const id = `P${String(p).padStart(2, '0')}`;
    for (let d = 29; d >= 0; d--) {
      const date = `2024-03-${String(1 + d).padStart(2, '0')}`;
      let value = (1000 + p * 10 + d / 4).toFixed(2);
      if ((p === 7 && d === 3) || (p === 20 && d === 12)) value = '-1';
      const currency = p >= 18 ? 'USD' : '';
      lines.push(`${id},${p === 22 && d === 5 ? '2024-03-05' : date},${value},${currency}`);
    }
  }
  return lines.join('\n') + '\n';
}

describe('runGroupedScan', () => {
  it('gives the single-thread results with 1, 2 and 4 workers and with split points inside portfolios', async () => {
    const text = bench();
    const path = await csvFile('v.csv', text);
    const reference: TaskResult[] = [];
    const single = await scanValuationGroups(path, undefined, (g) => {
      reference.push(handleGroup(g, {}, { tag: 't' }));
    });
    expect(single.grouped).toBe(true);
    expect(reference).toHaveLength(24);
    // Problems name absolute lines, as csv-parse does: P20's bad row (day 12 of 30, written from day 29 down)
    // is data row 20 * 30 + (29 - 12) + 1 = 618, line 619.
    const builds = await readValuationsCsv(path);
    for (const r of reference) expect(r.problems).toEqual([...builds.get(r.id)!.problems.problems].sort((a, b) => a.line - b.line).map(formatProblem));
    expect(reference.find((r) => r.id === 'P20')!.problems).toEqual([`${path}:619: column 'market_value': "-1" is not positive (a return needs a positive value)`]);
    // P18's currency is first given on its first row: data row 18 * 30 + 1, line 542.
    expect(reference.find((r) => r.id === 'P18')!.currencyLine).toBe(542);

    for (const workers of [1, 2, 4]) {
      const { outcome, results } = await run(path, workers);
      expect(outcome.grouped).toBe(true);
      expect(results).toEqual(reference);
    }
    // Split points in the middle of P05's and P19's rows: the ranges start at P06 and P20.
    const p05 = text.indexOf('P05,') + 40;
    const p19 = text.indexOf('P19,') + 100;
    const { outcome, results } = await run(path, 3, [p05, p19]);
    expect(results).toEqual(reference);
    // Task options that arrive after the workers have scanned everything: the groups wait for them.
    const late = new Promise((resolve) => setTimeout(() => resolve({ tag: 't' }), 1500));
    expect((await run(path, 2, undefined, late)).results).toEqual(reference);
    if (!outcome.grouped) throw new Error('expected grouped');
    expect(outcome.ranges.map((r) => r.start)).toEqual([text.indexOf('\n') + 1, text.indexOf('P06,'), text.indexOf('P20,')]);
    expect(outcome.groups).toBe(24);
    expect(outcome.rows).toBe(24 * 30);
  });

  it('handles a single portfolio spanning every split point in one worker', async () => {
    const lines = ['portfolio_id,date,market_value'];
    for (let d = 1; d <= 28; d++) lines.push(`ONLY,2024-02-${String(d).padStart(2, '0')},${d}.5`);
    const path = await csvFile('v.csv', lines.join('\n'));
    const { outcome, results } = await run(path, 4);
    expect(outcome.grouped && outcome.ranges.length).toBe(1);
    // 1.5 + 2.5 + ... + 28.5 = (28 * 29) / 2 + 28 * 0.5 = 406 + 14 = 420
    expect(results.map((r) => [r.id, r.n, r.sum])).toEqual([['ONLY', 28, 420]]);
  });

  it('takes task options that arrive later (a promise), and fails the scan with its rejection', async () => {
    const path = await csvFile('v.csv', bench());
    const got: TaskResult[] = [];
    let release: (o: unknown) => void = () => {};
    const later = new Promise<unknown>((resolve) => (release = resolve));
    const scanning = runGroupedScan({ path, workers: 2, taskModule: TASK, taskOptions: later, onResult: (r) => got.push(r as TaskResult) });
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual([]); // the workers wait for their options
    release({ tag: 'late' });
    const outcome = await scanning;
    expect(outcome.grouped).toBe(true);
    expect(got).toHaveLength(24);
    expect(new Set(got.map((r) => r.tag))).toEqual(new Set(['late']));

    const rejected = runGroupedScan({ path, workers: 2, taskModule: TASK, taskOptions: Promise.reject(new Error('flows file unreadable')), onResult: () => {} });
    await expect(rejected).rejects.toThrow('flows file unreadable');
  });

  it('reports a portfolio that reappears, within one range or across ranges', async () => {
    const lines = ['portfolio_id,date,market_value'];
    for (let p = 0; p < 10; p++) for (let d = 1; d <= 20; d++) lines.push(`P${p},2024-02-${String(d).padStart(2, '0')},1`);
    lines.push('P0,2024-03-01,1');
    const path = await csvFile('v.csv', lines.join('\n') + '\n');
    expect((await run(path, 1)).outcome).toEqual({ grouped: false, reason: 'not-grouped' });
    expect((await run(path, 2)).outcome).toEqual({ grouped: false, reason: 'not-grouped' });
  });

  it('terminates a worker only once its modules are loaded, when another finds the file not grouped at once', async () => {
    // P0 reappears in the first range; the second range's worker is still in its task module's
    // top-level await when the first reports it (terminating then could abort the process)
    const lines = ['portfolio_id,date,market_value', 'P0,2024-02-01,1', 'P1,2024-02-01,1', 'P0,2024-02-02,1'];
    for (let p = 2; p < 40; p++) lines.push(`P${p},2024-02-01,1`);
    const path = await csvFile('v.csv', lines.join('\n') + '\n');
    const marker = `${path}.loaded`;
    await writeFile(marker, '');
    const before = process.env.PERFCALC_TEST_MARKER;
    process.env.PERFCALC_TEST_MARKER = marker;
    try {
      const outcome = await runGroupedScan({ path, workers: 2, taskModule: new URL('./slowTask.ts', import.meta.url), onResult: () => undefined });
      expect(outcome).toEqual({ grouped: false, reason: 'not-grouped' });
    } finally {
      if (before === undefined) delete process.env.PERFCALC_TEST_MARKER;
      else process.env.PERFCALC_TEST_MARKER = before;
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // both workers finished evaluating their task module before they were terminated
    expect((await readFile(marker, 'utf8')).trim().split('\n')).toHaveLength(2);
  });

  it('reports files the plain scan does not take', async () => {
    const quoted = await csvFile('v.csv', 'portfolio_id,date,market_value\nP1,2024-01-02,"1"\nP2,2024-01-02,1\n');
    expect((await run(quoted, 2)).outcome).toEqual({ grouped: false, reason: 'unsupported' });
    const noId = await csvFile('v.csv', 'date,market_value\n2024-01-02,1\n');
    expect((await run(noId, 2)).outcome).toEqual({ grouped: false, reason: 'header' });
  });
});
