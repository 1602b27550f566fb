import type { AuditRecord } from '../batch/auditLog.js';
import type { RecordView } from './emit.js';

/** An audit record flattened for tables and CSV (JSON keeps inputs and counts as objects). */
export interface AuditRow {
  run_id: string;
  user: string;
  command: string;
  outcome: string;
  started_at: string;
  finished_at: string;
  portfolios: number | null;
  failed: number | null;
  inputs: string;
  argv: string;
}

export function auditRow(r: AuditRecord): AuditRow {
  return {
    run_id: r.run_id,
    user: r.user,
    command: r.command,
    outcome: r.outcome,
    started_at: r.started_at,
    finished_at: r.finished_at,
    portfolios: r.counts?.portfolios ?? null,
    failed: r.counts?.failed ?? null,
    inputs: (r.inputs ?? []).map((i) => `${i.path}@sha256:${i.sha256.slice(0, 12)}`).join(' '),
    argv: (r.argv ?? []).join(' '),
  };
}

export const auditView: RecordView<AuditRow> = {
  csv: ['run_id', 'user', 'command', 'outcome', 'started_at', 'finished_at', 'portfolios', 'failed', 'inputs', 'argv'],
  table: [
    { key: 'started_at', header: 'Started' },
    { key: 'run_id', header: 'Run' },
    { key: 'user', header: 'User' },
    { key: 'command', header: 'Command' },
    { key: 'outcome', header: 'Outcome' },
    { key: 'portfolios', header: 'Portfolios', align: 'right' },
    { key: 'failed', header: 'Failed', align: 'right' },
  ],
};
