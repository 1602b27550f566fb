/**
 * `perfcalc run` end to end through the built binary: equality with the per-portfolio commands,
 * byte-identical output whatever the concurrency and row order, isolation of a bad portfolio and
 * the exit codes, the cache across runs, and a process killed mid-run.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, FIXTURES, runCli, tempDir } from '../cli/runCli.js';

const V = join(FIXTURES, 'valuations.csv');
const F = join(FIXTURES, 'cash_flows.csv');
const R = join(FIXTURES, 'benchmark.csv');

interface Row {
  portfolio_id: string;
  period: string;
  metric: string;
  value: string;
  status: string;
  note: string;
  start_date: string;
  end_date: string;
}

function parseResults(text: string): Row[] {
  const [header, ...lines] = text.trim().split('\n');
  const cols = header!.split(',');
  // the note column may be quoted (it can hold commas); the fields compared here are before it
  return lines.map((l) => {
    const cells = l.split(',');
    return Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? ''])) as unknown as Row;
  });
}

async function runBatch(args: string[], dir: string) {
  return runCli(['run', '--state-dir', join(dir, 'state'), '--run-id', 'test-run', ...args], { cwd: dir });
}

/** The lines of a CSV file, with the header first and the data lines in random order (seeded). */
function shuffled(text: string, seed: number): string {
  const [header, ...rows] = text.trim().split('\n');
  let s = seed;
  for (let i = rows.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  return `${[header, ...rows].join('\n')}\n`;
}

describe('perfcalc run', () => {
  it('equals the per-portfolio twr and mwr commands value for value', async () => {
    const dir = await tempDir();
    const r = await runBatch(['--valuations', V, '--cash-flows', F, '--metrics', 'twr,mwr', '--out', 'out', '--no-cache'], dir);
    expect(r.code).toBe(0);
    const rows = parseResults(await readFile(join(dir, 'out', 'results.csv'), 'utf8'));
    for (const [command, metric] of [['twr', 'twr'], ['mwr', 'mwr']] as const) {
      const single = await runCli([command, '--valuations', V, '--cash-flows', F, '--format', 'json']);
      const records = JSON.parse(single.stdout) as Array<{ portfolio_id: string; period: string; cumulative_return: number | null; annualized_return: number | null; annualized: boolean; status: string }>;
      expect(records.length).toBe(70);
      for (const rec of records) {
        const row = rows.find((x) => x.portfolio_id === rec.portfolio_id && x.period === rec.period && x.metric === metric)!;
        expect(row.status).toBe(rec.status);
        expect(row.value === '' ? null : Number(row.value)).toBe(rec.cumulative_return);
        const ann = rows.find((x) => x.portfolio_id === rec.portfolio_id && x.period === rec.period && x.metric === `${metric}_annualized`);
        if (rec.annualized) expect(Number(ann!.value)).toBe(rec.annualized_return);
        else expect(ann).toBeUndefined();
      }
    }
  });

  it('daily risk over ITD equals perfcalc risk on the same portfolio and benchmark', async () => {
    const dir = await tempDir();
    const r = await runBatch(
      ['--valuations', V, '--cash-flows', F, '--returns', R, '--benchmark', 'BENCH', '--rf-series', 'RF', '--metrics', 'risk', '--risk-frequency', 'daily', '--periods', 'ITD', '--out', 'out', '--no-cache'],
      dir,
    );
    expect(r.code).toBe(0);
    const rows = parseResults(await readFile(join(dir, 'out', 'results.csv'), 'utf8'));
    const single = await runCli(['risk', '--valuations', V, '--cash-flows', F, '--returns', R, '--benchmark', 'BENCH', '--rf-series', 'RF', '--portfolio', 'P-003', '--series', 'P-003', '--format', 'json']);
    const [rec] = JSON.parse(single.stdout) as Array<Record<string, number | null>>;
    const mine = rows.filter((x) => x.portfolio_id === 'P-003');
    expect(mine.length).toBe(32);
    for (const row of mine) expect(row.value === '' ? null : Number(row.value)).toBe(rec![row.metric]);
  });

  it('writes the same bytes at concurrency 1 and 8 and with shuffled input rows', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'v.csv'), shuffled(await readFile(V, 'utf8'), 7));
    await writeFile(join(dir, 'f.csv'), shuffled(await readFile(F, 'utf8'), 11));
    const common = ['--returns', R, '--benchmark', 'BENCH', '--metrics', 'twr,mwr,risk', '--no-cache', '--format', 'csv,json'];
    expect((await runBatch(['--valuations', V, '--cash-flows', F, '--concurrency', '1', '--out', 'a', ...common], dir)).code).toBe(0);
    expect((await runBatch(['--valuations', V, '--cash-flows', F, '--concurrency', '8', '--out', 'b', ...common], dir)).code).toBe(0);
    expect((await runBatch(['--valuations', 'v.csv', '--cash-flows', 'f.csv', '--concurrency', '3', '--out', 'c', ...common], dir)).code).toBe(0);
    const a = await readFile(join(dir, 'a', 'results.csv'));
    expect(a.length).toBeGreaterThan(100_000);
    expect(await readFile(join(dir, 'b', 'results.csv'))).toEqual(a);
    expect(await readFile(join(dir, 'c', 'results.csv'))).toEqual(a);
    expect(await readFile(join(dir, 'c', 'results.json'))).toEqual(await readFile(join(dir, 'a', 'results.json')));
  });

  it('isolates a bad portfolio: errors.csv names it, the rest complete, exit code 1', async () => {
    const dir = await tempDir();
    const text = await readFile(V, 'utf8');
    const lines = text.split('\n');
    const idx = lines.findIndex((l) => l.startsWith('P-005,2025-03-03'));
    lines[idx] = 'P-005,2025-03-03,0,USD';
    await writeFile(join(dir, 'v.csv'), lines.join('\n'));
    const r = await runBatch(['--valuations', 'v.csv', '--cash-flows', F, '--out', 'out'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('1 of 10 portfolios failed');
    const errors = await readFile(join(dir, 'out', 'errors.csv'), 'utf8');
    // CSV quoting doubles the quotes around the bad value
    expect(errors).toContain('P-005,load,"');
    expect(errors).toContain(`v.csv:${idx + 1}: column 'market_value': ""0"" is not positive`);
    const rows = parseResults(await readFile(join(dir, 'out', 'results.csv'), 'utf8'));
    expect(new Set(rows.map((x) => x.portfolio_id)).size).toBe(9);
    expect(rows.some((x) => x.portfolio_id === 'P-005')).toBe(false);
    const summary = JSON.parse(await readFile(join(dir, 'out', 'summary.json'), 'utf8'));
    expect(summary.portfolios).toEqual({ total: 10, succeeded: 9, failed: 1 });
    expect(summary.outcome).toBe('partial');

    const fast = await runBatch(['--valuations', 'v.csv', '--cash-flows', F, '--out', 'ff', '--fail-fast', '--concurrency', '1'], dir);
    expect(fast.code).toBe(1);
    expect(JSON.parse(await readFile(join(dir, 'ff', 'summary.json'), 'utf8')).stopped_early).toBe(true);
  });

  it('exit code 2 for usage errors and unreadable input, with nothing written', async () => {
    const dir = await tempDir();
    const missing = await runBatch(['--valuations', 'nope.csv', '--out', 'out'], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.csv');
    expect(existsSync(join(dir, 'out'))).toBe(false);
    const bad = await runBatch(['--valuations', V, '--concurrency', 'many', '--out', 'out'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--concurrency: "many" is not a positive integer');
    const none = await runBatch(['--out', 'out'], dir);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no portfolio data');
    // the failed runs are in the audit trail
    const audit = await runCli(['audit', '--state-dir', join(dir, 'state'), '--format', 'json']);
    expect((JSON.parse(audit.stdout) as Array<{ outcome: string }>).filter((a) => a.outcome === 'failed').length).toBe(1);
  });

  it('cache: a rerun hits for every portfolio; one changed portfolio is recomputed alone; a corrupt entry is reported and recomputed', async () => {
    const dir = await tempDir();
    const args = ['--valuations', 'v.csv', '--cash-flows', F, '--cache-dir', 'cache'];
    await writeFile(join(dir, 'v.csv'), await readFile(V, 'utf8'));
    const summary = async (out: string) => JSON.parse(await readFile(join(dir, out, 'summary.json'), 'utf8'));
    expect((await runBatch([...args, '--out', 'r1'], dir)).code).toBe(0);
    expect((await summary('r1')).cache).toMatchObject({ hits: 0, misses: 10 });
    expect((await runBatch([...args, '--out', 'r2'], dir)).code).toBe(0);
    expect((await summary('r2')).cache).toMatchObject({ hits: 10, misses: 0 });
    expect(await readFile(join(dir, 'r2', 'results.csv'))).toEqual(await readFile(join(dir, 'r1', 'results.csv')));

    const text = await readFile(join(dir, 'v.csv'), 'utf8');
    await writeFile(join(dir, 'v.csv'), text.replace(/^P-007,2026-10-30,[0-9.]+/m, 'P-007,2026-10-30,1300000.00'));
    expect((await runBatch([...args, '--out', 'r3'], dir)).code).toBe(0);
    expect((await summary('r3')).cache).toMatchObject({ hits: 9, misses: 1 });

    // the smallest pack is r3's: P-007's recomputed entry alone; cut it in half
    const packs = (await readdir(join(dir, 'cache'))).filter((f) => f.endsWith('.pack'));
    const sizes = await Promise.all(packs.map(async (f) => (await stat(join(dir, 'cache', f))).size));
    const entry = join(dir, 'cache', packs[sizes.indexOf(Math.min(...sizes))]!);
    const bytes = await readFile(entry);
    await writeFile(entry, bytes.subarray(0, bytes.length >> 1));
    const r4 = await runBatch([...args, '--out', 'r4'], dir);
    expect(r4.code).toBe(0);
    expect(r4.stderr).toContain('cache entry was corrupt');
    expect((await summary('r4')).cache).toMatchObject({ hits: 9, corrupt: 1 });
    expect(await readFile(join(dir, 'r4', 'results.csv'))).toEqual(await readFile(join(dir, 'r3', 'results.csv')));
  });

  it('cache: entries older than --cache-ttl are expired and recomputed', async () => {
    const dir = await tempDir();
    const args = ['--valuations', V, '--cash-flows', F, '--cache-dir', 'cache', '--cache-ttl', '1s'];
    expect((await runBatch([...args, '--out', 'r1'], dir)).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await runBatch([...args, '--out', 'r2'], dir)).code).toBe(0);
    expect(JSON.parse(await readFile(join(dir, 'r2', 'summary.json'), 'utf8')).cache).toMatchObject({ hits: 0, expired: 10 });
  });

  it('a run killed with SIGKILL leaves no partial result file, and a rerun completes', async () => {
    const dir = await tempDir();
    // a bigger input so the kill lands mid-run: the fixtures repeated under 40 portfolio ids
    const [header, ...rows] = (await readFile(V, 'utf8')).trim().split('\n');
    const big = [header];
    for (let k = 0; k < 40; k++) for (const r of rows) big.push(r.replace(/^P-/, `K${k}-`));
    await writeFile(join(dir, 'v.csv'), `${big.join('\n')}\n`);
    const args = [BIN, 'run', '--valuations', 'v.csv', '--metrics', 'twr,mwr,risk', '--out', 'out', '--state-dir', 'state', '--run-id', 'killed', '--no-cache', '--format', 'csv,json'];
    // The kills land at fractions of a full run's own duration here, so they fall mid-run on a fast machine as on a slow one.
    const t0 = performance.now();
    const full = await runCli(args.slice(1), { cwd: dir });
    expect(full.code).toBe(0);
    const fullMs = performance.now() - t0;
    await rm(join(dir, 'out'), { recursive: true, force: true });
    let killedMidRun = 0;
    for (const fraction of [0.2, 0.45, 0.7, 0.9]) {
      const child = spawn(process.execPath, args, { cwd: dir, stdio: 'ignore' });
      // listen before the kill: a run that ends first must not leave this waiting for an exit already past
      const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
      await new Promise((r) => setTimeout(r, Math.round(fullMs * fraction)));
      child.kill('SIGKILL');
      if ((await exited) === 'SIGKILL') killedMidRun++;
      // whatever exists is complete: atomic renames, and summary.json (written last) vouches for the rest
      for (const name of ['results.csv', 'results.json', 'errors.csv', 'summary.json']) {
        const path = join(dir, 'out', name);
        if (!existsSync(path)) continue;
        const text = await readFile(path, 'utf8');
        if (name.endsWith('.json')) expect(() => JSON.parse(text)).not.toThrow();
        else expect(text.endsWith('\n')).toBe(true);
      }
      // anything else is a hidden temp file of a write the kill cut short (the rerun below removes it)
      if (existsSync(join(dir, 'out'))) {
        for (const f of await readdir(join(dir, 'out'))) expect(f).toMatch(/^(results\.(csv|json)|errors\.csv|summary\.json|\..+\.\d+\.[0-9a-f]{12}\.tmp)$/);
      }
    }
    expect(killedMidRun).toBeGreaterThan(0);
    const rerun = await runCli(args.slice(1), { cwd: dir });
    expect(rerun.code).toBe(0);
    const summary = JSON.parse(await readFile(join(dir, 'out', 'summary.json'), 'utf8'));
    expect(summary.portfolios.succeeded).toBe(400);
    expect((await readdir(join(dir, 'out'))).sort()).toEqual(['errors.csv', 'results.csv', 'results.json', 'summary.json']);
  });

  it('--print-config shows the merged settings and where each came from', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'perfcalc.config.json'), JSON.stringify({ concurrency: 3, periods: ['YTD', 'ITD'] }));
    const r = await runCli(['run', '--print-config', '--periods', 'MTD'], { cwd: dir, env: { PERFCALC_CONCURRENCY: '5' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/concurrency\s+5\s+.*env/);
    expect(r.stdout).toMatch(/periods\s+MTD\s+.*flag/);
    const bad = await runCli(['run', '--print-config'], { cwd: dir, env: { PERFCALC_CONCURENCY: '5' } });
    expect(bad.code).toBe(0);
    await writeFile(join(dir, 'perfcalc.config.json'), JSON.stringify({ concurency: 3 }));
    const typo = await runCli(['run', '--print-config'], { cwd: dir });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("key 'concurency' is not a known setting (did you mean 'concurrency'?)");
  });
});

describe('perfcalc run: worker-thread scan of large valuations files', () => {
  it('gives the same bytes as the whole-file path, with a bad portfolio and a flows-only portfolio, and falls back on ungrouped input', async () => {
    const dir = await tempDir();
    const lines = (await readFile(V, 'utf8')).trimEnd().split('\n');
    const bad = lines.findIndex((l) => l.startsWith('P-002,2024-05-01'));
    lines[bad] = 'P-002,2024-05-01,-10.00,USD';
    await writeFile(join(dir, 'v.csv'), `${lines.join('\n')}\n`);
    // P-404 has flows only; P-009 (in the second worker's range) has its flows in another currency, an error quoting
    // the line of its valuations' currency: handled before that range's first line is known, then re-scanned
    const flows = `${(await readFile(F, 'utf8')).trimEnd().replace(/^(P-009,[^,]*,[^,]*),USD,/gm, '$1,EUR,')}\nP-404,2025-01-15,100.00,USD,end,contribution\n`;
    await writeFile(join(dir, 'f.csv'), flows);
    const [header, ...rows] = lines;
    await writeFile(join(dir, 'shuffled.csv'), shuffled(`${[header, ...rows].join('\n')}\n`, 5));
    const common = ['--cash-flows', 'f.csv', '--returns', R, '--benchmark', 'BENCH', '--metrics', 'twr,mwr,risk', '--no-cache', '--format', 'csv,json'];
    const whole = await runBatch(['--valuations', 'v.csv', ...common, '--out', 'whole', '--scan-threshold', '1g'], dir);
    const scan1 = await runBatch(['--valuations', 'v.csv', ...common, '--out', 'scan1', '--scan-threshold', '0', '--concurrency', '1'], dir);
    const scan2 = await runBatch(['--valuations', 'v.csv', ...common, '--out', 'scan2', '--scan-threshold', '0', '--concurrency', '2'], dir);
    const fallback = await runBatch(['--valuations', 'shuffled.csv', ...common, '--out', 'fallback', '--scan-threshold', '0'], dir);
    for (const r of [whole, scan1, scan2, fallback]) expect(r.code).toBe(1);
    for (const name of ['results.csv', 'results.json', 'errors.csv']) {
      const expected = await readFile(join(dir, 'whole', name), 'utf8');
      expect(await readFile(join(dir, 'scan1', name), 'utf8')).toBe(expected);
      expect(await readFile(join(dir, 'scan2', name), 'utf8')).toBe(expected);
      if (name !== 'errors.csv') expect(await readFile(join(dir, 'fallback', name), 'utf8')).toBe(expected);
    }
    const errors = await readFile(join(dir, 'scan2', 'errors.csv'), 'utf8');
    const p009 = lines.findIndex((l) => l.startsWith('P-009,')) + 1;
    expect(errors).toContain(`portfolio 'P-009' has mixed currencies: ""EUR"" here, ""USD"" on ${join(dir, 'v.csv')}:${p009}`);
    expect(errors).toContain(`P-002,load,"`);
    expect(errors).toContain(`v.csv:${bad + 1}: column 'market_value': ""-10.00"" is not positive`);
    expect(errors).toContain("portfolio 'P-404' has cash flows but no valuations");
  });
});

describe('perfcalc run: the scan memo (a rerun on unchanged inputs does not read them)', () => {
  it('serves an unchanged rerun from the cache without scanning; a touched or edited file is scanned again', async () => {
    const dir = await tempDir();
    const lines = (await readFile(V, 'utf8')).trimEnd().split('\n');
    const bad = lines.findIndex((l) => l.startsWith('P-002,2024-05-01'));
    lines[bad] = 'P-002,2024-05-01,-10.00,USD';
    const hourAgo = new Date(Date.now() - 3_600_000);
    const write = async (name: string, text: string, at = hourAgo) => {
      await writeFile(join(dir, name), text);
      await utimes(join(dir, name), at, at); // exported earlier: not a "racy" file for the digest memo
    };
    await write('v.csv', `${lines.join('\n')}\n`);
    await write('f.csv', await readFile(F, 'utf8'));
    const args = (out: string) => ['--valuations', 'v.csv', '--cash-flows', 'f.csv', '--metrics', 'twr,mwr,risk', '--scan-threshold', '0', '--cache-dir', 'cache', '--out', out, '--log', 'json'];
    const summary = async (out: string) => JSON.parse(await readFile(join(dir, out, 'summary.json'), 'utf8'));
    const memoUsed = (stderr: string) => stderr.includes('(scan memo)');

    const cold = await runBatch(args('cold'), dir);
    expect(cold.code).toBe(1);
    expect(memoUsed(cold.stderr)).toBe(false);
    const total = (await summary('cold')).portfolios.succeeded as number;
    expect(total).toBeGreaterThan(5);

    const warm = await runBatch(args('warm'), dir);
    expect(warm.code).toBe(1);
    expect(memoUsed(warm.stderr)).toBe(true);
    for (const name of ['results.csv', 'errors.csv']) {
      expect(await readFile(join(dir, 'warm', name), 'utf8')).toBe(await readFile(join(dir, 'cold', name), 'utf8'));
    }
    const w = await summary('warm');
    expect(w.cache).toMatchObject({ hits: total, misses: 0 });
    expect(w.portfolios).toEqual((await summary('cold')).portfolios);
    expect(w.inputs).toEqual((await summary('cold')).inputs);

    // the same bytes rewritten (new change time): scanned again, every portfolio still a cache hit
    await write('v.csv', `${lines.join('\n')}\n`, new Date(hourAgo.getTime() - 60_000));
    const touched = await runBatch(args('touched'), dir);
    expect(memoUsed(touched.stderr)).toBe(false);
    expect((await summary('touched')).cache).toMatchObject({ hits: total, misses: 0 });
    expect(await readFile(join(dir, 'touched', 'results.csv'), 'utf8')).toBe(await readFile(join(dir, 'cold', 'results.csv'), 'utf8'));

    // one portfolio's value edited: scanned again, that portfolio alone recomputed
    const edit = lines.findIndex((l) => l.startsWith('P-001,2024-03-01'));
    const cells = lines[edit]!.split(',');
    cells[2] = (Number(cells[2]) + 1).toFixed(2);
    lines[edit] = cells.join(',');
    await write('v.csv', `${lines.join('\n')}\n`);
    const edited = await runBatch(args('edited'), dir);
    expect(memoUsed(edited.stderr)).toBe(false);
    expect((await summary('edited')).cache).toMatchObject({ hits: total - 1, misses: 1 });
    // and the edited inputs' own memo serves the next rerun
    const again = await runBatch(args('again'), dir);
    expect(memoUsed(again.stderr)).toBe(true);
    expect(await readFile(join(dir, 'again', 'results.csv'), 'utf8')).toBe(await readFile(join(dir, 'edited', 'results.csv'), 'utf8'));
  });
});
