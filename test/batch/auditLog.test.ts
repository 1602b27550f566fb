import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { appendAudit, auditPath, currentUser, readAudit, type AuditRecord } from '../../src/batch/auditLog.js';

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'perfcalc-audit-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `state${n++}`);

function record(over: Partial<AuditRecord> & { run_id: string; started_at: string }): AuditRecord {
  return {
    user: 'ann',
    command: 'run',
    argv: ['run', '--valuations', 'v.csv'],
    inputs: [{ path: '/data/v.csv', sha256: 'ab'.repeat(32), bytes: 1234 }],
    counts: { portfolios: 3, succeeded: 3, failed: 0 },
    outcome: 'ok',
    finished_at: over.started_at,
    ...over,
  };
}

describe('appendAudit', () => {
  it('appends one JSON line per record to <stateDir>/audit.jsonl, creating the directory, mode 0600', async () => {
    const dir = fresh();
    const a = record({ run_id: 'r1', started_at: '2026-11-20T22:00:00.000Z', tenant: 'acme' });
    const b = record({ run_id: 'r2', started_at: '2026-11-21T22:00:00.000Z', outcome: 'partial', counts: { portfolios: 3, succeeded: 2, failed: 1 } });
    await appendAudit(dir, a);
    await appendAudit(dir, b);
    const text = readFileSync(auditPath(dir), 'utf8');
    expect(text).toBe(`${JSON.stringify(a)}\n${JSON.stringify(b)}\n`);
    expect(auditPath(dir)).toBe(join(dir, 'audit.jsonl'));
    expect(statSync(auditPath(dir)).mode & 0o777).toBe(0o600);
  });

  it('fills user with the OS user when not given', async () => {
    const dir = fresh();
    const { user: _omit, ...rest } = record({ run_id: 'r1', started_at: '2026-11-20T22:00:00.000Z' });
    await appendAudit(dir, rest);
    const line = JSON.parse(readFileSync(auditPath(dir), 'utf8'));
    expect(line.user).toBe(userInfo().username);
    expect(currentUser()).toBe(userInfo().username);
  });

  it('many concurrent appends in one process: every line whole', async () => {
    const dir = fresh();
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        appendAudit(dir, record({ run_id: `p-${i}`, started_at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(), argv: ['x'.repeat(i * 37)] })),
      ),
    );
    const lines = readFileSync(auditPath(dir), 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(200);
    const ids = lines.map((l) => JSON.parse(l).run_id).sort();
    expect(new Set(ids).size).toBe(200);
  });

  it('three processes appending 8 KiB lines (above PIPE_BUF = 4096) at once: 3 x 100 whole lines', async () => {
    const dir = fresh();
    const child = join(root, 'auditWriter.child.mjs');
    await build({ entryPoints: [new URL('./auditWriter.child.ts', import.meta.url).pathname], bundle: true, platform: 'node', format: 'esm', outfile: child, logLevel: 'silent' });
    await Promise.all(['A', 'B', 'C'].map((w) => run(process.execPath, [child, dir, w, '100', '8192'])));
    const lines = readFileSync(auditPath(dir), 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(300);
    const seen: Record<string, number[]> = { A: [], B: [], C: [] };
    for (const l of lines) {
      const r = JSON.parse(l) as AuditRecord;
      const w = r.run_id[0]!;
      expect(r.argv[2]).toBe(w.repeat(8192));
      seen[w]!.push(r.counts.seq!);
    }
    // each writer's lines are all there, in its own order
    for (const w of ['A', 'B', 'C']) expect(seen[w]).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const { records, skipped } = await readAudit({ stateDir: dir, user: 'user-B', limit: 2 });
    expect(skipped).toBe(0);
    expect(records.map((r) => r.run_id)).toEqual(['B-99', 'B-98']);
  });
});

describe('readAudit', () => {
  const dir = fresh();
  const recs = [
    record({ run_id: 'a', user: 'ann', started_at: '2026-11-18T22:00:00.000Z' }),
    record({ run_id: 'b', user: 'bob', started_at: '2026-11-19T22:00:00.000Z' }),
    record({ run_id: 'c', user: 'ann', started_at: '2026-11-20T22:00:00.000Z' }),
    // appended later but started earlier (a long run that finished late)
    record({ run_id: 'd', user: 'ann', started_at: '2026-11-19T21:00:00.000Z' }),
    record({ run_id: 'e', user: 'bob', started_at: '2026-11-20T22:00:00.000Z' }),
  ];

  it('newest first by started_at (later line first on ties), with user, from, to and limit filters', async () => {
    for (const r of recs) await appendAudit(dir, r);
    const ids = async (q: Omit<Parameters<typeof readAudit>[0], 'stateDir'>) => (await readAudit({ stateDir: dir, ...q })).records.map((r) => r.run_id);
    expect(await ids({})).toEqual(['e', 'c', 'b', 'd', 'a']);
    expect(await ids({ user: 'ann' })).toEqual(['c', 'd', 'a']);
    expect(await ids({ from: '2026-11-19T21:30:00Z' })).toEqual(['e', 'c', 'b']);
    expect(await ids({ to: new Date('2026-11-19T22:00:00Z') })).toEqual(['b', 'd', 'a']); // inclusive
    expect(await ids({ user: 'ann', from: '2026-11-19', to: '2026-11-20' })).toEqual(['d']);
    expect(await ids({ limit: 2 })).toEqual(['e', 'c']);
    expect(await ids({ user: 'carol' })).toEqual([]);
  });

  it('skips and counts cut-short or foreign lines', async () => {
    const d2 = fresh();
    await appendAudit(d2, recs[0]!);
    appendFileSync(auditPath(d2), '{"run_id":"cut","started_at":"2026-11-\n[1,2]\n{"run_id":"no-start"}\n\n');
    await appendAudit(d2, recs[1]!);
    const { records, skipped } = await readAudit({ stateDir: d2 });
    expect(records.map((r) => r.run_id)).toEqual(['b', 'a']);
    expect(skipped).toBe(3);
  });

  it('a missing log is empty; a bad date is an error', async () => {
    expect(await readAudit({ stateDir: join(root, 'none') })).toEqual({ records: [], skipped: 0 });
    await expect(readAudit({ stateDir: dir, from: 'yesterday' })).rejects.toThrow("readAudit: from 'yesterday' is not a date or time");
  });
});
