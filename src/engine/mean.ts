import { accurateSum } from './accurateSum.js';

/**
 * Arithmetic mean of all values (no NaN handling: callers pass aligned, complete data), computed
 * as R's mean.default does: the sum divided by n, then corrected by the mean of the residuals.
 * Returns NaN for an empty input. `sum`, when given, must be accurateSum(values) (it saves the
 * summing pass; see sumAndDownside).
 */
export function mean(values: ArrayLike<number>, sum?: number): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const m = (sum ?? accurateSum(values)) / n;
  let r = 0;
  for (let i = 0; i < n; i++) r += (values[i] as number) - m;
  return m + r / n;
}
