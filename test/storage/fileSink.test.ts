import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RunResultRow } from '../../src/batch/runBatch.js';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeChunks, writeFileAtomic } from '../../src/output/atomicWrite.js';
import { openFileSink, resultsCsv, resultsCsvReference, writeRunFiles } from '../../src/storage/files/fileSink.js';

const text = fc.oneof(
  fc.string(),
  fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', 'é', '€', ';', '\t') }),
  fc.constantFrom('', 'insufficient_history', 'note, with comma', 'say "hi"', 'line\nbreak', 'cr\rhere'),
);
const value = fc.oneof(fc.double(), fc.constant(null), fc.integer(), fc.constantFrom(0, -0, 1e-300, 123456789.125, Number.NaN, Infinity));
const row: fc.Arbitrary<RunResultRow> = fc.record({
  run_id: text,
  portfolio_id: text,
  period: text,
  start_date: text,
  end_date: text,
  metric: text,
  value,
  method: text,
  status: fc.constantFrom('ok', 'insufficient_history', 'no_solution'),
  note: fc.oneof(text, fc.constant(undefined)),
  input_digest: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 }),
  perfcalc_version: fc.constant('0.1.0'),
}) as unknown as fc.Arbitrary<RunResultRow>;

describe('resultsCsv', () => {
  it('writes the same bytes as csv-stringify (quotes, doubled quotes, line breaks, nulls, non-finite numbers)', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 30 }), (rows) => {
        expect(resultsCsv(rows)).toBe(resultsCsvReference(rows));
      }),
      { numRuns: 500 },
    );
  });
});

describe('writeRunFiles', () => {
  it('removes the temp files a killed earlier writer left, not a live writer\'s or unrelated ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'perfcalc-sink-'));
    // pid 2^22 + 1 is above Linux's pid_max limit (2^22), so no process has it
    const dead = `.results.csv.${2 ** 22 + 1}.0123456789ab.tmp`;
    const live = `.results.csv.${process.pid}.0123456789ab.tmp`;
    const other = `.notes.txt.${2 ** 22 + 1}.0123456789ab.tmp`;
    for (const f of [dead, live, other]) await writeFile(join(dir, f), 'partial');
    await writeRunFiles(dir, { groups: [], errors: [] }, ['csv'], () => ({}));
    expect((await readdir(dir)).sort()).toEqual([live, other, 'errors.csv', 'results.csv', 'summary.json'].sort());
  });
});

describe('files sink prepare', () => {
  it('prepared rows write the same bytes, and rows only prepared leave no trace', async () => {
    const mk = (id: string, metric: string, value: number | null): RunResultRow => ({
      run_id: 'r', portfolio_id: id, period: 'ITD', start_date: '2024-01-01', end_date: '2024-12-31', metric, value,
      method: 'daily', status: value === null ? 'insufficient_history' : 'ok', note: value === null ? 'short, "very"' : '', input_digest: 'ab', perfcalc_version: '0.1.0',
    }) as RunResultRow;
    const a = [mk('B', 'twr', 0.1), mk('B', 'mwr', null)];
    const b = [mk('A', 'twr', -0.25), mk('A', 'mwr', 1e-20)];
    const ghost = [mk('C', 'twr', 1)];
    const texts: string[] = [];
    for (const prepare of [false, true]) {
      const out = await mkdtemp(join(tmpdir(), 'perfcalc-prep-'));
      const sink = openFileSink({ out, formats: ['csv', 'json'] });
      if (prepare) for (const rows of [a, b, ghost]) sink.prepare!(rows);
      await sink.writeResults(a);
      await sink.writeResults(b);
      await sink.writeResults([mk('B', 'mwr', 0.5)]); // a rewrite replaces the prepared row
      await sink.finish({} as never, [], {});
      texts.push(`${await readFile(join(out, 'results.csv'), 'utf8')}${await readFile(join(out, 'results.json'), 'utf8')}`);
    }
    expect(texts[1]).toBe(texts[0]);
    expect(texts[0]).not.toContain(',C,');
    expect(texts[0]).toContain('r,B,ITD,2024-01-01,2024-12-31,mwr,0.5,daily,ok,');
  });
});

describe('writeFileAtomic with chunks', () => {
  it('writes thousands of chunks in order, the same bytes as their concatenation', async () => {
    const chunks = Array.from({ length: 3001 }, (_, i) => Buffer.from(`${i},${'x'.repeat(i % 17)}\n`));
    const path = join(await mkdtemp(join(tmpdir(), 'perfcalc-chunks-')), 'out.csv');
    await writeFileAtomic(path, chunks);
    expect((await readFile(path)).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('finishes short gathered writes with plain writes', async () => {
    const file = Buffer.alloc(64);
    let end = 0;
    // a file handle whose gathered writes stop after at most 5 bytes, and whose plain writes after 3
    const fh = {
      async writev(bufs: Uint8Array[], position: number) {
        const all = Buffer.concat(bufs).subarray(0, 5);
        all.copy(file, position);
        end = Math.max(end, position + all.length);
        return { bytesWritten: all.length, buffers: bufs };
      },
      async write(buf: Uint8Array, offset: number, length: number, position: number) {
        const part = Buffer.from(buf).subarray(offset, offset + Math.min(length, 3));
        part.copy(file, position);
        end = Math.max(end, position + part.length);
        return { bytesWritten: part.length, buffer: buf };
      },
    };
    const chunks = ['ab', 'cdefgh', '', 'ijklmnop', 'q'].map((t) => Buffer.from(t));
    await writeChunks(fh as never, chunks);
    expect(file.subarray(0, end).toString()).toBe('abcdefghijklmnopq');
  });
});
