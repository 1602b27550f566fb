import type { PeriodResult } from '../engine/periodReturns.js';
import type { RecordView } from './emit.js';
import { percent } from './format.js';

/** twr / mwr records: stable CSV columns (documented in the README) and a compact table. */
export const periodResultView: RecordView<PeriodResult> = {
  csv: [
    'portfolio_id',
    'period',
    'start_date',
    'end_date',
    'base_date',
    'method',
    'cumulative_return',
    'annualized_return',
    'annualized',
    'days',
    'status',
    'warnings',
  ],
  table: [
    { key: 'portfolio_id', header: 'Portfolio' },
    { key: 'period', header: 'Period' },
    { key: 'start_date', header: 'Start' },
    { key: 'end_date', header: 'End' },
    { key: 'method', header: 'Method' },
    { key: 'cumulative_return', header: 'Cumulative', align: 'right', cell: (r) => percent(r.cumulative_return) },
    { key: 'annualized_return', header: 'Annualized', align: 'right', cell: (r) => percent(r.annualized_return) },
    { key: 'status', header: 'Status' },
  ],
};
