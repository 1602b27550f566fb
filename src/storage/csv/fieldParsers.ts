/**
 * Field-level parsing shared by the CSV sinks: each function reads one field, and on failure
 * records a problem located by file, line and column and returns undefined. Message texts are
 * part of the contract (tests assert them); `formatProblem` adds the `file:line: column 'x': `
 * prefix.
 */
import { parseIsoDate, type EpochDay } from '../../engine/calendarDate.js';
import { parseDecimalFloat, parseMoneyText, type Money } from '../../engine/money.js';
import type { ProblemCollector } from '../../errors.js';

export const BLANK_MESSAGE = 'value is blank';

export function notADate(text: string): string {
  return `${JSON.stringify(text)} is not a date (expected YYYY-MM-DD)`;
}

export function notANumber(text: string): string {
  return `${JSON.stringify(text)} is not a number`;
}

/** Where a field's problems go. */
export interface FieldSite {
  file: string;
  line: number;
  problems: ProblemCollector;
}

function report(site: FieldSite, field: string, message: string): undefined {
  site.problems.add({ file: site.file, line: site.line, field, message });
  return undefined;
}

/** A strict ISO `YYYY-MM-DD` date (surrounding spaces allowed) as an epoch day. */
export function dateField(site: FieldSite, field: string, raw: string): EpochDay | undefined {
  const text = raw.trim();
  if (text === '') return report(site, field, BLANK_MESSAGE);
  const d = parseIsoDate(text);
  return d === undefined ? report(site, field, notADate(text)) : d;
}

/** A plain decimal number as the nearest float64 (a single figure that is never summed). */
export function floatField(site: FieldSite, field: string, raw: string): number | undefined {
  const text = raw.trim();
  if (text === '') return report(site, field, BLANK_MESSAGE);
  const x = parseDecimalFloat(text);
  return x === undefined ? report(site, field, notANumber(text)) : x;
}

/** A plain decimal number, exactly (money that will be summed). */
export function moneyField(site: FieldSite, field: string, raw: string): Money | undefined {
  const text = raw.trim();
  if (text === '') return report(site, field, BLANK_MESSAGE);
  const m = parseMoneyText(text);
  return m === undefined ? report(site, field, notANumber(text)) : m;
}

/**
 * Number of significant decimal digits in plain decimal text (`-001.2300e5` has 3). Float64
 * holds every decimal of at most 15 significant digits (in the normal range) so that its
 * shortest round-trip text is that decimal again; `sumMoney` is then exact on it.
 */
export function significantDigits(text: string): number {
  let s = text.trim();
  const e = s.search(/[eE]/);
  if (e >= 0) s = s.slice(0, e);
  s = s.replace(/^[+-]/, '').replace('.', '');
  let a = 0;
  while (a < s.length && s.charCodeAt(a) === 48) a++;
  let b = s.length;
  while (b > a && s.charCodeAt(b - 1) === 48) b--;
  return b - a;
}

/**
 * Tracks one portfolio's currency across its rows. Currencies are not converted yet; a blank
 * cell is ignored, and a second, different currency is reported once, on the row that brings it.
 */
export class CurrencyTracker {
  currency: string | undefined;
  line = 0;
  file = '';
  private reported = false;

  check(site: FieldSite, raw: string, portfolioId: string): void {
    const c = raw.trim();
    if (c === '') return;
    if (this.currency === undefined) {
      this.currency = c;
      this.line = site.line;
      this.file = site.file;
    } else if (c !== this.currency && !this.reported) {
      this.reported = true;
      report(site, 'currency', mixedCurrencyMessage(portfolioId, c, this.currency, this.file, site.file, this.line));
    }
  }
}

export function mixedCurrencyMessage(
  portfolioId: string,
  currency: string,
  earlier: string,
  earlierFile: string,
  file: string,
  earlierLine: number,
): string {
  const where = earlierFile === file ? `line ${earlierLine}` : `${earlierFile}:${earlierLine}`;
  return `portfolio '${portfolioId}' has mixed currencies: ${JSON.stringify(currency)} here, ${JSON.stringify(earlier)} on ${where}`;
}
