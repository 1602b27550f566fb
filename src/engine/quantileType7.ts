/**
 * R's default quantile (type 7, Hyndman & Fan): with the values sorted ascending, h = (n - 1) p,
 * the result is x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]), written as R writes it:
 * (1 - g) * x[lo] + g * x[hi], and just x[lo] when the index is whole or both neighbours are equal.
 * NaN for empty input or p outside [0, 1].
 */
export function quantileType7(values: ArrayLike<number>, p: number): number {
  const n = values.length;
  if (n === 0 || !(p >= 0 && p <= 1)) return Number.NaN;
  const x = Float64Array.from(values).sort();
  const index = 1 + (n - 1) * p; // 1-based, as in R
  const lo = Math.floor(index);
  const hi = Math.ceil(index);
  const qs = x[lo - 1] as number;
  const xhi = x[hi - 1] as number;
  if (index > lo && xhi !== qs) {
    const h = index - lo;
    return (1 - h) * qs + h * xhi;
  }
  return qs;
}
