/**
 * Every bad-input kind of issue 2, through the built binary: one clear `file:line: column` message
 * on stderr, exit code 2, nothing on stdout and no output file written.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFiles, runCli, tempDir } from './runCli.js';

const B = 'fixtures/bad';

interface Case {
  name: string;
  args: string[];
  message: string;
}

const cases: Case[] = [
  { name: 'unparseable date', args: ['--valuations', `${B}/bad_date.csv`], message: `${B}/bad_date.csv:3: column 'date': "2024-02-30" is not a date (expected YYYY-MM-DD)` },
  { name: 'unparseable number', args: ['--valuations', `${B}/bad_number.csv`], message: `${B}/bad_number.csv:3: column 'market_value': "12,5x" is not a number` },
  { name: 'missing required column', args: ['--valuations', `${B}/missing_column.csv`], message: `${B}/missing_column.csv:1: column 'market_value': required column is missing` },
  { name: 'duplicate portfolio+date valuation', args: ['--valuations', `${B}/duplicate_valuation.csv`], message: `${B}/duplicate_valuation.csv:4: column 'date': duplicate valuation for portfolio 'P1' on 2024-01-02 (also on line 2)` },
  { name: 'zero or negative value', args: ['--valuations', `${B}/non_positive_value.csv`], message: `${B}/non_positive_value.csv:3: column 'market_value': "0" is not positive (a return needs a positive value)` },
  { name: 'flow before the first valuation', args: ['--valuations', `${B}/valuations_ok.csv`, '--cash-flows', `${B}/flow_outside_valuations.csv`], message: `${B}/flow_outside_valuations.csv:3: column 'date': flow on 2024-01-01 is before portfolio 'P1''s first valuation on 2024-01-02` },
  { name: 'flow after the last valuation', args: ['--valuations', `${B}/valuations_ok.csv`, '--cash-flows', `${B}/flow_outside_valuations.csv`], message: `${B}/flow_outside_valuations.csv:4: column 'date': flow on 2024-01-08 is after portfolio 'P1''s last valuation on 2024-01-05` },
  { name: 'empty file', args: ['--valuations', `${B}/empty.csv`], message: `${B}/empty.csv: file is empty` },
  { name: 'header but no rows', args: ['--valuations', `${B}/header_only.csv`], message: `${B}/header_only.csv: file has a header but no data rows` },
  { name: 'duplicate holding', args: ['--holdings', `${B}/duplicate_holding.csv`], message: `${B}/duplicate_holding.csv:4: column 'security_id': duplicate holding of 'AAA' for portfolio 'P1' on 2024-01-02 (also on line 2)` },
];

describe('bad input: message with file, line and column; exit 2; nothing written', () => {
  for (const command of ['twr', 'mwr']) {
    for (const c of cases) {
      it(`${command}: ${c.name}`, async () => {
        const dir = await tempDir();
        const out = join(dir, 'out.csv');
        const r = await runCli([command, ...c.args, '--output', out]);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(c.message);
        expect(r.stderr.startsWith('perfcalc: ')).toBe(true);
        expect(r.stdout).toBe('');
        expect(await listFiles(dir)).toEqual([]);
      });
    }
  }

  it('many bad rows: the first several are reported, with the total', async () => {
    const dir = await tempDir();
    const rows = ['portfolio_id,date,market_value', 'P1,2024-01-01,100'];
    for (let i = 0; i < 25; i++) rows.push(`P1,2024-02-${String(i + 1).padStart(2, '0')},x${i}`);
    await writeFile(join(dir, 'v.csv'), `${rows.join('\n')}\n`);
    const r = await runCli(['twr', '--valuations', 'v.csv'], { cwd: dir });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(`perfcalc: v.csv:3: column 'market_value': "x0" is not a number`);
    expect(lines.filter((l) => l.includes('is not a number'))).toHaveLength(10);
    expect(r.stderr).toContain('15 more problem');
  });

  it('a missing file is exit 2 with its name', async () => {
    const r = await runCli(['twr', '--valuations', 'no/such/file.csv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no/such/file.csv');
  });

  it('returns files: bad return, duplicate series+date, duplicate wide columns', async () => {
    const expectations: Array<[string, string]> = [
      [`${B}/returns_bad_return.csv`, `${B}/returns_bad_return.csv:3: column 'return'`],
      [`${B}/returns_duplicate.csv`, `${B}/returns_duplicate.csv:`],
      [`${B}/returns_wide_duplicate_columns.csv`, `${B}/returns_wide_duplicate_columns.csv:1:`],
    ];
    for (const [file, message] of expectations) {
      const r = await runCli(['risk', '--returns', file]);
      expect(r.code, file).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stdout).toBe('');
    }
  });
});

describe('usage', () => {
  it('every command has --help with an example', async () => {
    for (const command of ['twr', 'mwr', 'risk', 'returns']) {
      const r = await runCli([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Example:');
      expect(r.stdout).toContain(`$ perfcalc ${command}`);
    }
  });

  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('bad flags are usage errors (exit 2)', async () => {
    expect((await runCli(['twr', '--valuations', 'fixtures/valuations.csv', '--periods', 'MTD,7Y'])).code).toBe(2);
    expect((await runCli(['twr', '--valuations', 'fixtures/valuations.csv', '--as-of', '2024-13-01'])).code).toBe(2);
    expect((await runCli(['twr', '--valuations', 'fixtures/valuations.csv', '--method', 'simple'])).code).toBe(2);
    expect((await runCli(['twr'])).code).toBe(2);
    expect((await runCli(['frobnicate'])).code).toBe(2);
  });
});
