/**
 * Reporting periods (see docs/architecture.md, "Periods").
 *
 * A period is (base, end]: `end` is the as-of date (or `--to` for a custom period) and the end
 * value is the last valuation on or before it; the base is the last valuation on or before the
 * day before the period's first day (its "nominal base"):
 *   MTD: last day of the previous month;  QTD: last day of the previous quarter;
 *   YTD: 31 December of the previous year;  1Y/3Y/5Y/10Y: the same day N years earlier (day
 *   clamped to the month's length: 2024-02-29 less one year is 2023-02-28);
 *   ITD: the first valuation (so the period's first day is the day after it);
 *   custom: `from` is the first day (nominal base from - 1; no `from` behaves like ITD).
 * Status: 'insufficient_history' when the nominal base precedes the first valuation (never
 * shortened); 'no_data' when there is no valuation on or before the end, or none after the base
 * (an empty period); otherwise 'ok'.
 * Annualisation: a period is annualised when it spans at least one calendar year, i.e. its
 * nominal base plus 12 months (day clamped) is on or before its end (1Y/3Y/5Y/10Y always; YTD only
 * on 31 December; ITD and custom periods when long enough; MTD and QTD never). The annualisation
 * itself is geometric over `days` = end valuation - base valuation, calendar days / 365.
 */
import { addMonths, civilFromDays, daysFromCivil, formatIsoDate, type EpochDay } from './calendarDate.js';
import { lastIndexAtOrBefore } from './dateIndex.js';
import { UsageError } from '../errors.js';

export type PeriodCode = 'MTD' | 'QTD' | 'YTD' | '1Y' | '3Y' | '5Y' | '10Y' | 'ITD';

export const PERIOD_CODES: readonly PeriodCode[] = ['MTD', 'QTD', 'YTD', '1Y', '3Y', '5Y', '10Y', 'ITD'];

/** label is what appears in output (e.g. 'YTD' or '2024-01-01..2024-06-30'). */
export interface PeriodSpec {
  label: string;
  code: PeriodCode | 'CUSTOM';
  from?: EpochDay;
  to?: EpochDay;
}

export interface PeriodWindow {
  label: string;
  /** First day of the period (nominal base + 1). */
  start: EpochDay;
  /** End date: the as-of date, or `to` for a custom period. */
  end: EpochDay;
  /** Valuation date of the starting value (null unless status is 'ok'). */
  base: EpochDay | null;
  /** Valuation date of the end value: the last valuation on or before `end` (null when none). */
  endValuation: EpochDay | null;
  status: 'ok' | 'insufficient_history' | 'no_data';
  annualize: boolean;
  /** endValuation - base in calendar days (0 unless status is 'ok'). */
  days: number;
}

/** 'MTD,QTD,YTD' -> codes (case-insensitive, blanks around commas ignored, duplicates dropped). */
export function parsePeriodList(text: string): PeriodCode[] {
  const out: PeriodCode[] = [];
  for (const raw of text.split(',')) {
    const t = raw.trim().toUpperCase();
    const code = PERIOD_CODES.find((c) => c === t);
    if (code === undefined) {
      throw new UsageError(
        t === ''
          ? `empty period in '${text}'; expected a comma-separated list of ${PERIOD_CODES.join(', ')}`
          : `unknown period '${raw.trim()}'; expected one of ${PERIOD_CODES.join(', ')}`,
      );
    }
    if (!out.includes(code)) out.push(code);
  }
  return out;
}

/** The day before the period's first day, for the calendar codes (not ITD). */
function nominalBase(code: Exclude<PeriodCode, 'ITD'>, end: EpochDay): EpochDay {
  const { year, month } = civilFromDays(end);
  switch (code) {
    case 'MTD':
      return daysFromCivil(year, month, 1) - 1;
    case 'QTD':
      return daysFromCivil(year, month - ((month - 1) % 3), 1) - 1;
    case 'YTD':
      return daysFromCivil(year, 1, 1) - 1;
    case '1Y':
      return addMonths(end, -12);
    case '3Y':
      return addMonths(end, -36);
    case '5Y':
      return addMonths(end, -60);
    case '10Y':
      return addMonths(end, -120);
  }
}

/**
 * Resolves a period against a portfolio's ascending valuation dates. `asOf` is the run's end
 * date (callers pass the last valuation date when the user gave none); a custom period's `to`
 * replaces it. Throws UsageError only for a custom period whose `from` is after its `to`.
 */
export function resolvePeriod(spec: PeriodSpec, asOf: EpochDay, valuationDates: Int32Array): PeriodWindow {
  const custom = spec.code === 'CUSTOM';
  const end = custom && spec.to !== undefined ? spec.to : asOf;
  const n = valuationDates.length;
  const first = n > 0 ? valuationDates[0]! : undefined;
  let nb: EpochDay | undefined; // nominal base
  if (spec.code === 'CUSTOM') {
    if (spec.from !== undefined) {
      if (spec.from > end) {
        throw new UsageError(`period ${spec.label}: --from ${formatIsoDate(spec.from)} is after --to ${formatIsoDate(end)}`);
      }
      nb = spec.from - 1;
    } else nb = first;
  } else if (spec.code === 'ITD') nb = first;
  else nb = nominalBase(spec.code, end);
  const eIdx = lastIndexAtOrBefore(valuationDates, end);
  const endValuation = eIdx >= 0 ? valuationDates[eIdx]! : null;
  const window: PeriodWindow = {
    label: spec.label,
    start: (nb ?? end) + 1,
    end,
    base: null,
    endValuation,
    status: 'no_data',
    annualize: false,
    days: 0,
  };
  if (nb === undefined || first === undefined || eIdx < 0) return window;
  if (nb < first) {
    window.status = 'insufficient_history';
    return window;
  }
  const bIdx = lastIndexAtOrBefore(valuationDates, nb);
  if (bIdx >= eIdx) return window;
  window.base = valuationDates[bIdx]!;
  window.status = 'ok';
  window.days = endValuation! - window.base;
  window.annualize = addMonths(nb, 12) <= end;
  return window;
}
