/**
 * The one order for portfolio and series ids everywhere output is sorted: plain UTF-16 code-unit
 * order, so results are the same bytes on every machine and locale (no localeCompare).
 */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
