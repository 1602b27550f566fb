/**
 * Calendar dates as whole days since 1970-01-01 (the "epoch day"), computed with integer
 * arithmetic on year, month and day. Dates have no time zone and never go through local-time
 * `Date` arithmetic, so day counts are exact on every machine.
 *
 * Algorithms: Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
 */

export type EpochDay = number;

export interface CivilDate {
  year: number;
  month: number; // 1..12
  day: number; // 1..31
}

/** Epoch day of a civil date. */
export function daysFromCivil(year: number, month: number, day: number): EpochDay {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Civil date of an epoch day. */
export function civilFromDays(z: EpochDay): CivilDate {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Parses a strict ISO `YYYY-MM-DD` date. Returns undefined when the text is not such a date
 * (wrong shape, month 13, 31 April, 29 February of a common year, ...).
 */
export function parseIsoDate(text: string): EpochDay | undefined {
  if (text.length !== 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return undefined;
  let year = 0;
  let month = 0;
  let day = 0;
  for (let i = 0; i < 10; i++) {
    if (i === 4 || i === 7) continue;
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    if (i < 4) year = year * 10 + d;
    else if (i < 7) month = month * 10 + d;
    else day = day * 10 + d;
  }
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return daysFromCivil(year, month, day);
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** The last texts formatIsoDate made, by epoch day modulo their number (a batch formats the same few dates for every portfolio). */
const FORMATTED_SLOTS = 1024;
const formattedDay = new Float64Array(FORMATTED_SLOTS).fill(NaN);
const formattedText: string[] = new Array<string>(FORMATTED_SLOTS).fill('');

/** Formats an epoch day as `YYYY-MM-DD`. */
export function formatIsoDate(z: EpochDay): string {
  const slot = z & (FORMATTED_SLOTS - 1);
  if (formattedDay[slot] === z) return formattedText[slot]!;
  const { year, month, day } = civilFromDays(z);
  const text = `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
  formattedDay[slot] = z;
  formattedText[slot] = text;
  return text;
}

/** Last day of the month containing z. */
export function endOfMonth(z: EpochDay): EpochDay {
  const { year, month } = civilFromDays(z);
  return daysFromCivil(year, month, daysInMonth(year, month));
}

/**
 * Adds whole months to a date, clamping the day to the target month's length
 * (2024-02-29 minus 12 months is 2023-02-28).
 */
export function addMonths(z: EpochDay, months: number): EpochDay {
  const { year, month, day } = civilFromDays(z);
  const total = year * 12 + (month - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = total - ny * 12 + 1;
  return daysFromCivil(ny, nm, Math.min(day, daysInMonth(ny, nm)));
}
