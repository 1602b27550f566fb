/**
 * Local append-only audit log: one JSON object per line in `<stateDir>/audit.jsonl`.
 *
 * Appending: each record is serialised to one line and written with ONE write() call on a file
 * opened with O_APPEND ('a'). What this relies on: POSIX makes "move to end of file + write" a
 * single atomic step for O_APPEND, so concurrent appenders never overwrite each other; and Linux
 * local file systems (ext4, xfs, btrfs, tmpfs) hold the inode lock for the whole of a regular-file
 * write, so two writes are never interleaved byte-wise. PIPE_BUF's atomicity promise is about
 * pipes, not files, and is NOT what is relied on. A short write (disk full, signal) is reported as
 * an error naming the log; a line cut short that way is skipped (and counted) by `readAudit`.
 * Not safe on NFS or other network file systems, where O_APPEND is emulated by the client.
 */
import { mkdir, open, readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';

export const AUDIT_FILE = 'audit.jsonl';

export interface AuditInput {
  path: string;
  sha256: string;
  bytes: number;
}

/** 'ok': every portfolio succeeded; 'partial': some failed; 'failed': the run stopped (usage/input error, crash, fail-fast). */
export type AuditOutcome = 'ok' | 'partial' | 'failed';

export interface AuditRecord {
  run_id: string;
  user: string;
  command: string;
  argv: string[];
  inputs: AuditInput[];
  /** e.g. { portfolios, succeeded, failed, results, cache_hits, cache_misses }. */
  counts: Record<string, number>;
  outcome: AuditOutcome;
  /** ISO-8601 UTC timestamps (Date.prototype.toISOString). */
  started_at: string;
  finished_at: string;
  tenant?: string;
  /** Free-form extras (perfcalc version, error message, ...). */
  [extra: string]: unknown;
}

/** The OS user name, or $USER / 'unknown' where the OS has no name for the uid (some containers). */
export function currentUser(env: NodeJS.ProcessEnv = process.env): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? env.LOGNAME ?? 'unknown';
  }
}

export function auditPath(stateDir: string): string {
  return join(stateDir, AUDIT_FILE);
}

/**
 * Appends one record to `<stateDir>/audit.jsonl` (creating the directory and file, mode 0600),
 * as a single write. `user` defaults to the OS user.
 */
export async function appendAudit(stateDir: string, record: Omit<AuditRecord, 'user'> & { user?: string }): Promise<void> {
  const full = { ...record, user: record.user ?? currentUser() };
  const line = `${JSON.stringify(full)}\n`;
  if (line.indexOf('\n') !== line.length - 1) throw new Error('audit record serialised to more than one line');
  const data = Buffer.from(line, 'utf8');
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const path = auditPath(stateDir);
  const fh = await open(path, 'a', 0o600);
  try {
    const { bytesWritten } = await fh.write(data, 0, data.length);
    if (bytesWritten !== data.length) {
      throw new Error(`${path}: short write (${bytesWritten} of ${data.length} bytes); the audit line is incomplete`);
    }
  } finally {
    await fh.close();
  }
}

export interface AuditQuery {
  stateDir: string;
  user?: string;
  /** Records that started at or after this instant. */
  from?: Date | string;
  /** Records that started at or before this instant. */
  to?: Date | string;
  limit?: number;
}

function instant(x: Date | string | undefined, name: string): number | undefined {
  if (x === undefined) return undefined;
  const t = x instanceof Date ? x.getTime() : Date.parse(x);
  if (Number.isNaN(t)) throw new RangeError(`readAudit: ${name} '${String(x)}' is not a date or time`);
  return t;
}

/**
 * Reads the audit log, newest first (by started_at; for equal starts, the later line first),
 * filtered by user and by started_at within [from, to], at most `limit` records. Lines that are
 * not complete JSON objects (a cut-short line) are skipped and counted in `skipped`.
 * A missing log reads as empty.
 */
export async function readAudit(q: AuditQuery): Promise<{ records: AuditRecord[]; skipped: number }> {
  const from = instant(q.from, 'from');
  const to = instant(q.to, 'to');
  let text: string;
  try {
    text = await readFile(auditPath(q.stateDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], skipped: 0 };
    throw err;
  }
  const found: { rec: AuditRecord; start: number; line: number }[] = [];
  let skipped = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    let rec: AuditRecord;
    try {
      rec = JSON.parse(raw);
    } catch {
      skipped++;
      continue;
    }
    const start = typeof rec?.started_at === 'string' ? Date.parse(rec.started_at) : NaN;
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec) || Number.isNaN(start)) {
      skipped++;
      continue;
    }
    if (q.user !== undefined && rec.user !== q.user) continue;
    if (from !== undefined && start < from) continue;
    if (to !== undefined && start > to) continue;
    found.push({ rec, start, line: i });
  }
  found.sort((a, b) => b.start - a.start || b.line - a.line);
  const limit = q.limit ?? found.length;
  return { records: found.slice(0, limit).map((f) => f.rec), skipped };
}

/** An audit query's upper bound: a bare date (YYYY-MM-DD) means the whole of that day (UTC); anything else is kept. */
export function auditUntil(to: string | undefined): string | undefined {
  return to !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(to) ? `${to}T23:59:59.999Z` : to;
}
