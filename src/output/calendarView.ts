import { MONTH_KEYS, type CalendarRecord } from '../commands/calendar.js';
import type { RecordView } from './emit.js';
import { percent } from './format.js';

const cell = (v: number | null): string => (v === null ? '' : percent(v, 1));

export const calendarView: RecordView<CalendarRecord> = {
  csv: ['series_id', 'year', ...MONTH_KEYS, 'year_return'],
  table: [
    { key: 'series_id', header: 'Series' },
    { key: 'year', header: 'Year' },
    ...MONTH_KEYS.map((k) => ({ key: k, header: k[0]!.toUpperCase() + k.slice(1), align: 'right' as const, cell: (r: CalendarRecord) => cell(r[k]) })),
    { key: 'year_return', header: 'Year', align: 'right', cell: (r) => cell(r.year_return) },
  ],
};
